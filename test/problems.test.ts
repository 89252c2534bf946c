import express from 'express';
import pino from 'pino';
import request from 'supertest';
import {
  methodNotAllowed,
  notFound,
  problem,
  problemHandler,
  StoreUnavailableError,
} from '../src/http/problems';
import { problemCatalog, type ProblemCode } from '../src/scenarios/catalog';
import { requestId } from '../middleware/request-id';
import { expectProblem } from './helpers';

describe('the problem handler', () => {
  const logged: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(line) });
  const app = express();
  app.use(requestId());
  app.get('/problem/:code', (req) => {
    throw problem(req.params.code as ProblemCode, {
      detail: 'details',
      headers: { 'X-Extra': 'yes' },
      extensions: { extra_field: 1 },
    });
  });
  // The OAuth endpoints' paths, in any case and with a trailing slash, as Express matches them.
  app.get(['/auth/token', '/auth/revoke', '/auth/introspect', '/auth/revoke-all'], (req) => {
    if (req.query.code === undefined) throw new Error('secret database password in message');
    throw problem(req.query.code as ProblemCode, { detail: 'say "hi" \\ caf\u00e9' });
  });
  app.get('/plain-error', () => {
    throw new Error('secret database password in message');
  });
  app.get('/async-error', async () => {
    await Promise.resolve();
    throw new TypeError('boom');
  });
  app.get('/thrown-string', () => {
    throw 'a string';
  });
  app.get('/store-down', async () => {
    throw new StoreUnavailableError('redis is not connected');
  });
  app.get('/http-error', (_req, _res, next) => {
    next(Object.assign(new Error('teapot'), { status: 418, expose: true }));
  });
  app.post('/json', express.json({ limit: '100b' }), (req, res) => {
    res.json(req.body);
  });
  app.post(
    '/form',
    express.urlencoded({ extended: false, limit: '100b', parameterLimit: 5 }),
    (req, res) => {
      res.json(req.body);
    },
  );
  app
    .route('/only-get')
    .get((_req, res) => res.send('ok'))
    .all(methodNotAllowed('GET'));
  app.use(notFound);
  app.use(problemHandler(logger));

  // Every status the catalog uses goes through the same writer (hagopj13's 401 -> 400 slip).
  it.each(Object.entries(problemCatalog).map(([code, p]) => [code, p.status] as const))(
    '%s is written with status %i',
    async (code, status) => {
      const res = await request(app).get(`/problem/${code}`);
      expectProblem(res, { status, code });
      expect(res.body.title).toBe(problemCatalog[code as ProblemCode].title);
      expect(res.body.detail).toBe('details');
      expect(res.body.extra_field).toBe(1);
      expect(res.headers['x-extra']).toBe('yes');
    },
  );

  it('turns an unknown error into a generic 500 that leaks nothing, and logs it', async () => {
    logged.length = 0;
    const res = await request(app).get('/plain-error');
    expectProblem(res, { status: 500, code: 'internal_error' });
    expect(res.text).not.toContain('password');
    expect(res.body.detail).toBeUndefined();
    expect(logged.join('')).toContain('secret database password');
    expect(logged.join('')).toContain(res.headers['x-request-id']);
  });

  it.each(['/async-error', '/thrown-string'])('turns %s into a 500 problem', async (path) => {
    expectProblem(await request(app).get(path), { status: 500, code: 'internal_error' });
  });

  it('answers 503 with Retry-After when the store is down', async () => {
    const res = await request(app).get('/store-down');
    expectProblem(res, { status: 503, code: 'store_unavailable' });
    expect(res.headers['retry-after']).toBe('2');
  });

  it('turns other client errors from libraries into 400 bad_request', async () => {
    expectProblem(await request(app).get('/http-error'), { status: 400, code: 'bad_request' });
  });

  it('answers unknown paths with a problem+json 404', async () => {
    const res = await request(app).get('/nothing/here');
    expectProblem(res, { status: 404, code: 'not_found', challenge: null });
  });

  it('names the occurrence in instance, never the path or its query string', async () => {
    const res = await request(app).get('/nothing?access_token=xyz-token');
    expect(res.body.instance).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(res.body.instance).toBe(`urn:uuid:${res.headers['x-request-id']}`);
    expect(res.text).not.toContain('xyz-token');
    expect(res.body.instance).not.toContain('/nothing');
  });

  describe('on the OAuth endpoints (RFC 6749 §5.2)', () => {
    // Every status the catalog uses, as an OAuth library must read it: application/json, with
    // `error` and `error_description` beside every problem member.
    it.each(Object.entries(problemCatalog).map(([code, p]) => [code, p.status] as const))(
      '%s is application/json with error and error_description',
      async (code, status) => {
        const res = await request(app).get(`/auth/token?code=${code}`);
        expectProblem(res, { status, code });
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.body).toEqual({
          type: `/problems/${code}`,
          title: problemCatalog[code as ProblemCode].title,
          status,
          detail: 'say "hi" \\ caf\u00e9',
          instance: expect.stringMatching(/^urn:uuid:[0-9a-f-]{36}$/),
          code,
          request_id: res.headers['x-request-id'],
          remedy: problemCatalog[code as ProblemCode].remedy,
          error: expect.any(String),
          error_description: 'say hi  caf',
        });
      },
    );

    it.each([
      ['invalid_client', 'invalid_client'],
      ['too_many_attempts', 'slow_down'],
      ['store_unavailable', 'temporarily_unavailable'],
      ['internal_error', 'server_error'],
      ['method_not_allowed', 'invalid_request'],
      ['media_type_unsupported', 'invalid_request'],
    ])('gives %s the OAuth error %s', async (code, error) => {
      const res = await request(app).get(`/auth/token?code=${code}`);
      expect(res.body.error).toBe(error);
    });

    it.each(['/auth/revoke', '/auth/introspect', '/AUTH/TOKEN', '/auth/token/'])(
      'speaks so on %s too',
      async (path) => {
        const res = await request(app).get(`${path}?code=invalid_request`);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.body).toMatchObject({ code: 'invalid_request', error: 'invalid_request' });
      },
    );

    it('keeps problem+json on the other /auth/ routes (revoke-all is a protected resource)', async () => {
      const res = await request(app).get('/auth/revoke-all?code=invalid_request');
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.body.error).toBeUndefined();
    });

    it('answers an unknown error there as server_error, leaking nothing', async () => {
      const res = await request(app).get('/auth/introspect');
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ code: 'internal_error', error: 'server_error' });
      expect(res.text).not.toContain('password');
    });
  });

  describe('body parser failures', () => {
    it('answers malformed JSON with 400 body_malformed', async () => {
      const res = await request(app)
        .post('/json')
        .set('Content-Type', 'application/json')
        .send('{"a":');
      expectProblem(res, { status: 400, code: 'body_malformed' });
    });
    it('answers an oversized JSON body with 413', async () => {
      const res = await request(app)
        .post('/json')
        .send({ a: 'x'.repeat(500) });
      expectProblem(res, { status: 413, code: 'body_too_large' });
    });
    it('answers too many form parameters with 413', async () => {
      const res = await request(app).post('/form').type('form').send('a=1&b=2&c=3&d=4&e=5&f=6&g=7');
      expectProblem(res, { status: 413, code: 'body_too_large' });
    });
    it('answers an unknown charset with 415', async () => {
      const res = await request(app)
        .post('/json')
        .set('Content-Type', 'application/json; charset=ebcdic')
        .send('{}');
      expectProblem(res, { status: 415, code: 'media_type_unsupported' });
    });
    it('answers an unknown content encoding with 415', async () => {
      const res = await request(app)
        .post('/json')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'compress')
        .send('{}');
      expectProblem(res, { status: 415, code: 'media_type_unsupported' });
    });
  });

  describe('methodNotAllowed()', () => {
    it('answers 405 with Allow', async () => {
      const res = await request(app).put('/only-get');
      expectProblem(res, { status: 405, code: 'method_not_allowed' });
      expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
    });
    it('answers OPTIONS with 204 and Allow', async () => {
      const res = await request(app).options('/only-get');
      expect(res.status).toBe(204);
      expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
    });
  });
});
