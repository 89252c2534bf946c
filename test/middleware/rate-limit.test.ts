import fc from 'fast-check';
import type { Response } from 'supertest';
import { digestResponse } from '../../src/auth/digest';
import { StoreUnavailableError } from '../../src/http/problems';
import { MemoryStore, type Store } from '../../src/store';
import { buildApp, expectProblem, type TestContext } from '../helpers';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const basic = (user: string, password: string) => `Basic ${b64(`${user}:${password}`)}`;
const CLIENT = { id: 'YOUR_VALID_API_KEY', secret: 'YOUR_VALID_API_SECRET' };
const USER = { username: 'my_username', password: 'my_password' };
const DIGEST_URI = '/digest-auth/auth/user/passwd/SHA-256';

/** One attempt at a secret from a client address, with the right secret or a wrong one. */
type Attempt = (ctx: TestContext, ip: string, right: boolean) => Promise<Response>;

const from = (ctx: TestContext, ip: string) => ({
  get: (path: string) => ctx.http().get(path).set('X-Forwarded-For', ip),
  post: (path: string) => ctx.http().post(path).set('X-Forwarded-For', ip),
});

/** The Digest handshake: a bare request for the challenge, then an answer to it. */
const digestAttempt: Attempt = async (ctx, ip, right) => {
  const first = await from(ctx, ip).get(DIGEST_URI);
  if (first.status !== 401) return first;
  const header = String(first.headers['www-authenticate']);
  const param = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(header)?.[1] ?? '';
  const input = {
    algorithm: 'SHA-256' as const,
    username: 'user',
    realm: param('realm'),
    password: right ? 'passwd' : 'wrong',
    method: 'GET',
    uri: DIGEST_URI,
    nonce: param('nonce'),
    nc: '00000001',
    cnonce: 'Y2xpZW50',
    qop: 'auth' as const,
  };
  return from(ctx, ip)
    .get(DIGEST_URI)
    .set(
      'Authorization',
      `Digest username="user", realm="${input.realm}", nonce="${input.nonce}", uri="${DIGEST_URI}", ` +
        `algorithm=SHA-256, qop=auth, nc=00000001, cnonce="Y2xpZW50", ` +
        `response="${digestResponse(input)}", opaque="${param('opaque')}"`,
    );
};

interface Row {
  attempt: Attempt;
  /** The answer to a wrong secret under the limit. */
  refused: { status: number; code: string };
  /** An OAuth endpoint: the 429 carries RFC 6749 `error`/`error_description`. */
  oauth?: boolean;
  /** The counters the route spends, in RateLimit headers. */
  counter: string;
}

/** Every place a password or secret is checked, each throttled. */
const ROWS: Record<string, Row> = {
  'POST /login': {
    attempt: (ctx, ip, right) =>
      from(ctx, ip)
        .post('/login')
        .type('form')
        .send({ ...USER, password: right ? USER.password : 'wrong' }),
    refused: { status: 401, code: 'login_failed' },
    counter: 'login-account',
  },
  'POST /auth/token, password grant': {
    attempt: (ctx, ip, right) =>
      from(ctx, ip)
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'password', ...USER, password: right ? USER.password : 'wrong' }),
    refused: { status: 400, code: 'invalid_grant' },
    oauth: true,
    counter: 'credentials-account',
  },
  'POST /auth/token, client_credentials with HTTP Basic': {
    attempt: (ctx, ip, right) =>
      from(ctx, ip)
        .post('/auth/token')
        .set('Authorization', basic(CLIENT.id, right ? CLIENT.secret : 'wrong'))
        .type('form')
        .send({ grant_type: 'client_credentials' }),
    refused: { status: 401, code: 'invalid_client' },
    oauth: true,
    counter: 'credentials-account',
  },
  'POST /auth/token, the article’s api_key and api_secret': {
    attempt: (ctx, ip, right) =>
      from(ctx, ip)
        .post('/auth/token')
        .send({ api_key: CLIENT.id, api_secret: right ? CLIENT.secret : 'wrong' }),
    refused: { status: 401, code: 'invalid_client' },
    oauth: true,
    counter: 'credentials-account',
  },
  'POST /auth/introspect, client authentication': {
    attempt: (ctx, ip, right) =>
      from(ctx, ip)
        .post('/auth/introspect')
        .set('Authorization', basic(CLIENT.id, right ? CLIENT.secret : 'wrong'))
        .type('form')
        .send({ token: 'not-a-token' }),
    refused: { status: 401, code: 'invalid_client' },
    oauth: true,
    counter: 'credentials-account',
  },
  'POST /auth/revoke, client authentication': {
    attempt: (ctx, ip, right) =>
      from(ctx, ip)
        .post('/auth/revoke')
        .type('form')
        .send({
          token: 'not-a-token',
          client_id: CLIENT.id,
          client_secret: right ? CLIENT.secret : 'wrong',
        }),
    refused: { status: 401, code: 'invalid_client' },
    oauth: true,
    counter: 'credentials-account',
  },
  'GET /bearer-or-basic, Basic': {
    attempt: (ctx, ip, right) =>
      from(ctx, ip)
        .get('/bearer-or-basic')
        .set('Authorization', basic(USER.username, right ? USER.password : 'wrong')),
    refused: { status: 401, code: 'basic_credentials_invalid' },
    counter: 'credentials-account',
  },
  'GET /basic-auth/:user/:passwd': {
    attempt: (ctx, ip, right) =>
      from(ctx, ip)
        .get('/basic-auth/user/passwd')
        .set('Authorization', basic('user', right ? 'passwd' : 'wrong')),
    refused: { status: 401, code: 'basic_credentials_invalid' },
    counter: 'credentials-account',
  },
  'GET /digest-auth/:qop/:user/:passwd/:algorithm': {
    attempt: digestAttempt,
    refused: { status: 401, code: 'digest_credentials_invalid' },
    counter: 'credentials-account',
  },
  'GET /api-key/:key': {
    attempt: (ctx, ip, right) =>
      from(ctx, ip)
        .get('/api-key/k3y')
        .set('X-API-Key', right ? 'k3y' : 'wrong'),
    refused: { status: 401, code: 'api_key_header_invalid' },
    counter: 'credentials-account',
  },
};

const LIMIT = 3;
const LIMITS = {
  TRUST_PROXY: 'true',
  CREDENTIAL_MAX_FAILURES_PER_ACCOUNT: String(LIMIT),
  CREDENTIAL_MAX_FAILURES_PER_ADDRESS: '50',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: String(LIMIT),
  LOGIN_MAX_FAILURES_PER_ADDRESS: '50',
};

describe('the limits on refused secrets', () => {
  describe.each(Object.entries(ROWS))('%s', (_name, row) => {
    it(`answers the address that sent ${LIMIT} wrong secrets 429, and nobody else`, async () => {
      const ctx = buildApp({ env: LIMITS });
      for (let i = 0; i < LIMIT; i++) {
        const res = await row.attempt(ctx, '10.9.0.1', false);
        expectProblem(res, row.refused);
        expect(res.headers.ratelimit).toContain(`"${row.counter}"; r=${LIMIT - 1 - i}; t=`);
      }
      const res = await row.attempt(ctx, '10.9.0.1', false);
      expectProblem(res, { status: 429, code: 'too_many_attempts' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.headers.ratelimit).toMatch(new RegExp(`"${row.counter}"; r=0; t=\\d+`));
      expect(res.headers['ratelimit-policy']).toContain(`"${row.counter}"; q=${LIMIT}; w=`);
      if (row.oauth) {
        expect(res.body).toMatchObject({ error: 'slow_down' });
        expect(res.body.error_description).toMatch(/^Too many refused attempts/);
      }
      // From that address even the right secret waits for the window.
      expectProblem(await row.attempt(ctx, '10.9.0.1', true), {
        status: 429,
        code: 'too_many_attempts',
      });
      // Another address is judged as usual: a wrong secret is refused, the right one accepted.
      expectProblem(await row.attempt(ctx, '10.9.0.2', false), row.refused);
      expect((await row.attempt(ctx, '10.9.0.2', true)).status).toBe(200);
      // And the window passes.
      ctx.clock.advance(900_000);
      expect((await row.attempt(ctx, '10.9.0.1', true)).status).toBe(200);
    });
  });

  it('keeps /hidden-basic-auth hidden: past the limit every guess gets the same 404', async () => {
    const ctx = buildApp({ env: LIMITS });
    const path = '/hidden-basic-auth/user/passwd';
    const guess = (password: string) =>
      from(ctx, '10.9.0.1').get(path).set('Authorization', basic('user', password));
    for (let i = 0; i < LIMIT; i++) {
      expectProblem(await guess('wrong'), { status: 404, code: 'not_found' });
    }
    for (const password of ['wrong', 'passwd']) {
      const res = await guess(password);
      expectProblem(res, { status: 404, code: 'not_found' });
      expect(res.body.detail).toBe(`No route serves GET ${path}.`);
      for (const name of ['ratelimit', 'ratelimit-policy', 'retry-after']) {
        expect(res.headers[name]).toBeUndefined();
      }
    }
    const other = await from(ctx, '10.9.0.2')
      .get(path)
      .set('Authorization', basic('user', 'passwd'));
    expect(other.status).toBe(200);
  });

  it('limits one address across accounts and routes', async () => {
    const ctx = buildApp({
      env: { ...LIMITS, CREDENTIAL_MAX_FAILURES_PER_ADDRESS: '4' },
    });
    const rows = Object.entries(ROWS).filter(([name]) => name !== 'POST /login');
    for (const [, row] of rows.slice(0, 4)) {
      expectProblem(await row.attempt(ctx, '10.9.0.1', false), row.refused);
    }
    for (const [, row] of rows) {
      const res = await row.attempt(ctx, '10.9.0.1', true);
      expectProblem(res, { status: 429, code: 'too_many_attempts' });
      expect(res.headers.ratelimit).toContain('"credentials-address"; r=0;');
    }
  });

  it('counts a user’s password once, wherever it was guessed', async () => {
    const ctx = buildApp({ env: LIMITS });
    const grant = ROWS['POST /auth/token, password grant'] as Row;
    const basicRow = ROWS['GET /bearer-or-basic, Basic'] as Row;
    expectProblem(await grant.attempt(ctx, '10.9.0.1', false), grant.refused);
    expectProblem(await basicRow.attempt(ctx, '10.9.0.1', false), basicRow.refused);
    expectProblem(await grant.attempt(ctx, '10.9.0.1', false), grant.refused);
    expectProblem(await basicRow.attempt(ctx, '10.9.0.1', true), {
      status: 429,
      code: 'too_many_attempts',
    });
    // The client's budget is its own.
    const client = ROWS['POST /auth/token, client_credentials with HTTP Basic'] as Row;
    expect((await client.attempt(ctx, '10.9.0.1', true)).status).toBe(200);
  });

  it('counts only refused secrets: not malformed or anonymous requests, not refresh tokens', async () => {
    const ctx = buildApp({
      env: {
        TRUST_PROXY: 'true',
        CREDENTIAL_MAX_FAILURES_PER_ACCOUNT: '1',
        CREDENTIAL_MAX_FAILURES_PER_ADDRESS: '1',
      },
    });
    const ip = '10.9.0.1';
    const notCounted: [() => Promise<Response>, { status: number; code: string }][] = [
      // No client credentials at all.
      [
        () => from(ctx, ip).post('/auth/introspect').type('form').send({ token: 'x' }),
        { status: 401, code: 'invalid_client' },
      ],
      [
        () =>
          from(ctx, ip).post('/auth/token').type('form').send({ grant_type: 'client_credentials' }),
        { status: 401, code: 'invalid_client' },
      ],
      // Malformed requests.
      [
        () => from(ctx, ip).post('/auth/token').send({ api_key: CLIENT.id }),
        { status: 400, code: 'invalid_request' },
      ],
      [
        () =>
          from(ctx, ip)
            .post('/auth/token')
            .type('form')
            .send({ grant_type: 'password', username: USER.username }),
        { status: 400, code: 'invalid_request' },
      ],
      [
        () => from(ctx, ip).get('/bearer-or-basic').set('Authorization', 'Basic !!!'),
        { status: 400, code: 'basic_malformed' },
      ],
      // A refused refresh token is not a guessed secret.
      [
        () =>
          from(ctx, ip)
            .post('/auth/token')
            .type('form')
            .send({ grant_type: 'refresh_token', refresh_token: 'nope' }),
        { status: 400, code: 'invalid_grant' },
      ],
      // Challenges: no credentials were sent.
      [
        () => from(ctx, ip).get('/basic-auth/user/passwd'),
        { status: 401, code: 'basic_credentials_missing' },
      ],
      [() => from(ctx, ip).get(DIGEST_URI), { status: 401, code: 'digest_credentials_missing' }],
      [() => from(ctx, ip).get('/api-key/k3y'), { status: 401, code: 'api_key_header_missing' }],
      [() => from(ctx, ip).get('/bearer-or-basic'), { status: 401, code: 'credentials_missing' }],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [send, expected] of notCounted) expectProblem(await send(), expected);
    }
    const basicRow = ROWS['GET /basic-auth/:user/:passwd'] as Row;
    expectProblem(await basicRow.attempt(ctx, ip, false), basicRow.refused);
    expectProblem(await basicRow.attempt(ctx, ip, false), {
      status: 429,
      code: 'too_many_attempts',
    });
  });

  it('never answers 5xx, whatever a client sends to a throttled route (property)', async () => {
    const ctx = buildApp({
      env: { TRUST_PROXY: 'true', CREDENTIAL_MAX_FAILURES_PER_ACCOUNT: '2' },
    });
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 300,
    });
    const authorization = fc.oneof(
      printable,
      printable.map((s) => `Basic ${b64(s)}`),
      fc.tuple(printable, printable).map(([u, p]) => basic(u, p)),
      printable.map((s) => `Digest ${s}`),
      fc.constant(basic(USER.username, 'x'.repeat(5000))),
    );
    const value = fc.oneof(
      printable,
      fc.constantFrom(USER.username, CLIENT.id, 'password', 'client_credentials', 'x'.repeat(300)),
      fc.jsonValue(),
    );
    const body = fc.dictionary(
      fc.constantFrom(
        'grant_type',
        'username',
        'password',
        'client_id',
        'client_secret',
        'api_key',
        'api_secret',
        'token',
        'scope',
        'refresh_token',
        'expires_in',
        '__proto__',
        'constructor',
      ),
      value,
    );
    const target = fc.constantFrom(
      ['POST', '/login'],
      ['POST', '/auth/token'],
      ['POST', '/auth/introspect'],
      ['POST', '/auth/revoke'],
      ['GET', '/bearer-or-basic'],
      ['GET', '/basic-auth/user/passwd'],
      ['GET', '/hidden-basic-auth/user/passwd'],
      ['GET', DIGEST_URI],
      ['GET', '/api-key/k3y'],
    );
    await fc.assert(
      fc.asyncProperty(
        target,
        fc.option(authorization, { nil: undefined }),
        fc.option(printable, { nil: undefined }),
        fc.option(printable, { nil: undefined }),
        body,
        fc.constantFrom('json', 'form', 'text'),
        async ([method, path], auth, forwardedFor, apiKey, fields, encoding) => {
          let req = method === 'GET' ? ctx.http().get(path) : ctx.http().post(path);
          if (auth !== undefined) req = req.set('Authorization', auth);
          if (forwardedFor !== undefined) req = req.set('X-Forwarded-For', forwardedFor);
          if (apiKey !== undefined) req = req.set('X-API-Key', apiKey);
          if (method === 'POST') {
            if (encoding === 'json') req = req.send(fields);
            else if (encoding === 'form') {
              const form = Object.fromEntries(
                Object.entries(fields).map(([k, v]) => [
                  k,
                  typeof v === 'string' ? v : JSON.stringify(v),
                ]),
              );
              req = req.type('form').send(form);
            } else req = req.type('text/plain').send(JSON.stringify(fields));
          }
          const res = await req;
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * A store that fails while told to: `down` refuses everything; `full` refuses a write to a key
 * it does not hold yet (as a full store does) and serves the rest.
 */
function failingStore(inner: MemoryStore): { store: Store; mode: { now: 'up' | 'down' | 'full' } } {
  const mode = { now: 'up' as 'up' | 'down' | 'full' };
  const writes = new Set(['set', 'setIfAbsent', 'increment']);
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'close') return value;
      return async (...args: unknown[]) => {
        if (mode.now === 'down') throw new StoreUnavailableError('test: the store is down');
        if (mode.now === 'full' && writes.has(String(prop))) {
          if ((await target.get(String(args[0]))) === undefined) {
            throw new StoreUnavailableError('test: the store is full');
          }
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, mode };
}

describe('while the store is full or down', () => {
  const login = ROWS['POST /login'] as Row;
  const grant = ROWS['POST /auth/token, password grant'] as Row;
  // The password grant writes nothing new, so only a store that is down stops it.
  it.each([
    ['POST /login', 'full', login],
    ['POST /login', 'down', login],
    ['POST /auth/token, password grant', 'down', grant],
  ] as const)(
    '%s answers the right password 503 while the store is %s, and never counts a 503',
    async (_name, failure, row) => {
      const { store, mode } = failingStore(
        new MemoryStore({ maxEntries: 10_000, sweepIntervalMs: 0 }),
      );
      const ctx = buildApp({
        store,
        env: {
          TRUST_PROXY: 'true',
          LOGIN_MAX_FAILURES_PER_ACCOUNT: '5',
          CREDENTIAL_MAX_FAILURES_PER_ACCOUNT: '5',
        },
      });
      // A refusal first: the counters exist, as in any busy window.
      expectProblem(await row.attempt(ctx, '10.9.0.1', false), row.refused);
      mode.now = failure;
      for (let i = 0; i < 8; i++) {
        expectProblem(await row.attempt(ctx, '10.9.0.1', true), {
          status: 503,
          code: 'store_unavailable',
        });
      }
      mode.now = 'up';
      // The outage is over and nothing of it was counted: 5 - 1 refusal - this attempt.
      const res = await row.attempt(ctx, '10.9.0.1', true);
      expect(res.status).toBe(200);
      expect(res.headers.ratelimit).toContain(`"${row.counter}"; r=3;`);
    },
  );
});
