import { join } from 'node:path';
import { DEFAULT_DEMO } from '../../src/config';
import { ROOT, run, startServerOnFreePort, type StartedServer } from './support';

/**
 * requests-oauthlib (Debian's python3-requests-oauthlib, over oauthlib) signs requests to the
 * built server with the published demo credentials (test/e2e/oauth1-client.py): an independent
 * implementation of RFC 5849's base string, encodings and signature methods.
 */
const SCRIPT = join(ROOT, 'test', 'e2e', 'oauth1-client.py');
const RSA_KEY = join(ROOT, 'examples', 'oauth1', 'rsa-demo-private-key.pem');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const TIMEOUT_MS = 30_000;

interface Answer {
  status: number;
  code: string | null;
  www_authenticate: string | null;
  transmission: string | null;
  signature_method: string | null;
  token: string | null;
}

const served = (
  method: string,
  transmission = 'header',
  token: string | null = 'four-oh-one-token',
) => ({
  status: 200,
  code: null,
  www_authenticate: null,
  transmission,
  signature_method: method,
  token,
});
const refused = (code: string) => ({
  status: 401,
  code,
  www_authenticate: 'OAuth realm="four-oh-one"',
  transmission: null,
  signature_method: null,
  token: 'absent',
});

describe('requests-oauthlib signs requests to /oauth1/resource', () => {
  let server: StartedServer | undefined;
  let seen: Record<string, Answer>;

  beforeAll(async () => {
    server = await startServerOnFreePort({ CORS_DEMO_PORT: '0' });
    const ran = await run(
      PYTHON,
      [SCRIPT, RSA_KEY],
      {
        PATH: process.env.PATH ?? '',
        FOUR_OH_ONE_URL: server.url,
        NO_PROXY: '127.0.0.1',
        DEMO_USER: DEFAULT_DEMO.username,
        DEMO_PASSWORD: DEFAULT_DEMO.password,
      },
      TIMEOUT_MS,
    );
    if (ran.code !== 0) {
      throw new Error(`oauth1-client.py exited with ${ran.code}\n${ran.stdout}\n${ran.stderr}`);
    }
    seen = JSON.parse(ran.stdout) as Record<string, Answer>;
  }, TIMEOUT_MS + 15_000);

  afterAll(async () => {
    await server?.stop();
  });

  it.each([
    ['hmac_sha1_header', 'HMAC-SHA1'],
    ['hmac_sha256', 'HMAC-SHA256'],
    ['rsa_sha1', 'RSA-SHA1'],
  ])('%s: a GET whose query holds spaces, + and ! is served', (name, method) => {
    expect(seen[name]).toEqual(served(method));
  });

  it('a POST whose form body is signed too is served', () => {
    expect(seen.form_body).toEqual(served('HMAC-SHA1'));
  });

  it('the protocol parameters in the body or in the query are served (RFC 5849 §3.5.2-3)', () => {
    expect(seen.in_body).toEqual(served('HMAC-SHA1', 'body'));
    expect(seen.in_query).toEqual(served('HMAC-SHA1', 'query'));
  });

  it('a request signed with the client credentials alone is served', () => {
    expect(seen.two_legged).toEqual(served('HMAC-SHA1', 'header', null));
  });

  it('the same prepared request sent twice is refused the second time', () => {
    expect(seen.first).toEqual(served('HMAC-SHA1'));
    expect(seen.replayed).toEqual(refused('oauth1_nonce_reused'));
  });

  it.each([
    ['three_legged_oob', 200],
    ['three_legged_callback', 303],
  ])(
    '%s: OAuth1Session gets temporary credentials, the approval, token credentials, and is served',
    (name, approvalStatus) => {
      expect(seen[name]).toEqual({
        temporary: 'tmp_',
        confirmed: 'true',
        approval_status: approvalStatus,
        issued: 'tok_',
        status: 200,
        user: DEFAULT_DEMO.username,
        token_matches: true,
      });
    },
  );

  it('the temporary credentials used at the resource are refused as such', () => {
    expect(seen.temporary_as_token).toEqual(refused('oauth1_token_temporary'));
  });

  it('a wrong token secret and the revoked token are refused with the OAuth challenge', () => {
    expect(seen.wrong_secret).toEqual(refused('oauth1_signature_invalid'));
    expect(seen.revoked).toEqual(refused('oauth1_token_revoked'));
  });
});
