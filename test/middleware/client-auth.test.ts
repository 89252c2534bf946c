import express from 'express';
import { clientAuth } from '../../middleware/client-auth';
import { Directory } from '../../src/tokens/identities';
import { buildApp, expectProblem, testConfig, type TestContext } from '../helpers';
import { check, type Send } from './check';

/**
 * Public and confidential clients at the OAuth endpoints (RFC 6749 §2.1, §2.3, §3.2.1, §6;
 * RFC 7009 §2.1; RFC 7662 §2.1), and the errors an OAuth library must be able to read there.
 */
const PUBLIC = { client_id: 'four-oh-one-public' };
const USER = { grant_type: 'password', username: 'my_username', password: 'my_password' };
const ARTICLE = { api_key: 'YOUR_VALID_API_KEY', api_secret: 'YOUR_VALID_API_SECRET' };
const CLIENT_FORM = { client_id: 'YOUR_VALID_API_KEY', client_secret: 'YOUR_VALID_API_SECRET' };
const BASIC = `Basic ${Buffer.from('YOUR_VALID_API_KEY:YOUR_VALID_API_SECRET').toString('base64')}`;
const BASIC_CHALLENGE = 'Basic realm="four-oh-one", charset="UTF-8"';

const claims = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;

const post = (ctx: TestContext, path: string, body: Record<string, unknown>, json = false) => {
  const req = ctx.http().post(path);
  return json ? req.send(body) : req.type('form').send(body);
};

describe('the public client four-oh-one-public', () => {
  const ctx = buildApp();

  it.each([
    ['a form', false],
    ['a JSON body', true],
  ])(
    'gets tokens with the password grant, naming itself in %s without a secret',
    async (_how, json) => {
      const res = await post(ctx, '/auth/token', { ...USER, ...PUBLIC }, json);
      expect(res.status).toBe(200);
      expect(claims(res.body.access_token).client_id).toBe('four-oh-one-public');
      expect(claims(res.body.refresh_token).client_id).toBe('four-oh-one-public');
    },
  );

  it('refreshes and revokes its tokens without a secret; the new tokens keep its client_id', async () => {
    const first = (await post(ctx, '/auth/token', { ...USER, ...PUBLIC })).body;
    const refreshed = await post(ctx, '/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      ...PUBLIC,
    });
    expect(refreshed.status).toBe(200);
    expect(claims(refreshed.body.access_token).client_id).toBe('four-oh-one-public');
    const revoked = await post(ctx, '/auth/revoke', {
      token: refreshed.body.access_token,
      ...PUBLIC,
    });
    expect(revoked.status).toBe(200);
    expectProblem(
      await ctx
        .http()
        .get('/api/v1/data')
        .set('Authorization', `Bearer ${refreshed.body.access_token}`),
      { status: 401, code: 'token_revoked' },
    );
  });

  it('is what a request without any client is: its refresh needs no client either', async () => {
    const first = (await post(ctx, '/auth/token', USER)).body;
    expect(claims(first.access_token).client_id).toBe('four-oh-one-public');
    const res = await post(ctx, '/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ['client_credentials', '/auth/token', { grant_type: 'client_credentials', ...PUBLIC }],
    ['introspection', '/auth/introspect', { token: 'x', ...PUBLIC }],
  ])('cannot use %s: 401 invalid_client with a Basic challenge', async (_what, path, body) => {
    const res = await post(ctx, path, body);
    expectProblem(res, { status: 401, code: 'invalid_client', challenge: BASIC_CHALLENGE });
    expect(res.body.error).toBe('invalid_client');
    expect(res.body.detail).toMatch(/public client/);
  });

  it('has no secret: one sent with it is refused', async () => {
    const res = await post(ctx, '/auth/token', { ...USER, ...PUBLIC, client_secret: 'guess' });
    expectProblem(res, { status: 401, code: 'invalid_client', challenge: BASIC_CHALLENGE });
  });

  it('is the only client that may leave out its secret, for a known and an unknown id alike', async () => {
    const known = await post(ctx, '/auth/token', { ...USER, client_id: 'YOUR_VALID_API_KEY' });
    const unknown = await post(ctx, '/auth/token', { ...USER, client_id: 'NO_SUCH_CLIENT' });
    for (const res of [known, unknown]) {
      expectProblem(res, { status: 401, code: 'invalid_client', challenge: BASIC_CHALLENGE });
    }
    expect(known.body.detail).toBe(unknown.body.detail);
  });

  it('is announced as the token endpoint auth method none (RFC 8414)', async () => {
    const res = await ctx.http().get('/.well-known/oauth-authorization-server');
    expect(res.body.token_endpoint_auth_methods_supported).toEqual([
      'client_secret_basic',
      'client_secret_post',
      'none',
    ]);
    expect(res.body.introspection_endpoint_auth_methods_supported).not.toContain('none');
  });
});

describe('a confidential client’s tokens (RFC 6749 §6, RFC 7009 §2.1)', () => {
  const ctx = buildApp();
  const articleTokens = async () => (await post(ctx, '/auth/token', ARTICLE, true)).body;

  it('cannot be refreshed without the client’s authentication: 401 invalid_client', async () => {
    const { refresh_token } = await articleTokens();
    for (const extra of [{}, PUBLIC]) {
      const res = await post(ctx, '/auth/token', {
        grant_type: 'refresh_token',
        refresh_token,
        ...extra,
      });
      expectProblem(res, { status: 401, code: 'invalid_client', challenge: BASIC_CHALLENGE });
      expect(res.body.detail).toMatch(/confidential client/);
    }
    // Refused before the token was looked at: it is still unused, and its client may use it.
    const res = await post(ctx, '/auth/token', {
      grant_type: 'refresh_token',
      refresh_token,
      ...CLIENT_FORM,
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ['HTTP Basic', { authorization: BASIC }, {}],
    ['client_id and client_secret', {}, CLIENT_FORM],
    ['the article’s api_key and api_secret', {}, ARTICLE],
  ])('is refreshed with the client authenticated by %s', async (_how, headers, body) => {
    const { refresh_token } = await articleTokens();
    const res = await ctx
      .http()
      .post('/auth/token')
      .set(headers)
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token, ...body });
    expect(res.status).toBe(200);
    expect(claims(res.body.access_token).client_id).toBe('YOUR_VALID_API_KEY');
  });

  it('cannot be revoked without the client’s authentication, and can with it', async () => {
    const { access_token } = await articleTokens();
    const refused = await post(ctx, '/auth/revoke', { token: access_token });
    expectProblem(refused, { status: 401, code: 'invalid_client', challenge: BASIC_CHALLENGE });
    const data = () =>
      ctx.http().get('/api/v1/data').set('Authorization', `Bearer ${access_token}`);
    expect((await data()).status).toBe(200);
    const res = await post(ctx, '/auth/revoke', { token: access_token, ...CLIENT_FORM });
    expect(res.status).toBe(200);
    expectProblem(await data(), { status: 401, code: 'token_revoked' });
  });
});

describe('answers an OAuth library can read', () => {
  const ctx = buildApp();

  it('revocation answers 200 {} as application/json (RFC 7009 §2.2)', async () => {
    const res = await post(ctx, '/auth/revoke', { token: 'anything' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.text).toBe('{}');
  });

  it('introspection says token_type Bearer for an access token, and none for a refresh token', async () => {
    const tokens = (await post(ctx, '/auth/token', USER)).body;
    const introspect = (token: string) =>
      ctx.http().post('/auth/introspect').set('Authorization', BASIC).type('form').send({ token });
    const access = (await introspect(tokens.access_token)).body;
    expect(access).toMatchObject({ active: true, token_type: 'Bearer', token_use: 'access_token' });
    const refresh = (await introspect(tokens.refresh_token)).body;
    expect(refresh).toMatchObject({ active: true, token_use: 'refresh_token' });
    expect(refresh).not.toHaveProperty('token_type');
  });

  // Every problem member, in the body an OAuth library parses (RFC 6749 §5.2, RFC 9457).
  it.each([
    ['/auth/token', { grant_type: 'password', username: 'my_username', password: 'x' }],
    ['/auth/revoke', {}],
    ['/auth/introspect', { token: 'x' }],
  ])('%s answers its errors as application/json with every problem member', async (path, body) => {
    const res = await post(ctx, path, body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'type',
        'title',
        'status',
        'detail',
        'instance',
        'code',
        'request_id',
        'remedy',
        'explanation',
        'error',
        'error_description',
      ].sort(),
    );
  });

  it.each([
    ['GET /auth/token', () => ctx.http().get('/auth/token'), 405, 'invalid_request'],
    [
      'text/plain',
      () => ctx.http().post('/auth/revoke').set('Content-Type', 'text/plain').send('token=x'),
      415,
      'invalid_request',
    ],
  ])('gives %s an OAuth error too', async (_what, send, status, error) => {
    const res = await send();
    expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });
});

describe('clientAuth() with only itself in the app', () => {
  const directory = new Directory(testConfig().demo);
  const required = clientAuth({ directory, required: true });
  const optional = clientAuth({ directory, required: false, publicClients: true });
  const form =
    (body: Record<string, string>, authorization?: string): Send =>
    (agent) => {
      const req = agent.post('/').type('form');
      return (authorization ? req.set('Authorization', authorization) : req).send(body);
    };
  const parsed = express.urlencoded({ extended: false });

  it('throws at once without a directory', () => {
    expect(() => clientAuth({} as never)).toThrow('clientAuth: directory is required');
  });

  it.each([
    ['HTTP Basic', form({}, BASIC)],
    ['client_id and client_secret', form(CLIENT_FORM)],
    ['the article’s api_key and api_secret', form(ARTICLE)],
  ])('puts a client that authenticates with %s in res.locals.client', async (_n, send) => {
    const res = await check([parsed, required], send, { status: 200 });
    expect(res.body.locals.client).toMatchObject({
      clientId: 'YOUR_VALID_API_KEY',
      type: 'client',
    });
  });

  it('lets the public client name itself where public clients may come, and nowhere else', async () => {
    const res = await check([parsed, optional], form(PUBLIC), { status: 200 });
    expect(res.body.locals.client).toMatchObject({ clientId: 'four-oh-one-public', public: true });
    await check([parsed, required], form(PUBLIC), {
      status: 401,
      code: 'invalid_client',
      headers: { 'WWW-Authenticate': BASIC_CHALLENGE },
    });
  });

  it.each([
    ['no client credentials where they are required', required, form({}), 401, 'invalid_client'],
    [
      'a wrong secret',
      required,
      form({ ...CLIENT_FORM, client_secret: 'x' }),
      401,
      'invalid_client',
    ],
    [
      'Basic credentials that are no base64',
      required,
      form({}, 'Basic not-base64!'),
      401,
      'invalid_client',
    ],
    ['two methods at once', optional, form(CLIENT_FORM, BASIC), 400, 'invalid_request'],
  ])('refuses %s', async (_n, guard, send, status, code) => {
    const res = await check([parsed, guard], send, {
      status,
      code,
      headers: { 'WWW-Authenticate': status === 401 ? BASIC_CHALLENGE : null },
    });
    expect(res.body.error).toBe(code);
  });

  it('lets a request without client credentials through where none are required', async () => {
    const res = await check([parsed, optional], form({}), { status: 200 });
    expect(res.body.locals.client).toBeUndefined();
  });
});
