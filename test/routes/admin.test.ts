import { problemCatalog } from '../../src/scenarios/catalog';
import { buildApp, expectProblem, type TestContext } from '../helpers';

/**
 * Scopes are real (RFC 6749 §3.3, RFC 6750 §3.1) and a role is not a scope: tokens from the real
 * password grant, narrowed with `scope`, at the data routes, /admin and revoke-all.
 */
const ADMIN = { grant_type: 'password', username: 'admin', password: 'admin-password' };
const USER = { grant_type: 'password', username: 'my_username', password: 'my_password' };
const METADATA = 'resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource"';
const insufficientScope = (scope: string) =>
  `Bearer realm="four-oh-one", scope="${scope}", error="insufficient_scope", error_description="Token lacks the required scope", ${METADATA}`;

async function tokenFor(ctx: TestContext, body: Record<string, string>): Promise<string> {
  const res = await ctx.http().post('/auth/token').type('form').send(body);
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

const get = (ctx: TestContext, path: string, token: string) =>
  ctx.http().get(path).set('Authorization', `Bearer ${token}`);

describe('scopes and roles', () => {
  const ctx = buildApp();

  describe("an admin's token narrowed to scope=data:read", () => {
    it('reads data, and gets 403 insufficient_scope with scope="admin" at /admin', async () => {
      const token = await tokenFor(ctx, { ...ADMIN, scope: 'data:read' });
      expect((await get(ctx, '/api/v1/data', token)).status).toBe(200);
      const res = await get(ctx, '/admin', token);
      expectProblem(res, { status: 403, code: 'insufficient_scope' });
      expect(res.headers['www-authenticate']).toBe(insufficientScope('admin'));
      expect(res.body.required_scope).toBe('admin');
    });

    it('may not revoke another subject’s tokens: 403 insufficient_scope, from the builder', async () => {
      const token = await tokenFor(ctx, { ...ADMIN, scope: 'data:read' });
      const res = await ctx
        .http()
        .post('/auth/revoke-all')
        .set('Authorization', `Bearer ${token}`)
        .send({ sub: 'my_username' });
      expectProblem(res, { status: 403, code: 'insufficient_scope' });
      expect(res.headers['www-authenticate']).toBe(insufficientScope('admin'));
    });
  });

  describe('a token with scope=admin alone', () => {
    it('opens /admin, and gets 403 insufficient_scope with scope="data:read" at the data routes', async () => {
      const token = await tokenFor(ctx, { ...ADMIN, scope: 'admin' });
      expect((await get(ctx, '/admin', token)).status).toBe(200);
      for (const path of [
        '/api/v1/data',
        '/api/v1/flaky?fail=0&key=k',
        '/cors/broken/no-acao-on-401',
        '/cors/broken/unexposed',
      ]) {
        const res = await get(ctx, path, token);
        expect({ path, status: res.status, code: res.body.code }).toEqual({
          path,
          status: 403,
          code: 'insufficient_scope',
        });
        expect(res.headers['www-authenticate']).toBe(insufficientScope('data:read'));
      }
    });

    it('leaves the flaky counter alone: the scope is checked before anything is counted', async () => {
      const token = await tokenFor(ctx, { ...ADMIN, scope: 'admin' });
      const increment = jest.spyOn(ctx.store, 'increment');
      expect((await get(ctx, '/api/v1/flaky?fail=1&key=scoped', token)).status).toBe(403);
      expect(increment).not.toHaveBeenCalled();
      increment.mockRestore();
      const full = await tokenFor(ctx, ADMIN);
      // The first call with a token that may read counts as attempt 1, not 2.
      const res = await get(ctx, '/api/v1/flaky?fail=1&key=scoped', full);
      expect(res.body).toMatchObject({ code: 'token_expired', attempt: 1 });
    });
  });

  describe('a non-admin user', () => {
    it('gets 403 role_insufficient at /admin, with no challenge and no scope', async () => {
      const token = await tokenFor(ctx, USER);
      const res = await get(ctx, '/admin', token);
      expectProblem(res, { status: 403, code: 'role_insufficient', challenge: null });
      expect(res.body.required_role).toBe('admin');
      expect(res.body.required_scope).toBeUndefined();
    });

    it('gets 403 role_insufficient naming another sub at revoke-all, and nothing is revoked', async () => {
      const token = await tokenFor(ctx, USER);
      const admin = await tokenFor(ctx, ADMIN);
      const res = await ctx
        .http()
        .post('/auth/revoke-all')
        .set('Authorization', `Bearer ${token}`)
        .send({ sub: 'admin' });
      expectProblem(res, { status: 403, code: 'role_insufficient', challenge: null });
      expect((await get(ctx, '/admin', admin)).status).toBe(200);
    });

    it('may still revoke its own tokens, naming itself or nobody', async () => {
      const token = await tokenFor(ctx, USER);
      const res = await ctx
        .http()
        .post('/auth/revoke-all')
        .set('Authorization', `Bearer ${token}`)
        .send({ sub: 'my_username' });
      expect(res.status).toBe(200);
    });
  });

  it('lets an admin with both scopes revoke another subject', async () => {
    const admin = await tokenFor(ctx, ADMIN);
    const user = await tokenFor(ctx, USER);
    const res = await ctx
      .http()
      .post('/auth/revoke-all')
      .set('Authorization', `Bearer ${admin}`)
      .send({ sub: 'my_username' });
    expect(res.status).toBe(200);
    expectProblem(await get(ctx, '/api/v1/data', user), { status: 401, code: 'token_revoked' });
  });

  it('teaches insufficient_scope as "ask for the scope", and a role refusal as final', () => {
    const scope = problemCatalog.insufficient_scope;
    expect(scope.remedy).toMatch(/scope/);
    expect(scope.remedy).toMatch(/incremental consent/);
    expect(scope.remedy).not.toMatch(/^Do not retry/);
    expect(scope.explanation).not.toMatch(/role/);
    expect(problemCatalog.role_insufficient.status).toBe(403);
    expect(problemCatalog.role_insufficient.remedy).toMatch(/^Do not retry/);
  });
});
