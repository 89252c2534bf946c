import jwt from 'jsonwebtoken';
import type request from 'supertest';
import {
  AFTER_BEARER_CHECKS,
  API_KEY_GUARD,
  BASIC_GUARD,
  DIGEST_GUARD,
  KID_CHECKS,
  REQUEST_GUARD,
  type Explanation,
} from '../../src/teaching/explain';
import { EXPLANATION_ID_HEADER } from '../../src/http/problems';
import { defaultScenarios, type Scenario } from '../../src/scenarios';
import { fillBody, fillHeaders, type Specimens } from '../../src/tokens/specimens';
import { NO_KID } from '../../src/tokens/verify';
import { buildApp } from '../helpers';

const scenarios = defaultScenarios();

/**
 * /explain is truthful everywhere: every refusal names the check that failed, in every family
 * (Bearer, Basic, Digest, API keys, the OAuth endpoints, roles and scopes, sessions, and the
 * request itself), and never ticks a check that did not run.
 */
describe('decision traces', () => {
  const ctx = buildApp({ env: { EXPLAIN_PER_ADDRESS_PER_MINUTE: '100000' } });
  let specimens: Specimens;

  beforeAll(async () => {
    specimens = await ctx.specimens.get();
  });

  function fire(s: Scenario) {
    let req = ctx.http()[s.trigger.method.toLowerCase() as 'get'](s.trigger.path);
    for (const [name, value] of Object.entries(fillHeaders(s.trigger.headers, specimens))) {
      req = req.set(name, value as string); // a list: one field per value
    }
    if (s.trigger.body !== undefined) {
      const body = fillBody(s.trigger.body, specimens);
      req = s.trigger.contentType === 'form' ? req.type('form').send(body) : req.send(body);
    }
    return req;
  }

  /** The explanation a refusal names in its X-Explanation-Id header. */
  async function explanationOf(answer: request.Response): Promise<Explanation> {
    const id = answer.headers[EXPLANATION_ID_HEADER.toLowerCase()] as string | undefined;
    expect(id).toEqual(expect.any(String));
    const res = await ctx.http().get(`/explain/${id}`).set('Accept', 'application/json');
    expect(res.status).toBe(200);
    return res.body as Explanation;
  }

  const byId = (id: string) => {
    const s = scenarios.find((x) => x.id === id);
    if (!s) throw new Error(`no scenario ${id}`);
    return s;
  };

  // Every 4xx card the table test fires, but a 431: Node refuses those headers before the
  // request is read, so there is no request to explain (the answer says so: no X-Explanation-Id).
  const refusals = scenarios.filter(
    (s) =>
      s.expect.code !== undefined &&
      s.expect.status >= 400 &&
      s.expect.status < 500 &&
      s.expect.code !== 'header_too_large' &&
      s.trigger.fired !== false,
  );

  it.each(refusals.map((s) => [s.id, s] as const))(
    '%s: its explanation names the check that failed',
    async (_id, s) => {
      const e = await explanationOf(await fire(s));
      expect({ id: s.id, code: e.code, trace: e.trace === null ? null : 'a trace' }).toEqual({
        id: s.id,
        code: s.expect.code,
        trace: 'a trace',
      });
      const t = e.trace!;
      expect({ id: s.id, failed: typeof t.failed }).toEqual({ id: s.id, failed: 'string' });
      expect(t.failed!.length).toBeGreaterThan(3);
      // A check is in one list only: passed, failed, not reached or not applicable.
      const all = [...t.passed, t.failed, ...t.not_reached, ...(t.not_applicable ?? [])];
      expect(new Set(all).size).toBe(all.length);
    },
  );

  describe('a token without kid', () => {
    /** A token signed with the HS256 key, whose header names no kid. */
    const kidless = (claims: Record<string, unknown>) =>
      jwt.sign(claims, ctx.keys.findWhere((k) => k.alg === 'HS256')!.signKey, {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'at+jwt' },
      });
    const now = () => Math.floor(ctx.clock.now() / 1000);
    const base = () => ({
      iss: ctx.config.jwt.issuer,
      aud: ctx.config.jwt.audience,
      sub: 'my_username',
      client_id: 'four-oh-one-public',
      jti: `kidless-${Math.random()}`,
      scope: 'data:read',
      type: 'user',
    });

    it('does not tick the kid checks when it is refused later (expired)', async () => {
      const token = kidless({ ...base(), iat: now() - 7200, exp: now() - 3600 });
      const answer = await ctx.http().get('/api/v1/data').set('Authorization', `Bearer ${token}`);
      expect(answer.status).toBe(401);
      const t = (await explanationOf(answer)).trace!;
      expect(t.failed).toBe('exp: not expired');
      expect(t.not_applicable).toEqual([...KID_CHECKS]);
      for (const check of KID_CHECKS) expect(t.passed).not.toContain(check);
      expect(t.facts).toMatchObject({ kid: NO_KID, key: expect.any(String) });
    });

    it('does not tick them either when the accepted token is refused by a later check', async () => {
      const token = kidless({ ...base(), iat: now(), exp: now() + 600 });
      const answer = await ctx.http().get('/admin').set('Authorization', `Bearer ${token}`);
      expect(answer.status).toBe(403);
      const t = (await explanationOf(answer)).trace!;
      expect(t.not_applicable).toEqual([...KID_CHECKS]);
      for (const check of KID_CHECKS) expect(t.passed).not.toContain(check);
      expect(t.facts).toMatchObject({ kid: NO_KID });
    });

    it('ticks them for a token that names its kid', async () => {
      const t = (await explanationOf(await fire(byId('token-expired')))).trace!;
      for (const check of KID_CHECKS) expect(t.passed).toContain(check);
      expect(t.not_applicable).toBeUndefined();
    });
  });

  it('names the check a valid token failed afterwards: the role (or scope) at /admin', async () => {
    const e = await explanationOf(await fire(byId('admin-as-user')));
    expect(e.trace!.failed).toBe(AFTER_BEARER_CHECKS[e.code]);
    expect(e.trace!.passed).toContain('signature verifies');
    expect(e.trace!.not_reached).toEqual([]);
  });

  it('names the step-up check of a stale login', async () => {
    const e = await explanationOf(await fire(byId('step-up-stale-login')));
    expect(e.trace!.failed).toBe('login recent enough (auth_time within max_age)');
  });

  it('traces Basic: scheme, syntax and password each their own check', async () => {
    const missing = await explanationOf(await fire(byId('basic-auth-missing')));
    expect(missing.trace).toMatchObject({ guard: BASIC_GUARD, failed: 'credentials sent' });
    const wrong = await explanationOf(await fire(byId('basic-auth-wrong-password')));
    expect(wrong.trace).toMatchObject({
      guard: BASIC_GUARD,
      passed: ['credentials sent', 'scheme is Basic', 'one base64 "user-id:password"'],
      failed: 'user-id and password match',
    });
    const broken = await explanationOf(await fire(byId('basic-auth-not-base64')));
    expect(broken.trace).toMatchObject({ failed: 'one base64 "user-id:password"' });
  });

  it('traces Digest, up to the check that failed', async () => {
    const first = await explanationOf(await fire(byId('digest-auth-challenge')));
    expect(first.trace).toMatchObject({ guard: DIGEST_GUARD, failed: 'credentials sent' });
    const twice = await explanationOf(await fire(byId('digest-auth-duplicated-parameter')));
    expect(twice.trace).toMatchObject({
      guard: DIGEST_GUARD,
      passed: ['credentials sent', 'scheme is Digest'],
      failed: 'every parameter once, well formed',
    });
  });

  it('traces an API key: missing, then wrong', async () => {
    const missing = await explanationOf(await fire(byId('api-key-missing')));
    expect(missing.trace).toMatchObject({ guard: API_KEY_GUARD, failed: 'key header sent' });
    const wrong = await explanationOf(await fire(byId('api-key-wrong')));
    expect(wrong.trace).toMatchObject({ passed: ['key header sent'], failed: 'key matches' });
  });

  it('traces the token endpoint by the OAuth error it answered', async () => {
    const client = await explanationOf(await fire(byId('auth-token-wrong-secret')));
    expect(client.trace).toMatchObject({ failed: 'client authenticated' });
    const reused = await explanationOf(await fire(byId('auth-token-refresh-reused')));
    expect(reused.trace).toMatchObject({ failed: 'refresh token not used before' });
  });

  it('gives a hidden resource’s 404 the very trace of a path that does not exist', async () => {
    const hidden = await explanationOf(await fire(byId('hidden-basic-auth-wrong-password')));
    const unknown = await explanationOf(await ctx.http().get('/no/such/path'));
    expect(hidden.trace).toEqual(unknown.trace);
    expect(unknown.trace).toMatchObject({
      guard: REQUEST_GUARD,
      failed: 'a route serves this path',
    });
  });
});
