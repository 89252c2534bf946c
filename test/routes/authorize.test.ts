import { createPublicKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createCorsDemoApp } from '../../src/cors-demo';
import { RedisStore } from '../../src/store/redis';
import { buildApp, expectProblem, testClock, type TestClock, type TestContext } from '../helpers';
import { describeRedis, redisUrl } from '../redis';
import {
  authorizeQuery,
  exchange,
  formFields,
  pkce,
  runFlow,
  SPA,
  toConsent,
  WEB,
  WEB_SECRET,
} from '../oauth-flow';

const ctx = buildApp();
const issuer = ctx.config.jwt.issuer;
const callback = `${ctx.config.publicUrl}/oauth/callback`;

/** The query of a redirect, after asserting it is a 303 to the callback. */
function redirected(res: { status: number; headers: Record<string, unknown> }): URLSearchParams {
  expect(res.status).toBe(303);
  const location = new URL(String(res.headers.location));
  expect(`${location.origin}${location.pathname}`).toBe(callback);
  return location.searchParams;
}

describe('GET /authorize', () => {
  it('shows a login page, stores nothing, and carries the request in the form', async () => {
    const before = await ctx.store.usage();
    const p = pkce();
    const res = await ctx
      .http()
      .get('/authorize')
      .query(authorizeQuery({ redirectUri: callback }, p));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.text).not.toMatch(/<script(?![^>]*src=)|style=/);
    const fields = formFields(res.text);
    expect(fields).toMatchObject({
      client_id: SPA,
      redirect_uri: callback,
      code_challenge: p.challenge,
      state: 'state-123',
    });
    expect(fields.csrf_token).toMatch(/^\d+\.[\w-]{43}$/);
    expect((await ctx.store.usage()).entries).toBe(before.entries);
  });

  it.each([
    ['an unknown client_id', { client_id: 'nobody' }, 'authorize_client_unknown'],
    ['no client_id', { client_id: undefined }, 'authorize_client_unknown'],
    [
      'an unregistered redirect_uri',
      { redirect_uri: 'https://evil.example/cb' },
      'authorize_redirect_uri_invalid',
    ],
    [
      'a redirect_uri with a suffix',
      { redirect_uri: `${callback}/x` },
      'authorize_redirect_uri_invalid',
    ],
    ['no redirect_uri', { redirect_uri: undefined }, 'authorize_redirect_uri_invalid'],
  ])('answers %s on an error page, never a redirect', async (_name, change, code) => {
    const query: Record<string, string | undefined> = {
      ...authorizeQuery({ redirectUri: callback }, pkce()),
      ...change,
    };
    for (const k of Object.keys(query)) if (query[k] === undefined) delete query[k];
    const res = await ctx.http().get('/authorize').query(query);
    expectProblem(res, { status: 400, code, challenge: null });
    expect(res.headers.location).toBeUndefined();
  });

  it.each([
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['no code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['no code_challenge_method', { code_challenge_method: undefined }, 'invalid_request'],
    ['an unknown scope', { scope: 'openid everything' }, 'invalid_scope'],
    ['prompt=none', { prompt: 'none' }, 'login_required'],
  ])('sends %s back to the client with state and iss', async (_name, change, error) => {
    const query: Record<string, string | undefined> = {
      ...authorizeQuery({ redirectUri: callback }, pkce()),
      ...change,
    };
    for (const k of Object.keys(query)) if (query[k] === undefined) delete query[k];
    const params = redirected(await ctx.http().get('/authorize').query(query));
    expect(params.get('error')).toBe(error);
    expect(params.get('state')).toBe('state-123');
    expect(params.get('iss')).toBe(issuer);
    expect(params.get('code')).toBeNull();
  });

  it('refuses a repeated parameter (RFC 6749 §3.1)', async () => {
    const q = new URLSearchParams(authorizeQuery({ redirectUri: callback }, pkce()));
    q.append('scope', 'admin');
    const params = redirected(await ctx.http().get(`/authorize?${q.toString()}`));
    expect(params.get('error')).toBe('invalid_request');
  });
});

describe('the whole flow', () => {
  it('logs in, asks consent, redirects with code, state and iss; the code buys tokens once', async () => {
    const flow = await runFlow(ctx.http, { redirectUri: callback, nonce: 'n-1' });
    expect(flow.params.get('state')).toBe('state-123');
    expect(flow.params.get('iss')).toBe(issuer);
    const code = flow.params.get('code') ?? '';
    const res = await exchange(ctx.http, {
      code,
      redirect_uri: callback,
      client_id: SPA,
      code_verifier: flow.pkce.verifier,
    });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'openid data:read' });
    const jwks = (await ctx.http().get('/.well-known/jwks.json')).body.keys as { kid: string }[];
    const header = jwt.decode(res.body.id_token, { complete: true })?.header;
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    const jwk = jwks.find((k) => k.kid === header?.kid);
    const claims = jwt.verify(
      res.body.id_token,
      createPublicKey({ key: jwk as never, format: 'jwk' }),
      {
        audience: SPA,
        issuer,
        clockTimestamp: Math.floor(ctx.clock.now() / 1000),
      },
    ) as jwt.JwtPayload;
    expect(claims).toMatchObject({
      sub: 'my_username',
      nonce: 'n-1',
      acr: 'urn:four-oh-one:acr:password',
      auth_time: expect.any(Number),
    });
    const data = await ctx
      .http()
      .get('/api/v1/data')
      .auth(res.body.access_token, { type: 'bearer' });
    expect(data.status).toBe(200);
    const info = await ctx.http().get('/userinfo').auth(res.body.access_token, { type: 'bearer' });
    expect(info.body).toEqual({ sub: 'my_username' });

    // A second exchange: invalid_grant, and what the first one got is revoked.
    const again = await exchange(ctx.http, {
      code,
      redirect_uri: callback,
      client_id: SPA,
      code_verifier: flow.pkce.verifier,
    });
    expectProblem(again, { status: 400, code: 'authorization_code_reused' });
    expect(again.body.error).toBe('invalid_grant');
    const after = await ctx
      .http()
      .get('/api/v1/data')
      .auth(res.body.access_token, { type: 'bearer' });
    expectProblem(after, { status: 401, code: 'token_revoked' });
    const refresh = await ctx
      .http()
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token, client_id: SPA });
    expectProblem(refresh, { status: 400, code: 'invalid_grant' });
  });

  it('lets the confidential client exchange with its secret, and refuses it client_credentials', async () => {
    const flow = await runFlow(ctx.http, {
      clientId: WEB,
      redirectUri: callback,
      scope: 'data:read',
    });
    const fields = {
      code: flow.params.get('code') ?? '',
      redirect_uri: callback,
      code_verifier: flow.pkce.verifier,
    };
    const res = await exchange(ctx.http, fields, { id: WEB, secret: WEB_SECRET });
    expect(res.status).toBe(200);
    expect(res.body.id_token).toBeUndefined();
    const cc = await ctx
      .http()
      .post('/auth/token')
      .type('form')
      .auth(WEB, WEB_SECRET)
      .send({ grant_type: 'client_credentials' });
    expectProblem(cc, { status: 400, code: 'unauthorized_client' });
  });

  it('answers Deny with access_denied on the redirect', async () => {
    const flow = await runFlow(ctx.http, { redirectUri: callback }, 'deny');
    expect(flow.params.get('error')).toBe('access_denied');
    expect(flow.params.get('state')).toBe('state-123');
    expect(flow.params.get('iss')).toBe(issuer);
  });

  it('remembers the login, and asks the password again for prompt=login, max_age and acr_values', async () => {
    const first = await runFlow(ctx.http, { redirectUri: callback });
    expect(first.cookie).toBeDefined();
    const p = pkce();
    const remembered = await toConsent(
      ctx.http,
      { redirectUri: callback, cookie: first.cookie },
      p,
    );
    expect(remembered.consent.text).toContain('value="approve"');
    ctx.clock.advance(30_000);
    const extras: Record<string, string>[] = [
      { prompt: 'login' },
      { max_age: '10' },
      { acr_values: 'urn:four-oh-one:acr:password' },
    ];
    for (const extra of extras) {
      const res = await ctx
        .http()
        .get('/authorize')
        .set('Cookie', first.cookie ?? '')
        .query(authorizeQuery({ redirectUri: callback, extra }, p));
      expect({ extra, login: res.text.includes('value="login"') }).toEqual({ extra, login: true });
    }
  });
});

describe('the token endpoint refuses a code', () => {
  async function code(clientId = SPA) {
    const flow = await runFlow(ctx.http, { clientId, redirectUri: callback });
    return { code: flow.params.get('code') ?? '', verifier: flow.pkce.verifier };
  }

  it('after 60 seconds: authorization_code_expired', async () => {
    const c = await code();
    ctx.clock.advance(61_000);
    const res = await exchange(ctx.http, {
      code: c.code,
      redirect_uri: callback,
      client_id: SPA,
      code_verifier: c.verifier,
    });
    expectProblem(res, { status: 400, code: 'authorization_code_expired' });
  });

  it('with a wrong code_verifier: pkce_verifier_mismatch', async () => {
    const c = await code();
    const res = await exchange(ctx.http, {
      code: c.code,
      redirect_uri: callback,
      client_id: SPA,
      code_verifier: pkce().verifier,
    });
    expectProblem(res, { status: 400, code: 'pkce_verifier_mismatch' });
  });

  it('with another redirect_uri: redirect_uri_mismatch', async () => {
    const c = await code();
    const res = await exchange(ctx.http, {
      code: c.code,
      redirect_uri: `${callback}?x=1`,
      client_id: SPA,
      code_verifier: c.verifier,
    });
    expectProblem(res, { status: 400, code: 'redirect_uri_mismatch' });
  });

  it('issued to another client: authorization_code_client_mismatch', async () => {
    const c = await code(WEB);
    const res = await exchange(ctx.http, {
      code: c.code,
      redirect_uri: callback,
      client_id: SPA,
      code_verifier: c.verifier,
    });
    expectProblem(res, { status: 400, code: 'authorization_code_client_mismatch' });
  });

  it('that was never issued: authorization_code_invalid', async () => {
    const res = await exchange(ctx.http, {
      code: 'A'.repeat(43),
      redirect_uri: callback,
      client_id: SPA,
      code_verifier: pkce().verifier,
    });
    expectProblem(res, { status: 400, code: 'authorization_code_invalid' });
  });
});

describe('the callback page on the CORS demo page’s origin', () => {
  it('is registered for the public client, and served there with the response it carries', async () => {
    const demo = `http://127.0.0.1:${ctx.config.cors.demoPort}/oauth/callback`;
    const login = await ctx
      .http()
      .get('/authorize')
      .query(authorizeQuery({ redirectUri: demo }, pkce()));
    expect(login.status).toBe(200);
    const app = createCorsDemoApp({
      apiBase: ctx.config.publicUrl,
      origins: ctx.config.cors.origins,
      user: { username: 'my_username', password: 'my_password' },
      tokens: async () => ({}),
    });
    const res = await request(app).get('/oauth/callback?code=abc%3Cb%3E&state=xyz&iss=x&other=1');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.text).toContain('<code>abc&#60;b&#62;</code>');
    expect(res.text).toContain(
      `curl -s ${ctx.config.publicUrl}/auth/token \\
  -d grant_type=authorization_code \\
`,
    );
    expect(res.text).not.toContain('<code>other</code>');
  });
});

describe('the step-up lesson as a flow (RFC 9470)', () => {
  it('a token from an old login gets insufficient_user_authentication; max_age makes the user log in again, and the new token passes', async () => {
    const app = buildApp({ env: { STEP_UP_MAX_AGE_SECONDS: '120' } });
    const first = await runFlow(app.http, { redirectUri: callback });
    const verifier = first.pkce.verifier;
    const exchanged = await exchange(app.http, {
      code: first.params.get('code') ?? '',
      redirect_uri: callback,
      client_id: SPA,
      code_verifier: verifier,
    });
    app.clock.advance(10 * 60 * 1000);
    const refused = await app
      .http()
      .get('/account/security')
      .auth(exchanged.body.access_token, { type: 'bearer' });
    expectProblem(refused, { status: 401, code: 'insufficient_user_authentication' });
    expect(refused.headers['www-authenticate']).toContain('max_age="120"');

    // The challenge's max_age, sent to /authorize with the remembered login: the password again.
    const p = pkce();
    const again = await app
      .http()
      .get('/authorize')
      .set('Cookie', first.cookie ?? '')
      .query(authorizeQuery({ redirectUri: callback, extra: { max_age: '120' } }, p));
    expect(again.text).toContain('value="login"');
    const fresh = await runFlow(app.http, {
      redirectUri: callback,
      cookie: first.cookie,
      extra: { max_age: '120' },
      pkce: p,
    });
    const tokens = await exchange(app.http, {
      code: fresh.params.get('code') ?? '',
      redirect_uri: callback,
      client_id: SPA,
      code_verifier: p.verifier,
    });
    const ok = await app
      .http()
      .get('/account/security')
      .auth(tokens.body.access_token, { type: 'bearer' });
    expect(ok.status).toBe(200);
    const claims = jwt.decode(tokens.body.access_token) as jwt.JwtPayload;
    expect(claims).toMatchObject({
      auth_time: Math.floor(app.clock.now() / 1000),
      acr: 'urn:four-oh-one:acr:password',
    });
  });
});

describe('prompt=none with a remembered login', () => {
  it('answers consent_required on the redirect: consent always needs a page here', async () => {
    const first = await runFlow(ctx.http, { redirectUri: callback });
    const res = await ctx
      .http()
      .get('/authorize')
      .set('Cookie', first.cookie ?? '')
      .query(authorizeQuery({ redirectUri: callback, extra: { prompt: 'none' } }, pkce()));
    expect(redirected(res).get('error')).toBe('consent_required');
  });
});

describe('wrong passwords on the login form', () => {
  it('count with POST /login’s: past LOGIN_MAX_FAILURES_PER_ACCOUNT, 429 too_many_attempts', async () => {
    const app = buildApp({ env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '2' } });
    const page = await app
      .http()
      .get('/authorize')
      .query(authorizeQuery({ redirectUri: callback }, pkce()));
    const form = {
      ...formFields(page.text),
      username: 'my_username',
      password: 'wrong',
      action: 'login',
    };
    for (let i = 0; i < 2; i++) {
      const res = await app.http().post('/authorize').type('form').send(form);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(
        /^Cookie realm="four-oh-one", form-action="\/authorize"/,
      );
    }
    const limited = await app.http().post('/authorize').type('form').send(form);
    expectProblem(limited, { status: 429, code: 'too_many_attempts' });
    // The right password is refused too until the window ends: the limit is per account and address.
    const right = await app
      .http()
      .post('/authorize')
      .type('form')
      .send({ ...form, password: 'my_password' });
    expect(right.status).toBe(429);
  });
});

/** Two exchanges of one code at once, on `a` and `b`: exactly one gets tokens. */
async function raceOneCode(a: TestContext, b: TestContext): Promise<number[]> {
  const flow = await runFlow(a.http, { redirectUri: callback });
  const fields = {
    code: flow.params.get('code') ?? '',
    redirect_uri: callback,
    client_id: SPA,
    code_verifier: flow.pkce.verifier,
  };
  const answers = await Promise.all([exchange(a.http, fields), exchange(b.http, fields)]);
  return answers.map((r) => r.status).sort();
}

describe('a code exchanged twice at the same moment', () => {
  it('gives tokens once: the claim is one atomic step', async () => {
    expect(await raceOneCode(ctx, ctx)).toEqual([200, 400]);
  });
});

describeRedis('the authorization-code flow on Redis', () => {
  const prefix = `four-oh-one:test:authorize:${randomUUID()}:`;
  const stores: RedisStore[] = [];
  async function instance(clock: TestClock) {
    const store = new RedisStore({ url: redisUrl as string, prefix });
    await store.connect();
    stores.push(store);
    return buildApp({ store, clock });
  }
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it('two instances act as one server: a code from one is spent once, on either', async () => {
    const clock = testClock();
    const a = await instance(clock);
    const b = await instance(clock);
    expect(await raceOneCode(a, b)).toEqual([200, 400]);
    // Consent answered on the other instance, and the code exchanged on the first.
    const flow = await runFlow(b.http, { redirectUri: callback });
    const res = await exchange(a.http, {
      code: flow.params.get('code') ?? '',
      redirect_uri: callback,
      client_id: SPA,
      code_verifier: flow.pkce.verifier,
    });
    expect(res.status).toBe(200);
  });
});

describe('the Content-Security-Policy of /authorize', () => {
  it('lets its forms lead to the registered redirect origins, and nowhere else', async () => {
    const res = await ctx
      .http()
      .get('/authorize')
      .query(authorizeQuery({ redirectUri: callback }, pkce()));
    const demo = `http://127.0.0.1:${ctx.config.cors.demoPort}`;
    expect(res.headers['content-security-policy']).toContain(
      `form-action 'self' ${ctx.config.publicUrl} ${demo};`,
    );
    // Other pages keep helmet's form-action 'self'.
    const other = await ctx.http().get('/playground');
    expect(other.headers['content-security-policy']).toContain("form-action 'self';");
  });
});
