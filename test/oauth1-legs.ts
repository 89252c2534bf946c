import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { DEMO_OAUTH1_CONSUMER_KEY, DEMO_OAUTH1_CONSUMER_SECRET } from '../src/auth/oauth1';
import type { TestContext } from './helpers';

/**
 * The three legs of OAuth 1.0a (RFC 5849 §2) driven by an independent signer, the oauth-1.0a
 * package, on the app's clock: test/routes/oauth1-flow.test.ts and the cards signed now in
 * test/scenario-setups.test.ts.
 */

export const HOST = 'api.four-oh-one.test';
const url = (path: string) => `http://${HOST}${path}`;

export function signer(ctx: TestContext): OAuth {
  const oauth = new OAuth({
    consumer: { key: DEMO_OAUTH1_CONSUMER_KEY, secret: DEMO_OAUTH1_CONSUMER_SECRET },
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  });
  oauth.getTimeStamp = () => Math.floor(ctx.clock.now() / 1000);
  return oauth;
}

/** A signed POST of a form (its parameters signed too, RFC 5849 §3.4.1.3.1). */
export function signedPost(
  ctx: TestContext,
  path: string,
  data: Record<string, string>,
  token?: OAuth.Token,
) {
  const auth = signer(ctx).authorize({ url: url(path), method: 'POST', data }, token);
  return ctx
    .http()
    .post(path)
    .set('Host', HOST)
    .set('Authorization', signer(ctx).toHeader(auth).Authorization)
    .type('form')
    .send(
      // oauth-1.0a writes the protocol parameters among `data` (oauth_callback, oauth_verifier)
      // into the header, as requests-oauthlib does; each is sent once (RFC 5849 §3.5).
      new URLSearchParams(Object.entries(data).filter(([k]) => !k.startsWith('oauth_'))).toString(),
    );
}

export function signedGet(ctx: TestContext, path: string, token?: OAuth.Token) {
  const auth = signer(ctx).authorize({ url: url(path), method: 'GET' }, token);
  return ctx
    .http()
    .get(path)
    .set('Host', HOST)
    .set('Authorization', signer(ctx).toHeader(auth).Authorization);
}

export const form = (text: string) => Object.fromEntries(new URLSearchParams(text));

export async function temporary(ctx: TestContext, callback = 'oob'): Promise<OAuth.Token> {
  const res = await signedPost(ctx, '/oauth1/request_token', { oauth_callback: callback });
  expect(res.status).toBe(200);
  const body = form(res.text);
  return { key: body.oauth_token!, secret: body.oauth_token_secret! };
}

export function approve(ctx: TestContext, token: string, password?: string) {
  return ctx
    .http()
    .post('/oauth1/authorize')
    .type('form')
    .send({
      oauth_token: token,
      username: ctx.config.demo.username,
      password: password ?? ctx.config.demo.password,
      action: 'approve',
    });
}

/** The verifier an `oob` approval page shows. */
export async function approvedVerifier(ctx: TestContext, token: string): Promise<string> {
  const res = await approve(ctx, token);
  expect(res.status).toBe(200);
  return /class="oauth1-verifier">([A-Za-z0-9_-]+)</.exec(res.text)![1]!;
}
