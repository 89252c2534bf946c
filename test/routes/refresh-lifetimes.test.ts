import fc from 'fast-check';
import { MAX_REFRESH_TEST_SECONDS } from '../../routes/tokens';
import { buildApp, expectProblem, type TestContext } from '../helpers';

const USER = { grant_type: 'password', username: 'my_username', password: 'my_password' };
const ARTICLE = { api_key: 'YOUR_VALID_API_KEY', api_secret: 'YOUR_VALID_API_SECRET' };

function decode(token: string): Record<string, number | string> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
}

const post = (ctx: TestContext, body: Record<string, unknown>) =>
  ctx.http().post('/auth/token').type('form').send(body);

async function login(ctx: TestContext, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await post(ctx, { ...USER, ...extra });
  expect(res.status).toBe(200);
  return res.body.refresh_token as string;
}

const refresh = (ctx: TestContext, token: string, extra: Record<string, unknown> = {}) =>
  post(ctx, { grant_type: 'refresh_token', refresh_token: token, ...extra });

/** Refreshes and returns the new refresh token, failing the test unless it worked. */
async function rotate(ctx: TestContext, token: string, extra: Record<string, unknown> = {}) {
  const res = await refresh(ctx, token, extra);
  expect(res.status).toBe(200);
  return res.body.refresh_token as string;
}

describe('refresh-token lifetimes: idle and absolute (REFRESH_TOKEN_IDLE_SECONDS)', () => {
  const ctx = buildApp({
    env: { REFRESH_TOKEN_TTL_SECONDS: '3600', REFRESH_TOKEN_IDLE_SECONDS: '600' },
  });

  it('ends each refresh token at now + idle, and carries the family end in fexp', async () => {
    const claims = decode(await login(ctx));
    expect(Number(claims.exp) - Number(claims.iat)).toBe(600);
    expect(Number(claims.fexp) - Number(claims.iat)).toBe(3600);
  });

  it('refuses a refresh token unused past its idle lifetime as refresh_token_idle_expired', async () => {
    const rt = await login(ctx);
    ctx.clock.advance(599 * 1000);
    const next = await rotate(ctx, rt);
    // The rotated token has a fresh idle lifetime, so an app in use stays signed in.
    ctx.clock.advance(599 * 1000);
    const last = await rotate(ctx, next);
    ctx.clock.advance(600 * 1000);
    const res = await refresh(ctx, last);
    expectProblem(res, { status: 400, code: 'refresh_token_idle_expired' });
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.detail).toMatch(/idle lifetime of 600 s.*Send the user back to log in/);
  });

  it('never extends the family: rotation near its end gets a token ending with the family', async () => {
    const rt = await login(ctx);
    const fexp = Number(decode(rt).fexp);
    let token = rt;
    // Refresh every 500 s, within the idle lifetime, until the family's hour is nearly gone.
    for (let i = 0; i < 7; i += 1) {
      ctx.clock.advance(500 * 1000);
      token = await rotate(ctx, token);
      const claims = decode(token);
      expect(claims.fexp).toBe(fexp);
      expect(Number(claims.exp)).toBe(Math.min(Number(claims.iat) + 600, fexp));
    }
    ctx.clock.advance(500 * 1000); // 4000 s since login: past the family's end, within idle
    const res = await refresh(ctx, token);
    expectProblem(res, { status: 400, code: 'refresh_token_absolute_expired' });
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.detail).toMatch(/absolute lifetime.*do not retry/);
  });
});

describe('the per-request overrides for tests (refresh_idle_seconds, refresh_absolute_seconds)', () => {
  const ctx = buildApp();

  it('lets a test get a refresh token that dies of idleness in 2 s', async () => {
    const rt = await login(ctx, { refresh_idle_seconds: '2' });
    const claims = decode(rt);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(2);
    expect(Number(claims.fexp) - Number(claims.iat)).toBe(86_400);
    ctx.clock.advance(2000);
    expectProblem(await refresh(ctx, rt), { status: 400, code: 'refresh_token_idle_expired' });
  });

  it('works with the article’s JSON too', async () => {
    const res = await ctx
      .http()
      .post('/auth/token')
      .send({ ...ARTICLE, refresh_idle_seconds: 5 });
    expect(res.status).toBe(200);
    const claims = decode(res.body.refresh_token);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(5);
  });

  it('shortens the family: a rotation keeps its end, and after it the family is over', async () => {
    const rt = await login(ctx, { refresh_absolute_seconds: '3' });
    const fexp = Number(decode(rt).fexp);
    expect(fexp - Number(decode(rt).iat)).toBe(3);
    ctx.clock.advance(1000);
    const next = await rotate(ctx, rt);
    expect(decode(next)).toMatchObject({ fexp, exp: fexp });
    ctx.clock.advance(2000);
    expectProblem(await refresh(ctx, next), {
      status: 400,
      code: 'refresh_token_absolute_expired',
    });
  });

  it('on the refresh grant, shortens what remains of the family, never lengthens it', async () => {
    const rt = await login(ctx, { refresh_absolute_seconds: '10' });
    const fexp = Number(decode(rt).fexp);
    const longer = await rotate(ctx, rt, { refresh_absolute_seconds: '300' });
    expect(decode(longer).fexp).toBe(fexp);
    const shorter = await rotate(ctx, longer, { refresh_absolute_seconds: '1' });
    expect(Number(decode(shorter).fexp)).toBe(Number(decode(shorter).iat) + 1);
    ctx.clock.advance(1000);
    expectProblem(await refresh(ctx, shorter), {
      status: 400,
      code: 'refresh_token_absolute_expired',
    });
  });

  it('gives a retry within the grace window the pair its first use got, limits included', async () => {
    const rt = await login(ctx);
    const first = await refresh(ctx, rt, { refresh_idle_seconds: '4' });
    const again = await refresh(ctx, rt);
    expect(again.status).toBe(200);
    expect(again.body.refresh_token).toBe(first.body.refresh_token);
  });

  it('refuses a value out of bounds or not a whole number as invalid_request', async () => {
    for (const bad of ['0', '-1', '1.5', 'abc', '', String(MAX_REFRESH_TEST_SECONDS + 1)]) {
      for (const name of ['refresh_idle_seconds', 'refresh_absolute_seconds']) {
        const res = await post(ctx, { ...USER, [name]: bad });
        expectProblem(res, { status: 400, code: 'invalid_request' });
        expect(res.body.detail).toBe(
          `"${name}" must be a whole number of seconds from 1 to ${MAX_REFRESH_TEST_SECONDS}.`,
        );
      }
    }
    const rt = await login(ctx);
    expectProblem(await refresh(ctx, rt, { refresh_idle_seconds: '301' }), {
      status: 400,
      code: 'invalid_request',
    });
    // The refused request did not use the token up.
    expect((await refresh(ctx, rt)).status).toBe(200);
  });

  it('never answers a 5xx, whatever the override values', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          { refresh_idle_seconds: value, refresh_absolute_seconds: value },
          { requiredKeys: [] },
        ),
        fc.constantFrom('password', 'refresh_token', 'article'),
        async (limits, grant) => {
          const base =
            grant === 'article'
              ? ARTICLE
              : grant === 'password'
                ? USER
                : { grant_type: 'refresh_token', refresh_token: 'not.a.token' };
          const res = await ctx
            .http()
            .post('/auth/token')
            .send({ ...base, ...limits });
          expect(res.status).toBeLessThan(500);
          if (res.status === 200) {
            const claims = decode(res.body.refresh_token);
            expect(Number(claims.exp) - Number(claims.iat)).toBeLessThanOrEqual(86_400);
            expect(Number(claims.fexp) - Number(claims.iat)).toBeLessThanOrEqual(86_400);
          } else {
            expect(res.body.error).toEqual(expect.any(String));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
