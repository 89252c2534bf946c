import pino from 'pino';
import request from 'supertest';
import { requestId } from '../../middleware/request-id';
import { createApp } from '../../src/app';
import { MemoryStore } from '../../src/store';
import { buildApp, testConfig } from '../helpers';
import { check, get, type Send } from './check';

describe('request ids', () => {
  const ctx = buildApp();

  it('gives every response an X-Request-Id that the problem body repeats', async () => {
    const res = await ctx.http().get('/api/v1/data');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.request_id).toBe(res.headers['x-request-id']);
    const ok = await ctx.http().get('/healthz');
    expect(ok.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each(['abc-123', 'trace:1.2_3', 'a'.repeat(128)])(
    'keeps a sane incoming id %s',
    async (id) => {
      const res = await ctx.http().get('/api/v1/data').set('X-Request-Id', id);
      expect(res.headers['x-request-id']).toBe(id);
      expect(res.body.request_id).toBe(id);
    },
  );

  it.each([
    ['too long', 'a'.repeat(129)],
    ['with a space', 'a b'],
    ['with markup', '<script>'],
    ['with latin1 bytes', '\u00e9\u00e8'],
    ['empty', ''],
  ])('replaces an incoming id %s', async (_name, id) => {
    const res = await ctx.http().get('/healthz').set('X-Request-Id', id);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the request log line', () => {
  function appWithLog() {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const config = testConfig();
    const app = createApp(config, {
      store: new MemoryStore({ maxEntries: 100, sweepIntervalMs: 0 }),
      logger,
    });
    return { app, lines };
  }

  it('carries the request id, the status and the rejection code and reason', async () => {
    const { app, lines } = appWithLog();
    const res = await request(app)
      .get('/api/v1/data?q=leak-me')
      .set('Authorization', 'Bearer not-a-jwt-at-all');
    const entry = lines
      .map((l) => JSON.parse(l))
      .find((l) => l.requestId === res.headers['x-request-id']);
    expect(entry).toMatchObject({
      requestId: res.headers['x-request-id'],
      code: 'token_malformed',
      reason: expect.stringContaining('three base64url parts'),
      res: { statusCode: 401 },
      req: { method: 'GET', path: '/api/v1/data' },
    });
  });

  it('never logs headers, tokens or the query string', async () => {
    const { app, lines } = appWithLog();
    await request(app)
      .get('/api/v1/data?q=leak-me')
      .set('Authorization', 'Bearer secret-token-value')
      .set('Cookie', 'sid=secret-cookie');
    const all = lines.join('\n');
    expect(all).toContain('token_malformed');
    // No header is logged: no "authorization" or "cookie" member (trace texts may name them).
    expect(all).not.toMatch(/secret-token-value|secret-cookie|leak-me|"authorization"|"cookie"/i);
  });
});

describe('requestId() with only itself in the app', () => {
  let n = 0;
  const guard = requestId({ generate: () => `gen-${++n}` });
  const withId =
    (id: string): Send =>
    (agent) =>
      agent.get('/').set('X-Request-Id', id);

  it('throws at once on a generate that is no function', () => {
    expect(() => requestId({ generate: 'x' as never })).toThrow(
      'requestId: generate must be a function',
    );
  });

  it('makes an id, and keeps explanations under that same server-made id', async () => {
    const res = await check(guard, get, { status: 200, headers: { 'X-Request-Id': /^gen-\d+$/ } });
    expect(res.body.locals.requestId).toBe(res.headers['x-request-id']);
    expect(res.body.locals.explanationId).toBe(res.headers['x-request-id']);
  });

  it('keeps a sane client id, but keeps explanations under an id of its own', async () => {
    const res = await check(guard, withId('client-1'), {
      status: 200,
      headers: { 'X-Request-Id': 'client-1' },
    });
    expect(res.body.locals.explanationId).toMatch(/^gen-\d+$/);
  });

  it.each(['a b', 'x'.repeat(129), '<id>'])('replaces the client id %j', async (id) => {
    await check(guard, withId(id), { status: 200, headers: { 'X-Request-Id': /^gen-\d+$/ } });
  });
});
