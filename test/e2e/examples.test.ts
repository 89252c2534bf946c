import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  freePort,
  ROOT,
  run,
  startServerOnFreePort,
  type Ran,
  type StartedServer,
} from './support';

/**
 * The articles' Python clients (examples/python/) against the real compiled server, with only
 * the host changed through FOUR_OH_ONE_URL. `npm test` builds the server first (pretest).
 */
const EXAMPLES = join(ROOT, 'examples', 'python');
const PYTHON_TIMEOUT_MS = 20_000;

// --- A Python that has what the examples import ----------------------------------------------

const CANDIDATES = [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter(
  (c): c is string => c !== undefined && c !== '',
);

function findPython(): string | undefined {
  return CANDIDATES.find(
    (candidate) =>
      spawnSync(candidate, ['-c', 'import requests, jwt, cryptography'], {
        stdio: 'ignore',
        timeout: 10_000,
      }).status === 0,
  );
}

const python = findPython();
const MISSING_PYTHON =
  `No Python with "requests", "jwt" (PyJWT) and "cryptography" was found; tried ${CANDIDATES.join(', ')}. ` +
  'Install them (Debian: apt-get install python3-requests python3-jwt python3-cryptography; ' +
  'elsewhere: pip install requests PyJWT cryptography) or set PYTHON to an interpreter that has them.';

if (python === undefined && process.env.CI !== 'true') {
  console.warn(`\n*** WARNING: ${MISSING_PYTHON} The Python example tests will be SKIPPED. ***\n`);
}
// Side by side (it.concurrent, jest.config.js's maxConcurrency at once), each against a server of
// its own: most of an example's time is its sleeps (a token's expiry, a session's idle timeout,
// a Retry-After), and one after the other they took 24 s of a worker for 5 s of CPU.
const itIfPython = python === undefined ? it.concurrent.skip : it.concurrent;

// --- Running one example -----------------------------------------------------------------------

/** Runs the example against a server started for it alone, with only the host changed. */
async function runExample(file: string): Promise<Ran> {
  if (python === undefined) throw new Error(MISSING_PYTHON);
  const server = await startServerOnFreePort({
    JWT_SECRET: 'four-oh-one examples e2e: a fixed secret of 32+ bytes',
  });
  try {
    return await run(
      python,
      [join(EXAMPLES, file)],
      {
        ...process.env,
        FOUR_OH_ONE_URL: server.url,
        PYTHONIOENCODING: 'utf-8', // the article's messages are Chinese, whatever the locale
        PYTHONDONTWRITEBYTECODE: '1',
        NO_PROXY: '127.0.0.1,localhost', // a proxy set for the machine must not see these requests
        no_proxy: '127.0.0.1,localhost',
      },
      PYTHON_TIMEOUT_MS,
    );
  } finally {
    await server.stop();
  }
}

/** Fails with the whole transcript unless the example exited 0. */
function expectSuccess(file: string, ran: Ran): void {
  if (ran.code !== 0) {
    throw new Error(
      `${file} exited with ${ran.code ?? `signal ${ran.signal}`} after ${ran.ms} ms` +
        (ran.signal === 'SIGTERM' ? ` (killed at the ${PYTHON_TIMEOUT_MS} ms timeout)` : '') +
        `\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`,
    );
  }
}

/**
 * Asserts that `out` shows every step, in this order: a string as written, a RegExp as matched.
 * A missing step fails naming it.
 */
function expectInOrder(out: string, steps: (string | RegExp)[]): void {
  let from = 0;
  for (const step of steps) {
    const rest = out.slice(from);
    const at = typeof step === 'string' ? rest.indexOf(step) : rest.search(step);
    expect({ step: String(step), found: at >= 0 }).toEqual({ step: String(step), found: true });
    from += at + 1;
  }
}

describe("the articles' Python examples against the built server", () => {
  if (python === undefined && process.env.CI === 'true') {
    it('needs a Python with requests, jwt and cryptography (required under CI=true)', () => {
      throw new Error(`${MISSING_PYTHON} .ci/run installs them.`);
    });
  }

  itIfPython(
    'bearer_check.py: the jwt.io sample token gets 401, a token from /auth/token gets 200',
    async () => {
      const ran = await runExample('bearer_check.py');
      expectSuccess('bearer_check.py', ran);
      const lines = ran.stdout.split('\n');
      // The article's line, printed because the server answered 401.
      expect(lines).toContain('Invalid or missing auth token');
      expect(lines).toContain('status: 401');
      expect(lines).toContain('code: token_signature_invalid');
      expect(ran.stdout).toContain(
        'WWW-Authenticate: Bearer realm="four-oh-one", error="invalid_token"',
      );
      // Part 2: a token this server issued.
      expect(lines).toContain('POST /auth/token: 200');
      expect(lines).toContain('status: 200');
      expect(ran.stdout).toContain('"message": "Here is your data."');
      expect(ran.stdout).toContain('"sub": "YOUR_VALID_API_KEY"');
      expect(ran.stdout).not.toContain('FAILED');
    },
    30_000,
  );

  itIfPython(
    'token_refresh.py: 401 "Invalid Token" -> refresh_token() -> 200, and a 2 s token expires',
    async () => {
      const ran = await runExample('token_refresh.py');
      expectSuccess('token_refresh.py', ran);
      const out = ran.stdout;
      expect(out).toContain('check_token_validity(expired specimen): False, 令牌已过期');
      // The steps of call_api_with_retry(), in order.
      const steps = [
        /POST \/v1\/chat\/completions -> 401 Invalid Token \(request id: [\w.:-]+\)/,
        /refresh_token\(\): getting a new token with get_new_token\(\)/,
        /POST \/auth\/token -> 200/,
        /POST \/v1\/chat\/completions -> 200/,
        /final status: 200/,
      ];
      expectInOrder(out, steps);
      expect(out).toContain('reply: You said: "Hello".');
      expect(out).toContain('flow: 401 Invalid Token -> refresh -> 200');
      // The article's expiry check on a token with expires_in: 2, before and after 3 s.
      expect(out).toMatch(/check_token_validity\(new token\): True, 令牌有效,过期时间: /);
      expect(out).toContain('check_token_validity(new token, 3 s later): False, 令牌已过期');
      expect(out.trimEnd().split('\n').pop()).toBe('OK');
      expect(ran.ms).toBeGreaterThanOrEqual(3000); // it really waited for the token to expire
    },
    30_000,
  );

  itIfPython(
    'session_keepalive.py: heartbeats 200, idle past 3 s -> 401 session_idle_expired -> login -> 200',
    async () => {
      const ran = await runExample('session_keepalive.py');
      expectSuccess('session_keepalive.py', ran);
      const out = ran.stdout;
      // The cookie as set at login: HttpOnly and SameSite=Lax, and not Secure over plain http.
      expect(out).toMatch(
        /Set-Cookie: four-oh-one\.sid=<session id>; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax\n/,
      );
      // The steps of the article's loop, in order.
      const steps = [
        /POST \/login -> 200 Logged in as my_username\./,
        /heartbeat 3: POST \/keepalive -> 200 /,
        /sleeping 4\.5 s, longer than the 3 s idle timeout/,
        /heartbeat 4: POST \/keepalive -> 401\n {2}code: session_idle_expired\n/,
        /WWW-Authenticate: Cookie realm="four-oh-one", form-action="\/login"/,
        /Set-Cookie: four-oh-one\.sid=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT/,
        /\nSession expired, logging in again\.\.\.\n/, // the article's line
        /POST \/login -> 200 Logged in as my_username\./,
        /heartbeat 5: POST \/keepalive -> 200 /,
        /heartbeat 8: POST \/keepalive -> 200 /,
      ];
      expectInOrder(out, steps);
      expect(out.split('Session expired, logging in again...').length).toBe(2); // exactly once
      expect(out).toContain('heartbeats: 200 200 200 401 session_idle_expired 200 200 200 200\n');
      expect(out.trimEnd().split('\n').pop()).toBe('OK');
      expect(ran.ms).toBeGreaterThanOrEqual(4500); // it really stayed idle past the timeout
      expect(ran.ms).toBeLessThan(15_000);
    },
    30_000,
  );

  itIfPython(
    'dpop_client.py: 400 use_dpop_nonce -> retry with the nonce -> a DPoP token bound to its key -> 200; a replayed proof and the token as Bearer refused',
    async () => {
      const ran = await runExample('dpop_client.py');
      expectSuccess('dpop_client.py', ran);
      const out = ran.stdout;
      const jkt = /^key: EC P-256, thumbprint \(RFC 7638\) ([A-Za-z0-9_-]{43})$/m.exec(out)?.[1];
      expect(jkt).toBeDefined();
      const steps = [
        "proof header: typ dpop+jwt, alg ES256, jwk members ['crv', 'kty', 'x', 'y']\n",
        'POST /auth/token -> 400 use_dpop_nonce (code grant_dpop_nonce_required)\n',
        / {2}the server wants a nonce: DPoP-Nonce: \S+; once more, with it in a new proof\n/,
        'POST /auth/token -> 200\n',
        'token_type: DPoP\n',
        `cnf.jkt: ${jkt} (this key)\n`,
        'GET /api/v1/data -> 200\n',
        '"message": "Here is your data."',
        'GET /api/v1/dpop/nonce -> 200\n',
        'the same proof again: GET /api/v1/data -> 401 dpop_proof_replayed\n',
        'the token as Bearer: GET /api/v1/data -> 401 token_sender_constrained\n',
      ];
      expectInOrder(out, steps);
      expect(out.trimEnd().split('\n').pop()).toBe('OK');
    },
    30_000,
  );

  itIfPython(
    'oauth1_three_legged.py: OAuth1Session gets temporary credentials, the approval, token credentials, and the resource',
    async () => {
      const ran = await runExample('oauth1_three_legged.py');
      expectSuccess('oauth1_three_legged.py', ran);
      expect(JSON.parse(ran.stdout)).toEqual({
        authenticated: true,
        scheme: 'OAuth',
        consumer_key: 'four-oh-one-consumer',
        token: 'tok_…',
        user: 'my_username',
        signature_method: 'HMAC-SHA1',
        transmission: 'header',
      });
    },
    30_000,
  );

  itIfPython(
    'grade_client.py: a run grades a client that waits out Retry-After (no findings) and one that does not (retry_after_ignored)',
    async () => {
      const ran = await runExample('grade_client.py');
      expectSuccess('grade_client.py', ran);
      expectInOrder(ran.stdout, [
        /^correct client, run [\w-]{16}\.\w+ \(script rate-limited\):\n/m,
        '  GET /api/v1/data -> 429 rate_limited\n',
        '  waiting 2 s, as Retry-After says\n',
        '  GET /api/v1/data -> 200\n',
        '  last answer 200; findings: none\n',
        /noted: Waited \d+ ms after #2's Retry-After: 2 before retrying \(#3\)\.\n/,
        /^buggy client, run [\w-]{16}\.\w+ \(script rate-limited\):\n/m,
        '  GET /api/v1/data -> 429 rate_limited\n',
        '  GET /api/v1/data -> 200\n',
        '  last answer 200; findings: retry_after_ignored\n',
        /retry_after_ignored \(requests [\d, ]+\): /,
      ]);
      expect(ran.stdout.trimEnd().split('\n').pop()).toBe(
        'OK: the correct client passed; the buggy one was caught ignoring Retry-After',
      );
    },
    30_000,
  );
});

// --- The Node clients (examples/node/): refresh-on-401 with fetch, and with axios -------------

const NODE_EXAMPLES = join(ROOT, 'examples', 'node');

/** From the repository's root (run's cwd): axios resolves from this project's node_modules. */
function runNodeExample(file: string, baseUrl: string): Promise<Ran> {
  return run(
    process.execPath,
    [join(NODE_EXAMPLES, file)],
    { PATH: process.env.PATH ?? '', FOUR_OH_ONE_URL: baseUrl },
    PYTHON_TIMEOUT_MS,
  );
}

describe('the Node examples against the built server', () => {
  let server: StartedServer | undefined;
  let baseUrl = '';

  beforeAll(async () => {
    server = await startServerOnFreePort({
      CORS_DEMO_PORT: '0',
      JWT_SECRET: 'four-oh-one node examples e2e: a fixed secret',
    });
    baseUrl = server.url;
  }, 15_000);

  afterAll(async () => {
    await server?.stop();
  });

  it.each(['fetch-refresh.mjs', 'axios-refresh.mjs'])(
    '%s: 401 token_expired -> refresh with the refresh token -> retry once -> 200',
    async (file) => {
      const ran = await runNodeExample(file, baseUrl);
      expectSuccess(file, ran);
      const steps = [
        /POST \/auth\/token -> 200\n/,
        /GET \/api\/v1\/flaky -> 401 token_expired\n/,
        /WWW-Authenticate: Bearer realm="four-oh-one", error="invalid_token"/,
        /POST \/auth\/token -> 200\n/,
        /GET \/api\/v1\/flaky -> 200\n/,
        /GET \/api\/v1\/data -> 200\n/,
        /flow: 401 -> refresh -> 200\n/,
      ];
      expectInOrder(ran.stdout, steps);
      expect(ran.stdout.trimEnd().split('\n').pop()).toBe('OK');
    },
    30_000,
  );

  it.each([
    [
      'grade-fetch.mjs',
      'token',
      /GET \/api\/v1\/data -> 401 token_expired\n/,
      /POST \/auth\/token \(refresh\) -> 200\n/,
      /GET \/api\/v1\/data -> 200\n/,
    ],
    [
      'grade-openai.mjs',
      'key',
      /POST \/v1\/chat\/completions -> 401 invalid_api_key: 401 Invalid Token \(request id: [\w-]+\)\n/,
      /POST \/auth\/token -> 200\n/,
      /POST \/v1\/chat\/completions -> 200\n/,
    ],
  ] as const)(
    '%s: a run grades the client that gets a new %s once (no findings) and the one that resends the refused one (refused_credential_retried)',
    async (file, what, refused, renewed, recovered) => {
      const ran = await runNodeExample(file, baseUrl);
      expectSuccess(file, ran);
      expectInOrder(ran.stdout, [
        /^correct client, run [\w-]{16}\.\w+ \(script expiry\):\n/m,
        refused,
        renewed,
        recovered,
        '  last answer 200; findings: none\n',
        /^buggy client, run [\w-]{16}\.\w+ \(script expiry\):\n/m,
        refused,
        refused,
        refused,
        refused,
        '  last answer 401; findings: refused_credential_retried\n',
        /error refused_credential_retried \(requests 2, 3, 4, 5\): On a 401, never resend the refused credential/,
      ]);
      expect(ran.stdout.trimEnd().split('\n').pop()).toBe(
        `OK: the correct client passed; the buggy one was caught retrying a refused ${what}`,
      );
    },
    30_000,
  );

  it.each(['fetch-refresh.mjs', 'axios-refresh.mjs', 'grade-fetch.mjs', 'grade-openai.mjs'])(
    '%s: exits 2 when no server answers',
    async (file) => {
      const ran = await runNodeExample(file, `http://127.0.0.1:${await freePort()}`);
      expect({ code: ran.code, out: ran.stdout }).toEqual({
        code: 2,
        out: expect.stringContaining('is the server up at'),
      });
    },
    30_000,
  );
});
