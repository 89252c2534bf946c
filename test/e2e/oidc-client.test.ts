import { join } from 'node:path';
import { ROOT, run, startServerOnFreePort, type StartedServer } from './support';

/**
 * oauth4webapi (a devDependency, ESM only, hence a child process: test/e2e/oidc-client.mjs) runs
 * the authorization-code flow with PKCE and OpenID Connect against the built server, posting the
 * login and consent forms as a browser does, and reports what it validated and what it refused.
 */
const SCRIPT = join(ROOT, 'test', 'e2e', 'oidc-client.mjs');
const TIMEOUT_MS = 30_000;

interface Seen {
  discovery: Record<string, unknown>;
  flows: Record<string, Record<string, unknown>>;
  errors: Record<string, Record<string, unknown>>;
}

describe('oauth4webapi runs the authorization-code flow with PKCE and OpenID Connect', () => {
  let server: StartedServer | undefined;
  let baseUrl = '';
  let seen: Seen;

  beforeAll(async () => {
    server = await startServerOnFreePort({
      CORS_DEMO_PORT: '0',
      JWT_SECRET: 'four-oh-one oidc client e2e: a fixed secret',
    });
    baseUrl = server.url;
    const ran = await run(
      process.execPath,
      [SCRIPT],
      { PATH: process.env.PATH ?? '', FOUR_OH_ONE_URL: baseUrl },
      TIMEOUT_MS,
    );
    if (ran.code !== 0) {
      throw new Error(
        `oidc-client.mjs exited with ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`,
      );
    }
    seen = JSON.parse(ran.stdout) as Seen;
  }, TIMEOUT_MS + 15_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('discovers the provider (OpenID Connect Discovery), which says it sends iss (RFC 9207)', () => {
    expect(seen.discovery).toEqual({
      issuer: baseUrl,
      authorization_endpoint: `${baseUrl}/authorize`,
      iss_parameter: true,
    });
  });

  it('logs in as the public client: the library checks state and iss, the id_token’s claims and nonce; the JWKS verifies its signature', () => {
    expect(seen.flows.public).toEqual({
      iss_in_response: baseUrl,
      token_type: 'bearer',
      scope: 'openid profile data:read',
      refresh_token: 'string',
      id_token: {
        sub: 'my_username',
        aud: 'four-oh-one-spa',
        nonce_matches: true,
        auth_time: 'number',
        acr: 'urn:four-oh-one:acr:password',
        signature_valid: true,
      },
      userinfo: { sub: 'my_username', name: 'my_username' },
    });
  });

  it('reads a reused code as invalid_grant, after which the first access token is revoked', () => {
    expect(seen.errors.code_reused).toEqual({
      class: 'ResponseBodyError',
      status: 400,
      error: 'invalid_grant',
      code: 'authorization_code_reused',
    });
    expect(seen.errors.revoked_after_reuse).toEqual({
      class: 'WWWAuthenticateChallengeError',
      status: 401,
      code: 'token_revoked',
    });
  });

  it('runs the confidential client with its secret, on a remembered login', () => {
    expect(seen.flows.confidential).toEqual({
      acr: 'urn:four-oh-one:acr:remembered-login',
      aud: 'four-oh-one-web',
    });
  });

  it('reads every refusal through its error types', () => {
    expect(seen.errors).toMatchObject({
      access_denied: { class: 'AuthorizationResponseError', error: 'access_denied' },
      invalid_scope: { class: 'AuthorizationResponseError', error: 'invalid_scope' },
      wrong_verifier: {
        class: 'ResponseBodyError',
        status: 400,
        error: 'invalid_grant',
        code: 'pkce_verifier_mismatch',
      },
      nonce_mismatch: {
        class: 'OperationProcessingError',
        code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
        message: expect.stringContaining('nonce'),
      },
      id_token_as_access_token: {
        class: 'WWWAuthenticateChallengeError',
        status: 401,
        code: 'token_type_invalid',
      },
    });
  });
});
