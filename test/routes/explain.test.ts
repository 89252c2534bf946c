import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app';
import {
  BEARER_CHECKS,
  EXPLANATION_TTL_MS,
  ExplanationBook,
  buildExplanation,
  type Explanation,
} from '../../src/explain';
import { createServer } from '../../src/http';
import { scenarios, type Scenario } from '../../src/scenarios';
import { fillBody, fillTemplate, type SpecimenBook, type Specimens } from '../../src/specimens';
import { MemoryStore, type Store } from '../../src/store';
import { randomUUID } from 'node:crypto';
import { RedisStore } from '../../src/store/redis';
import { buildApp, expectProblem, testClock, testConfig } from '../helpers';
import { describeRedis, redisUrl } from '../redis';

/** Fires a registry trigger, as test/scenarios.test.ts does. */
function fire(http: () => ReturnType<typeof request>, s: Scenario, specimens: Specimens) {
  let req = http()[s.trigger.method.toLowerCase() as 'get'](s.trigger.path);
  for (const [name, value] of Object.entries(s.trigger.headers ?? {})) {
    req = req.set(name, fillTemplate(value, specimens));
  }
  if (s.trigger.body !== undefined) {
    const body = fillBody(s.trigger.body, specimens);
    req = s.trigger.contentType === 'form' ? req.type('form').send(body) : req.send(body);
  }
  return req;
}

/** The secrets a trigger sends: specimen tokens and cookies, credentials, password fields. */
function credentialsSent(s: Scenario, specimens: Specimens): string[] {
  const secrets: string[] = [];
  const values = [
    ...Object.values(s.trigger.headers ?? {}),
    ...Object.values(s.trigger.body ?? {}).filter((v): v is string => typeof v === 'string'),
  ];
  for (const value of values) {
    for (const m of value.matchAll(/\{\{token:([a-z_]+)\}\}/g)) {
      secrets.push(specimens[m[1] as keyof Specimens]);
    }
  }
  const auth = /^(?:Basic|Bearer) +(\S+)$/i.exec(s.trigger.headers?.Authorization ?? '');
  if (auth?.[1]) secrets.push(auth[1]);
  for (const field of ['password', 'api_secret', 'client_secret', 'refresh_token', 'token']) {
    const v = fillBody(s.trigger.body ?? {}, specimens)[field];
    if (typeof v === 'string') secrets.push(v);
  }
  return secrets.filter((x) => x.length >= 8);
}

const byId = (id: string) => {
  const s = scenarios.find((x) => x.id === id);
  if (!s) throw new Error(`no scenario ${id}`);
  return s;
};

describe('GET /explain/:request_id', () => {
  const ctx = buildApp();
  let specimens: Specimens;

  beforeAll(async () => {
    specimens = await ctx.specimens.get();
  });

  async function explain(s: Scenario): Promise<{ answer: request.Response; e: Explanation }> {
    const answer = await fire(ctx.http, s, specimens);
    const id = answer.headers['x-request-id'] as string;
    const res = await ctx.http().get(`/explain/${id}`).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return { answer, e: res.body as Explanation };
  }

  // A requested status (GET /status/503) is the answer asked for, not a refusal.
  const refusals = scenarios.filter(
    (s) => s.expect.code !== undefined && s.expect.code !== 'status_requested',
  );

  it.each(refusals.map((s) => [s.id, s] as const))(
    'explains %s: its code and detail, and no credential',
    async (_id, s) => {
      const { answer, e } = await explain(s);
      expect(e).toMatchObject({
        request_id: answer.headers['x-request-id'],
        method: s.trigger.method,
        path: s.trigger.path.split('?')[0],
        status: s.expect.status,
        code: s.expect.code,
        type: `/problems/${s.expect.code}`,
      });
      if (s.expect.envelope !== 'openai') expect(e.detail).toBe(answer.body.detail);
      // Never a token, a cookie or a password: no credential the trigger sent is in the answer.
      const text = JSON.stringify(e);
      for (const secret of credentialsSent(s, specimens)) {
        expect({ id: s.id, leaks: text.includes(secret) }).toEqual({ id: s.id, leaks: false });
      }
    },
  );

  it('gives every bearer refusal a trace whose failed check is the one its code names', async () => {
    for (const s of scenarios.filter((x) => x.family === 'bearer' && x.expect.code)) {
      const { e } = await explain(s);
      expect(e.trace).not.toBeNull();
      const t = e.trace!;
      expect(t.failed).toEqual(expect.any(String));
      expect([...t.passed, t.failed, ...t.not_reached]).toEqual(BEARER_CHECKS);
    }
  });

  it('names the check, the times and the key id of an expired token', async () => {
    const { e } = await explain(byId('token-expired'));
    expect(e.trace).toMatchObject({
      failed: 'exp: not expired',
      times: {
        exp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        server_time: '2026-11-22T07:00:00Z',
        tolerance_seconds: 30,
      },
      facts: { alg: 'HS256', typ: 'at+jwt', kid: expect.any(String) },
    });
    expect(e.trace!.passed).toContain('signature verifies');
    expect(e.trace!.not_reached).toContain('not revoked');
  });

  it('says which header check failed when no token was read at all', async () => {
    const { e } = await explain(byId('bearer-missing'));
    expect(e.trace).toMatchObject({ passed: [], failed: 'credentials sent' });
    const other = await explain(byId('bearer-other-scheme'));
    expect(other.e.trace).toMatchObject({ failed: 'scheme is Bearer', facts: { scheme: 'Basic' } });
  });

  it('shows every check passed when a valid token is refused later (403 admin)', async () => {
    const { e } = await explain(byId('admin-as-user'));
    expect(e.code).toBe('insufficient_scope');
    expect(e.trace).toMatchObject({ passed: BEARER_CHECKS, not_reached: [] });
    expect(e.trace!.failed).toBeUndefined();
    expect(e.trace!.times).toMatchObject({ server_time: '2026-11-22T07:00:00Z' });
  });

  it('explains the OpenAI-style "Invalid Token (request id: …)" by that request id', async () => {
    const { answer, e } = await explain(byId('openai-expired-token'));
    const id = /\(request id: ([^)]+)\)$/.exec(answer.body.error.message)?.[1];
    expect(id).toBe(e.request_id);
    expect(e.trace).toMatchObject({ failed: 'exp: not expired' });
    expect(e.trace!.guard).toMatch(/\/v1/);
  });

  it('gives session expiry its deadlines and the server clock', async () => {
    const { e } = await explain(byId('session-idle-expired'));
    expect(e.trace).toMatchObject({
      failed: 'within both the idle and the absolute timeout',
      facts: { ended_by: 'idle timeout' },
      times: { idle_expires_at: expect.any(String), server_time: '2026-11-22T07:00:00Z' },
    });
  });

  it('has no trace for a refusal that judged no credential', async () => {
    const { e } = await explain(byId('platform-not-found'));
    expect(e.trace).toBeNull();
  });

  it('answers 404 for an unknown id, a malformed one, and a request that was not refused', async () => {
    expectProblem(await ctx.http().get('/explain/no-such-request'), {
      status: 404,
      code: 'not_found',
    });
    expectProblem(await ctx.http().get('/explain/%E2%9C%97%20bad'), {
      status: 404,
      code: 'not_found',
    });
    const ok = await fire(ctx.http, byId('bearer-valid'), specimens).expect(200);
    expectProblem(await ctx.http().get(`/explain/${ok.headers['x-request-id']}`), {
      status: 404,
      code: 'not_found',
    });
  });

  it('forgets an explanation after 15 minutes', async () => {
    const answer = await ctx.http().get('/api/v1/data').expect(401);
    const id = answer.headers['x-request-id'] as string;
    ctx.clock.advance(EXPLANATION_TTL_MS - 1000);
    await ctx.http().get(`/explain/${id}`).expect(200);
    ctx.clock.advance(2000);
    await ctx.http().get(`/explain/${id}`).expect(404);
    ctx.clock.set('2026-11-22T07:00:00Z');
  });

  it('renders HTML for a browser, with the failed check', async () => {
    const answer = await fire(ctx.http, byId('token-expired'), specimens);
    const res = await ctx
      .http()
      .get(`/explain/${answer.headers['x-request-id']}`)
      .set('Accept', 'text/html')
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('exp: not expired');
    expect(res.text).toContain('href="/problems/token_expired"');
    expect(res.text).not.toContain('<script>');
  });

  it('serves GET only', async () => {
    expectProblem(await ctx.http().post('/explain/x'), { status: 405, code: 'method_not_allowed' });
  });
});

describe('the log line of a refused request', () => {
  it('carries the same trace as /explain', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line));
        done();
      },
    });
    const clock = testClock();
    const config = testConfig();
    const store = new MemoryStore({ maxEntries: 1000, clock, sweepIntervalMs: 0 });
    const app = createApp(config, { store, clock, logger: pino({ level: 'info' }, sink) });
    const specimens = await (app.locals.specimens as SpecimenBook).get();
    const http = () => request(createServer(app));
    const answer = await fire(http, byId('token-expired'), specimens).expect(401);
    const id = answer.headers['x-request-id'] as string;
    const explained = await http().get(`/explain/${id}`).expect(200);
    const line = lines.find((l) => l.requestId === id);
    expect(line).toMatchObject({ code: 'token_expired', trace: explained.body.trace });
    expect(JSON.stringify(line)).not.toContain(specimens.expired);
  });
});

describe('ExplanationBook', () => {
  const explanation = (id: string) =>
    buildExplanation({
      requestId: id,
      at: 0,
      method: 'GET',
      path: '/api/v1/data',
      status: 401,
      code: 'token_missing',
    });

  it('writes at most its budget per minute, then again in the next minute', async () => {
    const clock = testClock();
    const store = new MemoryStore({ maxEntries: 100, clock, sweepIntervalMs: 0 });
    const book = new ExplanationBook(store, () => clock.now(), 2);
    expect(await book.record(explanation('a'))).toBe(true);
    expect(await book.record(explanation('b'))).toBe(true);
    expect(await book.record(explanation('c'))).toBe(false);
    expect(await book.find('c')).toBeUndefined();
    clock.advance(60_000);
    expect(await book.record(explanation('d'))).toBe(true);
    expect((await book.find('a'))?.code).toBe('token_missing');
  });

  it('never turns a refusal into a 503 when the store will not take the explanation', async () => {
    const clock = testClock();
    const memory = new MemoryStore({ maxEntries: 1000, clock, sweepIntervalMs: 0 });
    const store: Store = Object.assign(Object.create(memory) as Store, {
      set: (key: string, value: string, ttl: number) =>
        key.startsWith('explain:')
          ? Promise.reject(new Error('store down'))
          : memory.set(key, value, ttl),
    });
    const app = createApp(testConfig(), { store, clock, logger: pino({ level: 'silent' }) });
    const res = await request(createServer(app)).get('/api/v1/data');
    expectProblem(res, { status: 401, code: 'token_missing' });
  });
});

describeRedis('explanations in Redis', () => {
  const prefix = `four-oh-one:test:explain:${randomUUID()}:`;
  const stores: RedisStore[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it('one instance explains a request another one refused', async () => {
    const clock = testClock();
    const instance = async () => {
      const store = new RedisStore({ url: redisUrl as string, prefix });
      await store.connect();
      stores.push(store);
      return buildApp({ store, clock });
    };
    const a = await instance();
    const b = await instance();
    const specimens = await a.specimens.get();
    const refused = await fire(a.http, byId('token-expired'), specimens).expect(401);
    const explained = await b.http().get(`/explain/${refused.headers['x-request-id']}`).expect(200);
    expect(explained.body).toMatchObject({
      code: 'token_expired',
      trace: { failed: 'exp: not expired' },
    });
  });
});
