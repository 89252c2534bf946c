import type { Response } from 'supertest';
import { buildApp, expectProblem } from '../helpers';

const ORIGIN = 'http://127.0.0.1:3001'; // on the default allowlist (CORS_DEMO_PORT=3001)
const EVIL = 'http://evil.example';
const LOGIN = { username: 'my_username', password: 'my_password' };

const corsHeaders = (res: Response) =>
  Object.fromEntries(Object.entries(res.headers).filter(([h]) => h.startsWith('access-control-')));

describe('GET /', () => {
  const ctx = buildApp();

  it('answers the article’s {"message": "Hello World!"} to anyone, credentials or not', async () => {
    const res = await ctx.http().get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({ message: 'Hello World!' });
  });

  it('answers other methods 405 with Allow', async () => {
    const res = await ctx.http().post('/').set('Origin', ORIGIN);
    expectProblem(res, { status: 405, code: 'method_not_allowed', challenge: null });
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  });
});

/**
 * The broken-on-purpose set-ups, beyond their registry rows: each is wrong in exactly the way
 * its documentation says, and none ever reflects an unchecked origin.
 */
describe('/cors/broken/*', () => {
  const ctx = buildApp();
  const preflight = (path: string, origin = ORIGIN) =>
    ctx
      .http()
      .options(path)
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');

  describe('no-acao-on-401 (CORS after authentication)', () => {
    const path = '/cors/broken/no-acao-on-401';

    it('answers its preflight correctly, so calls with a token are sent', async () => {
      const res = await preflight(path);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
    });

    it.each([
      ['no token', undefined, 'token_missing'],
      ['an expired token', 'expired', 'token_expired'],
      ['a forged token', 'bad_signature', 'token_signature_invalid'],
    ] as const)('sends the 401 for %s without any CORS header', async (_name, token, code) => {
      const specimens = await ctx.specimens.get();
      let req = ctx.http().get(path).set('Origin', ORIGIN);
      if (token) req = req.set('Authorization', `Bearer ${specimens[token]}`);
      const res = await req;
      expectProblem(res, { status: 401, code });
      expect(corsHeaders(res)).toEqual({});
    });

    it('sends the CORS headers only once authentication passed', async () => {
      const specimens = await ctx.specimens.get();
      const res = await ctx
        .http()
        .get(path)
        .set('Origin', ORIGIN)
        .set('Authorization', `Bearer ${specimens.valid}`);
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    });

    it('still refuses an origin not on the list, even with a valid token', async () => {
      const specimens = await ctx.specimens.get();
      const res = await ctx
        .http()
        .get(path)
        .set('Origin', EVIL)
        .set('Authorization', `Bearer ${specimens.valid}`);
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual({});
    });
  });

  describe('unexposed (no Access-Control-Expose-Headers)', () => {
    const path = '/cors/broken/unexposed';

    it('allows the origin on the 401 and its preflight, but exposes nothing', async () => {
      const res = await ctx.http().get(path).set('Origin', ORIGIN);
      expectProblem(res, { status: 401, code: 'token_missing' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(corsHeaders(res)).toEqual({
        'access-control-allow-origin': ORIGIN,
        'access-control-allow-credentials': 'true',
      });
      const pre = await preflight(path);
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(ORIGIN);
    });

    it('refuses an origin not on the list', async () => {
      expect(corsHeaders(await ctx.http().get(path).set('Origin', EVIL))).toEqual({});
    });
  });

  describe('preflight-needs-auth (the preflight goes through authentication)', () => {
    const path = '/cors/broken/preflight-needs-auth';

    it('answers every preflight 401, whatever the origin', async () => {
      for (const origin of [ORIGIN, EVIL]) {
        const res = await preflight(path, origin);
        expectProblem(res, { status: 401, code: 'token_missing' });
      }
    });

    it('would serve the real request with a token, which no browser sends after the failed preflight', async () => {
      const specimens = await ctx.specimens.get();
      const res = await ctx
        .http()
        .get(path)
        .set('Origin', ORIGIN)
        .set('Authorization', `Bearer ${specimens.valid}`);
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    });
  });

  describe('wildcard-credentials (* with Allow-Credentials)', () => {
    const path = '/cors/broken/wildcard-credentials';

    it.each([ORIGIN, EVIL, 'null'])(
      'answers the origin %s with a literal *, never a reflected origin',
      async (origin) => {
        const res = await ctx.http().get(path).set('Origin', origin);
        expectProblem(res, { status: 401, code: 'session_missing' });
        expect(corsHeaders(res)).toEqual({
          'access-control-allow-origin': '*',
          'access-control-allow-credentials': 'true',
          'access-control-expose-headers':
            'WWW-Authenticate,X-Request-Id,X-Explanation-Id,Retry-After,RateLimit,RateLimit-Policy,DPoP-Nonce',
        });
      },
    );

    it('answers 200 to a logged-in cookie, which a browser would still hide', async () => {
      const login = await ctx.http().post('/login').type('form').send(LOGIN);
      const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
      const res = await ctx.http().get(path).set('Origin', ORIGIN).set('Cookie', cookie);
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual({ sub: 'my_username', type: 'user' });
      expect(res.headers['access-control-allow-origin']).toBe('*');
    });
  });

  it('leaves the real policy to every other path, unknown ones under /cors/ included', async () => {
    const res = await ctx.http().get('/cors/broken/nothing-here').set('Origin', ORIGIN);
    expectProblem(res, { status: 404, code: 'not_found' });
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  });
});
