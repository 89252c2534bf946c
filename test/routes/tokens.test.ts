import fc from 'fast-check';
import { StoreUnavailableError } from '../../src/http/problems';
import { MemoryStore, type Store } from '../../src/store';
import { buildApp, expectProblem, type TestContext } from '../helpers';

const ARTICLE = { api_key: 'YOUR_VALID_API_KEY', api_secret: 'YOUR_VALID_API_SECRET' };
const ARTICLE_FORM = { client_id: 'YOUR_VALID_API_KEY', client_secret: 'YOUR_VALID_API_SECRET' };
const BASIC = `Basic ${Buffer.from('YOUR_VALID_API_KEY:YOUR_VALID_API_SECRET').toString('base64')}`;
const USER = { grant_type: 'password', username: 'my_username', password: 'my_password' };
const ADMIN = { grant_type: 'password', username: 'admin', password: 'admin-password' };

function decode(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
}

async function login(ctx: TestContext, body: Record<string, unknown> = USER) {
  const res = await ctx.http().post('/auth/token').type('form').send(body);
  expect(res.status).toBe(200);
  return res.body as {
    access_token: string;
    refresh_token?: string;
    expires_in: number;
    scope: string;
  };
}

const data = (ctx: TestContext, token: string) =>
  ctx.http().get('/api/v1/data').set('Authorization', `Bearer ${token}`);

describe('POST /auth/token', () => {
  const ctx = buildApp();

  describe('with the article’s JSON api_key and api_secret', () => {
    it('answers an RFC 6749 token response that opens /api/v1/data', async () => {
      const res = await ctx.http().post('/auth/token').send(ARTICLE);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
        refresh_token: expect.any(String),
        scope: 'data:read',
      });
      expect(decode(res.body.access_token)).toMatchObject({
        sub: 'YOUR_VALID_API_KEY',
        type: 'client',
      });
      expect((await data(ctx, res.body.access_token)).status).toBe(200);
    });

    it('lets the client choose a lifetime from 1 s, and the token dies on time', async () => {
      const res = await ctx
        .http()
        .post('/auth/token')
        .send({ ...ARTICLE, expires_in: 1 });
      expect(res.body.expires_in).toBe(1);
      const claims = decode(res.body.access_token);
      expect(Number(claims.exp) - Number(claims.iat)).toBe(1);
      ctx.clock.advance(31_000 + 1000);
      expectProblem(await data(ctx, res.body.access_token), { status: 401, code: 'token_expired' });
    });

    it.each([0, 3601, -5, 1.5, '12abc', '', 'NaN', {}])(
      'refuses expires_in %j with 400',
      async (value) => {
        const res = await ctx
          .http()
          .post('/auth/token')
          .send({ ...ARTICLE, expires_in: value });
        expectProblem(res, { status: 400, code: 'invalid_request' });
        expect(res.body.error).toBe('invalid_request');
      },
    );

    it('gives an unknown key and a wrong secret the same answer', async () => {
      const a = await ctx.http().post('/auth/token').send({ api_key: 'NOPE', api_secret: 'x' });
      const b = await ctx
        .http()
        .post('/auth/token')
        .send({ api_key: 'YOUR_VALID_API_KEY', api_secret: 'x' });
      for (const res of [a, b]) {
        expectProblem(res, {
          status: 401,
          code: 'invalid_client',
          challenge: 'Basic realm="four-oh-one", charset="UTF-8"',
        });
        expect(res.body.error).toBe('invalid_client');
      }
      // Each answer names its own occurrence; everything else is word for word the same.
      const strip = (body: Record<string, unknown>) => ({
        ...body,
        request_id: '',
        explanation: '',
        instance: '',
      });
      expect(strip(a.body)).toEqual(strip(b.body));
      expect(a.text).not.toContain('NOPE');
    });
  });

  describe('with the client_credentials grant', () => {
    it('authenticates with HTTP Basic and issues no refresh token (RFC 6749 §4.4.3)', async () => {
      const res = await ctx
        .http()
        .post('/auth/token')
        .set('Authorization', BASIC)
        .type('form')
        .send({ grant_type: 'client_credentials' });
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();
    });
    it('authenticates with client_id and client_secret in the body', async () => {
      const res = await ctx.http().post('/auth/token').type('form').send({
        grant_type: 'client_credentials',
        client_id: 'YOUR_VALID_API_KEY',
        client_secret: 'YOUR_VALID_API_SECRET',
      });
      expect(res.status).toBe(200);
    });
    it('refuses two authentication methods at once', async () => {
      const res = await ctx
        .http()
        .post('/auth/token')
        .set('Authorization', BASIC)
        .type('form')
        .send({
          grant_type: 'client_credentials',
          client_id: 'YOUR_VALID_API_KEY',
          client_secret: 'YOUR_VALID_API_SECRET',
        });
      expectProblem(res, { status: 400, code: 'invalid_request' });
    });
    it.each([
      'Basic',
      'Basic !!!',
      'Basic bm9jb2xvbg==',
      `Basic ${Buffer.from('YOUR_VALID_API_KEY:wrong').toString('base64')}`,
    ])('answers %j with 401 invalid_client', async (header) => {
      const res = await ctx
        .http()
        .post('/auth/token')
        .set('Authorization', header)
        .type('form')
        .send({ grant_type: 'client_credentials' });
      expectProblem(res, {
        status: 401,
        code: 'invalid_client',
        challenge: 'Basic realm="four-oh-one", charset="UTF-8"',
      });
    });
    it('needs client authentication', async () => {
      const res = await ctx
        .http()
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'client_credentials' });
      expectProblem(res, { status: 401, code: 'invalid_client' });
    });
  });

  describe('with the password grant', () => {
    it('issues user tokens with type, scope and auth_time', async () => {
      const body = await login(ctx);
      expect(decode(body.access_token)).toMatchObject({
        sub: 'my_username',
        type: 'user',
        scope: 'data:read',
        auth_time: Math.floor(ctx.clock.now() / 1000),
      });
      expect(body.refresh_token).toEqual(expect.any(String));
    });
    it('gives the admin the admin scope, or a subset on request', async () => {
      expect((await login(ctx, ADMIN)).scope).toBe('data:read admin');
      expect((await login(ctx, { ...ADMIN, scope: 'admin' })).scope).toBe('admin');
    });
    it('answers a wrong password and an unknown user alike: 400 invalid_grant', async () => {
      for (const body of [
        { ...USER, password: 'nope' },
        { ...USER, username: 'nobody' },
      ]) {
        const res = await ctx.http().post('/auth/token').type('form').send(body);
        expectProblem(res, { status: 400, code: 'invalid_grant', challenge: null });
        expect(res.body.detail).toBe('The username or password is wrong.');
      }
    });
    it('refuses an unknown scope', async () => {
      const res = await ctx
        .http()
        .post('/auth/token')
        .type('form')
        .send({ ...USER, scope: 'data:read "root"' });
      expectProblem(res, { status: 400, code: 'invalid_scope' });
      expect(res.body.error_description).not.toMatch(/["\\]/);
    });
  });

  describe('bad input', () => {
    it('answers malformed JSON with 400', async () => {
      const res = await ctx
        .http()
        .post('/auth/token')
        .set('Content-Type', 'application/json')
        .send('{"api_key":');
      expectProblem(res, { status: 400, code: 'body_malformed' });
    });
    it('answers a JSON array with 400', async () => {
      const res = await ctx.http().post('/auth/token').send([ARTICLE]);
      expectProblem(res, { status: 400, code: 'body_malformed' });
    });
    it('answers text/plain with 415', async () => {
      const res = await ctx
        .http()
        .post('/auth/token')
        .set('Content-Type', 'text/plain')
        .send('api_key=x');
      expectProblem(res, { status: 415, code: 'media_type_unsupported' });
    });
    it('answers a body over 8 KiB with 413', async () => {
      const res = await ctx
        .http()
        .post('/auth/token')
        .send({ ...ARTICLE, pad: 'x'.repeat(9000) });
      expectProblem(res, { status: 413, code: 'body_too_large' });
    });
    it('answers no body with 400 invalid_request', async () => {
      expectProblem(await ctx.http().post('/auth/token'), { status: 400, code: 'invalid_request' });
    });
    it('answers GET with 405', async () => {
      const res = await ctx.http().get('/auth/token');
      expectProblem(res, { status: 405, code: 'method_not_allowed' });
      expect(res.headers.allow).toBe('POST, OPTIONS');
    });

    it('never answers 5xx and never issues a token to random input (property)', async () => {
      const value = fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom(
          'YOUR_VALID_API_KEY',
          'password',
          'refresh_token',
          'client_credentials',
          'my_username',
        ),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
        fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
      );
      const key = fc.constantFrom(
        'api_key',
        'api_secret',
        'grant_type',
        'username',
        'password',
        'refresh_token',
        'scope',
        'expires_in',
        'client_id',
        'client_secret',
        'x',
      );
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(key, value, { maxKeys: 5 }),
          fc.boolean(),
          async (body, asForm) => {
            const req = ctx.http().post('/auth/token');
            const res = asForm
              ? await req
                  .type('form')
                  .send(
                    Object.fromEntries(
                      Object.entries(body).map(([k, v]) => [
                        k,
                        typeof v === 'string' ? v : JSON.stringify(v),
                      ]),
                    ),
                  )
              : await req.send(body);
            expect(res.status).toBeLessThan(500);
            if (res.status !== 200) {
              // RFC 6749 §5.2: an OAuth library reads every refusal, whatever the input.
              expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
              expect(res.body.error).toEqual(expect.any(String));
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});

describe('refresh, rotation and reuse', () => {
  const ctx = buildApp();

  it('rotates the refresh token on every use and keeps the family absolute lifetime', async () => {
    const first = await login(ctx);
    ctx.clock.advance(5000);
    const res = await ctx
      .http()
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).not.toBe(first.refresh_token);
    const a = decode(first.refresh_token ?? '');
    const b = decode(res.body.refresh_token);
    expect(b.fid).toBe(a.fid);
    expect(b.exp).toBe(a.exp);
    expect(decode(res.body.access_token).auth_time).toBe(decode(first.access_token).auth_time);
    expect((await data(ctx, res.body.access_token)).status).toBe(200);
  });

  it('revokes the whole family when an old refresh token comes back', async () => {
    const first = await login(ctx);
    const refresh = (token?: string) =>
      ctx
        .http()
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: token });
    const second = (await refresh(first.refresh_token)).body;
    // Past the grace window in which the same client's retry gets the same answer.
    ctx.clock.advance((ctx.config.tokens.refreshReuseGraceSeconds + 1) * 1000);
    const reuse = await refresh(first.refresh_token);
    expectProblem(reuse, { status: 400, code: 'refresh_token_reused' });
    expect(reuse.body.error).toBe('invalid_grant');
    // Everything from the family is dead now: access tokens old and new, and the newest refresh.
    expectProblem(await data(ctx, first.access_token), { status: 401, code: 'token_revoked' });
    expectProblem(await data(ctx, second.access_token), { status: 401, code: 'token_revoked' });
    expectProblem(await refresh(second.refresh_token), { status: 400, code: 'invalid_grant' });
  });

  it('gives two concurrent uses by the same client the same pair: one won, the other is its retry', async () => {
    const first = await login(ctx);
    const send = () =>
      ctx
        .http()
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(decode(a.body.refresh_token).jti).toBe(decode(b.body.refresh_token).jti);
    expect(decode(a.body.access_token).jti).toBe(decode(b.body.access_token).jti);
    expect((await data(ctx, b.body.access_token)).status).toBe(200);
  });

  describe('a retry within REFRESH_REUSE_GRACE_SECONDS', () => {
    const refresh = (c: TestContext, token?: string, extra: Record<string, string> = {}) =>
      c
        .http()
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: token, ...extra });

    it('gets the very pair the first use got, and the family lives on', async () => {
      const c = buildApp();
      const first = await login(c);
      const one = await refresh(c, first.refresh_token);
      c.clock.advance(9000);
      const again = await refresh(c, first.refresh_token);
      expect(again.status).toBe(200);
      // HS256 signatures are deterministic: the very same tokens, byte for byte.
      expect(again.body).toEqual(one.body);
      expect((await data(c, again.body.access_token)).status).toBe(200);
      // The new refresh token rotates as usual.
      expect((await refresh(c, again.body.refresh_token)).status).toBe(200);
    });

    it('is reuse after the window: the family is revoked', async () => {
      const c = buildApp({ env: { REFRESH_REUSE_GRACE_SECONDS: '2' } });
      const first = await login(c);
      const one = await refresh(c, first.refresh_token);
      c.clock.advance(2001);
      expectProblem(await refresh(c, first.refresh_token), {
        status: 400,
        code: 'refresh_token_reused',
      });
      expectProblem(await data(c, one.body.access_token), { status: 401, code: 'token_revoked' });
    });

    // Another client never reaches the window: a confidential client's refresh token is refused
    // without that client's authentication (RFC 6749 §6), and with another client's it is not
    // theirs (invalid_grant), both before the token counts as used.
    it('is never served to another party: without the client’s authentication, 401 invalid_client', async () => {
      const c = buildApp();
      const first = (await c.http().post('/auth/token').send(ARTICLE)).body;
      const one = await refresh(c, first.refresh_token, ARTICLE_FORM);
      expect(one.status).toBe(200);
      expectProblem(await refresh(c, first.refresh_token), {
        status: 401,
        code: 'invalid_client',
        challenge: 'Basic realm="four-oh-one", charset="UTF-8"',
      });
      // The family lives on: the client's own retry within the window still gets its pair.
      expect((await refresh(c, first.refresh_token, ARTICLE_FORM)).body).toEqual(one.body);
    });

    it('answers a client that was told 503 with the pair it never received, not reuse', async () => {
      // The claim reaches the store but its reply is lost: the client hears 503 and retries.
      const inner = new MemoryStore({ maxEntries: 1000, sweepIntervalMs: 0 });
      let loseNextClaim = false;
      const store: Store = Object.assign(Object.create(inner) as Store, {
        async setIfAbsent(key: string, value: string, ttl: number, owner?: string) {
          const wrote = await inner.setIfAbsent(key, value, ttl, owner);
          if (loseNextClaim && key.startsWith('rt:used:')) {
            loseNextClaim = false;
            throw new StoreUnavailableError('reply lost');
          }
          return wrote;
        },
      });
      const c = buildApp({ store });
      const first = await login(c);
      loseNextClaim = true;
      const lost = await refresh(c, first.refresh_token);
      expectProblem(lost, { status: 503, code: 'store_unavailable' });
      const retry = await refresh(c, first.refresh_token);
      expect(retry.status).toBe(200);
      expect((await data(c, retry.body.access_token)).status).toBe(200);
      expect((await refresh(c, retry.body.refresh_token)).status).toBe(200);
    });
  });

  it('refuses an access token as a refresh token', async () => {
    const first = await login(ctx);
    const res = await ctx
      .http()
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: first.access_token });
    expectProblem(res, { status: 400, code: 'invalid_grant' });
    expect(res.body.detail).toMatch(/not a refresh token/);
  });

  it('refuses a refresh token presented by another client', async () => {
    const first = (await ctx.http().post('/auth/token').send(ARTICLE)).body;
    const other = buildApp({ env: { DEMO_API_KEY: 'OTHER_KEY' } });
    void other;
    const res = await ctx.http().post('/auth/token').type('form').send({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      client_id: 'YOUR_VALID_API_KEY',
      client_secret: 'YOUR_VALID_API_SECRET',
    });
    expect(res.status).toBe(200);
    const user = await login(ctx);
    const stolen = await ctx.http().post('/auth/token').type('form').send({
      grant_type: 'refresh_token',
      refresh_token: user.refresh_token,
      client_id: 'YOUR_VALID_API_KEY',
      client_secret: 'YOUR_VALID_API_SECRET',
    });
    expectProblem(stolen, { status: 400, code: 'invalid_grant' });
    expect(stolen.body.detail).toMatch(/another client/);
  });

  it('refuses a refresh token whose family reached its absolute end', async () => {
    const first = await login(ctx);
    ctx.clock.advance(86_400 * 1000);
    const res = await ctx
      .http()
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expectProblem(res, { status: 400, code: 'refresh_token_absolute_expired' });
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.detail).toMatch(/absolute lifetime/);
  });
});

describe('POST /auth/revoke (RFC 7009)', () => {
  const ctx = buildApp();

  it('revokes an access token', async () => {
    const { access_token } = await login(ctx);
    const res = await ctx.http().post('/auth/revoke').type('form').send({ token: access_token });
    expect(res.status).toBe(200);
    expectProblem(await data(ctx, access_token), { status: 401, code: 'token_revoked' });
  });

  it('revokes a refresh token and with it its family', async () => {
    const { access_token, refresh_token } = await login(ctx);
    expect(
      (
        await ctx
          .http()
          .post('/auth/revoke')
          .send({ token: refresh_token, token_type_hint: 'refresh_token' })
      ).status,
    ).toBe(200);
    expectProblem(await data(ctx, access_token), { status: 401, code: 'token_revoked' });
    const res = await ctx
      .http()
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token });
    expectProblem(res, { status: 400, code: 'invalid_grant' });
  });

  it('answers 200 for unknown or forged tokens, and writes nothing', async () => {
    const set = jest.spyOn(ctx.store, 'set');
    for (const token of ['garbage', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.']) {
      expect((await ctx.http().post('/auth/revoke').type('form').send({ token })).status).toBe(200);
    }
    expect(set).not.toHaveBeenCalled();
    set.mockRestore();
  });

  it('needs the token parameter', async () => {
    expectProblem(await ctx.http().post('/auth/revoke').type('form').send({}), {
      status: 400,
      code: 'invalid_request',
    });
  });

  it('refuses bad client credentials when some are sent', async () => {
    const res = await ctx
      .http()
      .post('/auth/revoke')
      .set('Authorization', 'Basic Zm9vOmJhcg==')
      .type('form')
      .send({ token: 'x' });
    expectProblem(res, { status: 401, code: 'invalid_client' });
  });
});

describe('POST /auth/introspect (RFC 7662)', () => {
  const ctx = buildApp();
  const introspect = (token: string) =>
    ctx.http().post('/auth/introspect').set('Authorization', BASIC).type('form').send({ token });

  it('describes an active access token', async () => {
    const { access_token } = await login(ctx);
    const res = await introspect(access_token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      active: true,
      token_type: 'Bearer',
      token_use: 'access_token',
      sub: 'my_username',
      scope: 'data:read',
      client_id: 'four-oh-one-public',
    });
  });

  it('describes an active refresh token, and an inactive one once used', async () => {
    const { refresh_token = '' } = await login(ctx);
    const described = (await introspect(refresh_token)).body;
    expect(described).toMatchObject({ active: true, token_use: 'refresh_token' });
    // RFC 7662 §2.2: token_type is an RFC 6749 §7.1 type, which a refresh token has none of.
    expect(described.token_type).toBeUndefined();
    await ctx
      .http()
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token });
    expect((await introspect(refresh_token)).body).toEqual({ active: false });
  });

  it.each(['garbage', 'a.b.c'])('answers {active:false} for %s', async (token) => {
    expect((await introspect(token)).body).toEqual({ active: false });
  });

  it('answers {active:false} for an expired token', async () => {
    const { access_token } = await login(ctx);
    ctx.clock.advance(3600_000);
    expect((await introspect(access_token)).body).toEqual({ active: false });
  });

  it('requires client authentication', async () => {
    const res = await ctx.http().post('/auth/introspect').type('form').send({ token: 'x' });
    expectProblem(res, {
      status: 401,
      code: 'invalid_client',
      challenge: 'Basic realm="four-oh-one", charset="UTF-8"',
    });
  });
});

describe('POST /auth/revoke-all', () => {
  const ctx = buildApp();

  it('revokes every token of the caller, and a login right after works', async () => {
    const a = await login(ctx);
    const b = await login(ctx);
    const res = await ctx
      .http()
      .post('/auth/revoke-all')
      .set('Authorization', `Bearer ${a.access_token}`);
    expect(res.status).toBe(200);
    expect(res.body.sub).toBe('my_username');
    expectProblem(await data(ctx, b.access_token), { status: 401, code: 'token_revoked' });
    expectProblem(
      await ctx
        .http()
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: b.refresh_token }),
      { status: 400, code: 'invalid_grant' },
    );
    const c = await login(ctx);
    expect((await data(ctx, c.access_token)).status).toBe(200);
  });

  it('lets an admin revoke another subject, and nobody else', async () => {
    const user = await login(ctx);
    const other = await ctx
      .http()
      .post('/auth/revoke-all')
      .set('Authorization', `Bearer ${user.access_token}`)
      .send({ sub: 'admin' });
    expectProblem(other, { status: 403, code: 'role_insufficient', challenge: null });
    const admin = await login(ctx, ADMIN);
    const res = await ctx
      .http()
      .post('/auth/revoke-all')
      .set('Authorization', `Bearer ${admin.access_token}`)
      .send({ sub: 'my_username' });
    expect(res.status).toBe(200);
    expectProblem(await data(ctx, user.access_token), { status: 401, code: 'token_revoked' });
  });

  it('needs a bearer token', async () => {
    expectProblem(await ctx.http().post('/auth/revoke-all'), {
      status: 401,
      code: 'token_missing',
    });
  });
});

describe('metadata and specimens', () => {
  const ctx = buildApp();

  it('serves RFC 8414 authorization server metadata', async () => {
    const res = await ctx.http().get('/.well-known/oauth-authorization-server');
    expect(res.body).toMatchObject({
      issuer: 'http://127.0.0.1:3000',
      token_endpoint: 'http://127.0.0.1:3000/auth/token',
      revocation_endpoint: 'http://127.0.0.1:3000/auth/revoke',
      introspection_endpoint: 'http://127.0.0.1:3000/auth/introspect',
      jwks_uri: 'http://127.0.0.1:3000/.well-known/jwks.json',
      authorization_endpoint: 'http://127.0.0.1:3000/authorize',
      grant_types_supported: [
        'authorization_code',
        'client_credentials',
        'password',
        'refresh_token',
      ],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('serves RFC 9728 protected resource metadata, which every challenge names', async () => {
    const res = await ctx.http().get('/.well-known/oauth-protected-resource');
    expect(res.body).toMatchObject({
      resource: 'http://127.0.0.1:3000',
      authorization_servers: ['http://127.0.0.1:3000'],
    });
    const challenge = (await ctx.http().get('/api/v1/data')).headers['www-authenticate'];
    expect(challenge).toContain(
      'resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource"',
    );
  });

  it('publishes public keys only in the JWKS', async () => {
    const res = await ctx.http().get('/.well-known/jwks.json');
    expect(res.body.keys).toHaveLength(1);
    expect(res.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(res.body.keys[0].d).toBeUndefined();
    expect(res.text).not.toContain('"k"');
  });

  // OpenID Connect Core §10.1.1: a rotated-out key leaves the JWKS; a token it signed fails.
  it('leaves a rotated-out key out of the JWKS, while the current ES256 key is in it', async () => {
    const kidOf = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
        alg: string;
        kid: string;
      };
    const specimens = await ctx.specimens.get();
    const rotated = kidOf(specimens.rotated_out_key);
    const fresh = kidOf(specimens.id_token);
    expect(rotated.alg).toBe('ES256');
    expect(rotated.kid).not.toBe(fresh.kid);
    const kids = (await ctx.http().get('/.well-known/jwks.json')).body.keys.map(
      (k: { kid: string }) => k.kid,
    );
    expect(kids).toContain(fresh.kid);
    expect(kids).not.toContain(rotated.kid);
    const res = await data(ctx, specimens.rotated_out_key);
    expectProblem(res, { status: 401, code: 'token_key_retired' });
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('hands out specimens that produce exactly their documented code', async () => {
    const res = await ctx.http().get('/tokens/specimens');
    expect(res.status).toBe(200);
    const names = res.body.specimens.map((s: { name: string }) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'valid',
        'expired',
        'alg_none',
        'revoked',
        'retired_key',
        'used_refresh',
        'unknown_kid',
      ]),
    );
    for (const s of res.body.specimens as {
      token: string;
      expect: { status: number; code: string | null };
    }[]) {
      const answer = await data(ctx, s.token);
      expect({ status: answer.status, code: answer.body.code ?? null }).toEqual(s.expect);
    }
  });
});

describe('GET /api/v1/flaky', () => {
  const ctx = buildApp();

  it('fails N times with token_expired, then succeeds, per caller and key', async () => {
    const { access_token } = await login(ctx);
    const call = (key: string) =>
      ctx
        .http()
        .get(`/api/v1/flaky?fail=2&key=${key}`)
        .set('Authorization', `Bearer ${access_token}`);
    for (const attempt of [1, 2]) {
      const res = await call('k1');
      expectProblem(res, { status: 401, code: 'token_expired' });
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="four-oh-one", error="invalid_token", error_description="Access token expired", resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource", DPoP algs="ES256 EdDSA PS256 RS256"',
      );
      expect(res.body).toMatchObject({ scripted: true, attempt, failures: 2 });
    }
    expect((await call('k1')).body).toMatchObject({ attempt: 3, failures: 2 });
    expect((await call('k2')).status).toBe(401);
  });

  it('starts over after ten minutes', async () => {
    const { access_token } = await login(ctx);
    const call = () =>
      ctx
        .http()
        .get('/api/v1/flaky?fail=1&key=window')
        .set('Authorization', `Bearer ${access_token}`);
    expect((await call()).status).toBe(401);
    expect((await call()).status).toBe(200);
    ctx.clock.advance(10 * 60 * 1000 + 1);
    const { access_token: fresh } = await login(ctx);
    expect(
      (
        await ctx
          .http()
          .get('/api/v1/flaky?fail=1&key=window')
          .set('Authorization', `Bearer ${fresh}`)
      ).status,
    ).toBe(401);
  });

  it.each([
    'fail=11&key=a',
    'fail=-1&key=a',
    'fail=x&key=a',
    'fail=1',
    'fail=1&key=a%20b',
    `fail=1&key=${'a'.repeat(65)}`,
    'fail=1&fail=2&key=a',
    'fail=ALWAYS',
    'fail=always&key=a%20b',
    'fail=1&key=a&status=500',
    'fail=1&key=a&status=',
    'fail=always&status=429&status=503',
  ])('answers ?%s with 400 parameter_invalid', async (query) => {
    const { access_token } = await login(ctx);
    const res = await ctx
      .http()
      .get(`/api/v1/flaky?${query}`)
      .set('Authorization', `Bearer ${access_token}`);
    expectProblem(res, { status: 400, code: 'parameter_invalid' });
  });

  describe('with status=429', () => {
    it('answers the first N calls 429 rate_limited with Retry-After and RateLimit, no challenge, then 200', async () => {
      const { access_token } = await login(ctx);
      const call = () =>
        ctx
          .http()
          .get('/api/v1/flaky?fail=1&key=throttled&status=429')
          .set('Authorization', `Bearer ${access_token}`);
      const res = await call();
      expectProblem(res, { status: 429, code: 'rate_limited', challenge: null });
      expect(res.headers['retry-after']).toBe('2');
      expect(res.headers.ratelimit).toBe('"flaky"; r=0; t=2');
      expect(res.headers['ratelimit-policy']).toBe('"flaky"; q=10; w=60');
      expect(res.body).toMatchObject({ scripted: true, attempt: 1, failures: 1 });
      expect((await call()).status).toBe(200);
    });
  });

  describe('with status=503', () => {
    it('answers 503 store_unavailable with Retry-After and no challenge: not a logout', async () => {
      const { access_token } = await login(ctx);
      const res = await ctx
        .http()
        .get('/api/v1/flaky?fail=1&key=outage&status=503')
        .set('Authorization', `Bearer ${access_token}`);
      expectProblem(res, { status: 503, code: 'store_unavailable', challenge: null });
      expect(res.headers['retry-after']).toBe('2');
      expect(res.body).toMatchObject({ scripted: true, attempt: 1, failures: 1 });
    });
  });

  describe('with fail=always', () => {
    it.each([
      ['', 401, 'token_expired'],
      ['&status=401', 401, 'token_expired'],
      ['&status=429', 429, 'rate_limited'],
      ['&status=503', 503, 'store_unavailable'],
    ] as const)(
      '?fail=always%s fails every call and writes nothing',
      async (extra, status, code) => {
        const { access_token } = await login(ctx);
        const increment = jest.spyOn(ctx.store, 'increment');
        for (let i = 0; i < 3; i++) {
          const res = await ctx
            .http()
            .get(`/api/v1/flaky?fail=always${extra}`)
            .set('Authorization', `Bearer ${access_token}`);
          expectProblem(res, { status, code });
          expect(res.body.scripted).toBe(true);
          expect(res.body.attempt).toBeUndefined();
        }
        expect(increment).not.toHaveBeenCalled();
        increment.mockRestore();
      },
    );
  });

  it('answers any query with 200 or a problem, never a 5xx it was not asked for', async () => {
    const { access_token } = await login(ctx);
    const value = fc.oneof(
      fc.constantFrom('always', '0', '1', '10', '429', '503', '401', ''),
      fc.string({ maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom('fail', 'key', 'status', 'x'), value, { maxKeys: 4 }),
        async (params) => {
          const query = new URLSearchParams(params).toString();
          const res = await ctx
            .http()
            .get(`/api/v1/flaky?${query}`)
            .set('Authorization', `Bearer ${access_token}`);
          if (res.status === 503) expect(params.status).toBe('503');
          else expect(res.status).toBeLessThan(500);
          if (res.status !== 200) expect(res.type).toBe('application/problem+json');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('creates no state for anonymous callers', async () => {
    const increment = jest.spyOn(ctx.store, 'increment');
    expectProblem(await ctx.http().get('/api/v1/flaky?fail=1&key=a'), {
      status: 401,
      code: 'token_missing',
    });
    expect(increment).not.toHaveBeenCalled();
    increment.mockRestore();
  });
});

describe('the same refused token, again and again', () => {
  const ctx = buildApp();

  it('says so in detail from the third refusal in a minute (RFC 9110 §15.5.2)', async () => {
    const { access_token } = await login(ctx);
    ctx.clock.advance(3600_000);
    const details: string[] = [];
    for (let i = 0; i < 3; i++) details.push((await data(ctx, access_token)).body.detail);
    expect(details[1]).not.toMatch(/retrying it will not help/);
    expect(details[2]).toMatch(/refused 3 times in the last minute: retrying it will not help/);
    const fourth = await data(ctx, access_token);
    expect(fourth.body.refused_count).toBe(4);
  });

  it('counts nothing for the shared specimen tokens', async () => {
    const { expired } = await ctx.specimens.get();
    const increment = jest.spyOn(ctx.store, 'increment');
    for (let i = 0; i < 4; i++)
      expect((await data(ctx, expired)).body.detail).not.toMatch(/retrying it will not help/);
    expect(increment).not.toHaveBeenCalled();
    increment.mockRestore();
  });

  it('counts nothing for forged tokens', async () => {
    const increment = jest.spyOn(ctx.store, 'increment');
    await data(ctx, 'eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2ln');
    expect(increment).not.toHaveBeenCalled();
    increment.mockRestore();
  });
});
