import { decode } from 'jsonwebtoken';
import { registryFor, registrySettings, type Scenario } from '../src/scenarios';
import { SKEW_BEYOND_SECONDS, type Specimens } from '../src/tokens/specimens';
import { buildApp, expectProblem, type TestContext } from './helpers';

/**
 * The clock-skew specimens sit one second inside JWT_CLOCK_TOLERANCE_SECONDS, or beyond it, for
 * exp, nbf and iat (src/tokens/specimens.ts); their cards in src/scenarios/bearer.ts are fired by
 * test/scenarios.test.ts under the default leeway. Here: the distances, the leeway really moving
 * the edge, and the configurations without an inside.
 */

const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

const claims = (token: string) => decode(token) as { exp: number; nbf?: number; iat: number };

const data = (ctx: TestContext, token: string) =>
  ctx.http().get('/api/v1/data').set('Authorization', `Bearer ${token}`);

describe.each([30, 5, 2])('with JWT_CLOCK_TOLERANCE_SECONDS=%i', (tolerance) => {
  const ctx = buildApp({ env: { JWT_CLOCK_TOLERANCE_SECONDS: String(tolerance) } });
  let specimens: Specimens;
  let now: number;

  beforeAll(async () => {
    specimens = await ctx.specimens.get();
    now = Math.floor(ctx.clock.now() / 1000);
  });

  it('mints each specimen one second inside the leeway, or beyond it', () => {
    expect(claims(specimens.exp_within_tolerance).exp).toBe(now - 1);
    expect(claims(specimens.exp_beyond_tolerance).exp).toBe(now - tolerance - 1);
    expect(claims(specimens.nbf_within_tolerance).nbf).toBe(now + tolerance - 1);
    expect(claims(specimens.nbf_beyond_tolerance).nbf).toBe(now + tolerance + SKEW_BEYOND_SECONDS);
    expect(claims(specimens.iat_within_tolerance).iat).toBe(now + tolerance - 1);
    expect(claims(specimens.iat_beyond_tolerance).iat).toBe(now + tolerance + SKEW_BEYOND_SECONDS);
  });

  it.each(['exp', 'nbf', 'iat'])('serves the %s token inside the leeway', async (claim) => {
    const res = await data(ctx, specimens[`${claim}_within_tolerance` as keyof Specimens]);
    expect(res.status).toBe(200);
  });

  it.each([
    ['exp', 'token_expired'],
    ['nbf', 'token_not_yet_valid'],
    ['iat', 'token_issued_in_future'],
  ])('refuses the %s token beyond it: %s, naming the tolerance', async (claim, code) => {
    const res = await data(ctx, specimens[`${claim}_beyond_tolerance` as keyof Specimens]);
    expectProblem(res, { status: 401, code });
    expect(res.body.detail).toContain(`(tolerance ${tolerance}s)`);
  });

  it('lets the inside exp token lapse once the leeway has passed, and mints a fresh one', async () => {
    const held = specimens.exp_within_tolerance;
    ctx.clock.advance((tolerance - 1) * 1000);
    expectProblem(await data(ctx, held), { status: 401, code: 'token_expired' });
    const fresh = await ctx.specimens.get();
    expect(fresh.exp_within_tolerance).not.toBe(held);
    expect((await data(ctx, fresh.exp_within_tolerance)).status).toBe(200);
  });
});

describe.each([0, 1])('with JWT_CLOCK_TOLERANCE_SECONDS=%i: no inside', (tolerance) => {
  const ctx = buildApp({ env: { JWT_CLOCK_TOLERANCE_SECONDS: String(tolerance) } });
  const registry = registryFor(registrySettings(ctx.config));
  const card = (id: string) => registry.find((s) => s.id === id) as Scenario;

  it.each(['exp', 'nbf', 'iat'])(
    'documents the %s card inside the leeway, not fired, and why',
    (claim) => {
      const s = card(`clock-skew-${claim}-within-tolerance`);
      expect(s.trigger.fired).toBe(false);
      expect(s.trigger.setup).toContain(`JWT_CLOCK_TOLERANCE_SECONDS is ${tolerance}`);
    },
  );

  it.each(['exp', 'nbf', 'iat'])('still fires the %s card beyond it', async (claim) => {
    const s = card(`clock-skew-${claim}-beyond-tolerance`);
    expect(s.trigger.fired).toBeUndefined();
    const specimens = await ctx.specimens.get();
    const res = await data(ctx, specimens[`${claim}_beyond_tolerance` as keyof Specimens]);
    expectProblem(res, { status: 401, code: s.expect.code as string });
  });

  it('fills the leeway into the texts', () => {
    expect(card('clock-skew-exp-within-tolerance').explanation).toContain(
      `JWT_CLOCK_TOLERANCE_SECONDS (${tolerance} s)`,
    );
  });
});

describe('the Date header', () => {
  const ctx = buildApp();

  // Every answer names the server's clock (RFC 9110 §6.6.1), which the clock-skew cards' remedy
  // tells a client to compare with its own. The raw 400 and 431 are in test/http.test.ts.
  it.each([
    ['GET', '/healthz'],
    ['GET', '/api/v1/data'],
    ['DELETE', '/api/v1/data'],
    ['GET', '/no/such/path'],
    ['POST', '/auth/token'],
    ['GET', '/v1/models'],
    ['POST', '/keepalive'],
    ['OPTIONS', '/api/v1/data'],
  ])('is on the answer to %s %s', async (method, path) => {
    const res = await ctx.http()[method.toLowerCase() as 'get'](path);
    expect(res.headers.date).toMatch(IMF_FIXDATE);
    expect(Math.abs(Date.parse(res.headers.date as string) - Date.now())).toBeLessThan(5000);
  });
});
