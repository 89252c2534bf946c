import fc from 'fast-check';
import { STATE_USERS } from '../../src/tokens/identities';
import { MFA_MAX_ATTEMPTS, MFA_TOKEN_SECONDS } from '../../src/tokens/mfa';
import { buildApp, expectProblem, type TestContext } from '../helpers';

const CHALLENGE = 'Cookie realm="four-oh-one", form-action="/login", cookie-name="four-oh-one.sid"';
const PASSWORD = 'my_password';

const login = (ctx: TestContext, username: string, password = PASSWORD) =>
  ctx.http().post('/login').type('form').send({ username, password });
const grant = (ctx: TestContext, username: string, password = PASSWORD) =>
  ctx.http().post('/auth/token').type('form').send({ grant_type: 'password', username, password });
const mfa = (ctx: TestContext, body: Record<string, unknown>) =>
  ctx.http().post('/login/mfa').send(body);

/** The answer without what differs per request (its id, its explanation, its time). */
const shape = (res: { status: number; headers: Record<string, string>; body: unknown }) => {
  const {
    request_id: _id,
    instance: _i,
    explanation: _e,
    ...body
  } = res.body as Record<string, unknown>;
  return {
    status: res.status,
    challenge: res.headers['www-authenticate'],
    type: res.headers['content-type'],
    body,
  };
};

describe('account states', () => {
  let ctx: TestContext;
  beforeEach(() => {
    ctx = buildApp();
  });

  describe('POST /login with the right password', () => {
    it.each([
      ['locked_user', 'account_locked'],
      ['disabled_user', 'account_disabled'],
      ['expired_password_user', 'password_expired'],
    ])('%s is refused 403 %s, with no challenge and no session', async (user, code) => {
      const res = await login(ctx, user);
      expectProblem(res, { status: 403, code, challenge: null });
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('mfa_user gets 401 mfa_required with the cookie challenge and an mfa_token, no session', async () => {
      const res = await login(ctx, 'mfa_user');
      expectProblem(res, { status: 401, code: 'mfa_required', challenge: CHALLENGE });
      expect(res.body.mfa_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(res.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('the password grant with the right password', () => {
    it.each([
      ['locked_user', 'grant_account_locked', 'invalid_grant'],
      ['disabled_user', 'grant_account_disabled', 'invalid_grant'],
      ['expired_password_user', 'grant_password_expired', 'invalid_grant'],
      ['mfa_user', 'grant_mfa_required', 'mfa_required'],
    ])('%s is refused 400 %s (error %s), no tokens', async (user, code, error) => {
      const res = await grant(ctx, user);
      expectProblem(res, { status: 400, code, challenge: null });
      expect(res.body.error).toBe(error);
      expect(res.body.access_token).toBeUndefined();
    });
  });

  describe('a wrong password for a user in a state', () => {
    it.each(Object.values(STATE_USERS))(
      '%s gets exactly the answer of an unknown user (no enumeration)',
      async (user) => {
        const stranger = shape(await login(ctx, 'nobody-at-all', 'wrong'));
        const res = await login(ctx, user, 'wrong');
        expectProblem(res, { status: 401, code: 'login_failed', challenge: CHALLENGE });
        expect(shape(res)).toEqual(stranger);
        const strangerGrant = shape(await grant(ctx, 'nobody-at-all', 'wrong'));
        const g = await grant(ctx, user, 'wrong');
        expectProblem(g, { status: 400, code: 'invalid_grant' });
        expect(shape(g)).toEqual(strangerGrant);
      },
    );

    it('counts towards the login limit like any wrong password; the state refusals do not', async () => {
      const strict = buildApp({ env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '2' } });
      for (let i = 0; i < 3; i++) expect((await login(strict, 'locked_user')).status).toBe(403);
      for (let i = 0; i < 2; i++) {
        expect((await login(strict, 'locked_user', 'wrong')).status).toBe(401);
      }
      expectProblem(await login(strict, 'locked_user'), { status: 429, code: 'too_many_attempts' });
    });
  });

  it('the states are refused by the other password routes too (Basic), as a wrong password', async () => {
    const basic = Buffer.from(`locked_user:${PASSWORD}`).toString('base64');
    const res = await ctx.http().get('/bearer-or-basic').set('Authorization', `Basic ${basic}`);
    expect(res.status).toBe(401);
  });

  describe('POST /login/mfa', () => {
    const start = async () => (await login(ctx, 'mfa_user')).body.mfa_token as string;

    it('completes the login with the demo code: a session for mfa_user', async () => {
      const token = await start();
      const res = await mfa(ctx, { mfa_token: token, code: '123456' });
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual({ sub: 'mfa_user', type: 'user' });
      expect(res.headers['cache-control']).toBe('no-store');
      const cookie = String(res.headers['set-cookie']).split(';')[0] as string;
      const me = await ctx.http().get('/me').set('Cookie', cookie);
      expect(me.status).toBe(200);
      expect(me.body.user.sub).toBe('mfa_user');
    });

    it('uses the token up: the same token again is mfa_token_invalid', async () => {
      const token = await start();
      expect((await mfa(ctx, { mfa_token: token, code: '123456' })).status).toBe(200);
      expectProblem(await mfa(ctx, { mfa_token: token, code: '123456' }), {
        status: 401,
        code: 'mfa_token_invalid',
        challenge: CHALLENGE,
      });
    });

    it('refuses wrong codes with the attempts left, then spends the token', async () => {
      const token = await start();
      for (let left = MFA_MAX_ATTEMPTS - 1; left >= 0; left--) {
        const res = await mfa(ctx, { mfa_token: token, code: '000000' });
        expectProblem(res, { status: 401, code: 'mfa_code_invalid', challenge: CHALLENGE });
        expect(res.body.attempts_remaining).toBe(left);
      }
      // Spent: even the right code is refused now.
      expectProblem(await mfa(ctx, { mfa_token: token, code: '123456' }), {
        status: 401,
        code: 'mfa_token_invalid',
      });
    });

    it('refuses an expired token', async () => {
      const token = await start();
      ctx.clock.advance(MFA_TOKEN_SECONDS * 1000 + 1);
      expectProblem(await mfa(ctx, { mfa_token: token, code: '123456' }), {
        status: 401,
        code: 'mfa_token_invalid',
      });
    });

    it('refuses a token earned from another client address', async () => {
      const proxied = buildApp({ env: { TRUST_PROXY: 'true' } });
      const first = await proxied
        .http()
        .post('/login')
        .set('X-Forwarded-For', '10.0.0.1')
        .send({ username: 'mfa_user', password: PASSWORD });
      const res = await proxied
        .http()
        .post('/login/mfa')
        .set('X-Forwarded-For', '10.0.0.2')
        .send({ mfa_token: first.body.mfa_token, code: '123456' });
      expectProblem(res, { status: 401, code: 'mfa_token_invalid' });
    });

    it('refuses missing or non-string fields with 400', async () => {
      expectProblem(await mfa(ctx, { code: '123456' }), { status: 400, code: 'parameter_invalid' });
      expectProblem(await mfa(ctx, { mfa_token: { $ne: 1 }, code: '123456' }), {
        status: 400,
        code: 'parameter_invalid',
      });
    });

    it('never answers 5xx, nor 200, to any body', async () => {
      const token = await start();
      const value = fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.constant(token),
        fc.constant('123456'),
        fc.integer(),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
        fc.constant(null),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.record({ mfa_token: value, code: value }, { requiredKeys: [] }),
          async (body) => {
            const rightPair = body.mfa_token === token && body.code === '123456';
            fc.pre(!rightPair);
            const res = await mfa(ctx, body);
            expect(res.status).toBeGreaterThanOrEqual(400);
            expect(res.status).toBeLessThan(500);
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});
