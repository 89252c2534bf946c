import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app';
import {
  AFTER_BEARER_CHECKS,
  BEARER_CHECKS,
  REQUEST_GUARD,
  EXPLANATION_TTL_MS,
  ExplanationBook,
  ExplanationShelf,
  MAX_EXPLANATION_BYTES,
  buildExplanation,
  explanationJson,
  type Explanation,
} from '../../src/teaching/explain';
import { createServer } from '../../src/http/server';
import { QuotaExceededError } from '../../src/http/problems';
import { defaultScenarios, type Scenario } from '../../src/scenarios';
import {
  fillBody,
  fillHeaders,
  type SpecimenBook,
  type Specimens,
} from '../../src/tokens/specimens';
import { MemoryStore, type Store } from '../../src/store';
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { RedisStore } from '../../src/store/redis';
import { redactPath } from '../../src/http/redact';
import { buildApp, expectProblem, testClock, testConfig } from '../helpers';
import { describeRedis, redisUrl } from '../redis';

const scenarios = defaultScenarios();

/** Fires a registry trigger, as test/scenarios.test.ts does. */
function fire(http: () => ReturnType<typeof request>, s: Scenario, specimens: Specimens) {
  let req = http()[s.trigger.method.toLowerCase() as 'get'](s.trigger.path);
  for (const [name, value] of Object.entries(fillHeaders(s.trigger.headers, specimens))) {
    req = req.set(name, value as string); // a list: one field per value
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
    ...Object.values(s.trigger.headers ?? {}).flat(),
    ...Object.values(s.trigger.body ?? {}).filter((v): v is string => typeof v === 'string'),
  ];
  for (const value of values) {
    for (const m of value.matchAll(/\{\{token:([a-z_]+)\}\}/g)) {
      secrets.push(specimens[m[1] as keyof Specimens]);
    }
  }
  const header = s.trigger.headers?.Authorization;
  const auth = /^(?:Basic|Bearer) +(\S+)$/i.exec(typeof header === 'string' ? header : '');
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
  // Every refusal below comes from one address at a clock that stands still: lift the budget.
  const ctx = buildApp({ env: { EXPLAIN_PER_ADDRESS_PER_MINUTE: '100000' } });
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
  // Cards not fired by a stateless replay are set up in test/scenario-setups.test.ts, and a 431
  // is answered before the request is read: there is nothing to explain.
  const refusals = scenarios.filter(
    (s) =>
      s.expect.code !== undefined &&
      s.expect.code !== 'status_requested' &&
      s.expect.code !== 'header_too_large' &&
      s.trigger.fired !== false,
  );

  it.each(refusals.map((s) => [s.id, s] as const))(
    'explains %s: its code and detail, and no credential',
    async (_id, s) => {
      const { answer, e } = await explain(s);
      expect(e).toMatchObject({
        request_id: answer.headers['x-request-id'],
        method: s.trigger.method,
        path: redactPath(s.trigger.path.split('?')[0] ?? ''),
        status: s.expect.status,
        code: s.expect.code,
        type: `/problems/${s.expect.code}`,
      });
      // As the answer said it, but for a credential in a path (a hidden route's 404 repeats it).
      if (s.expect.envelope !== 'openai') expect(e.detail).toBe(redactPath(answer.body.detail));
      // Never a token, a cookie or a password: no credential the trigger sent is in the answer.
      const text = JSON.stringify(e);
      for (const secret of credentialsSent(s, specimens)) {
        expect({ id: s.id, leaks: text.includes(secret) }).toEqual({ id: s.id, leaks: false });
      }
    },
  );

  it('gives every bearer refusal a trace whose failed check is the one its code names', async () => {
    // Token refusals (401); a 403 comes after every token check passed (a scope, a role).
    for (const s of scenarios.filter((x) => x.family === 'bearer' && x.expect.status === 401)) {
      const { e } = await explain(s);
      expect(e.trace).not.toBeNull();
      const t = e.trace!;
      expect(t.failed).toEqual(expect.any(String));
      // Every check once; a token without kid has the kid checks as not applicable.
      const seen = [...t.passed, t.failed, ...t.not_reached, ...(t.not_applicable ?? [])];
      expect([...seen].sort()).toEqual([...BEARER_CHECKS].sort());
      expect(BEARER_CHECKS.filter((c) => c !== t.failed && !seen.includes(c))).toEqual([]);
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

  it('shows every token check passed, then the role that refused it (403 admin)', async () => {
    const { e } = await explain(byId('admin-as-user'));
    expect(e.code).toBe('role_insufficient');
    expect(e.trace).toMatchObject({
      passed: BEARER_CHECKS,
      failed: AFTER_BEARER_CHECKS.role_insufficient,
      not_reached: [],
    });
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

  it('names the request check of a refusal that judged no credential', async () => {
    const { e } = await explain(byId('platform-not-found'));
    expect(e.trace).toEqual({
      guard: REQUEST_GUARD,
      passed: [],
      failed: 'a route serves this path',
      not_reached: [],
    });
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

  it('keeps the answer’s headers, and shows the status line, then WWW-Authenticate marked, the others folded', async () => {
    const { answer, e } = await explain(byId('token-expired'));
    expect(e.headers).toContainEqual(['www-authenticate', answer.headers['www-authenticate']]);
    expect(e.headers).toContainEqual(['x-content-type-options', 'nosniff']);
    const res = await ctx
      .http()
      .get(`/explain/${e.request_id}`)
      .set('Accept', 'text/html')
      .expect(200);
    const page = res.text;
    const status = page.indexOf('HTTP/1.1 401 Unauthorized');
    const challenge = page.indexOf('class="hdr matters challenge"');
    const fold = page.search(/<details class="other-headers">\s*<summary>other headers \(\d+\)/);
    const nosniff = page.indexOf('data-header="x-content-type-options"');
    expect(status).toBeGreaterThan(-1);
    expect([status < challenge, challenge < fold, fold < nosniff]).toEqual([true, true, true]);
    expect(page).toContain('/explain.js');
  });

  it('decodes what the server read of the token, with the claim that refused it marked', async () => {
    const expired = await explain(byId('token-expired'));
    const page = (
      await ctx.http().get(`/explain/${expired.e.request_id}`).set('Accept', 'text/html')
    ).text;
    expect(page).toMatch(/<div class="claim culprit" data-claim="exp">\s*<dt><code>exp<\/code>/);
    expect(page).toContain('refused for this');
    expect(page).toMatch(/<time datetime="[^"]+Z" data-claim="exp" data-seconds="\d+"/);
    expect(page).toMatch(/<span class="rel">expired \d+ (s|min|h|days) ago<\/span>/);
    expect(page).toMatch(/data-claim="alg"/);

    const audience = await explain(byId('token-wrong-audience'));
    expect(audience.e.trace?.facts).toMatchObject({ aud: expect.any(String) });
    const audPage = (
      await ctx.http().get(`/explain/${audience.e.request_id}`).set('Accept', 'text/html')
    ).text;
    expect(audPage).toContain('<div class="claim culprit" data-claim="aud">');
    expect(audPage).not.toContain('class="claim culprit" data-claim="exp"');

    // A refusal before any token was read shows no decoded token.
    const missing = await explain(byId('bearer-missing'));
    const missingPage = (
      await ctx.http().get(`/explain/${missing.e.request_id}`).set('Accept', 'text/html')
    ).text;
    expect(missingPage).not.toContain('The token, decoded');
    expect(missingPage).toContain('class="hdr matters challenge"');
  });

  it('renders the page of every refusal: its answer first, and a decoded token only for a token', async () => {
    const tokenChecks = new Set(['signature verifies']);
    for (const s of refusals) {
      const { e } = await explain(s);
      const page = await ctx.http().get(`/explain/${e.request_id}`).set('Accept', 'text/html');
      expect(`${s.id} ${page.status}`).toBe(`${s.id} 200`);
      expect(page.text).toContain('<section class="card answer">');
      const judgedAToken = [...(e.trace?.passed ?? []), e.trace?.failed].some((c) =>
        tokenChecks.has(c ?? ''),
      );
      // A token whose signature was judged is shown decoded; a Basic, session or request refusal never.
      if (judgedAToken)
        expect(`${s.id}: ${page.text.includes('The token, decoded')}`).toBe(`${s.id}: true`);
      if (e.trace === null || !e.trace.guard.includes('Bearer')) {
        expect(`${s.id}: ${page.text.includes('The token, decoded')}`).toBe(`${s.id}: false`);
      }
    }
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

/** An app whose log lines are kept, for asserting what a log line holds. */
function appWithLog(env: Record<string, string> = {}) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const clock = testClock();
  const store = new MemoryStore({ maxEntries: 10_000, clock, sweepIntervalMs: 0 });
  const app = createApp(testConfig(env), { store, clock, logger: pino({ level: 'info' }, sink) });
  const server = createServer(app);
  return { app, lines, clock, http: () => request(server) };
}

describe('explanations are kept under ids the server generated', () => {
  it('names the explanation of a refusal in X-Explanation-Id and the problem member explanation', async () => {
    const ctx = buildApp();
    const res = await ctx.http().get('/api/v1/data');
    expectProblem(res, { status: 401, code: 'token_missing' });
    const id = res.headers['x-request-id'] as string;
    // Without a client id, the request id is the server's own and names the explanation.
    expect(res.headers['x-explanation-id']).toBe(id);
    expect(res.body.explanation).toBe(`/explain/${id}`);
    const e = await ctx.http().get(res.body.explanation).expect(200);
    expect(e.body).toMatchObject({ request_id: id, code: 'token_missing' });
  });

  it('keeps a refusal whose client chose its X-Request-Id under a fresh id, and echoes the client id', async () => {
    const ctx = buildApp();
    const res = await ctx.http().get('/api/v1/data').set('X-Request-Id', 'my-trace-0001');
    expectProblem(res, { status: 401, code: 'token_missing' });
    expect(res.headers['x-request-id']).toBe('my-trace-0001');
    expect(res.body.request_id).toBe('my-trace-0001');
    const id = res.headers['x-explanation-id'] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.explanation).toBe(`/explain/${id}`);
    const e = await ctx.http().get(`/explain/${id}`).expect(200);
    expect(e.body).toMatchObject({ request_id: 'my-trace-0001', code: 'token_missing' });
    // The client's own id is no key: it reads nothing.
    expectProblem(await ctx.http().get('/explain/my-trace-0001'), {
      status: 404,
      code: 'not_found',
    });
  });

  it('never lets a client id overwrite the explanation of another request', async () => {
    const ctx = buildApp();
    const victim = await ctx.http().get('/api/v1/data');
    const victimId = victim.headers['x-request-id'] as string;
    // Another visitor sends the victim's id with a refusal of its own.
    const attacker = await ctx
      .http()
      .get('/api/v1/data')
      .set('Authorization', 'Bearer forged.token.here')
      .set('X-Request-Id', victimId);
    expect(attacker.status).toBe(401);
    expect(attacker.headers['x-request-id']).toBe(victimId);
    expect(attacker.headers['x-explanation-id']).not.toBe(victimId);
    const e = await ctx.http().get(`/explain/${victimId}`).expect(200);
    expect(e.body).toMatchObject({ request_id: victimId, code: 'token_missing' });
    expect(e.body.trace).toMatchObject({ failed: 'credentials sent' });
  });

  it('names no explanation on an answer that is not a refusal', async () => {
    const ctx = buildApp();
    const ok = await ctx.http().get('/healthz').expect(200);
    expect(ok.headers['x-explanation-id']).toBeUndefined();
  });

  it('names the explanation of an OpenAI-style refusal in the header only', async () => {
    const ctx = buildApp();
    const res = await ctx.http().get('/v1/models').set('X-Request-Id', 'sdk-call-1');
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/\(request id: sdk-call-1\)$/);
    expect(Object.keys(res.body)).toEqual(['error']);
    const id = res.headers['x-explanation-id'] as string;
    const e = await ctx.http().get(`/explain/${id}`).expect(200);
    expect(e.body).toMatchObject({ request_id: 'sdk-call-1', code: 'token_missing' });
  });
});

describe('the explanation budget, per client address', () => {
  const env = { TRUST_PROXY: 'loopback' };
  const from = (http: () => request.SuperTest<request.Test>, ip: string) =>
    http().get('/api/v1/data').set('X-Forwarded-For', ip);

  it('lets visitor B be explained while visitor A floods 700 refusals in the same minute', async () => {
    const ctx = buildApp({ env });
    const http = ctx.http as unknown as () => request.SuperTest<request.Test>;
    const flood = [];
    for (let i = 0; i < 700; i += 1) flood.push(await from(http, '10.0.0.1'));
    const b = await from(http, '10.0.0.2');
    expectProblem(b, { status: 401, code: 'token_missing' });
    // B asked without an X-Request-Id: its request id names its explanation, as it always did.
    const explained = await ctx.http().get(`/explain/${b.headers['x-request-id']}`).expect(200);
    expect(explained.body).toMatchObject({ code: 'token_missing', request_id: b.body.request_id });
    expect(b.body.explanation).toBe(`/explain/${b.headers['x-request-id']}`);
    // A was explained up to its own budget; past it, its answers name no explanation.
    const named = flood.filter((r) => r.headers['x-explanation-id'] !== undefined);
    expect(named).toHaveLength(120);
    for (const r of flood.slice(120)) {
      expect(r.status).toBe(401);
      expect(r.body.explanation).toBeUndefined();
    }
    // A's budget returns with the next minute.
    ctx.clock.advance(60_000);
    const again = await from(http, '10.0.0.1');
    expect(again.headers['x-explanation-id']).toEqual(expect.any(String));
  });

  it('is configurable: EXPLAIN_PER_ADDRESS_PER_MINUTE', async () => {
    const ctx = buildApp({ env: { ...env, EXPLAIN_PER_ADDRESS_PER_MINUTE: '2' } });
    const http = ctx.http as unknown as () => request.SuperTest<request.Test>;
    const seen = [];
    for (let i = 0; i < 3; i += 1)
      seen.push((await from(http, '10.0.0.9')).headers['x-explanation-id']);
    expect(seen.map((x) => x !== undefined)).toEqual([true, true, false]);
  });
});

describe('credentials in paths', () => {
  const SECRET = 'S3cretInPath';
  const paths = [
    `/basic-auth/user/${SECRET}`,
    `/hidden-basic-auth/user/${SECRET}`,
    `/digest-auth/auth/user/${SECRET}`,
    `/digest-auth/auth/user/${SECRET}/SHA-256`,
    `/digest-auth/auth/user/${SECRET}/MD5/true`,
    `/api-key/${SECRET}`,
    `/API-KEY/${SECRET}`,
    `/basic-auth/user/${SECRET}/one-too-many`,
  ];

  it.each(paths)('are redacted in the log line and the explanation of %s', async (path) => {
    const { lines, http } = appWithLog();
    const res = await http().get(path);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    // The answer names its occurrence, the explanation, not the path with the credential in it.
    const id = res.headers['x-explanation-id'] as string;
    expect(res.body.instance).toBe(`/explain/${id}`);
    const json = await http().get(`/explain/${id}`).expect(200);
    const page = await http().get(`/explain/${id}`).set('Accept', 'text/html').expect(200);
    expect(json.body.path).toContain('[redacted]');
    expect(JSON.stringify(json.body)).not.toContain(SECRET);
    expect(page.text).not.toContain(SECRET);
    const line = lines.find((l) => l.requestId === res.headers['x-request-id']);
    expect(line).toMatchObject({ req: { path: expect.stringContaining('[redacted]') } });
    expect(JSON.stringify(line)).not.toContain(SECRET);
  });

  it('keep the user name and every segment that is no secret', () => {
    expect(redactPath('/basic-auth/alice/pw')).toBe('/basic-auth/alice/[redacted]');
    expect(redactPath('/digest-auth/auth-int/bob/pw/SHA-256/2')).toBe(
      '/digest-auth/auth-int/bob/[redacted]/SHA-256/2',
    );
    expect(redactPath('/api-key/k%2Fey')).toBe('/api-key/[redacted]');
    expect(redactPath('No route serves GET /hidden-basic-auth/u/pw.')).toBe(
      'No route serves GET /hidden-basic-auth/u/[redacted]',
    );
    expect(redactPath('/status/401')).toBe('/status/401');
    expect(redactPath('/basic-auth/alice')).toBe('/basic-auth/alice');
  });

  it('redact the value of an access_token query parameter, however its name is spelled', () => {
    expect(redactPath('/api/v1/data?access_token=abc.def&x=1')).toBe(
      '/api/v1/data?access_token=[redacted]&x=1',
    );
    expect(redactPath('/v1/models?x=1&ACCESS%5Ftoken=abc')).toBe(
      '/v1/models?x=1&ACCESS%5Ftoken=[redacted]',
    );
    expect(redactPath('/api/v1/data?access_tokens=abc')).toBe('/api/v1/data?access_tokens=abc');
  });

  it('redact the value of an API key query parameter, however its name is spelled', () => {
    expect(redactPath('/v1/models?api_key=sk-1&x=1')).toBe('/v1/models?api_key=[redacted]&x=1');
    expect(redactPath('/v1/models?x=1&APIKEY=sk-1#f')).toBe('/v1/models?x=1&APIKEY=[redacted]#f');
    expect(redactPath('/v1/models?Api-Key=sk-1')).toBe('/v1/models?Api-Key=[redacted]');
    expect(redactPath('/v1/models?%61pi%5fkey=sk-1')).toBe('/v1/models?%61pi%5fkey=[redacted]');
    expect(redactPath('/v1/models?%E0%A4%A=1&api_key=sk-1')).toBe(
      '/v1/models?%E0%A4%A=1&api_key=[redacted]',
    );
    expect(redactPath('/api/v1/flaky?fail=1&key=k')).toBe('/api/v1/flaky?fail=1&key=k');
    expect(redactPath('/v1/models?api_keys=k')).toBe('/v1/models?api_keys=k');
  });

  it.each([
    '/v1/models?api_key=SeCrEtKeyInQuery1',
    '/api/v1/data?apikey=SeCrEtKeyInQuery1',
    '/api-key/k?api-key=SeCrEtKeyInQuery1',
  ])('never log or explain the key of %s', async (path) => {
    const { lines, http } = appWithLog();
    const res = await http().get(path);
    expect(res.status).toBe(401);
    const code = res.body.code ?? res.body.error?.code;
    expect(['api_key_in_query_refused', 'invalid_api_key']).toContain(code);
    const id = res.headers['x-explanation-id'] as string;
    const json = await http().get(`/explain/${id}`).expect(200);
    expect(json.body.code).toBe('api_key_in_query_refused');
    expect(JSON.stringify(json.body)).not.toContain('SeCrEtKeyInQuery1');
    const line = lines.find((l) => l.requestId === res.headers['x-request-id']);
    expect(line).toMatchObject({ code: 'api_key_in_query_refused' });
    expect(JSON.stringify(line)).not.toContain('SeCrEtKeyInQuery1');
    expect(JSON.stringify(res.body)).not.toContain('SeCrEtKeyInQuery1');
  });
});

describe('ExplanationBook', () => {
  const explanation = (id: string, detail?: string) =>
    buildExplanation({
      requestId: id,
      at: 0,
      method: 'GET',
      path: '/api/v1/data',
      status: 401,
      code: 'token_missing',
      ...(detail === undefined ? {} : { detail }),
    });

  it('spends a budget per address per minute, then again in the next minute', () => {
    const clock = testClock();
    const book = new ExplanationBook({ now: () => clock.now(), perAddressPerMinute: 2 });
    expect([book.claim('a'), book.claim('a'), book.claim('a')]).toEqual([true, true, false]);
    expect(book.claim('b')).toBe(true);
    clock.advance(60_000);
    expect(book.claim('a')).toBe(true);
  });

  it('with a shared store, charges each address its own share, apart from its sessions and tokens', async () => {
    const clock = testClock();
    const store = new MemoryStore({
      maxEntries: 100,
      clock,
      sweepIntervalMs: 0,
      ownerQuota: { maxEntries: 2, maxBytes: 100_000 },
    });
    const book = new ExplanationBook({ store, now: () => clock.now() });
    await book.record('a1', explanation('a1'), '10.0.0.1');
    await book.record('a2', explanation('a2'), '10.0.0.1');
    await expect(book.record('a3', explanation('a3'), '10.0.0.1')).rejects.toThrow(
      QuotaExceededError,
    );
    // Another address is unaffected by the first one's flood: no process-wide cap.
    await book.record('b1', explanation('b1'), '10.0.0.2');
    expect((await book.find('b1'))?.request_id).toBe('b1');
  });

  it('makes the oldest explanations give way when its shelf is full, never the new one', async () => {
    const clock = testClock();
    const book = new ExplanationBook({ now: () => clock.now(), shelfEntries: 3 });
    for (const id of ['a', 'b', 'c', 'd']) await book.record(id, explanation(id));
    expect(await book.find('a')).toBeUndefined();
    for (const id of ['b', 'c', 'd']) expect((await book.find(id))?.request_id).toBe(id);
  });

  it('bounds its shelf in bytes as well', async () => {
    const clock = testClock();
    const shelf = new ExplanationShelf(() => clock.now(), 1000, 2500);
    for (let i = 0; i < 10; i += 1) await shelf.put(`id${i}`, 'x'.repeat(1000));
    expect(shelf.usage).toEqual({ entries: 2, bytes: 2000 });
    expect(await shelf.get('id9')).toBeDefined();
    expect(await shelf.get('id7')).toBeUndefined();
  });

  it('forgets after the TTL, and drops what expired first when it writes', async () => {
    const clock = testClock();
    const shelf = new ExplanationShelf(() => clock.now());
    await shelf.put('old', '{}');
    clock.advance(EXPLANATION_TTL_MS);
    await shelf.put('new', '{}');
    expect(shelf.usage.entries).toBe(1);
    expect(await shelf.get('new')).toBe('{}');
  });

  it('never keeps a cookie being set, and drops the headers that do not matter first when too large', () => {
    const kept = buildExplanation({
      requestId: 'h',
      at: 0,
      method: 'GET',
      path: '/api/v1/data',
      status: 401,
      code: 'token_expired',
      detail: 'é'.repeat(1000),
      trace: {
        guard: 'g',
        passed: [],
        failed: 'exp: not expired',
        not_reached: [],
        times: { exp: '2026-11-22T06:00:00Z' },
      },
      headers: {
        'set-cookie': ['sid=secret-session; HttpOnly'],
        'www-authenticate': 'Bearer realm="four-oh-one", error="invalid_token"',
        'content-security-policy': 'x'.repeat(2000),
        ...Object.fromEntries([1, 2, 3, 4].map((i) => [`x-padding-${i}`, 'y'.repeat(2000)])),
        'content-length': 12,
      },
    });
    expect(kept.headers?.map(([name]) => name)).toEqual([
      'www-authenticate',
      'content-security-policy',
      'x-padding-1',
      'x-padding-2',
      'x-padding-3',
      'x-padding-4',
      'content-length',
    ]);
    // Each value cut to 512 characters.
    expect(kept.headers?.[1]?.[1]).toHaveLength(512);
    expect(JSON.stringify(kept)).not.toContain('secret-session');
    const stored = JSON.parse(explanationJson(kept)!) as Explanation;
    expect(stored.headers).toEqual([
      ['www-authenticate', 'Bearer realm="four-oh-one", error="invalid_token"'],
    ]);
    expect(stored.trace?.times).toEqual({ exp: '2026-11-22T06:00:00Z' });
  });

  it('keeps no explanation larger than MAX_EXPLANATION_BYTES', () => {
    const big = explanation('x', 'é'.repeat(5000));
    const json = explanationJson(big);
    expect(json).toBeDefined();
    expect(Buffer.byteLength(json!)).toBeLessThanOrEqual(MAX_EXPLANATION_BYTES);
  });

  it('never turns a refusal into a 503 when the shared store will not take the explanation', async () => {
    const clock = testClock();
    const memory = new MemoryStore({ maxEntries: 1000, clock, sweepIntervalMs: 0 });
    // A shared store (so explanations go to it) that refuses explanations.
    const store: Store = Object.assign(Object.create(memory) as Store, {
      kind: 'redis',
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

  it('keeps each explanation as one key with a TTL and a bounded size', async () => {
    const store = new RedisStore({ url: redisUrl as string, prefix });
    await store.connect();
    stores.push(store);
    const ctx = buildApp({ store });
    const refused = await ctx.http().get('/api/v1/data').expect(401);
    const key = `${prefix}explain:${refused.headers['x-explanation-id']}`;
    const raw = createClient({ url: redisUrl as string });
    await raw.connect();
    try {
      // The write follows the answer; wait for it.
      for (let i = 0; i < 50 && (await raw.exists(key)) === 0; i += 1) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const ttl = await raw.pTTL(key);
      expect(ttl).toBeGreaterThan(EXPLANATION_TTL_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(EXPLANATION_TTL_MS);
      expect(Number(await raw.strLen(key))).toBeLessThanOrEqual(MAX_EXPLANATION_BYTES);
    } finally {
      await raw.quit();
    }
  });
});
