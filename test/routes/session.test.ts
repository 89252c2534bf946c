import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { MemoryStore } from '../../src/store';
import { RedisStore } from '../../src/store/redis';
import { EXPIRED_SESSION_KEPT_MS } from '../../src/store/session-store';
import { buildApp, expectProblem, testClock, type TestContext } from '../helpers';
import { describeRedis, redisUrl } from '../redis';

const CHALLENGE = 'Cookie realm="four-oh-one", form-action="/login", cookie-name="four-oh-one.sid"';
const LOGIN = { username: 'my_username', password: 'my_password' };

/** The session cookie pair from a response's Set-Cookie, e.g. `four-oh-one.sid=s%3A…`. */
function cookieOf(res: Response, name = 'four-oh-one.sid'): string {
  const header = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith(`${name}=`));
  if (!header) throw new Error(`no ${name} cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return header.split(';')[0] as string;
}

function setCookieOf(res: Response): string[] {
  return ([] as string[]).concat(res.headers['set-cookie'] ?? []);
}

async function login(ctx: TestContext, extra: Record<string, string> = {}) {
  const res = await ctx
    .http()
    .post('/login')
    .type('form')
    .send({ ...LOGIN, ...extra });
  expect(res.status).toBe(200);
  return { res, cookie: cookieOf(res) };
}

describe('POST /login', () => {
  const ctx = buildApp();
  const unlimited = buildApp({
    env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '10000', LOGIN_MAX_FAILURES_PER_ADDRESS: '100000' },
  });

  it('logs in with the article’s form and sets a safe cookie', async () => {
    const { res } = await login(ctx);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      message: 'Logged in as my_username.',
      user: { sub: 'my_username', type: 'user' },
      idle_expires_at: '2026-11-22T07:15:00Z',
      absolute_expires_at: '2026-11-22T15:00:00Z',
      csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const [cookie] = setCookieOf(res);
    expect(cookie).toMatch(
      /^four-oh-one\.sid=s%3A[^;]+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
    expect(cookie).not.toMatch(/Secure|Domain/);
  });

  it('takes JSON as well', async () => {
    const res = await ctx.http().post('/login').send(LOGIN);
    expect(res.status).toBe(200);
  });

  it('gives a new session id at every login (no fixation)', async () => {
    const { cookie } = await login(ctx);
    const again = await ctx.http().post('/login').set('Cookie', cookie).type('form').send(LOGIN);
    expect(cookieOf(again)).not.toBe(cookie);
    // The old id is gone.
    expectProblem(await ctx.http().post('/keepalive').set('Cookie', cookie), {
      status: 401,
      code: 'session_invalid',
    });
  });

  it('answers an unknown user and a wrong password alike, with the cookie challenge', async () => {
    const a = await ctx
      .http()
      .post('/login')
      .type('form')
      .send({ ...LOGIN, password: 'nope' });
    const b = await ctx
      .http()
      .post('/login')
      .type('form')
      .send({ username: 'ghost', password: 'nope' });
    for (const res of [a, b]) {
      expectProblem(res, { status: 401, code: 'login_failed', challenge: CHALLENGE });
      expect(setCookieOf(res)).toEqual([]);
    }
    // Each answer names its own occurrence; everything else is word for word the same.
    expect({ ...a.body, request_id: '', explanation: '', instance: '' }).toEqual({
      ...b.body,
      request_id: '',
      explanation: '',
      instance: '',
    });
  });

  it.each([
    [{ username: 'my_username', password: { $ne: 1 } }],
    [{ username: ['my_username'], password: 'my_password' }],
    [{ username: 'my_username' }],
    [{ ...LOGIN, idle_seconds: 0 }],
    [{ ...LOGIN, idle_seconds: 901 }],
    [{ ...LOGIN, absolute_seconds: 'soon' }],
    [{ ...LOGIN, absolute_seconds: 28_801 }],
  ])('answers %j with 400 parameter_invalid and no cookie', async (body) => {
    const res = await unlimited.http().post('/login').send(body);
    expectProblem(res, { status: 400, code: 'parameter_invalid' });
    expect(setCookieOf(res)).toEqual([]);
  });

  it('answers GET with 405', async () => {
    expectProblem(await ctx.http().get('/login'), { status: 405, code: 'method_not_allowed' });
  });

  it('never answers 5xx and never logs in on random input (property)', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.integer(),
      fc.constant(null),
      fc.constantFrom('my_username', 'my_password'),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
    );
    const key = fc.constantFrom('username', 'password', 'idle_seconds', 'absolute_seconds', 'x');
    const fresh = buildApp({
      env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '10000', LOGIN_MAX_FAILURES_PER_ADDRESS: '100000' },
    });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, value, { maxKeys: 4 }), async (body) => {
        const res = await fresh.http().post('/login').send(body);
        expect(res.status).toBeLessThan(500);
        const isLogin = body.username === 'my_username' && body.password === 'my_password';
        if (!isLogin) expect(res.status).not.toBe(200);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the heartbeat and the two timeouts', () => {
  it('keeps a session alive with /keepalive, which extends the idle window only', async () => {
    const ctx = buildApp();
    const start = ctx.clock.now();
    const at = (ms: number) => new Date(start + ms).toISOString().replace('.000Z', 'Z');
    const { cookie } = await login(ctx, { idle_seconds: '60', absolute_seconds: '300' });
    for (let i = 1; i <= 5; i++) {
      ctx.clock.advance(50_000);
      const res = await ctx.http().post('/keepalive').set('Cookie', cookie);
      expect(res.status).toBe(200);
      expect(res.body.absolute_expires_at).toBe(at(300_000));
      expect(res.body.idle_expires_at).toBe(at(Math.min(i * 50_000 + 60_000, 300_000)));
    }
    // The cookie keeps the session's real end plus the tombstone window as its Expires, however
    // often it is re-sent (express-session computes Expires on the real clock: 300 s - 251 s =
    // 49 s from now, plus the window), so a client still presents it once the session is over.
    ctx.clock.advance(1000);
    const last = await ctx.http().post('/keepalive').set('Cookie', cookie);
    const expires = Date.parse(/Expires=([^;]+)/.exec(setCookieOf(last).join())?.[1] ?? '');
    expect(Math.abs(expires - (Date.now() + 49_000 + EXPIRED_SESSION_KEPT_MS))).toBeLessThan(5000);
    // Busy to the end (the idle window would last until 311 s), and still over at 300 s.
    ctx.clock.advance(49_000);
    const res = await ctx.http().post('/keepalive').set('Cookie', cookie);
    expectProblem(res, { status: 401, code: 'session_absolute_expired', challenge: CHALLENGE });
    expect(setCookieOf(res)[0]).toMatch(
      /^four-oh-one\.sid=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/,
    );
  });

  it('expires an idle session, says so on retry, and GET /me counts as activity', async () => {
    const ctx = buildApp();
    const { cookie } = await login(ctx, { idle_seconds: '5' });
    ctx.clock.advance(4000);
    expect((await ctx.http().get('/me').set('Cookie', cookie)).body.user.sub).toBe('my_username');
    ctx.clock.advance(4000);
    expect((await ctx.http().get('/me').set('Cookie', cookie)).status).toBe(200);
    ctx.clock.advance(5000);
    const res = await ctx.http().post('/keepalive').set('Cookie', cookie);
    expectProblem(res, { status: 401, code: 'session_idle_expired', challenge: CHALLENGE });
    expect(res.body.detail).toBe(
      'The session was idle past 2026-11-22T07:00:13Z; server time is 2026-11-22T07:00:13Z.',
    );
    expectProblem(await ctx.http().post('/keepalive').set('Cookie', cookie), {
      status: 401,
      code: 'session_idle_expired',
    });
    // Its tombstone is kept for ten idle timeouts, at least a minute after the session ended
    // (at 13 s): still told why at 58 s...
    ctx.clock.advance(45_000);
    expectProblem(await ctx.http().post('/keepalive').set('Cookie', cookie), {
      status: 401,
      code: 'session_idle_expired',
    });
    // ...and forgotten after the minute, so a flood of short sessions frees the store soon.
    ctx.clock.advance(16_000);
    expectProblem(await ctx.http().post('/keepalive').set('Cookie', cookie), {
      status: 401,
      code: 'session_invalid',
    });
  });

  it('keeps the tombstone of a session with the default idle timeout for ten minutes', async () => {
    const ctx = buildApp();
    const { cookie } = await login(ctx);
    ctx.clock.advance((900 + 9 * 60) * 1000);
    expectProblem(await ctx.http().post('/keepalive').set('Cookie', cookie), {
      status: 401,
      code: 'session_idle_expired',
    });
    ctx.clock.advance(61_000);
    expectProblem(await ctx.http().post('/keepalive').set('Cookie', cookie), {
      status: 401,
      code: 'session_invalid',
    });
  });

  it('runs the article’s loop: heartbeat, 401 after expiry, log in again, heartbeat', async () => {
    const ctx = buildApp();
    let { cookie } = await login(ctx, { idle_seconds: '2' });
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      ctx.clock.advance(i === 3 ? 5000 : 1000);
      const res = await ctx.http().post('/keepalive').set('Cookie', cookie);
      seen.push(res.status);
      if (res.status === 401) cookie = (await login(ctx, { idle_seconds: '2' })).cookie;
    }
    expect(seen).toEqual([200, 200, 200, 401, 200, 200]);
  });
});

describe('logout and bad cookies', () => {
  const ctx = buildApp();

  it('destroys the session and clears the cookie', async () => {
    const { cookie } = await login(ctx);
    const res = await ctx.http().post('/logout').set('Cookie', cookie);
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Logged out.');
    expect(setCookieOf(res)[0]).toMatch(/^four-oh-one\.sid=; /);
    expectProblem(await ctx.http().get('/me').set('Cookie', cookie), {
      status: 401,
      code: 'session_invalid',
      challenge: CHALLENGE,
    });
  });

  it('answers logout without a session with 200 and writes nothing', async () => {
    const set = jest.spyOn(ctx.store, 'set');
    const res = await ctx.http().post('/logout');
    expect(res.status).toBe(200);
    expect(set).not.toHaveBeenCalled();
    set.mockRestore();
  });

  it.each([
    'four-oh-one.sid=garbage',
    'four-oh-one.sid=s%3Afake.sig',
    'four-oh-one.sid=',
    'four-oh-one.sid=%E0%A4%A',
    `four-oh-one.sid=${'x'.repeat(4000)}`,
    'four-oh-one.sid=a; four-oh-one.sid=b',
  ])('answers the cookie %j with 401 session_invalid, creating nothing', async (cookie) => {
    const set = jest.spyOn(ctx.store, 'set');
    expectProblem(await ctx.http().post('/keepalive').set('Cookie', cookie), {
      status: 401,
      code: 'session_invalid',
      challenge: CHALLENGE,
    });
    expect(set).not.toHaveBeenCalled();
    set.mockRestore();
  });

  it('answers other cookies only with 401 session_missing', async () => {
    expectProblem(await ctx.http().post('/keepalive').set('Cookie', 'theme=dark'), {
      status: 401,
      code: 'session_missing',
    });
  });

  it('never answers 5xx whatever the Cookie header holds (property)', async () => {
    const ch = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: ch, maxLength: 200 }), async (value) => {
        const res = await ctx.http().post('/keepalive').set('Cookie', `four-oh-one.sid=${value}`);
        expect(res.status).toBe(401);
      }),
      { numRuns: 100 },
    );
  });
});

describe('login limits', () => {
  it('answers 429 to the address that spent an account’s budget, and only to it', async () => {
    const ctx = buildApp({ env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', TRUST_PROXY: 'true' } });
    const attempt = (ip: string, password = 'wrong') =>
      ctx
        .http()
        .post('/login')
        .set('X-Forwarded-For', ip)
        .type('form')
        .send({ ...LOGIN, password });
    for (let i = 0; i < 5; i++) {
      const res = await attempt('10.0.0.1');
      expectProblem(res, { status: 401, code: 'login_failed' });
      expect(res.headers.ratelimit).toContain(`"login-account"; r=${4 - i}; t=`);
    }
    const res = await attempt('10.0.0.1');
    expectProblem(res, { status: 429, code: 'too_many_attempts' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(900);
    expect(res.headers.ratelimit).toMatch(/"login-account"; r=0; t=\d+/);
    expect(res.headers['ratelimit-policy']).toContain('"login-account"; q=5; w=900');
    // The right password waits too, from that address: its budget for the account is spent.
    expectProblem(await attempt('10.0.0.1', 'my_password'), {
      status: 429,
      code: 'too_many_attempts',
    });
    // Another address is not locked out of the shared demo account: a wrong password is still
    // judged (401) and the right one logs in.
    expectProblem(await attempt('10.0.0.2'), { status: 401, code: 'login_failed' });
    expect((await attempt('10.0.0.2', 'my_password')).status).toBe(200);
    // The address that failed can still use another account.
    const other = await ctx
      .http()
      .post('/login')
      .set('X-Forwarded-For', '10.0.0.1')
      .type('form')
      .send({ username: 'admin', password: 'admin-password' });
    expect(other.status).toBe(200);
    // The window passes.
    ctx.clock.advance(900_000);
    expect((await attempt('10.0.0.1', 'my_password')).status).toBe(200);
  });

  it('counts every name outside the demo directory under one account per address', async () => {
    const store = new MemoryStore({ maxEntries: 10_000, sweepIntervalMs: 0 });
    const ctx = buildApp({
      store,
      env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000', LOGIN_MAX_FAILURES_PER_ADDRESS: '1000' },
    });
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 128 }), async (username) => {
        fc.pre(username !== 'my_username' && username !== 'admin');
        const res = await ctx.http().post('/login').send({ username, password: 'wrong' });
        expectProblem(res, { status: 401, code: 'login_failed' });
      }),
      { numRuns: 200 },
    );
    // One counter for the address, one for the placeholder account from that address.
    expect(store.size).toBe(2);
    // Malformed logins (an empty password) write nothing at all.
    for (let i = 0; i < 50; i++) {
      const res = await ctx
        .http()
        .post('/login')
        .send({ username: `u${i}`, password: '' });
      expectProblem(res, { status: 400, code: 'parameter_invalid' });
    }
    expect(store.size).toBe(2);
  });

  it('refuses a user name longer than any account with 400, before counting anything', async () => {
    const store = new MemoryStore({ maxEntries: 10_000, sweepIntervalMs: 0 });
    const ctx = buildApp({ store, env: { LOGIN_MAX_FAILURES_PER_ADDRESS: '2' } });
    for (let i = 0; i < 5; i++) {
      const res = await ctx
        .http()
        .post('/login')
        .send({ username: 'x'.repeat(129 + i), password: 'wrong' });
      expectProblem(res, { status: 400, code: 'parameter_invalid' });
      expect(res.body.detail).toBe('"username" must be at most 128 characters.');
    }
    expect(store.size).toBe(0);
    await login(ctx);
  });

  it('limits one address trying many accounts', async () => {
    const ctx = buildApp({ env: { LOGIN_MAX_FAILURES_PER_ADDRESS: '4' } });
    for (let i = 0; i < 4; i++) {
      expectProblem(
        await ctx
          .http()
          .post('/login')
          .type('form')
          .send({ username: `user${i}`, password: 'x' }),
        { status: 401, code: 'login_failed' },
      );
    }
    expectProblem(
      await ctx.http().post('/login').type('form').send({ username: 'user9', password: 'x' }),
      { status: 429, code: 'too_many_attempts' },
    );
  });

  it('does not count malformed logins (400), only refused credentials', async () => {
    const ctx = buildApp({ env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '2' } });
    for (let i = 0; i < 5; i++) {
      expectProblem(
        await ctx
          .http()
          .post('/login')
          .send({ ...LOGIN, idle_seconds: 0 }),
        { status: 400, code: 'parameter_invalid' },
      );
    }
    await login(ctx);
  });

  it('does not count successful logins', async () => {
    const ctx = buildApp({ env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '2' } });
    for (let i = 0; i < 5; i++) await login(ctx);
    expectProblem(
      await ctx
        .http()
        .post('/login')
        .type('form')
        .send({ ...LOGIN, password: 'x' }),
      { status: 401, code: 'login_failed' },
    );
  });

  it('uses the client address Express trusts: without TRUST_PROXY, X-Forwarded-For is ignored', async () => {
    const ctx = buildApp({ env: { LOGIN_MAX_FAILURES_PER_ADDRESS: '2' } });
    for (let i = 0; i < 2; i++) {
      await ctx
        .http()
        .post('/login')
        .set('X-Forwarded-For', `10.1.0.${i}`)
        .type('form')
        .send({ username: `u${i}`, password: 'x' });
    }
    const res = await ctx
      .http()
      .post('/login')
      .set('X-Forwarded-For', '10.1.0.77')
      .type('form')
      .send({ username: 'u9', password: 'x' });
    expectProblem(res, { status: 429, code: 'too_many_attempts' });
  });
});

describe('COOKIE_SECURE=true', () => {
  it('names the cookie __Host- and marks it Secure behind a TLS proxy', async () => {
    const ctx = buildApp({ env: { COOKIE_SECURE: 'true', TRUST_PROXY: 'true' } });
    const res = await ctx
      .http()
      .post('/login')
      .set('X-Forwarded-Proto', 'https')
      .type('form')
      .send(LOGIN);
    expect(res.status).toBe(200);
    expect(setCookieOf(res)[0]).toMatch(
      /^__Host-four-oh-one\.sid=s%3A[^;]+; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/,
    );
    const missing = await ctx.http().post('/keepalive');
    expect(missing.headers['www-authenticate']).toBe(
      'Cookie realm="four-oh-one", form-action="/login", cookie-name="__Host-four-oh-one.sid"',
    );
  });
});

describeRedis('sessions in Redis', () => {
  const prefix = `four-oh-one:test:sessions:${randomUUID()}:`;
  const stores: RedisStore[] = [];
  async function instance(clock = testClock()) {
    const store = new RedisStore({ url: redisUrl as string, prefix });
    await store.connect();
    stores.push(store);
    return buildApp({ store, clock });
  }
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it('two instances on one Redis act as one server', async () => {
    const clock = testClock();
    const a = await instance(clock);
    const b = await instance(clock);
    const { cookie } = await login(a);
    clock.advance(1000);
    expect((await b.http().post('/keepalive').set('Cookie', cookie)).status).toBe(200);
    expect((await a.http().get('/me').set('Cookie', cookie)).status).toBe(200);
    expect((await b.http().post('/logout').set('Cookie', cookie)).status).toBe(200);
    expectProblem(await a.http().get('/me').set('Cookie', cookie), {
      status: 401,
      code: 'session_invalid',
    });
    expectProblem(await b.http().get('/me').set('Cookie', cookie), {
      status: 401,
      code: 'session_invalid',
    });
  });

  it('shares the login limits between instances', async () => {
    const a = await instance();
    const b = await instance();
    const user = `limit-${randomUUID()}`;
    for (let i = 0; i < 5; i++)
      await (i % 2 ? a : b)
        .http()
        .post('/login')
        .type('form')
        .send({ username: user, password: 'x' });
    expectProblem(
      await a.http().post('/login').type('form').send({ username: user, password: 'x' }),
      { status: 429, code: 'too_many_attempts' },
    );
  });

  it('answers 503, not 401, while Redis is unreachable, and logs nobody out', async () => {
    const store = new RedisStore({ url: redisUrl as string, prefix });
    await store.connect();
    const ctx = buildApp({ store });
    const { cookie } = await login(ctx);
    await store.close();
    const down = await ctx.http().post('/keepalive').set('Cookie', cookie);
    expectProblem(down, { status: 503, code: 'store_unavailable' });
    expect(setCookieOf(down)).toEqual([]);
    expectProblem(await ctx.http().post('/login').type('form').send(LOGIN), {
      status: 503,
      code: 'store_unavailable',
    });
    // A new connection to the same Redis finds the session intact.
    const back = await instance();
    expect((await back.http().post('/keepalive').set('Cookie', cookie)).status).toBe(200);
  });
});
