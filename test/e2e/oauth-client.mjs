#!/usr/bin/env node
/* global process, console, fetch, URL, URLSearchParams, AbortSignal, Buffer */
// A real OAuth client library, oauth4webapi, against four-oh-one: the flows it runs and the
// errors it reads, printed as one JSON document on stdout for test/e2e/oauth-client.test.ts.
//
// Run against a server started with REFRESH_REUSE_GRACE_SECONDS=0, so that a second use of a
// refresh token is reuse at once: FOUR_OH_ONE_URL=http://127.0.0.1:PORT node oauth-client.mjs
// It ends with wrong passwords for the admin until the limiter answers 429 (at most 30).
import * as oauth from 'oauth4webapi';

const BASE_URL = (process.env.FOUR_OH_ONE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
/** Each request's options: plain http on the loopback, and a timeout so nothing can hang. */
const insecure = () => ({
  [oauth.allowInsecureRequests]: true,
  signal: AbortSignal.timeout(10_000),
});

const confidential = { client_id: 'YOUR_VALID_API_KEY' };
const confidentialAuth = oauth.ClientSecretBasic('YOUR_VALID_API_SECRET');
const confidentialPost = oauth.ClientSecretPost('YOUR_VALID_API_SECRET');
const publicClient = { client_id: 'four-oh-one-public', token_endpoint_auth_method: 'none' };
const none = oauth.None();
const USER = { username: 'my_username', password: 'my_password' };

const out = { flows: {}, errors: {}, challenges: [] };

/** What the library made of a refusal: its error class and what it read. */
async function caught(err) {
  if (err instanceof oauth.ResponseBodyError) {
    return {
      class: 'ResponseBodyError',
      status: err.status,
      error: err.error,
      error_description: err.error_description,
      // Every problem member came along in the same body (RFC 6749 §5.2 and RFC 9457).
      code: err.cause.code,
      members: Object.keys(err.cause).sort(),
      content_type: err.response.headers.get('content-type'),
    };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    // The library leaves the body unread: an OAuth client reads it as the JSON it is.
    const body = await err.response.json();
    return {
      class: 'WWWAuthenticateChallengeError',
      status: err.status,
      challenges: err.cause,
      error: body.error,
      code: body.code,
      content_type: err.response.headers.get('content-type'),
    };
  }
  return { class: err?.constructor?.name ?? typeof err, message: String(err?.message ?? err) };
}

/** Runs a request the library should refuse, and records how it refused it. */
async function refusal(name, run) {
  try {
    await run();
    out.errors[name] = { class: 'none', message: 'the library accepted the answer' };
  } catch (err) {
    out.errors[name] = await caught(err);
  }
}

const password = (client, auth, params) =>
  oauth
    .genericTokenEndpointRequest(as, client, auth, 'password', params, insecure())
    .then((res) => oauth.processGenericTokenEndpointResponse(as, client, res));
const refresh = (client, auth, token) =>
  oauth
    .refreshTokenGrantRequest(as, client, auth, token, insecure())
    .then((res) => oauth.processRefreshTokenResponse(as, client, res));
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

// Discovery: RFC 8414 metadata, checked by the library against the issuer.
const issuer = new URL(BASE_URL);
const as = await oauth
  .discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure() })
  .then((res) => oauth.processDiscoveryResponse(issuer, res));
out.flows.discovery = {
  issuer: as.issuer,
  token_endpoint_auth_methods_supported: as.token_endpoint_auth_methods_supported,
};

// Client credentials, with HTTP Basic; the token opens the data route.
const cc = await oauth
  .clientCredentialsGrantRequest(
    as,
    confidential,
    confidentialAuth,
    { scope: 'data:read' },
    insecure(),
  )
  .then((res) => oauth.processClientCredentialsResponse(as, confidential, res));
const data = await oauth.protectedResourceRequest(
  cc.access_token,
  'GET',
  new URL('/api/v1/data', BASE_URL),
  undefined,
  undefined,
  insecure(),
);
out.flows.client_credentials = {
  token_type: cc.token_type,
  scope: cc.scope,
  refresh_token: cc.refresh_token ?? null,
  data_status: data.status,
};

// The password grant for the public client (no secret), then refresh and revocation.
const user = await password(publicClient, none, USER);
const refreshed = await refresh(publicClient, none, user.refresh_token);
out.flows.password = {
  token_type: user.token_type,
  client_id: claims(user.access_token).client_id,
  refresh_token: typeof user.refresh_token === 'string',
};
out.flows.refresh = {
  rotated: refreshed.refresh_token !== user.refresh_token,
  client_id: claims(refreshed.access_token).client_id,
};

// Introspection by the confidential client: token_type is the RFC 6749 §7.1 type.
const introspect = (token) =>
  oauth
    .introspectionRequest(as, confidential, confidentialAuth, token, insecure())
    .then((res) => oauth.processIntrospectionResponse(as, confidential, res));
const active = await introspect(refreshed.access_token);
const refreshDescribed = await introspect(refreshed.refresh_token);
const revoked = await oauth
  .revocationRequest(as, publicClient, none, refreshed.access_token, insecure())
  .then((res) => oauth.processRevocationResponse(res));
const afterRevocation = await introspect(refreshed.access_token);
out.flows.introspection = {
  active: active.active,
  token_type: active.token_type,
  refresh_token_type: refreshDescribed.token_type ?? null,
  refresh_token_use: refreshDescribed.token_use,
};
out.flows.revocation = { result: revoked ?? null, active_after: afterRevocation.active };

// A confidential client's refresh token: refreshed with its authentication, refused without.
const confidentialUser = await password(confidential, confidentialPost, USER);
const withAuth = await refresh(confidential, confidentialPost, confidentialUser.refresh_token);
out.flows.confidential_refresh = { client_id: claims(withAuth.access_token).client_id };
await refusal('refresh_without_client_authentication', () =>
  refresh(publicClient, none, withAuth.refresh_token),
);

// Every OAuth error the token endpoint documents, read through the library's error types.
await refusal('invalid_client', () =>
  oauth
    .clientCredentialsGrantRequest(
      as,
      confidential,
      oauth.ClientSecretBasic('wrong'),
      {},
      insecure(),
    )
    .then((res) => oauth.processClientCredentialsResponse(as, confidential, res)),
);
await refusal('invalid_grant', () => password(publicClient, none, { ...USER, password: 'nope' }));
await refusal('invalid_request', () => password(publicClient, none, { username: 'my_username' }));
await refusal('unsupported_grant_type', () =>
  oauth
    .genericTokenEndpointRequest(
      as,
      publicClient,
      none,
      'urn:example:no-such-grant',
      {},
      insecure(),
    )
    .then((res) => oauth.processGenericTokenEndpointResponse(as, publicClient, res)),
);
await refusal('invalid_scope', () => password(publicClient, none, { ...USER, scope: 'admin' }));
await refusal('refresh_token_reused', () => refresh(publicClient, none, user.refresh_token));
await refusal('public_client_credentials', () =>
  oauth
    .clientCredentialsGrantRequest(as, publicClient, none, {}, insecure())
    .then((res) => oauth.processClientCredentialsResponse(as, publicClient, res)),
);
await refusal('public_introspection', () =>
  oauth
    .introspectionRequest(as, publicClient, none, cc.access_token, insecure())
    .then((res) => oauth.processIntrospectionResponse(as, publicClient, res)),
);
await refusal('revoke_without_client_authentication', () =>
  oauth
    .revocationRequest(as, publicClient, none, cc.access_token, insecure())
    .then((res) => oauth.processRevocationResponse(res)),
);
// DPoP (RFC 9449) with the library's own key pair: it signs every proof (htm, htu, iat, jti, ath)
// and keeps the nonces servers send; a use_dpop_nonce refusal is retried once, as its docs say.
const withNonceRetry = async (call) => {
  try {
    return { retried: false, result: await call() };
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return { retried: true, result: await call() };
  }
};
// A key pair, then a full garbage collection (node runs this script with --expose-gc): on Node
// 20 a collection of the finished generation job inside a use of its key can deadlock the
// thread (test/key-pairs.ts says how that was found).
const keyPair = async (alg) => {
  const pair = await oauth.generateKeyPair(alg);
  globalThis.gc?.();
  return pair;
};
const dpopKeys = await keyPair('ES256');
const dpop = oauth.DPoP(publicClient, dpopKeys);
const dpopOptions = () => ({ ...insecure(), DPoP: dpop });
const dpopPassword = (params, handle = dpop) =>
  oauth
    .genericTokenEndpointRequest(as, publicClient, none, 'password', params, {
      ...insecure(),
      DPoP: handle,
    })
    .then((res) => oauth.processGenericTokenEndpointResponse(as, publicClient, res));
const dpopUser = await dpopPassword(USER);
const dpopResource = (token, path) =>
  oauth.protectedResourceRequest(
    token,
    'GET',
    new URL(path, BASE_URL),
    undefined,
    undefined,
    dpopOptions(),
  );
const dpopData = await dpopResource(dpopUser.access_token, '/api/v1/data');
const dpopRefreshed = await oauth
  .refreshTokenGrantRequest(as, publicClient, none, dpopUser.refresh_token, dpopOptions())
  .then((res) => oauth.processRefreshTokenResponse(as, publicClient, res));
// A resource that demands a nonce: 401 use_dpop_nonce, the handle keeps DPoP-Nonce, and the
// retry's proof carries it.
const nonced = await withNonceRetry(() =>
  dpopResource(dpopRefreshed.access_token, '/api/v1/dpop/nonce'),
);
// The token endpoint demanding one (dpop_nonce=required): 400 use_dpop_nonce, then tokens.
// With a new handle: the first one already holds this origin's nonce from the resource above.
const freshDpop = oauth.DPoP(publicClient, await keyPair('ES256'));
const tokenNonced = await withNonceRetry(() =>
  dpopPassword({ ...USER, dpop_nonce: 'required' }, freshDpop),
);
// A key the tokens are not bound to: the server refuses its proofs.
const otherDpop = oauth.DPoP(publicClient, await keyPair('ES256'));
out.flows.dpop = {
  token_type: dpopUser.token_type,
  jkt_is_the_key: claims(dpopUser.access_token).cnf?.jkt === (await dpop.calculateThumbprint()),
  refresh_bound: claims(dpopUser.refresh_token).cnf?.jkt === (await dpop.calculateThumbprint()),
  data_status: dpopData.status,
  refreshed_token_type: dpopRefreshed.token_type,
  nonce_resource: { retried: nonced.retried === true, status: nonced.result?.status },
  nonce_token_endpoint: {
    retried: tokenNonced.retried === true,
    token_type: tokenNonced.result?.token_type,
  },
};
await refusal('dpop_refresh_other_key', () =>
  oauth
    .refreshTokenGrantRequest(as, publicClient, none, dpopRefreshed.refresh_token, {
      ...insecure(),
      DPoP: otherDpop,
    })
    .then((res) => oauth.processRefreshTokenResponse(as, publicClient, res)),
);
/** The bound token on /api/v1/data: with another key's proofs, or as a Bearer token (none). */
const dataWith = (handle) =>
  oauth.protectedResourceRequest(
    dpopRefreshed.access_token,
    'GET',
    new URL('/api/v1/data', BASE_URL),
    undefined,
    undefined,
    handle ? { ...insecure(), DPoP: handle } : insecure(),
  );
await refusal('dpop_resource_other_key', () => dataWith(otherDpop));
await refusal('dpop_token_as_bearer', () => dataWith(undefined));

// Every challenge of the registry, parsed by the library: each scenario's trigger is sent as
// documented, and its answer handed to a library function that reads challenges first.
const catalog = await (
  await fetch(`${BASE_URL}/scenarios`, { signal: AbortSignal.timeout(10_000) })
).json();
for (const s of catalog.scenarios) {
  if (s.expect.challenge === null) continue;
  // A card that no replay of its trigger can answer (a fresh signature, a second leg on one
  // connection) is set up in test/scenario-setups.test.ts, not fired here.
  if (s.trigger.fired === false) continue;
  // RFC 7804's data= is unquoted base64, whose "/" and "=" are not RFC 9110 token characters:
  // a generic challenge parser such as this library's gives up on it whenever the random server
  // nonce's base64 has one. test/routes/scram.test.ts and the Perl client read those challenges.
  if (s.family === 'scram') continue;
  const { method, path, headers = {}, body, contentType } = s.trigger;
  // fetch cannot send a GET with a body (the token-in-a-form-body card); the challenges of the
  // cards skipped here are the same Bearer challenges other cards carry.
  if ((method === 'GET' || method === 'HEAD') && body !== undefined) continue;
  // Nor send one field twice (the Authorization-twice card): it joins the values into one.
  if (Object.values(headers).some(Array.isArray)) continue;
  const form = contentType === 'form';
  const res = await fetch(new URL(path, BASE_URL), {
    method,
    redirect: 'manual',
    headers: {
      ...headers,
      ...(body === undefined
        ? {}
        : { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' }),
    },
    body:
      body === undefined
        ? undefined
        : form
          ? new URLSearchParams(body).toString()
          : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  try {
    await oauth.processRevocationResponse(res);
    out.challenges.push({
      id: s.id,
      status: res.status,
      expected: s.expect.challenge,
      parsed: null,
    });
  } catch (err) {
    out.challenges.push({
      id: s.id,
      status: res.status,
      expected: s.expect.challenge,
      parsed: err instanceof oauth.WWWAuthenticateChallengeError ? err.cause : null,
      error: err instanceof oauth.WWWAuthenticateChallengeError ? undefined : String(err.message),
    });
  }
}

// Last, as it locks the admin out from this address for a while: wrong passwords until the
// limiter answers 429 slow_down (RFC 8628 §3.5's word).
for (let i = 0; i < 30; i++) {
  await refusal('slow_down', () =>
    password(publicClient, none, { username: 'admin', password: `wrong-${i}` }),
  );
  if (out.errors.slow_down.status === 429) break;
}

console.log(JSON.stringify(out, null, 2));
