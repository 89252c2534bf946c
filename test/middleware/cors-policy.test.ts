import express from 'express';
import request, { type Response } from 'supertest';
import {
  CORS_ALLOWED_HEADERS,
  CORS_ALLOWED_METHODS,
  CORS_EXPOSED_HEADERS,
  CORS_MAX_AGE_SECONDS,
  corsPolicy,
} from '../../middleware/cors-policy';
import { buildApp, expectProblem } from '../helpers';

const APP = 'http://app.test';
const VITE = 'http://localhost:5173';
const EXPOSED = CORS_EXPOSED_HEADERS.join(',');

/** The answer carries exactly the CORS headers an allowed origin gets on an actual request. */
function shouldAllow(res: Response, origin: string): void {
  expect({
    acao: res.headers['access-control-allow-origin'],
    acac: res.headers['access-control-allow-credentials'],
    aceh: res.headers['access-control-expose-headers'],
  }).toEqual({ acao: origin, acac: 'true', aceh: EXPOSED });
  expect(res.headers.vary).toMatch(/\bOrigin\b/);
}

/** The answer carries no CORS header at all: the browser hides it from the script. */
function shouldNotAllow(res: Response): void {
  const cors = Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));
  expect(cors).toEqual([]);
  expect(res.headers.vary).toMatch(/\bOrigin\b/);
}

describe('the CORS policy', () => {
  const ctx = buildApp({
    env: { CORS_ORIGINS: `${APP}, ${VITE}`, LOGIN_MAX_FAILURES_PER_ACCOUNT: '1' },
  });

  describe('to an allowed origin', () => {
    it('lets the script read GET / ({"message": "Hello World!"})', async () => {
      const res = await ctx.http().get('/').set('Origin', APP);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 'Hello World!' });
      shouldAllow(res, APP);
      // Accept too: a browser that asks for HTML gets the front door (routes/home.ts).
      expect(res.headers.vary).toBe('Origin, Accept');
    });

    it('matches each listed origin on its own', async () => {
      shouldAllow(await ctx.http().get('/').set('Origin', VITE), VITE);
    });

    // CORS is not authentication: the origin is allowed, the request is still refused, and
    // the refusal is readable, so the script can react to it.
    it.each([
      ['no token', '/api/v1/data', {}, 401, 'token_missing', /^Bearer realm="four-oh-one"/],
      [
        'an expired token',
        '/api/v1/data',
        { Authorization: 'Bearer {{expired}}' },
        401,
        'token_expired',
        /error="invalid_token"/,
      ],
      [
        'a valid non-admin token at /admin',
        '/admin',
        { Authorization: 'Bearer {{valid}}' },
        403,
        'role_insufficient',
        null,
      ],
      [
        'an admin token without the admin scope at /admin',
        '/admin',
        { Authorization: 'Bearer {{admin_data_read_only}}' },
        403,
        'insufficient_scope',
        /error="insufficient_scope"/,
      ],
      ['no session cookie', '/me', {}, 401, 'session_missing', /^Cookie realm=/],
      ['an unknown path', '/no/such/path', {}, 404, 'not_found', undefined],
      ['a method the path does not serve', '/api/v1/data', {}, 405, 'method_not_allowed', null],
    ] as const)(
      'keeps its CORS headers on the refusal of %s',
      async (_name, path, headers, status, code, challenge) => {
        const specimens = await ctx.specimens.get();
        const method = status === 405 ? 'delete' : 'get';
        let req = ctx.http()[method](path).set('Origin', APP);
        for (const [k, v] of Object.entries(headers)) {
          req = req.set(
            k,
            v.replace(
              /\{\{(\w+)\}\}/,
              (_m, n: 'valid' | 'expired' | 'admin_data_read_only') => specimens[n],
            ),
          );
        }
        const res = await req;
        expectProblem(res, { status, code });
        if (challenge) expect(res.headers['www-authenticate']).toMatch(challenge);
        shouldAllow(res, APP);
      },
    );

    it('keeps its CORS headers on the OpenAI envelope of /v1/*', async () => {
      const res = await ctx.http().get('/v1/models').set('Origin', APP);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_api_key');
      shouldAllow(res, APP);
    });

    it('exposes Retry-After and the rate-limit headers of a 429', async () => {
      const form = { username: 'cors-limited', password: 'wrong' };
      await ctx.http().post('/login').type('form').send(form).set('Origin', APP).expect(401);
      const res = await ctx.http().post('/login').type('form').send(form).set('Origin', APP);
      expectProblem(res, { status: 429, code: 'too_many_attempts' });
      shouldAllow(res, APP);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.headers.ratelimit).toBeDefined();
      expect(res.headers['ratelimit-policy']).toBeDefined();
    });

    it('lets a cross-origin login set its cookie (credentials allowed)', async () => {
      const res = await ctx
        .http()
        .post('/login')
        .type('form')
        .send({ username: 'my_username', password: 'my_password' })
        .set('Origin', APP);
      expect(res.status).toBe(200);
      shouldAllow(res, APP);
      expect(String(res.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Lax/);
    });
  });

  describe('a preflight from an allowed origin', () => {
    it.each([
      ['GET /api/v1/data with a token', '/api/v1/data', 'GET', 'authorization'],
      ['POST /v1/chat/completions', '/v1/chat/completions', 'POST', 'authorization,content-type'],
      ['POST /login as JSON', '/login', 'POST', 'content-type'],
      ['DELETE /api/v1/data', '/api/v1/data', 'DELETE', 'x-request-id'],
      ['a path no route serves', '/no/such/path', 'PUT', 'authorization'],
    ])(
      'is answered 204 before any authentication: %s',
      async (_name, path, method, requestHeaders) => {
        const res = await ctx
          .http()
          .options(path)
          .set('Origin', APP)
          .set('Access-Control-Request-Method', method)
          .set('Access-Control-Request-Headers', requestHeaders);
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
        expect(res.headers['www-authenticate']).toBeUndefined();
        expect(res.headers).toMatchObject({
          'access-control-allow-origin': APP,
          'access-control-allow-credentials': 'true',
          'access-control-allow-methods': CORS_ALLOWED_METHODS.join(','),
          'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(','),
          'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
          vary: 'Origin',
          'content-length': '0',
        });
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      },
    );

    it('is answered the same when it carries a bogus Authorization header', async () => {
      const res = await ctx
        .http()
        .options('/api/v1/data')
        .set('Origin', APP)
        .set('Authorization', 'Bearer not-a-token')
        .set('Access-Control-Request-Method', 'GET');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
    });

    it('names only the fixed request headers, whatever the browser asks for', async () => {
      const res = await ctx
        .http()
        .options('/api/v1/data')
        .set('Origin', APP)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'x-evil,authorization');
      expect(res.headers['access-control-allow-headers']).toBe(
        'Authorization,Content-Type,X-Request-Id,X-CSRF-Token,DPoP,X-Run-Id',
      );
    });
  });

  // Exact string comparison only: each of these differs from an allowed origin in one way.
  describe.each([
    ['an origin not on the list', 'http://evil.example'],
    ['null (sandboxed frames, file:// pages, some redirects)', 'null'],
    ['a suffix look-alike', 'http://app.test.evil.net'],
    ['a prefix look-alike', 'http://evil-app.test'],
    ['a subdomain', 'http://sub.app.test'],
    ['a truncation', 'http://app.tes'],
    ['the other scheme', 'https://app.test'],
    ['another port', 'http://app.test:8080'],
    ['the default port spelled out', 'http://app.test:80'],
    ['upper case', 'HTTP://APP.TEST'],
    ['a trailing slash', 'http://app.test/'],
    ['a trailing dot', 'http://app.test.'],
    ['two origins in one header', `${APP}, http://evil.example`],
    ['an allowed origin with a NUL-like suffix', 'http://app.test%00'],
    ['a wildcard', '*'],
    ['an empty Origin', ''],
    ['the other localhost name', 'http://127.0.0.1:5173'],
  ])('from %s (%s)', (_name, origin) => {
    it('answers GET / without any CORS header (the browser hides the 200)', async () => {
      const res = await ctx.http().get('/').set('Origin', origin);
      expect(res.status).toBe(200);
      shouldNotAllow(res);
    });

    it('still answers 401 without a token: CORS is not authentication', async () => {
      const res = await ctx.http().get('/api/v1/data').set('Origin', origin);
      expectProblem(res, { status: 401, code: 'token_missing' });
      shouldNotAllow(res);
    });

    it('answers its preflight without CORS headers, and never with a 5xx', async () => {
      const res = await ctx
        .http()
        .options('/api/v1/data')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization');
      expect(res.status).toBe(204);
      expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
      shouldNotAllow(res);
    });
  });

  it('refuses two Origin headers, which Node joins into one value', async () => {
    // superagent sends an array as repeated header lines; its types allow that for Cookie only.
    const res = await ctx
      .http()
      .get('/')
      .set('Origin', [APP, APP] as unknown as string);
    shouldNotAllow(res);
  });

  it('sends no CORS header without an Origin (curl, same-origin navigation), but Vary', async () => {
    const res = await ctx.http().get('/');
    shouldNotAllow(res);
    expect(res.headers.vary).toBe('Origin, Accept');
  });
});

describe('the default allowlist', () => {
  const ctx = buildApp({ env: { CORS_DEMO_PORT: '4321' } });

  it.each([
    'http://127.0.0.1:4321',
    'http://localhost:4321',
    'http://localhost:5173',
    'http://127.0.0.1:5173',
  ])('allows %s', async (origin) => {
    shouldAllow(await ctx.http().get('/').set('Origin', origin), origin);
  });

  it.each(['http://127.0.0.1:3000', 'http://localhost:3000', 'http://127.0.0.1:3001'])(
    'refuses %s (the API’s own origin, the demo’s default port when it moved)',
    async (origin) => {
      shouldNotAllow(await ctx.http().get('/').set('Origin', origin));
    },
  );
});

describe('corsPolicy(options)', () => {
  it.each([['*'], ['null'], ['http://app.test/'], ['app.test'], ['http://App.test'], ['ftp://x']])(
    'throws at once on the origin %s',
    (origin) => {
      expect(() => corsPolicy({ origins: [origin] })).toThrow(/^corsPolicy: origins must list/);
    },
  );

  it('allows nothing with an empty list', async () => {
    const app = express().use(corsPolicy({ origins: [] }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    shouldNotAllow(await request(app).get('/').set('Origin', APP));
  });
});
