import { join } from 'node:path';
import { ROOT, run, startServerOnFreePort, type StartedServer } from './support';

/**
 * A real OAuth client library (oauth4webapi, a devDependency) against the built server: its flows,
 * every OAuth error the token endpoint documents read through the library's error types, and
 * every challenge of the registry parsed by its parser. oauth4webapi is ESM only and Jest here is
 * CommonJS, so test/e2e/oauth-client.mjs runs as a child and prints what it saw as JSON.
 */
const SCRIPT = join(ROOT, 'test', 'e2e', 'oauth-client.mjs');
const TIMEOUT_MS = 30_000;

interface Challenge {
  scheme: string;
  token68?: unknown;
  parameters: Record<string, string>;
}

interface Seen {
  flows: Record<string, Record<string, unknown>>;
  errors: Record<
    string,
    {
      class: string;
      status?: number;
      error?: string;
      error_description?: string;
      code?: string;
      members?: string[];
      content_type?: string;
      challenges?: Challenge[];
      message?: string;
    }
  >;
  challenges: {
    id: string;
    status: number;
    expected: string;
    parsed: Challenge[] | null;
    error?: string;
  }[];
}

/**
 * What a documented WWW-Authenticate value says, as scheme and parameters (lower-cased names,
 * unquoted values), to compare with the library's reading. `…` marks a fresh value (a nonce).
 */
function documented(header: string): Challenge[] {
  const items = header.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
  const list: Challenge[] = [];
  const value = (raw: string): unknown => {
    const text = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    return text.includes('…') ? expect.any(String) : text;
  };
  for (const item of items.map((i) => i.trim())) {
    // A scheme with a token68 (RFC 9110 §11.2: NTLM's type 2 message), "…" where it varies.
    const token68 = /^([^\s=]+)\s+([\w.~+/\-…]+=*)$/.exec(item);
    if (token68) {
      list.push({
        scheme: (token68[1] ?? '').toLowerCase(),
        token68: value(token68[2] ?? ''),
        parameters: {},
      });
      continue;
    }
    const first = /^([^\s=]+)\s+([^\s=]+)=(.*)$/.exec(item);
    const param = /^([^\s=]+)=(.*)$/.exec(item);
    if (first) {
      list.push({ scheme: (first[1] ?? '').toLowerCase(), parameters: {} });
      Object.assign(list.at(-1)?.parameters ?? {}, {
        [(first[2] ?? '').toLowerCase()]: value(first[3] ?? ''),
      });
    } else if (param) {
      Object.assign(list.at(-1)?.parameters ?? {}, {
        [(param[1] ?? '').toLowerCase()]: value(param[2] ?? ''),
      });
    } else {
      list.push({ scheme: item.toLowerCase(), parameters: {} });
    }
  }
  return list;
}

const PROBLEM_MEMBERS = [
  'code',
  'detail',
  'error',
  'error_description',
  'explanation',
  'instance',
  'remedy',
  'request_id',
  'status',
  'title',
  'type',
];
const JSON_TYPE = 'application/json; charset=utf-8';
const BASIC = [{ scheme: 'basic', parameters: { realm: 'four-oh-one', charset: 'UTF-8' } }];

describe('oauth4webapi, a real OAuth client library, against the built server', () => {
  let server: StartedServer | undefined;
  let baseUrl = '';
  let seen: Seen;

  beforeAll(async () => {
    server = await startServerOnFreePort({
      CORS_DEMO_PORT: '0',
      JWT_SECRET: 'four-oh-one oauth client e2e: a fixed secret',
      // A second use of a refresh token is reuse at once, not a retry within a window.
      REFRESH_REUSE_GRACE_SECONDS: '0',
      // The script's way to slow_down is a hundred wrong secrets and more refusals besides, all
      // from one address: past a minute's 120 explanations, the last errors would carry none.
      EXPLAIN_PER_ADDRESS_PER_MINUTE: '1000',
    });
    baseUrl = server.url;
    const ran = await run(
      process.execPath,
      // --expose-gc: the script collects each key pair's generation job (test/key-pairs.ts).
      ['--expose-gc', SCRIPT],
      { PATH: process.env.PATH ?? '', FOUR_OH_ONE_URL: baseUrl },
      TIMEOUT_MS,
    );
    if (ran.code !== 0) {
      throw new Error(
        `oauth-client.mjs exited with ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`,
      );
    }
    seen = JSON.parse(ran.stdout) as Seen;
  }, TIMEOUT_MS + 15_000);

  afterAll(async () => {
    await server?.stop();
  });

  describe('runs the flows', () => {
    it('discovers the server (RFC 8414), which lists the public client’s method none', () => {
      expect(seen.flows.discovery).toEqual({
        issuer: baseUrl,
        token_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'none',
        ],
      });
    });

    it('client credentials with HTTP Basic: a token and no refresh token, and the data opens', () => {
      expect(seen.flows.client_credentials).toEqual({
        token_type: 'bearer',
        scope: 'data:read',
        refresh_token: null,
        data_status: 200,
      });
    });

    it('the password grant for the public client, then a refresh that rotates', () => {
      expect(seen.flows.password).toEqual({
        token_type: 'bearer',
        client_id: 'four-oh-one-public',
        refresh_token: true,
      });
      expect(seen.flows.refresh).toEqual({ rotated: true, client_id: 'four-oh-one-public' });
    });

    it('introspection (token_type Bearer, none for a refresh token) and revocation', () => {
      expect(seen.flows.introspection).toEqual({
        active: true,
        token_type: 'Bearer',
        refresh_token_type: null,
        refresh_token_use: 'refresh_token',
      });
      expect(seen.flows.revocation).toEqual({ result: null, active_after: false });
    });

    it('DPoP with the library’s own key: bound tokens, the data, a refresh, nonces retried once', () => {
      expect(seen.flows.dpop).toEqual({
        token_type: 'dpop',
        jkt_is_the_key: true,
        refresh_bound: true,
        data_status: 200,
        refreshed_token_type: 'dpop',
        nonce_resource: { retried: true, status: 200 },
        nonce_token_endpoint: { retried: true, token_type: 'dpop' },
      });
    });

    it('DPoP refusals read through the library: another key, a bound token sent as Bearer', () => {
      expect(seen.errors.dpop_refresh_other_key).toMatchObject({
        class: 'ResponseBodyError',
        status: 400,
        error: 'invalid_grant',
        code: 'grant_dpop_key_mismatch',
      });
      expect(seen.errors.dpop_resource_other_key).toMatchObject({
        class: 'WWWAuthenticateChallengeError',
        status: 401,
        code: 'dpop_key_mismatch',
        challenges: [
          {
            scheme: 'dpop',
            parameters: expect.objectContaining({
              error: 'invalid_token',
              algs: 'ES256 EdDSA PS256 RS256',
            }),
          },
        ],
      });
      expect(seen.errors.dpop_token_as_bearer).toMatchObject({
        class: 'WWWAuthenticateChallengeError',
        status: 401,
        code: 'token_sender_constrained',
      });
    });

    it('a confidential client’s refresh with its authentication', () => {
      expect(seen.flows.confidential_refresh).toEqual({ client_id: 'YOUR_VALID_API_KEY' });
    });
  });

  describe('reads every OAuth error the token endpoint documents', () => {
    it.each([
      ['invalid_grant', 400, 'invalid_grant', 'invalid_grant'],
      ['invalid_request', 400, 'invalid_request', 'invalid_request'],
      ['unsupported_grant_type', 400, 'unsupported_grant_type', 'unsupported_grant_type'],
      ['invalid_scope', 400, 'invalid_scope', 'invalid_scope'],
      ['refresh_token_reused', 400, 'invalid_grant', 'refresh_token_reused'],
      ['slow_down', 429, 'slow_down', 'too_many_attempts'],
    ])('%s as a ResponseBodyError, with every problem member', (name, status, error, code) => {
      expect(seen.errors[name]).toMatchObject({
        class: 'ResponseBodyError',
        status,
        error,
        code,
        content_type: JSON_TYPE,
        error_description: expect.any(String),
      });
      expect(seen.errors[name]?.members).toEqual(PROBLEM_MEMBERS);
    });

    it.each([
      'invalid_client',
      'refresh_without_client_authentication',
      'public_client_credentials',
      'public_introspection',
      'revoke_without_client_authentication',
    ])(
      '%s as a WWWAuthenticateChallengeError: 401, the Basic challenge, and invalid_client in the body',
      (name) => {
        expect(seen.errors[name]).toEqual({
          class: 'WWWAuthenticateChallengeError',
          status: 401,
          challenges: BASIC,
          error: 'invalid_client',
          code: 'invalid_client',
          content_type: JSON_TYPE,
        });
      },
    );
  });

  // The registry the server serves (GET /scenarios), whose expected challenges are built from
  // the running configuration: every one of them, as the library reads it.
  it('parses every challenge of the registry as documented', () => {
    const schemes = new Set(seen.challenges.flatMap((c) => c.parsed ?? []).map((c) => c.scheme));
    expect([...schemes].sort()).toEqual([
      'apikey',
      'basic',
      'bearer',
      'concealed',
      'cookie',
      'digest',
      'dpop',
      'gnap',
      'hoba',
      'mutual',
      'negotiate',
      'ntlm',
      'oauth',
      'privatetoken',
    ]);
    for (const c of seen.challenges) {
      expect({ id: c.id, parsed: c.parsed, error: c.error }).toEqual({
        id: c.id,
        parsed: documented(c.expected),
        error: undefined,
      });
    }
  });
});
