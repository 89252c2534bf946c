import fc from 'fast-check';
import type { Response } from 'supertest';
import { buildApp, expectProblem, type TestContext } from '../helpers';

/**
 * Cross-site request forgery on the cookie session (middleware/csrf.ts): the Origin and
 * Sec-Fetch-Site check on POST /login, /keepalive and /logout, and the session's synchronizer
 * token, which a browser (Sec-Fetch-Site) sends back in X-CSRF-Token. Clients that are not
 * browsers send neither header and are judged by their credentials alone, as before.
 */

const LOGIN = { username: 'my_username', password: 'my_password' };
// The test config's PUBLIC_URL and its first CORS origin (test/helpers.ts testConfig).
const OWN = 'http://127.0.0.1:3000';
const ALLOWED = 'http://127.0.0.1:3001';

function cookieOf(res: Response): string {
  const header = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith('four-oh-one.sid='));
  if (!header) throw new Error('no session cookie');
  return header.split(';')[0] as string;
}

async function login(ctx: TestContext) {
  const res = await ctx.http().post('/login').type('form').send(LOGIN).expect(200);
  return { cookie: cookieOf(res), token: res.body.csrf_token as string };
}

describe('the Origin check on the session routes', () => {
  const ctx = buildApp();
  const post = (path: string, headers: Record<string, string>) => {
    let req = ctx.http().post(path);
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return path === '/login' ? req.type('form').send(LOGIN) : req;
  };

  describe.each(['/login', '/keepalive', '/logout'])('POST %s', (path) => {
    it.each([
      ['a foreign Origin', { Origin: 'https://evil.example' }],
      ['a look-alike of the allowed origin', { Origin: 'http://127.0.0.1:3001.evil.example' }],
      ['Origin: null', { Origin: 'null' }],
      ['Sec-Fetch-Site: cross-site and no Origin', { 'Sec-Fetch-Site': 'cross-site' }],
      [
        'a foreign Origin with Sec-Fetch-Site: same-origin',
        { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'same-origin' },
      ],
    ])('refuses %s: 403 csrf_origin_refused, no challenge', async (_name, headers) => {
      const res = await post(path, headers);
      expectProblem(res, { status: 403, code: 'csrf_origin_refused', challenge: null });
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it.each([
      ['no Origin and no Sec-Fetch-Site (curl, Python requests)', {}],
      ['its own origin', { Origin: OWN, 'Sec-Fetch-Site': 'same-origin' }],
      [
        'the origin the request reached',
        { Origin: 'http://127.0.0.1:4444', Host: '127.0.0.1:4444' },
      ],
      [
        'an origin on CORS_ORIGINS, even cross-site',
        { Origin: ALLOWED, 'Sec-Fetch-Site': 'cross-site' },
      ],
      ['Sec-Fetch-Site: same-site and no Origin', { 'Sec-Fetch-Site': 'same-site' }],
    ])('lets through %s', async (_name, headers) => {
      const res = await post(path, headers);
      expect(res.body.code).not.toBe('csrf_origin_refused');
      expect(res.status).toBeLessThan(500);
    });
  });

  it('refuses a cross-site login before reading the form: no failure is counted', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await ctx
        .http()
        .post('/login')
        .set('Origin', 'https://evil.example')
        .type('form')
        .send({ ...LOGIN, password: 'wrong' });
      expect(res.status).toBe(403);
    }
    expect((await ctx.http().post('/login').type('form').send(LOGIN)).status).toBe(200);
  });

  it('answers any Origin and Sec-Fetch-Site with a problem or a success, never a 5xx', async () => {
    const header = fc.oneof(
      fc.constantFrom(OWN, ALLOWED, 'null', '', 'https://evil.example', 'http://127.0.0.1:3000/'),
      fc.string({ maxLength: 40 }).filter((v) => /^[\t\x20-\x7e]*$/.test(v)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.option(header, { nil: undefined }),
        fc.option(header, { nil: undefined }),
        fc.constantFrom('/login', '/keepalive', '/logout'),
        async (origin, site, path) => {
          let req = ctx.http().post(path);
          if (origin !== undefined) req = req.set('Origin', origin);
          if (site !== undefined) req = req.set('Sec-Fetch-Site', site);
          const res = await (path === '/login' ? req.type('form').send(LOGIN) : req);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(res.type).toBe('application/problem+json');
          const trusted = origin === OWN || origin === ALLOWED;
          if (origin !== undefined && !trusted) expect(res.body.code).toBe('csrf_origin_refused');
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('the CSRF token of a session', () => {
  const ctx = buildApp();

  it('comes with the login and /me, one per login, never the same twice', async () => {
    const first = await login(ctx);
    const second = await login(ctx);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.token).not.toBe(first.token);
    const me = await ctx.http().get('/me').set('Cookie', first.cookie).expect(200);
    expect(me.body.csrf_token).toBe(first.token);
  });

  describe.each(['/keepalive', '/logout'])('on POST %s from a browser', (path) => {
    const send = (cookie: string, headers: Record<string, string>) => {
      let req = ctx.http().post(path).set('Cookie', cookie).set('Sec-Fetch-Site', 'same-origin');
      for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
      return req;
    };

    it('is required: 403 csrf_token_missing without it, and the session lives on', async () => {
      const { cookie, token } = await login(ctx);
      const without: Record<string, string>[] = [
        {},
        { 'X-CSRF-Token': '' },
        { 'X-CSRF-Token': '  ' },
      ];
      for (const headers of without) {
        expectProblem(await send(cookie, headers), {
          status: 403,
          code: 'csrf_token_missing',
          challenge: null,
        });
      }
      expect((await ctx.http().get('/me').set('Cookie', cookie)).status).toBe(200);
      expect((await send(cookie, { 'X-CSRF-Token': token })).status).toBe(200);
    });

    it('must be this session’s: 403 csrf_token_mismatch otherwise', async () => {
      const { cookie, token } = await login(ctx);
      const other = await login(ctx);
      for (const wrong of [other.token, `${token}x`, token.slice(1), 'x'.repeat(10_000)]) {
        expectProblem(await send(cookie, { 'X-CSRF-Token': wrong }), {
          status: 403,
          code: 'csrf_token_mismatch',
          challenge: null,
        });
      }
      expect((await send(cookie, { 'X-CSRF-Token': token })).status).toBe(200);
    });

    it('is not asked of clients that are not browsers (no Sec-Fetch-Site)', async () => {
      const { cookie } = await login(ctx);
      expect((await ctx.http().post(path).set('Cookie', cookie)).status).toBe(200);
    });
  });

  it('is not asked when there is no session: the session refusal comes first', async () => {
    const res = await ctx.http().post('/keepalive').set('Sec-Fetch-Site', 'same-origin');
    expectProblem(res, { status: 401, code: 'session_missing' });
    const out = await ctx.http().post('/logout').set('Sec-Fetch-Site', 'same-origin');
    expect(out.status).toBe(200);
  });

  it('answers any token with 200 or 403, never a 5xx', async () => {
    const { cookie, token } = await login(ctx);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 64 }).filter((v) => /^[\x20-\x7e]*$/.test(v)),
        async (given) => {
          const res = await ctx
            .http()
            .post('/keepalive')
            .set('Cookie', cookie)
            .set('Sec-Fetch-Site', 'same-origin')
            .set('X-CSRF-Token', given);
          expect(res.status).toBe(given === token ? 200 : 403);
        },
      ),
      { numRuns: 100 },
    );
  });
});
