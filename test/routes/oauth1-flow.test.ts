import fc from 'fast-check';
import {
  DEMO_OAUTH1_TOKEN,
  DEMO_OAUTH1_TOKEN_SECRET,
  OAUTH1_CHALLENGE,
} from '../../src/auth/oauth1';
import { buildApp, expectProblem } from '../helpers';
import { approve, approvedVerifier, form, signedGet, signedPost, temporary } from '../oauth1-legs';

/**
 * The three legs of OAuth 1.0a (RFC 5849 §2) with an independent signer (the oauth-1.0a package):
 * temporary credentials, the resource owner's approval on the page, the token request, and the
 * token credentials at the resource; and each way a leg is refused.
 */

describe('OAuth 1.0a three-legged (RFC 5849 §2)', () => {
  const ctx = buildApp();

  it('temporary credentials, approval, token credentials, and the resource served for the user', async () => {
    const res = await signedPost(ctx, '/oauth1/request_token', { oauth_callback: 'oob' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(res.headers['cache-control']).toBe('no-store');
    const temp = form(res.text);
    expect(temp).toEqual({
      oauth_token: expect.stringMatching(/^tmp_[A-Za-z0-9_-]{32}$/),
      oauth_token_secret: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      oauth_callback_confirmed: 'true',
    });
    const page = await ctx.http().get(`/oauth1/authorize?oauth_token=${temp.oauth_token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('action="/oauth1/authorize"');
    const verifier = await approvedVerifier(ctx, temp.oauth_token!);
    const tempToken = { key: temp.oauth_token!, secret: temp.oauth_token_secret! };
    const exchanged = await signedPost(
      ctx,
      '/oauth1/access_token',
      { oauth_verifier: verifier },
      tempToken,
    );
    expect(exchanged.status).toBe(200);
    const issued = form(exchanged.text);
    expect(issued).toEqual({
      oauth_token: expect.stringMatching(/^tok_[A-Za-z0-9_-]{32}$/),
      oauth_token_secret: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
    });
    const served = await signedGet(ctx, '/oauth1/resource', {
      key: issued.oauth_token!,
      secret: issued.oauth_token_secret!,
    });
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject({
      token: issued.oauth_token,
      user: ctx.config.demo.username,
    });
    // The temporary credentials are spent: a second exchange is refused.
    const again = await signedPost(
      ctx,
      '/oauth1/access_token',
      { oauth_verifier: verifier },
      tempToken,
    );
    expectProblem(again, {
      status: 401,
      code: 'oauth1_token_unknown',
      challenge: OAUTH1_CHALLENGE,
    });
  });

  it('sends the resource owner back to a loopback callback with the token and verifier, keeping its query', async () => {
    const temp = await temporary(ctx, 'http://127.0.0.1:8765/cb?state=xyz');
    const res = await approve(ctx, temp.key);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location!);
    expect(location.origin + location.pathname).toBe('http://127.0.0.1:8765/cb');
    expect(location.searchParams.get('state')).toBe('xyz');
    expect(location.searchParams.get('oauth_token')).toBe(temp.key);
    expect(location.searchParams.get('oauth_verifier')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('refuses a callback on another origin, or none, and stores nothing', async () => {
    const before = (await ctx.store.usage()).entries;
    for (const callback of [
      'https://evil.example/cb',
      'javascript:alert(1)',
      'http://user:pw@127.0.0.1/',
    ]) {
      const res = await signedPost(ctx, '/oauth1/request_token', { oauth_callback: callback });
      expectProblem(res, { status: 400, code: 'oauth1_callback_invalid', challenge: null });
    }
    const none = await signedPost(ctx, '/oauth1/request_token', {});
    expectProblem(none, { status: 400, code: 'oauth1_parameter_missing', challenge: null });
    expect((await ctx.store.usage()).entries).toBe(before);
  });

  it('refuses token credentials at the temporary credential request', async () => {
    const res = await signedPost(
      ctx,
      '/oauth1/request_token',
      { oauth_callback: 'oob' },
      {
        key: DEMO_OAUTH1_TOKEN,
        secret: DEMO_OAUTH1_TOKEN_SECRET,
      },
    );
    expectProblem(res, { status: 400, code: 'oauth1_request_malformed', challenge: null });
  });

  it('refuses temporary credentials used as a token at the resource, approved or not', async () => {
    const temp = await temporary(ctx);
    const res = await signedGet(ctx, '/oauth1/resource', temp);
    expectProblem(res, {
      status: 401,
      code: 'oauth1_token_temporary',
      challenge: OAUTH1_CHALLENGE,
    });
    await approvedVerifier(ctx, temp.key);
    const approved = await signedGet(ctx, '/oauth1/resource', temp);
    expectProblem(approved, {
      status: 401,
      code: 'oauth1_token_temporary',
      challenge: OAUTH1_CHALLENGE,
    });
  });

  it('refuses the token request before the approval, with a wrong verifier, or without one', async () => {
    const temp = await temporary(ctx);
    const early = await signedPost(ctx, '/oauth1/access_token', { oauth_verifier: 'x' }, temp);
    expectProblem(early, {
      status: 401,
      code: 'oauth1_verifier_invalid',
      challenge: OAUTH1_CHALLENGE,
    });
    const verifier = await approvedVerifier(ctx, temp.key);
    const wrong = await signedPost(
      ctx,
      '/oauth1/access_token',
      { oauth_verifier: `${verifier}x` },
      temp,
    );
    expectProblem(wrong, {
      status: 401,
      code: 'oauth1_verifier_invalid',
      challenge: OAUTH1_CHALLENGE,
    });
    const missing = await signedPost(ctx, '/oauth1/access_token', {}, temp);
    expectProblem(missing, { status: 400, code: 'oauth1_parameter_missing', challenge: null });
    // A wrong verifier spent nothing.
    const right = await signedPost(ctx, '/oauth1/access_token', { oauth_verifier: verifier }, temp);
    expect(right.status).toBe(200);
  });

  it('refuses the token request signed with token credentials, or with none', async () => {
    const demo = { key: DEMO_OAUTH1_TOKEN, secret: DEMO_OAUTH1_TOKEN_SECRET };
    const res = await signedPost(ctx, '/oauth1/access_token', { oauth_verifier: 'x' }, demo);
    expectProblem(res, { status: 401, code: 'oauth1_token_unknown', challenge: OAUTH1_CHALLENGE });
    const none = await signedPost(ctx, '/oauth1/access_token', { oauth_verifier: 'x' });
    expectProblem(none, { status: 400, code: 'oauth1_parameter_missing', challenge: null });
  });

  it('a wrong password on the page is a 401 with the form challenge, and approves nothing', async () => {
    const temp = await temporary(ctx);
    const res = await approve(ctx, temp.key, 'not-the-password');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      'Cookie realm="four-oh-one", form-action="/oauth1/authorize"',
    );
    expect(res.text).toContain('role="alert"');
    const early = await signedPost(ctx, '/oauth1/access_token', { oauth_verifier: 'x' }, temp);
    expect(early.body.code).toBe('oauth1_verifier_invalid');
  });

  it('a denial ends the temporary credentials, and tells a callback so', async () => {
    const oob = await temporary(ctx);
    const denied = await ctx
      .http()
      .post('/oauth1/authorize')
      .type('form')
      .send({ oauth_token: oob.key, action: 'deny' });
    expect(denied.status).toBe(200);
    expect(denied.text).toContain('Denied');
    const after = await signedPost(ctx, '/oauth1/access_token', { oauth_verifier: 'x' }, oob);
    expect(after.body.code).toBe('oauth1_token_unknown');
    const back = await temporary(ctx, 'http://localhost:9/cb');
    const redirected = await ctx
      .http()
      .post('/oauth1/authorize')
      .type('form')
      .send({ oauth_token: back.key, action: 'deny' });
    expect(redirected.status).toBe(303);
    expect(redirected.headers.location).toBe(`http://localhost:9/cb?denied=${back.key}`);
  });

  it('an approval is given once; unknown temporary credentials get a 400 page', async () => {
    const temp = await temporary(ctx);
    await approvedVerifier(ctx, temp.key);
    expectProblem(await approve(ctx, temp.key), {
      status: 400,
      code: 'oauth1_authorization_unknown',
      challenge: null,
    });
    expectProblem(await ctx.http().get('/oauth1/authorize?oauth_token=tmp_nope'), {
      status: 400,
      code: 'oauth1_authorization_unknown',
      challenge: null,
    });
  });

  it('refuses the form posted from another site', async () => {
    const temp = await temporary(ctx);
    const res = await approve(ctx, temp.key).set('Origin', 'https://evil.example');
    expectProblem(res, { status: 403, code: 'csrf_origin_refused' });
  });

  it('the issued credentials expire with the clock: temporary ones in 10 minutes', async () => {
    const temp = await temporary(ctx);
    const verifier = await approvedVerifier(ctx, temp.key);
    ctx.clock.advance(10 * 60_000 + 1);
    const late = await signedPost(ctx, '/oauth1/access_token', { oauth_verifier: verifier }, temp);
    expectProblem(late, { status: 401, code: 'oauth1_token_unknown', challenge: OAUTH1_CHALLENGE });
  });

  it('never answers 5xx to any oauth_token on the page or the form, and stores nothing', async () => {
    const before = (await ctx.store.usage()).entries;
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), fc.boolean(), async (token, post) => {
        const res = post
          ? await ctx
              .http()
              .post('/oauth1/authorize')
              .type('form')
              .send({ oauth_token: token, action: 'approve', username: 'user', password: 'x' })
          : await ctx.http().get('/oauth1/authorize').query({ oauth_token: token });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('oauth1_authorization_unknown');
      }),
      { numRuns: 40 },
    );
    expect((await ctx.store.usage()).entries).toBe(before);
  });
});
