#!/usr/bin/env node
/* global process, console, fetch, URL, URLSearchParams, AbortSignal, Buffer, crypto */
// A real OpenID Connect client library, oauth4webapi, through the authorization-code flow with
// PKCE against four-oh-one: discovery, the authorization request, the login and consent forms
// posted as a browser posts them, the authorization response checked by the library (state,
// iss), the code exchanged, the id_token's claims validated by the library (iss, aud, exp,
// nonce, auth_time against max_age) and its ES256 signature checked with the JWKS, userinfo, and
// the refusals read through the library's error types. Prints one JSON document on stdout for
// test/e2e/oidc-client.test.ts: FOUR_OH_ONE_URL=http://127.0.0.1:PORT node oidc-client.mjs
import * as oauth from 'oauth4webapi';

const BASE_URL = (process.env.FOUR_OH_ONE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const REDIRECT = `${BASE_URL}/oauth/callback`;
const insecure = () => ({
  [oauth.allowInsecureRequests]: true,
  signal: AbortSignal.timeout(10_000),
});
const spa = { client_id: 'four-oh-one-spa', token_endpoint_auth_method: 'none' };
const web = { client_id: 'four-oh-one-web' };
const out = { flows: {}, errors: {} };

const issuer = new URL(BASE_URL);
const as = await oauth
  .discoveryRequest(issuer, { algorithm: 'oidc', ...insecure() })
  .then((res) => oauth.processDiscoveryResponse(issuer, res));
out.discovery = {
  issuer: as.issuer,
  authorization_endpoint: as.authorization_endpoint,
  iss_parameter: as.authorization_response_iss_parameter_supported,
};

/** The hidden inputs of a page's form, by name (the pages escape with numeric references). */
function fields(page) {
  const found = {};
  for (const [tag] of page.matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '';
    if (name) found[name] = value.replace(/&#(\d+);/g, (_m, c) => String.fromCharCode(Number(c)));
  }
  return found;
}

const post = (form, cookie) =>
  fetch(`${BASE_URL}/authorize`, {
    method: 'POST',
    body: new URLSearchParams(form),
    redirect: 'manual',
    headers: cookie ? { cookie } : {},
    signal: AbortSignal.timeout(10_000),
  });

/**
 * A browser's part of the flow: GET the authorization URL, post the login form (unless a
 * remembered login skips it), then answer the consent page. Returns where it was sent back to.
 */
async function browser(url, { action = 'approve', cookie, password = 'my_password' } = {}) {
  const first = await fetch(url, {
    redirect: 'manual',
    headers: cookie ? { cookie } : {},
    signal: AbortSignal.timeout(10_000),
  });
  if (first.status === 303) return { location: first.headers.get('location'), cookie };
  let page = await first.text();
  let setCookie = cookie;
  if (page.includes('value="login"')) {
    const login = await post({
      ...fields(page),
      username: 'my_username',
      password,
      action: 'login',
    });
    if (login.status !== 200) return { status: login.status, cookie };
    setCookie = login.headers.get('set-cookie')?.split(';')[0] ?? cookie;
    page = await login.text();
  }
  const { pending, csrf_token } = fields(page);
  const answer = await post({ pending, csrf_token, action });
  return { location: answer.headers.get('location'), status: answer.status, cookie: setCookie };
}

/** Starts a flow: PKCE, state and nonce made by the library, the authorization URL. */
async function start(client, extra = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint);
  const params = {
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid profile data:read',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { url, verifier, state, nonce };
}

/** The ES256 signature of a JWS, checked with the key the JWKS publishes for its kid. */
async function signatureValid(jws) {
  const [h, p, s] = jws.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const jwks = await fetch(as.jwks_uri, insecure()).then((r) => r.json());
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || header.alg !== 'ES256') return false;
  const key = await crypto.subtle.importKey(
    'jwk',
    { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['verify'],
  );
  return crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    Buffer.from(s, 'base64url'),
    Buffer.from(`${h}.${p}`),
  );
}

async function caught(err) {
  if (err instanceof oauth.ResponseBodyError) {
    return {
      class: 'ResponseBodyError',
      status: err.status,
      error: err.error,
      code: err.cause.code,
    };
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return { class: 'AuthorizationResponseError', error: err.error, state: err.cause.get('state') };
  }
  if (err instanceof oauth.OperationProcessingError) {
    return { class: 'OperationProcessingError', code: err.code, message: err.message };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const body = await err.response.json();
    return { class: 'WWWAuthenticateChallengeError', status: err.status, code: body.code };
  }
  return { class: err?.constructor?.name ?? typeof err, message: String(err?.message ?? err) };
}

async function refusal(name, run) {
  try {
    await run();
    out.errors[name] = { class: 'none', message: 'the library accepted the answer' };
  } catch (err) {
    out.errors[name] = await caught(err);
  }
}

const exchange = (client, auth, params, verifier) =>
  oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT, verifier, insecure());

// 1. The public client, end to end.
const flow = await start(spa, { max_age: '300' });
const sent = await browser(flow.url);
const params = oauth.validateAuthResponse(as, spa, new URL(sent.location), flow.state);
const response = await exchange(spa, oauth.None(), params, flow.verifier);
const tokens = await oauth.processAuthorizationCodeResponse(as, spa, response, {
  expectedNonce: flow.nonce,
  maxAge: 300,
  requireIdToken: true,
});
const claims = oauth.getValidatedIdTokenClaims(tokens);
const info = await oauth
  .userInfoRequest(as, spa, tokens.access_token, insecure())
  .then((res) => oauth.processUserInfoResponse(as, spa, claims.sub, res));
out.flows.public = {
  iss_in_response: new URL(sent.location).searchParams.get('iss'),
  token_type: tokens.token_type,
  scope: tokens.scope,
  refresh_token: typeof tokens.refresh_token,
  id_token: {
    sub: claims.sub,
    aud: claims.aud,
    nonce_matches: claims.nonce === flow.nonce,
    auth_time: typeof claims.auth_time,
    acr: claims.acr,
    signature_valid: await signatureValid(tokens.id_token),
  },
  userinfo: info,
};

// The same code again: invalid_grant, and the first access token is revoked.
await refusal('code_reused', () =>
  exchange(spa, oauth.None(), params, flow.verifier).then((res) =>
    oauth.processAuthorizationCodeResponse(as, spa, res),
  ),
);
await refusal('revoked_after_reuse', () =>
  oauth
    .userInfoRequest(as, spa, tokens.access_token, insecure())
    .then((res) => oauth.processUserInfoResponse(as, spa, claims.sub, res)),
);

// 2. The confidential client, with its secret, and a remembered login (no password typed).
const webFlow = await start(web);
const webSent = await browser(webFlow.url, { cookie: sent.cookie });
const webParams = oauth.validateAuthResponse(as, web, new URL(webSent.location), webFlow.state);
const webTokens = await exchange(
  web,
  oauth.ClientSecretBasic('four-oh-one-web-secret'),
  webParams,
  webFlow.verifier,
).then((res) =>
  oauth.processAuthorizationCodeResponse(as, web, res, { expectedNonce: webFlow.nonce }),
);
out.flows.confidential = {
  acr: oauth.getValidatedIdTokenClaims(webTokens).acr,
  aud: oauth.getValidatedIdTokenClaims(webTokens).aud,
};

// 3. Refusals, each read through the library.
await refusal('access_denied', async () => {
  const f = await start(spa);
  const back = await browser(f.url, { action: 'deny' });
  oauth.validateAuthResponse(as, spa, new URL(back.location), f.state);
});
await refusal('wrong_verifier', async () => {
  const f = await start(spa);
  const back = await browser(f.url);
  const p = oauth.validateAuthResponse(as, spa, new URL(back.location), f.state);
  const res = await exchange(spa, oauth.None(), p, oauth.generateRandomCodeVerifier());
  await oauth.processAuthorizationCodeResponse(as, spa, res);
});
await refusal('invalid_scope', async () => {
  const f = await start(spa, { scope: 'openid photos' });
  const back = await fetch(f.url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  oauth.validateAuthResponse(as, spa, new URL(back.headers.get('location')), f.state);
});
// The nonce lesson is the client's: an id_token whose nonce is not the one this client sent
// (a replayed or injected response) must be refused by the client; the server only carries it.
await refusal('nonce_mismatch', async () => {
  const f = await start(spa);
  const back = await browser(f.url);
  const p = oauth.validateAuthResponse(as, spa, new URL(back.location), f.state);
  const res = await exchange(spa, oauth.None(), p, f.verifier);
  await oauth.processAuthorizationCodeResponse(as, spa, res, {
    expectedNonce: oauth.generateRandomNonce(),
  });
});
await refusal('id_token_as_access_token', () =>
  oauth
    .protectedResourceRequest(
      tokens.id_token,
      'GET',
      new URL(`${BASE_URL}/api/v1/data`),
      undefined,
      undefined,
      insecure(),
    )
    .then((res) => res.status),
);

console.log(JSON.stringify(out));
