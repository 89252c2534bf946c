/**
 * The scenario registry: the single source of truth for every answer this server teaches.
 *
 * `problemCatalog` defines each error `code` once (status, title, explanation, remedy, RFCs);
 * `scenarios` lists the requests that produce them. `GET /scenarios`, `GET /problems/:code` and
 * the table-driven test in test/scenarios.test.ts are all derived from these two tables, so the
 * catalog cannot drift from behaviour: the catalog is the test.
 *
 * This module is data only and imports nothing from the server, so anything may import it.
 */

export interface RfcRef {
  /** e.g. "RFC 6750 §3.1" */
  label: string;
  url: string;
}

/** A reference to an RFC section, with its rfc-editor.org link. */
export function rfc(num: number, section?: string): RfcRef {
  const base = `https://www.rfc-editor.org/rfc/rfc${num}`;
  return section === undefined
    ? { label: `RFC ${num}`, url: base }
    : { label: `RFC ${num} §${section}`, url: `${base}#section-${section}` };
}

/** A section of the Fetch Standard (WHATWG), which defines the CORS protocol browsers run. */
export function fetchStandard(section: string, anchor: string): RfcRef {
  return { label: `Fetch Standard §${section}`, url: `https://fetch.spec.whatwg.org/#${anchor}` };
}

/**
 * A section of RFC 6265bis (draft-ietf-httpbis-rfc6265bis), the revision of RFC 6265 that
 * defines SameSite and what browsers do today.
 */
export function rfc6265bis(section: string): RfcRef {
  return {
    label: `RFC 6265bis §${section}`,
    url: `https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-${section}`,
  };
}

export interface ProblemDef {
  status: number;
  title: string;
  /** Why the server answers so, for a person. */
  explanation: string;
  /** What the client should do next. */
  remedy: string;
  rfc: RfcRef[];
}

const BEARER_RETRY =
  'Get a new access token (refresh it, or sign in again), then retry the request once with it.';

export const problemCatalog = {
  // --- platform -------------------------------------------------------------------------------
  not_found: {
    status: 404,
    title: 'Not found',
    explanation:
      'No route on this server matches the path. A 404 says nothing about your credentials.',
    remedy: 'Check the path against GET /scenarios.',
    rfc: [rfc(9110, '15.5.5')],
  },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed',
    explanation:
      'The path exists but does not serve this method. The Allow header lists the methods it does serve.',
    remedy: 'Use one of the methods in the Allow header.',
    rfc: [rfc(9110, '15.5.6')],
  },
  bad_request: {
    status: 400,
    title: 'Bad request',
    explanation:
      'The request could not be read at all: a broken request line, a header with forbidden bytes, or a path that is not valid percent-encoding.',
    remedy: 'Fix the request syntax; a compliant HTTP client never sends this.',
    rfc: [rfc(9110, '15.5.1')],
  },
  body_malformed: {
    status: 400,
    title: 'Request body is malformed',
    explanation:
      'The body does not parse as the media type its Content-Type names (for example JSON with a syntax error).',
    remedy: 'Send a body that matches its Content-Type.',
    rfc: [rfc(9110, '15.5.1')],
  },
  body_invalid: {
    status: 400,
    title: 'Request body is invalid',
    explanation:
      'The body parsed, but a field is missing, has the wrong type or an unusable value (a chat completion without `messages`, a `model` that is not a string). The answer names the field: `param` in the body.',
    remedy: 'Fix the field that `param` names, as `detail` says, and send the request again.',
    rfc: [rfc(9110, '15.5.1')],
  },
  body_too_large: {
    status: 413,
    title: 'Request body too large',
    explanation: 'The body is larger than this endpoint accepts; the server stopped reading it.',
    remedy: 'Send a smaller body.',
    rfc: [rfc(9110, '15.5.14')],
  },
  media_type_unsupported: {
    status: 415,
    title: 'Unsupported media type',
    explanation:
      'The body is in a media type, charset or content encoding this endpoint does not read.',
    remedy:
      'Send application/json or application/x-www-form-urlencoded in UTF-8, as the endpoint documents.',
    rfc: [rfc(9110, '15.5.16')],
  },
  header_too_large: {
    status: 431,
    title: 'Request header fields too large',
    explanation:
      'The request headers together exceed what this server reads (32 KiB). Oversized cookies or tokens are the usual cause.',
    remedy: 'Send smaller headers; an access token should be well under 8 KiB.',
    rfc: [rfc(6585, '5')],
  },
  internal_error: {
    status: 500,
    title: 'Internal server error',
    explanation:
      'Something failed on the server that is not your request’s fault. The log line with this request id says what.',
    remedy: 'Retry later; if it persists, report the request id.',
    rfc: [rfc(9110, '15.6.1')],
  },
  store_unavailable: {
    status: 503,
    title: 'State store unavailable',
    explanation:
      'The session and token store (memory or Redis) did not answer or is full, so the server could not judge your credentials. It answers 503, not 401: an outage must not look like a logout, or clients would throw away good credentials.',
    remedy: 'Keep your credentials and retry after the Retry-After delay.',
    rfc: [rfc(9110, '15.6.4'), rfc(9110, '10.2.3')],
  },

  store_full: {
    status: 503,
    title: 'State store full',
    explanation:
      "The store holds as many entries or bytes as the operator allows (STORE_MAX_ENTRIES, STORE_MAX_BYTES, or Redis's maxmemory), so nothing new can be written for anyone. It refuses rather than evicting, since evicting would silently un-revoke a token or log someone out. Each visitor's share is bounded first (visitor_quota_exceeded), so reaching this takes many visitors at once; /readyz reports it.",
    remedy:
      'Keep your credentials and retry after the Retry-After delay; an operator may raise the bound.',
    rfc: [rfc(9110, '15.6.4'), rfc(9110, '10.2.3')],
  },
  shutting_down: {
    status: 503,
    title: 'Instance shutting down',
    explanation:
      'This instance received SIGTERM and is draining: /readyz answers 503 so that a load balancer stops sending it new work, while it still serves requests for SHUTDOWN_DRAIN_SECONDS, then finishes those in flight and exits. Other instances behind the same balancer answer as usual.',
    remedy:
      'A load balancer takes this instance out of rotation; a client retries after the Retry-After delay (another instance answers).',
    rfc: [rfc(9110, '15.6.4'), rfc(9110, '10.2.3')],
  },
  store_state_lost: {
    status: 401,
    title: 'Issued before the server lost its state',
    explanation:
      "The token was issued before this server's store lost its data (a Redis restarted without persistence, or the embedded store after a restart). The store kept the revocations, used refresh tokens and revoke-all marks; without them the server cannot tell whether this token was revoked, and answering as if nothing were revoked would un-revoke every revoked token. So it fails closed: every token issued before the loss is refused, and the loss is logged once. The server notices through one key holding when the store's data began, read with the revocation keys on every request.",
    remedy:
      'Get a new token (log in again, or use your client credentials); a refresh token issued before the loss is refused too.',
    rfc: [rfc(6750, '3.1'), rfc(9700, '4.14.2')],
  },
  visitor_quota_exceeded: {
    status: 429,
    title: 'Visitor quota exceeded',
    explanation:
      'Every write a visitor can cause (a session, a revocation, a used refresh token, a scripted-failure counter) is charged to its client address, bounded in entries and bytes (VISITOR_MAX_ENTRIES, VISITOR_MAX_BYTES). This address holds its whole share, so its new writes are refused; nobody else is affected, and the share frees itself as entries expire.',
    remedy:
      'Wait for the Retry-After delay (entries expire on their own), log out sessions you no longer need, and use short token and session lifetimes in tests.',
    rfc: [rfc(6585, '4'), rfc(9110, '10.2.3')],
  },
  specimen_read_only: {
    status: 403,
    title: 'Specimen tokens cannot change state',
    explanation:
      "The ready-made specimen tokens on /scenarios and /tokens/specimens are shared by every visitor, so they may be read with but never used to change state: revoking everyone's tokens with the shared admin specimen would change what other visitors see. Get a token of your own at POST /auth/token.",
    remedy:
      'Get your own token (POST /auth/token with the demo credentials) and call again with it.',
    rfc: [rfc(9110, '15.5.4'), rfc(6750, '3.1')],
  },

  // --- bearer tokens (RFC 6750, RFC 9068, RFC 8725) ----------------------------------------------
  token_missing: {
    status: 401,
    title: 'Access token missing',
    explanation:
      'The request carries no Authorization header. The 401 comes with a Bearer challenge that has no error parameter: RFC 6750 §3 says that when a request lacks any authentication information, the server should not include an error code or other error information.',
    remedy: 'Get an access token and send it as `Authorization: Bearer <token>` (RFC 6750 §2.1).',
    rfc: [rfc(9110, '15.5.2'), rfc(6750, '3')],
  },
  auth_scheme_unsupported: {
    status: 401,
    title: 'Authentication scheme not accepted here',
    explanation:
      'The Authorization header uses a scheme this resource does not accept (Basic, Token, Digest, ...). To the resource that is the same as no credentials, so the challenge names the scheme it does accept, without an error parameter.',
    remedy: 'Send `Authorization: Bearer <token>`; the WWW-Authenticate header names the scheme.',
    rfc: [rfc(9110, '11.6.1'), rfc(6750, '3')],
  },
  authorization_malformed: {
    status: 400,
    title: 'Authorization header is malformed',
    explanation:
      'The header names the Bearer scheme but is not `Bearer <token>`: the token is missing, there is more than one, or it holds characters a b64token cannot (RFC 6750 §2.1). That is a broken request, not a bad credential, so RFC 6750 §3.1 answers 400 with error="invalid_request".',
    remedy: 'Send exactly `Authorization: Bearer <token>`, one space, one token.',
    rfc: [rfc(6750, '2.1'), rfc(6750, '3.1')],
  },
  authorization_repeated: {
    status: 400,
    title: 'Authorization header sent more than once',
    explanation:
      'The request carries two or more Authorization fields. A field that is not a comma-separated list may be sent once only (RFC 9110 §5.3), and Authorization holds one set of credentials (RFC 9110 §11.6.2): two cannot both be judged. Node keeps the first and drops the rest, so a server that did not count them would judge a token the client may not have meant. It is a broken request, not a bad credential: 400 with error="invalid_request" (RFC 6750 §3.1), since no new token would fix it. Usually two layers each add the header: a client’s auth option and a hand-set header, a default header of a session, or a proxy. Browsers and Python requests cannot send it (they join or replace repeated headers); curl with two -H can.',
    remedy:
      'Send exactly one Authorization header: look for a default header on the client or session besides the one set per request.',
    rfc: [rfc(9110, '5.3'), rfc(9110, '11.6.2'), rfc(6750, '3.1')],
  },
  token_multiple_methods: {
    status: 400,
    title: 'Access token sent in more than one way',
    explanation:
      'A token came in the Authorization header and another as the access_token query parameter. RFC 6750 §3.1 names this case: a request that "uses more than one method for including an access token" is invalid_request, 400. The server does not guess which one counts.',
    remedy:
      'Send the token in the Authorization header only, and take access_token out of the URL; a token that was in a URL may sit in logs and browser history, so revoke it.',
    rfc: [rfc(6750, '2'), rfc(6750, '3.1'), rfc(6750, '5.3')],
  },
  token_in_query_refused: {
    status: 401,
    title: 'Access token in the URL is not accepted here',
    explanation:
      'The token came as the access_token query parameter (RFC 6750 §2.3), not in the Authorization header. That method is optional, and this resource does not support it: URLs are logged by servers and proxies, kept in browser history and passed on in Referer headers, so a token in one leaks (RFC 6750 §2.3, §5.3). To the resource a token where it does not look is no credential, an "unsupported authentication method" (RFC 6750 §3): 401 with the Bearer challenge and no error parameter. Not 400, which would call the request broken; the code is its own, not token_missing, so the client learns where the token goes.',
    remedy:
      'Send it as `Authorization: Bearer <token>` and drop access_token from the URL; a token that travelled in a URL may have been logged, so revoke it and get a new one.',
    rfc: [rfc(6750, '2.3'), rfc(6750, '3'), rfc(6750, '5.3')],
  },
  token_in_body_refused: {
    status: 401,
    title: 'Access token in the request body is not accepted here',
    explanation:
      'The token came as the access_token parameter of an application/x-www-form-urlencoded body (RFC 6750 §2.2), not in the Authorization header. That method is optional, never allowed with GET (a GET body has no defined meaning), and this resource does not support it. Python’s `requests.get(url, data={"access_token": token})` sends exactly this: data= where headers= was meant. To the resource it is an unsupported authentication method (RFC 6750 §3): 401 with the Bearer challenge and no error parameter, with a code of its own instead of token_missing.',
    remedy:
      'Send it as `Authorization: Bearer <token>` (Python requests: `headers={"Authorization": f"Bearer {token}"}`).',
    rfc: [rfc(6750, '2.2'), rfc(6750, '3')],
  },
  token_malformed: {
    status: 401,
    title: 'Access token is not a well-formed JWT',
    explanation:
      'This server issues JWT access tokens (RFC 9068). The token sent is not one: it does not have three base64url parts, a part does not decode, the header or claims are not JSON objects, an object names a member twice (JSON parsers disagree on which one counts), its crit header is not a list of names, its signature is not in canonical base64url (another spelling of the same bytes, with the spare bits of the last character set), or it is longer than 8 KiB.',
    remedy: BEARER_RETRY,
    rfc: [rfc(7519, '7.2'), rfc(7515, '4'), rfc(4648, '3.5'), rfc(6750, '3.1')],
  },
  api_key_invalid: {
    status: 401,
    title: 'API key is invalid',
    explanation:
      'The OpenAI-compatible API (`/v1/*`) takes `Authorization: Bearer <key>`, where the key is this server’s API key (DEMO_OPENAI_KEY) or an access token it issued. This one is neither: a mistyped, revoked or foreign key. The body’s message is "Invalid Token (request id: …)", word for word what the article’s gateway answered; OpenAI’s own API words it "Incorrect API key provided: …" in the same envelope, with the same type "invalid_request_error" and code "invalid_api_key", so an SDK raises the same AuthenticationError for both. Like every 401 the answer carries a Bearer challenge with error="invalid_token".',
    remedy:
      'Check the key (the environment variable your client reads it from, and the base URL it is sent to); retrying the same key will not help.',
    rfc: [rfc(6750, '3.1'), rfc(9110, '15.5.2')],
  },
  token_signature_invalid: {
    status: 401,
    title: 'Access token signature is invalid',
    explanation:
      'The signature does not verify with the key the token names. Either the token was altered after signing, or it was signed by someone else — like the jwt.io sample token in the article, signed with the secret "your-256-bit-secret", which this server has never held.',
    remedy: BEARER_RETRY,
    rfc: [rfc(7515, '5.2'), rfc(6750, '3.1')],
  },
  token_algorithm_rejected: {
    status: 401,
    title: 'Access token algorithm is not allowed',
    explanation:
      'Each key here is pinned to one algorithm (RFC 8725 §3.1). A token whose header says "none", or an algorithm other than its key’s — such as HS256 against an ES256 key, the classic confusion attack that signs with the public key as an HMAC secret — is refused before any signature is checked.',
    remedy: BEARER_RETRY,
    rfc: [rfc(8725, '2.1'), rfc(8725, '3.1'), rfc(7518, '3.6')],
  },
  token_kid_unknown: {
    status: 401,
    title: 'Access token signing key is unknown',
    explanation:
      'The token’s kid header names a key this server does not hold at all: it was signed by another server, or under a secret this deployment no longer configures. A key this server rotated out but still knows answers token_key_retired instead, so an unknown kid means the token was never this server’s, or is older than anything it remembers.',
    remedy: BEARER_RETRY,
    rfc: [rfc(7515, '4.1.4'), rfc(6750, '3.1')],
  },
  token_key_retired: {
    status: 401,
    title: 'Access token signing key was retired',
    explanation:
      'The token was signed by a key this server rotated out. During the grace period after a rotation such tokens still work; after it they fail with this code, distinct from an unknown kid, so a client knows the token is merely old, not forged.',
    remedy: BEARER_RETRY,
    rfc: [rfc(7517, '4.5'), rfc(8725, '3.1'), rfc(6750, '3.1')],
  },
  token_type_invalid: {
    status: 401,
    title: 'Token is not an access token',
    explanation:
      'RFC 9068 access tokens carry `typ: at+jwt` in their header, and a resource server must check it so that other JWTs — an ID token, a refresh token, a plain `typ: JWT` — cannot be replayed as access tokens.',
    remedy: 'Send the access_token from the token response, not the refresh_token or id_token.',
    rfc: [rfc(9068, '2.1'), rfc(9068, '4'), rfc(8725, '3.11')],
  },
  token_claims_invalid: {
    status: 401,
    title: 'Access token claims are incomplete',
    explanation:
      'A required claim is missing or has the wrong type. RFC 9068 §2.2 requires iss, exp, aud, sub, client_id, iat and jti; a token with no exp would never expire, so it is refused. The time claims (exp, iat, and nbf and auth_time when present) must be NumericDates (RFC 7519 §2) between 1970 and the end of 9999: a signed exp of 1e300 names no time, and is refused the same way.',
    remedy: BEARER_RETRY,
    rfc: [rfc(9068, '2.2'), rfc(7519, '4.1')],
  },
  token_expired: {
    status: 401,
    title: 'Access token expired',
    explanation:
      'The token’s exp is in the past (beyond the server’s clock tolerance). This is the 401 a refresh-and-retry client must handle: the credentials were fine once, and a new token will work.',
    remedy:
      'Use your refresh token (or your client credentials) to get a new access token, then retry once.',
    rfc: [rfc(7519, '4.1.4'), rfc(6750, '3.1')],
  },
  token_not_yet_valid: {
    status: 401,
    title: 'Access token not yet valid',
    explanation:
      'The token’s nbf (not before) is in the future beyond the clock tolerance. Usually the issuer’s clock and this server’s disagree.',
    remedy: 'Check both clocks (NTP); wait until nbf, or get a token without a future nbf.',
    rfc: [rfc(7519, '4.1.5')],
  },
  token_issued_in_future: {
    status: 401,
    title: 'Access token issued in the future',
    explanation:
      'The token’s iat is later than the server’s clock plus tolerance: it claims to have been issued at a time that has not come yet. Either the issuer’s clock runs fast or the token was forged.',
    remedy: 'Check the issuer’s clock, then get a new token.',
    rfc: [rfc(7519, '4.1.6'), rfc(8725, '3.10')],
  },
  token_issuer_invalid: {
    status: 401,
    title: 'Access token issuer is not trusted',
    explanation:
      'The iss claim names an issuer this resource does not trust. A signature alone is not enough: RFC 9068 §4 requires the issuer to match.',
    remedy: 'Get the token from this server’s token endpoint.',
    rfc: [rfc(9068, '4'), rfc(7519, '4.1.1')],
  },
  token_audience_invalid: {
    status: 401,
    title: 'Access token audience is wrong',
    explanation:
      'The aud claim does not name this resource. A token minted for another API must not work here, or one compromised API would open every other.',
    remedy:
      'Get the token from this server’s token endpoint, which mints every token for this resource’s audience (JWT_AUDIENCE); a token minted for another API will never work here.',
    rfc: [rfc(9068, '4'), rfc(7519, '4.1.3')],
  },
  token_revoked: {
    status: 401,
    title: 'Access token revoked',
    explanation:
      'The token is well formed, correctly signed and unexpired, but its jti is on the server’s denylist: it was revoked (logout, a detected refresh-token reuse, or an admin action).',
    remedy: 'Sign in again to get new tokens; retrying this token will never work.',
    rfc: [rfc(7009, '2'), rfc(6750, '3.1')],
  },
  token_crit_unsupported: {
    status: 401,
    title: 'Access token requires an unsupported extension',
    explanation:
      'The token’s header lists extensions in crit: header parameters that a recipient must understand and process, or else refuse the token (RFC 7515 §4.1.11). This server implements no JWS extension (such as RFC 7797’s unencoded payload, b64), so it refuses any crit, before checking the signature (RFC 7515 §5.2); a verifier that ignored crit could read the token otherwise than its signer meant. A crit that is not a non-empty list of names is token_malformed instead.',
    remedy:
      'Get a token from this server’s token endpoint, which never sets crit; a token with extensions is meant for a verifier that supports them.',
    rfc: [rfc(7515, '4.1.11'), rfc(7515, '5.2'), rfc(6750, '3.1')],
  },
  token_sender_constrained: {
    status: 401,
    title: 'Access token is bound to a key',
    explanation:
      'The token carries a cnf (confirmation) claim: its issuer bound it to a key, a DPoP key (RFC 9449, cnf.jkt) or a TLS client certificate (RFC 8705, cnf.x5t#S256), so that a stolen copy is useless without that key. This resource takes Bearer tokens only and checks no such proof, so accepting the token as a plain Bearer token would undo the binding: it is refused (RFC 9449 §7.2, RFC 8705 §3).',
    remedy:
      'Present the token with its proof where the resource supports it (`Authorization: DPoP <token>` with a DPoP header, or over mutual TLS with the certificate), or get an unbound token from this server’s token endpoint.',
    rfc: [rfc(9449, '7.2'), rfc(8705, '3'), rfc(7800, '3.1'), rfc(6750, '3.1')],
  },

  // --- token endpoint and lifecycle (RFC 6749, RFC 7009, RFC 7662, RFC 9700) -------------------
  invalid_request: {
    status: 400,
    title: 'Token request is invalid',
    explanation:
      'The request to an OAuth endpoint is missing a required parameter, repeats one, gives one the wrong type (an object where a string belongs, as in the NoSQL-injection shape {"$ne": 1}), or uses two client authentication methods at once. RFC 6749 §5.2 calls this invalid_request; the body carries `error` and `error_description` for OAuth libraries.',
    remedy: 'Fix the request as `detail` says; the parameters are strings.',
    rfc: [rfc(6749, '5.2'), rfc(6749, '2.3')],
  },
  invalid_client: {
    status: 401,
    title: 'Client authentication failed',
    explanation:
      'The client credentials (the article\u2019s api_key/api_secret, HTTP Basic, or client_id/client_secret) are unknown or wrong. An unknown key and a wrong secret get the same body and take the same time, so the endpoint cannot be used to find valid keys. RFC 6749 §5.2 answers 401 with a WWW-Authenticate challenge for the scheme the client should use.',
    remedy: 'Check the API key and secret; do not retry the same credentials.',
    rfc: [rfc(6749, '5.2'), rfc(6749, '2.3.1'), rfc(9110, '15.5.2')],
  },
  invalid_grant: {
    status: 400,
    title: 'Grant is invalid',
    explanation:
      'The grant itself is bad: a wrong username or password, or a refresh token that is unknown, expired, revoked, or was issued to another client. RFC 6749 §5.2 answers 400, not 401: the client authenticated (or needed not), it is the grant that failed.',
    remedy: 'Sign in again (password or client credentials) to get new tokens.',
    rfc: [rfc(6749, '5.2'), rfc(6749, '6')],
  },
  refresh_token_reused: {
    status: 400,
    title: 'Refresh token was already used',
    explanation:
      'Refresh tokens rotate: every use returns a new one and retires the old. A retired one coming back means two parties hold the family — a thief or a client bug — and the server cannot tell which is legitimate, so it revokes the whole family: the refresh token just issued and every access token issued from the family stop working (token_revoked). The OAuth error is invalid_grant.',
    remedy:
      'Sign in again. In a client, make sure only one request refreshes at a time and that the newest refresh token is stored before it is used.',
    rfc: [rfc(9700, '4.14.2'), rfc(6749, '10.4'), rfc(6749, '5.2')],
  },
  unsupported_grant_type: {
    status: 400,
    title: 'Grant type not supported',
    explanation:
      'This server issues tokens for the client_credentials, password and refresh_token grants, and for the article\u2019s JSON {"api_key", "api_secret"} shape. Other grant types (authorization_code, device_code, …) are not served here.',
    remedy: 'Use one of the grant types listed in /.well-known/oauth-authorization-server.',
    rfc: [rfc(6749, '5.2'), rfc(8414, '2')],
  },
  invalid_scope: {
    status: 400,
    title: 'Requested scope is not allowed',
    explanation:
      'The scope asked for is unknown or more than this client or user may have (a plain user asking for "admin").',
    remedy:
      'Ask for a scope listed in the metadata and granted to you, or omit scope to get all yours.',
    rfc: [rfc(6749, '3.3'), rfc(6749, '5.2')],
  },
  insufficient_scope: {
    status: 403,
    title: 'Token lacks the required scope',
    explanation:
      'The token is valid — the server knows who you are — but it was not granted the scope this resource needs (RFC 6749 §3.3: a token carries the scopes it was issued for, often fewer than the user may have). That is 403, not 401: the credentials are fine, and the same token will never be enough. The challenge names the scope a token needs here (RFC 6750 §3.1), so the client knows what to ask for.',
    remedy:
      'Get a token that carries the scope named in the challenge’s `scope` (ask for it: `scope=…` at POST /auth/token, or a new authorization request where the user consents to it, incremental consent), then retry with that token. Retrying or refreshing this token does not add the scope.',
    rfc: [rfc(6750, '3.1'), rfc(6749, '3.3'), rfc(9110, '15.5.4')],
  },
  role_insufficient: {
    status: 403,
    title: 'Your role does not allow this',
    explanation:
      'The token is valid and carries the scopes this resource needs, but the identity it speaks for does not have the role (the article’s `current_user["type"] == "admin"` check). A role belongs to the user, not to the token: no token of this user, with any scope, will pass, so this is not insufficient_scope and the answer carries no challenge. 403, not 401: RFC 9110 §15.5.4, the server understood the credentials and refuses anyway.',
    remedy:
      'Do not retry, refresh or ask for more scopes: this user will be refused here every time. Sign in as a user who holds the role (an admin).',
    rfc: [rfc(9110, '15.5.4')],
  },
  insufficient_user_authentication: {
    status: 401,
    title: 'A more recent login is required',
    explanation:
      'The token is valid, but this action needs a login no older than max_age seconds (RFC 9470 step-up authentication). The token\u2019s auth_time is older, or absent (a client-credentials token, where no user logged in). Refreshing does not help: refresh keeps the original auth_time.',
    remedy:
      'Send the user through a new authorization request carrying the challenge’s max_age (and its acr_values, when it names some), as RFC 9470 §4 says: the authorization server then makes the user log in again and issues a token with a fresh auth_time. Retry once with that token. Refreshing cannot help, and a client must never collect the password itself: RFC 9700 §2.4 forbids the password grant (this demo server offers it only so that a test can get a fresh login in one call).',
    rfc: [rfc(9470, '3'), rfc(9470, '4'), rfc(9700, '2.4'), rfc(6750, '3')],
  },
  parameter_invalid: {
    status: 400,
    title: 'Request parameter is invalid',
    explanation:
      'A query or body parameter is missing, of the wrong type (an object where a string belongs), out of range, or holds characters it may not.',
    remedy: 'Fix the parameter as `detail` says.',
    rfc: [rfc(9110, '15.5.1')],
  },

  rate_limited: {
    status: 429,
    title: 'Too many requests',
    explanation:
      'This address sent more requests than the route allows in its window. Routes where an anonymous request leaves a little state behind (the Digest routes keep nonce counts) are limited per address, so nobody can fill the store and make it answer 503 for everyone. The counters live in the store, shared by all instances.',
    remedy: 'Wait for the Retry-After delay, then slow down.',
    rfc: [rfc(6585, '4'), rfc(9110, '10.2.3')],
  },

  model_not_found: {
    status: 404,
    title: 'Model not found',
    explanation:
      'GET /v1/models/{model} names a model this server does not serve (only four-oh-one-echo). As OpenAI does, the answer is 404 in its error envelope with code "model_not_found" and param "model", and OpenAI SDKs raise NotFoundError: a wrong model name is not a credential problem, so a client must not refresh its key over it.',
    remedy: 'Use a model id that GET /v1/models lists.',
    rfc: [rfc(9110, '15.5.5')],
  },

  // --- cookie sessions (OWASP Session Management; draft-broyer-http-cookie-auth) ---------------
  session_missing: {
    status: 401,
    title: 'Session cookie missing',
    explanation:
      'The request carries no session cookie, so nobody is logged in. The challenge uses the Cookie scheme of draft-broyer-http-cookie-auth (no registered HTTP scheme exists for cookie sessions): it names the login form and the cookie, so a client knows where to go.',
    remedy: 'Log in at POST /login, keep the cookie it sets, and send it back.',
    rfc: [rfc(9110, '15.5.2'), rfc(6265, '5.4')],
  },
  session_invalid: {
    status: 401,
    title: 'Session cookie is not valid',
    explanation:
      'A session cookie came, but it names no live session: its signature is wrong (forged or altered), the session was logged out, or it expired so long ago that the server forgot it. The cookie is cleared.',
    remedy: 'Log in again at POST /login.',
    rfc: [rfc(9110, '15.5.2'), rfc(6265, '4.1.2')],
  },
  session_idle_expired: {
    status: 401,
    title: 'Session expired after inactivity',
    explanation:
      'The session saw no authenticated request for longer than its idle timeout (SESSION_IDLE_SECONDS). This is the article\u2019s "session timeout": the heartbeat (POST /keepalive) exists to prevent it. The session is destroyed and its cookie cleared.',
    remedy:
      'Log in again; to stay logged in while idle, send POST /keepalive more often than the idle timeout.',
    rfc: [rfc(9110, '15.5.2'), rfc(6265, '4.1.2')],
  },
  session_absolute_expired: {
    status: 401,
    title: 'Session reached its absolute lifetime',
    explanation:
      'Every session ends a fixed time after login (SESSION_ABSOLUTE_SECONDS), however busy it is: heartbeats extend only the idle window, never this one. It limits how long a stolen cookie is worth anything (OWASP Session Management Cheat Sheet).',
    remedy: 'Log in again. No heartbeat can avoid this one.',
    rfc: [rfc(9110, '15.5.2'), rfc(6265, '4.1.2')],
  },
  login_failed: {
    status: 401,
    title: 'Username or password is wrong',
    explanation:
      'The login form was refused. An unknown user and a wrong password get the same answer in the same time, so the form cannot be used to find user names. Repeated failures meet 429.',
    remedy: 'Check the credentials; do not retry the same ones.',
    rfc: [rfc(9110, '15.5.2')],
  },
  too_many_attempts: {
    status: 429,
    title: 'Too many failed attempts',
    explanation:
      'Too many refused passwords or secrets came from this address, or for this account from this address, within the window: at /login, the token endpoint, introspection, revocation, and the Basic, Digest and API-key routes. Only refused credentials count; successes, malformed requests and store outages do not, and other addresses are judged as usual, so nobody can lock a shared account for anyone else. The counters are kept in the store, so instances behind a load balancer count together; TRUST_PROXY decides which client address counts. The RateLimit and RateLimit-Policy fields name each counter, its quota and what is left. On the OAuth endpoints the body also carries error "slow_down" (RFC 8628 §3.5).',
    remedy:
      'Wait for the Retry-After delay before trying again, with the right credentials; do not retry refused ones.',
    rfc: [rfc(6585, '4'), rfc(9110, '10.2.3')],
  },

  // --- classic challenges: Basic, Digest, API keys, 407 (RFC 7617, RFC 7616; httpbin) ---------
  basic_credentials_missing: {
    status: 401,
    title: 'Basic credentials missing',
    explanation:
      'The resource takes HTTP Basic (RFC 7617) and the request carried no Authorization header, or one with another scheme. The challenge, `Basic realm="four-oh-one", charset="UTF-8"`, names the scheme and the protection space, and asks for user-id and password in UTF-8 before base64. Browsers show their login dialog on it.',
    remedy:
      'Send `Authorization: Basic <base64 of user-id:password>` (curl -u user:password; Python requests auth=(user, password)).',
    rfc: [rfc(7617, '2'), rfc(7617, '2.1'), rfc(9110, '15.5.2')],
  },
  basic_credentials_invalid: {
    status: 401,
    title: 'Basic credentials are wrong',
    explanation:
      'The header is well-formed Basic, but the user-id or the password does not match. Both are compared in constant time and the answer does not say which was wrong. Basic credentials are only base64, not encrypted: anyone on the path of a plain-HTTP request can read them, which is why Basic belongs behind TLS.',
    remedy: 'Check the user-id and the password; retrying the same ones will not help.',
    rfc: [rfc(7617, '2'), rfc(7617, '4'), rfc(9110, '15.5.2')],
  },
  basic_malformed: {
    status: 400,
    title: 'Basic credentials are malformed',
    explanation:
      'The header names the Basic scheme, but what follows is not one base64 string (RFC 4648 §4) of `user-id:password`: it is not base64, it has no colon once decoded, it holds control characters, or it is longer than 4096 characters. A broken request is a 400, not a wrong password, and it carries no challenge: sending it again cannot help. A user-id cannot contain a colon, since the first colon ends it.',
    remedy:
      'Encode exactly `user-id:password` as base64 and send `Authorization: Basic <that>`, one space after the scheme.',
    rfc: [rfc(7617, '2'), rfc(4648, '4'), rfc(9110, '15.5.1')],
  },
  digest_credentials_missing: {
    status: 401,
    title: 'Digest credentials missing',
    explanation:
      'The resource takes HTTP Digest (RFC 7616) and the request carried no Digest credentials. The 401 carries one challenge per algorithm the resource accepts, most preferred first, each with a fresh nonce the server signed and an opaque value. This is the first half of every Digest handshake: `curl --digest` and Python requests’ HTTPDigestAuth send nothing at first, read this challenge, and answer it.',
    remedy:
      'Answer one of the challenges (RFC 7616 §3.4) in `Authorization: Digest …`; an HTTP client with Digest support does this for you.',
    rfc: [rfc(7616, '3.3'), rfc(7616, '3.7'), rfc(9110, '15.5.2')],
  },
  digest_credentials_invalid: {
    status: 401,
    title: 'Digest response is wrong',
    explanation:
      'The nonce is this server’s, but the response does not verify: the password is wrong, the user name or realm differs from the challenge, or the hash was made over another method, uri or body. The server cannot tell which, since the response is a one-way hash of all of them. The 401 carries fresh challenges.',
    remedy:
      'Check the user name and password. A client hashing by hand should check A1, A2 and the algorithm (RFC 7616 §3.4.1-3.4.3).',
    rfc: [rfc(7616, '3.4.1'), rfc(9110, '15.5.2')],
  },
  digest_nonce_stale: {
    status: 401,
    title: 'Digest nonce is stale',
    explanation:
      'The response was right, but for a nonce that has expired (nonces here live five minutes) or has already authenticated as many requests as the resource allows (httpbin’s stale_after). The challenge says `stale=true`: the credentials are good and only the nonce is old, so a client answers the new challenge at once, without asking the user for the password again.',
    remedy: 'Answer the new challenge with the same credentials; do not prompt the user.',
    rfc: [rfc(7616, '3.3'), rfc(7616, '5.4')],
  },
  digest_nonce_invalid: {
    status: 401,
    title: 'Digest nonce was not issued here',
    explanation:
      'The nonce is not one this server signed, or the opaque value is not the one it sends: made up, altered, or issued by another server, or by this one before its secret changed (a random JWT_SECRET changes at every start). A nonce carries its issue time and an HMAC under a key derived from the server secret, so every instance sharing the secret can check it without shared state.',
    remedy:
      'Answer the challenge that comes with this response; Digest clients do so on their own.',
    rfc: [rfc(7616, '3.3'), rfc(7616, '5.4')],
  },
  digest_nonce_replayed: {
    status: 401,
    title: 'Digest nonce count was already used',
    explanation:
      'This nonce and nonce count (nc) already authenticated a request. A client counts nc up by one for every request it sends with one nonce, so a repeat is a captured request played again, or a client that does not count. Used counts are kept in the store (memory or Redis) so that every instance refuses the replay; they are written only after a response verified, and expire with the nonce.',
    remedy:
      'Send nc one higher than the last request with this nonce, or answer the new challenge.',
    rfc: [rfc(7616, '3.4'), rfc(7616, '5.5')],
  },
  digest_malformed: {
    status: 400,
    title: 'Digest credentials are malformed',
    explanation:
      'The header names the Digest scheme but cannot be judged: a parameter is missing (username, realm, nonce, uri, response, qop, nc, cnonce, opaque) or given twice, a quoted value is not closed, or nc is not 8 hex digits. A broken request is a 400, not a 401, and carries no challenge: sending it again cannot help. (A well-formed answer with an algorithm or qop this resource did not offer is digest_not_offered, a 401 with fresh challenges.)',
    remedy:
      'Send each parameter of RFC 7616 §3.4 exactly once, as the challenge you answer has them.',
    rfc: [rfc(7616, '3.4'), rfc(9110, '11.2'), rfc(9110, '15.5.1')],
  },
  digest_not_offered: {
    status: 401,
    title: 'Digest algorithm or qop not offered here',
    explanation:
      'The credentials are well formed, but they answer a challenge this resource did not make: an algorithm (MD5 when none is named) or a qop other than those its challenges offer. Clients do this for good reasons: a Python requests.Session or httpx.Client that answered SHA-256 on one route sends the same algorithm to the next route preemptively, and wget speaks MD5 only. The server cannot check such a response, so it answers as to no credentials: 401 with fresh challenges naming what it does offer (as httpbin does), and a client that supports one of them answers it.',
    remedy:
      'Answer one of the challenges of this 401 with its algorithm and qop (RFC 7616 §3.7: the first you support). A client that supports none of them (wget and SHA-256) cannot authenticate here.',
    rfc: [rfc(7616, '3.3'), rfc(7616, '3.7'), rfc(9110, '15.5.2')],
  },
  digest_uri_mismatch: {
    status: 400,
    title: 'Digest uri does not match the request',
    explanation:
      'The uri parameter must be the request-target of the very request that carries it, query string included; otherwise the response could have been made for another resource and replayed here. RFC 7616 §3.4.6 answers 400.',
    remedy: 'Hash the path and query you actually request, exactly as sent.',
    rfc: [rfc(7616, '3.4.6'), rfc(9110, '15.5.1')],
  },
  credentials_missing: {
    status: 401,
    title: 'Credentials missing',
    explanation:
      'The resource accepts more than one authentication scheme and the request used none of them. The 401 carries one challenge per scheme, comma-separated in one WWW-Authenticate field (RFC 9110 §11.6.1), in the order the server prefers; a client picks the strongest scheme it supports.',
    remedy: 'Send credentials for one of the schemes the WWW-Authenticate header lists.',
    rfc: [rfc(9110, '11.6.1'), rfc(9110, '15.5.2')],
  },
  api_key_header_missing: {
    status: 401,
    title: 'API key missing',
    explanation:
      'The resource takes an API key in the X-API-Key header, and the request carried none. No HTTP authentication scheme is registered for a key in a header of its own, yet every 401 needs a challenge, so this server sends its own, `ApiKey realm="four-oh-one", header="X-API-Key"`, naming the header. Many APIs also take keys in the query string, where they end up in every access log on the way; this one takes them only in the header.',
    remedy: 'Send `X-API-Key: <your key>`.',
    rfc: [rfc(9110, '15.5.2'), rfc(9110, '11.6.1')],
  },
  api_key_header_invalid: {
    status: 401,
    title: 'API key is wrong',
    explanation:
      'The X-API-Key header holds a key, but not the right one. Keys are compared in constant time, as SHA-256 digests, so not even the length leaks. Two X-API-Key headers count as one wrong key.',
    remedy: 'Check the key; retrying the same one will not help.',
    rfc: [rfc(9110, '15.5.2')],
  },
  status_unauthorized: {
    status: 401,
    title: 'Unauthorized on request',
    explanation:
      'GET /status/401 always answers 401, whatever the request carries: a fixture for how a client handles a 401. Like every 401 here, and unlike httpbin’s `Basic realm="Fake Realm"`, it names this server’s realm in its challenge, because RFC 9110 requires one on every 401. No credentials will ever satisfy it.',
    remedy:
      'Nothing to fix: it is the answer you asked for. A client under test must not retry it in a loop.',
    rfc: [rfc(9110, '15.5.2'), rfc(9110, '11.6.1')],
  },
  proxy_auth_required: {
    status: 407,
    title: 'Proxy authentication required',
    explanation:
      'The proxy twin of 401: a proxy between client and server wants credentials and says how in Proxy-Authenticate, not WWW-Authenticate; the client answers in Proxy-Authorization, not Authorization. A 407 is about the hop to the proxy, never about the origin’s resource, so a client must not drop its credentials for the origin over it. GET /status/407 produces one on request, with a Basic challenge.',
    remedy:
      'Configure the proxy’s credentials in the client (curl --proxy-user; requests proxies={"http": "http://user:password@proxy:3128"}), not the server’s.',
    rfc: [rfc(9110, '15.5.8'), rfc(9110, '11.7.1'), rfc(9110, '11.7.2')],
  },
  status_requested: {
    // Its status varies: see routes/classic.ts, requestedStatus(). 503 is the registry's example.
    status: 503,
    title: 'Status requested',
    explanation:
      'GET /status/:code answers with the status asked for, from 200 to 599, as httpbin does: a fixture for error handling and retries. Error statuses (400-599) come as this problem, with the HTTP status and the body’s `status` both the one asked for; 503 is the example shown here. 401 and 407 have codes of their own, and 418 is a teapot.',
    remedy: 'Nothing to fix: it is the answer you asked for.',
    rfc: [rfc(9110, '15'), rfc(9457, '3.1.2')],
  },
} as const satisfies Record<string, ProblemDef>;

export type ProblemCode = keyof typeof problemCatalog;

// --- Scenarios ---------------------------------------------------------------------------------

export type Family =
  'bearer' | 'tokens' | 'session' | 'admin' | 'cors' | 'classic' | 'openai' | 'platform';

export const families: Record<Family, { title: string; summary: string }> = {
  bearer: {
    title: 'Bearer tokens on GET /api/v1/data',
    summary:
      'Section 1 of the article: `requests.get(".../api/v1/data", headers={"Authorization": "Bearer <jwt>"})`, which prints "Invalid or missing auth token" on 401. Every way a bearer token is refused, each with its own code.',
  },
  tokens: {
    title: 'Getting, refreshing and revoking tokens: /auth/*',
    summary:
      'The first article: a client gets `Invalid Token (request id: …)`, fetches a new token with POST /auth/token and JSON {"api_key", "api_secret"}, and retries once. Here is that endpoint, with the standard OAuth grants, rotating refresh tokens, revocation and introspection, and every way they refuse.',
  },
  session: {
    title: 'Cookie sessions with a heartbeat: /login, /keepalive',
    summary:
      'Section 2 of the second article: `session.post("/login", data=login_data)`, then `session.post("/keepalive")` in a loop, logging in again on 401. Sessions end after SESSION_IDLE_SECONDS without a request and SESSION_ABSOLUTE_SECONDS after login, whatever the heartbeat does; each ending is its own 401.',
  },
  admin: {
    title: 'Roles and recent logins: 401 versus 403',
    summary:
      'Section 4 of the second article: an admin panel behind a role check. The article answers 401 to a signed-in non-admin; this server answers 403, and shows the one case where a valid token still earns a 401: a login that is too old (RFC 9470 step-up).',
  },
  cors: {
    title: 'CORS around a 401: what a script on another origin can see',
    summary:
      'Section 3 of the second article: a script calling another origin "gets 401", fixed with Flask’s `CORS(app)`. In a browser it is subtler: a refused origin gets no 401 at all, the browser hides the answer and `fetch` throws; a preflight never carries credentials, so one behind authentication fails; a 401 without CORS headers is invisible to the script; and WWW-Authenticate and X-Request-Id read as null unless exposed. The demo page (CORS_DEMO_PORT, default http://127.0.0.1:3001) runs each call in your browser.',
  },
  classic: {
    title: 'Classic challenges, httpbin-compatible: Basic, Digest, API keys, 407',
    summary:
      'The routes people test HTTP clients against, with httpbin’s and go-httpbin’s paths and success bodies: /basic-auth, /hidden-basic-auth, /digest-auth (RFC 7616: MD5, SHA-256, SHA-512-256, -sess, auth-int, stale nonces, replay refused), /bearer, /status/:code. Unlike httpbin, every refusal is a problem body with a code, every 401 carries a challenge, and a 407 carries Proxy-Authenticate. Beside them: a resource with two schemes and two challenges, and an X-API-Key resource.',
  },
  openai: {
    title: 'OpenAI-compatible API on /v1/*',
    summary:
      'The first article: an OpenAI-style client fails with `Invalid Token (request id: …)`. Point any OpenAI SDK at this server (base URL `…/v1`, the demo key `sk-demo-four-oh-one` or an access token) and it gets that exact error. Errors here use OpenAI’s envelope `{"error": {"message", "type", "param", "code"}}` instead of problem+json, still with X-Request-Id and a Bearer challenge.',
  },
  platform: {
    title: 'Platform answers',
    summary: 'What every route shares: problem+json 404, 405 and request ids.',
  },
};

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/**
 * A request that produces the scenario. Header values may hold `{{token:NAME}}`, replaced by the
 * specimen token NAME (src/specimens.ts) minted with this server's keys when the trigger is served.
 */
export interface Trigger {
  method: HttpMethod;
  path: string;
  /**
   * Header fields. A list is one field sent once per value (RFC 9110 §5.3), which only raw
   * clients can do: browsers' fetch and Python requests join or replace a repeated header.
   */
  headers?: Record<string, string | string[]>;
  /**
   * A request body: an object sent as JSON (`contentType: 'json'`, the default) or as
   * application/x-www-form-urlencoded (`'form'`). String values may hold `{{token:NAME}}` too.
   */
  body?: Record<string, string | number | boolean | unknown[] | Record<string, unknown>>;
  contentType?: 'json' | 'form';
  /**
   * `false` for a card whose answer needs a state no stateless replay can make (a store outage, a
   * spent quota, a draining instance) or that this configuration lacks: it is documented but not
   * fired by the table test, and `setup` says how to produce it. Absent: fired, every time.
   */
  fired?: false;
  /** With `fired: false`: why it is not fired, and how to see the answer yourself. */
  setup?: string;
}

export interface Expectation {
  status: number;
  /** The problem code; absent for a success. */
  code?: ProblemCode;
  /** The exact WWW-Authenticate value, or null when there must be none. */
  challenge: string | null;
  /**
   * For a challenge that carries a fresh value (a Digest nonce): a regular expression the whole
   * WWW-Authenticate value must match. `challenge` then shows its shape, with … for the fresh parts.
   */
  challengePattern?: string;
  /** Other response headers that must have exactly these values. */
  headers?: Record<string, string>;
  /**
   * The error body's format: problem+json unless `'openai'`, the envelope every error on `/v1/*`
   * uses (DESIGN.md); there `code` is still our problem code, mapped to OpenAI's in the body.
   */
  envelope?: 'openai';
  /** Response headers that must not be sent at all (e.g. Access-Control-Allow-Origin). */
  absentHeaders?: string[];
}

/**
 * What a script on a web page of another origin sees when it makes a call with `fetch`. The
 * CORS demo page offers each view as a button, and the browser tests run each in Chromium.
 */
export interface BrowserView {
  /** The script's call; the browser adds Origin, and a preflight when the call needs one. */
  fetch: {
    method: HttpMethod;
    path: string;
    /** Values may hold `{{token:NAME}}`, as in triggers. */
    headers?: Record<string, string>;
    /** A form body (application/x-www-form-urlencoded, which needs no preflight). */
    body?: Record<string, string>;
    /** `'include'` sends cookies, and needs Access-Control-Allow-Credentials: true back. */
    credentials: 'omit' | 'include';
  };
  /** Run from a sandboxed frame of the page, whose origin is opaque: it sends `Origin: null`. */
  fromSandboxedFrame?: boolean;
  sees: BrowserSees;
}

export type BrowserSees =
  | {
      /** `fetch` rejects with a TypeError: no status, no header, no body reach the script. */
      outcome: 'network-error';
      /** What Chromium's DevTools console says instead (a part of its message). */
      console: string;
    }
  | {
      outcome: 'response';
      status: number;
      /** The problem `code` in the body, which the script can read. */
      code?: ProblemCode;
      /** Headers `response.headers.get()` returns. */
      readable: string[];
      /** Headers that were sent but `response.headers.get()` returns null for. */
      unreadable: string[];
    };

export interface Scenario {
  /** Stable kebab-case id. */
  id: string;
  family: Family;
  title: string;
  trigger: Trigger;
  expect: Expectation;
  /** Why the server answers so; for a problem, in addition to the problem's own explanation. */
  explanation: string;
  /** Where an article says otherwise, what it says and why this server differs. */
  articleNote?: string;
  rfc: RfcRef[];
  /** What a page script on another origin sees when it makes this call (CORS scenarios). */
  browser?: BrowserView[];
}

const DATA = '/api/v1/data';
const bearer = (name: string) => ({ Authorization: `Bearer {{token:${name}}}` });
/**
 * Every Bearer challenge names the protected resource metadata (RFC 9728 §5.1). Its URL depends
 * on PUBLIC_URL, so expectations hold `{{public_url}}`, filled by `registryFor` (below) like
 * every value that depends on the configuration.
 */
const RESOURCE_METADATA = 'resource_metadata="{{public_url}}/.well-known/oauth-protected-resource"';
const noError = `Bearer realm="four-oh-one", ${RESOURCE_METADATA}`;
const invalidToken = (code: ProblemCode) =>
  `Bearer realm="four-oh-one", error="invalid_token", error_description="${problemCatalog[code].title}", ${RESOURCE_METADATA}`;
const invalidRequest = `Bearer realm="four-oh-one", error="invalid_request", error_description="${problemCatalog.authorization_malformed.title}", ${RESOURCE_METADATA}`;
/** RFC 6750 §3.1 invalid_request for a broken presentation, described by the problem's title. */
const invalidRequestFor = (code: ProblemCode) =>
  `Bearer realm="four-oh-one", error="invalid_request", error_description="${problemCatalog[code].title}", ${RESOURCE_METADATA}`;
/** RFC 6750 §2.3's own example token: in a URL this server never reads it, whatever it is. */
const QUERY_TOKEN = 'access_token=mF_9.B5f-4.1JqM';
/** RFC 6750 §3.1: the 403 of a valid token without `scope`, which names the scope needed. */
const insufficientScope = (scope: string) =>
  `Bearer realm="four-oh-one", scope="${scope}", error="insufficient_scope", error_description="${problemCatalog.insufficient_scope.title}", ${RESOURCE_METADATA}`;

/** The classic family's Basic challenge (RFC 7617 §2.1) and its X-API-Key challenge. */
const BASIC = 'Basic realm="four-oh-one", charset="UTF-8"';
const API_KEY = 'ApiKey realm="four-oh-one", header="X-API-Key"';

/** The cookie-session challenge; its cookie name depends on COOKIE_SECURE. */
const cookieChallenge =
  'Cookie realm="four-oh-one", form-action="/login", cookie-name="{{cookie_name}}"';

/**
 * The origin the CORS scenarios call from: the first on the allowlist (CORS_ORIGINS, by default
 * the demo page's, http://127.0.0.1:$CORS_DEMO_PORT).
 */
const DEMO_ORIGIN = '{{allowed_origin}}';
/** The CORS headers an allowed origin gets on an actual (non-preflight) answer. */
const CORS_ALLOWED = {
  'access-control-allow-origin': DEMO_ORIGIN,
  'access-control-allow-credentials': 'true',
  'access-control-expose-headers':
    'WWW-Authenticate,X-Request-Id,X-Explanation-Id,Retry-After,RateLimit,RateLimit-Policy',
  vary: 'Origin',
};
const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
];
/** Chromium's console message for an answer without Access-Control-Allow-Origin. */
const NO_ACAO = "No 'Access-Control-Allow-Origin' header is present on the requested resource";
/** A readable answer: every exposed header a problem or success carries can be read. */
function readable(status: number, code?: ProblemCode): BrowserSees {
  return {
    outcome: 'response',
    status,
    ...(code === undefined ? {} : { code }),
    readable:
      status === 401
        ? ['content-type', 'x-request-id', 'www-authenticate']
        : ['content-type', 'x-request-id'],
    unreadable: [],
  };
}
/** A hidden answer: `fetch` rejects, and only the console says why. */
function hidden(consoleSays: string): BrowserSees {
  return { outcome: 'network-error', console: consoleSays };
}

/** Fills `{{public_url}}` in an expected header value. */
export function expandPublicUrl(value: string, publicUrl: string): string {
  return value.replaceAll('{{public_url}}', publicUrl);
}

/** A scenario whose answer is the problem `code` for a bearer token. */
function tokenScenario(
  id: string,
  title: string,
  specimen: string,
  code: ProblemCode,
  explanation: string,
  extraRfc: RfcRef[] = [],
): Scenario {
  return {
    id,
    family: 'bearer',
    title,
    trigger: { method: 'GET', path: DATA, headers: bearer(specimen) },
    expect: { status: 401, code, challenge: invalidToken(code) },
    explanation,
    rfc: [...problemCatalog[code].rfc, ...extraRfc],
  };
}

/**
 * The registry as written, with `{{…}}` where a value depends on the configuration; `registryFor`
 * fills them. `{{token:NAME}}` stays: specimens are filled when a trigger is served or fired.
 */
const templates: Scenario[] = [
  {
    id: 'bearer-valid',
    family: 'bearer',
    title: 'A valid access token gets the data',
    trigger: { method: 'GET', path: DATA, headers: bearer('valid') },
    expect: { status: 200, challenge: null },
    explanation:
      'A token signed by this server, of type at+jwt, unexpired, for this issuer and audience, and not revoked: the resource answers 200 and says who you are.',
    rfc: [rfc(6750, '2.1'), rfc(9068, '4')],
  },
  {
    id: 'bearer-scheme-case-insensitive',
    family: 'bearer',
    title: 'The scheme name is case-insensitive',
    trigger: { method: 'GET', path: DATA, headers: { Authorization: 'bearer {{token:valid}}' } },
    expect: { status: 200, challenge: null },
    explanation:
      '`bearer`, `BEARER` and `Bearer` are the same scheme: auth-scheme names are case-insensitive tokens. Servers that compare them case-sensitively break clients that lower-case headers.',
    rfc: [rfc(9110, '11.1'), rfc(6750, '2.1')],
  },
  {
    id: 'bearer-missing',
    family: 'bearer',
    title: 'No Authorization header',
    trigger: { method: 'GET', path: DATA },
    expect: { status: 401, code: 'token_missing', challenge: noError },
    explanation:
      'The first case of the article: the request has no token, so the script prints "Invalid or missing auth token". The challenge tells the client which scheme to use and carries no error, since no credentials were sent.',
    rfc: problemCatalog.token_missing.rfc,
  },
  {
    id: 'bearer-other-scheme',
    family: 'bearer',
    title: 'Another scheme (Basic) where Bearer is expected',
    trigger: {
      method: 'GET',
      path: DATA,
      headers: { Authorization: 'Basic bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ=' },
    },
    expect: {
      status: 401,
      code: 'auth_scheme_unsupported',
      challenge: noError,
    },
    explanation:
      'The client sent Basic credentials to a Bearer-only resource. The server cannot judge them, so it answers as if none were sent: 401 with the Bearer challenge and no error.',
    rfc: problemCatalog.auth_scheme_unsupported.rfc,
  },
  {
    id: 'bearer-no-token',
    family: 'bearer',
    title: 'The Bearer scheme with no token',
    trigger: { method: 'GET', path: DATA, headers: { Authorization: 'Bearer' } },
    expect: { status: 400, code: 'authorization_malformed', challenge: invalidRequest },
    explanation:
      'A client that builds the header as `"Bearer " + token` with an empty token sends this. It is a malformed request, answered 400 invalid_request — not 401.',
    rfc: problemCatalog.authorization_malformed.rfc,
  },
  {
    id: 'bearer-two-tokens',
    family: 'bearer',
    title: 'Two tokens in one header',
    trigger: { method: 'GET', path: DATA, headers: { Authorization: 'Bearer abc def' } },
    expect: { status: 400, code: 'authorization_malformed', challenge: invalidRequest },
    explanation:
      'The b64token grammar allows exactly one token with no spaces; `Bearer abc def` is a broken header (often a token pasted with its "Bearer " prefix twice, or with a stray space).',
    rfc: problemCatalog.authorization_malformed.rfc,
  },
  {
    id: 'bearer-authorization-twice',
    family: 'bearer',
    title: 'Two Authorization headers',
    trigger: {
      method: 'GET',
      path: DATA,
      headers: { Authorization: ['Bearer {{token:valid}}', 'Bearer {{token:expired}}'] },
    },
    expect: {
      status: 400,
      code: 'authorization_repeated',
      challenge: invalidRequestFor('authorization_repeated'),
    },
    explanation:
      'Two Authorization fields: a valid token, then an expired one. Node keeps the first and drops the second, so a server that did not count them would let this in, with the token chosen by the order of the headers. Authorization is not a list, and RFC 9110 §5.3 forbids sending it twice: 400 invalid_request. curl sends it with two -H; a browser’s fetch and Python requests cannot (they join or replace a repeated header).',
    rfc: problemCatalog.authorization_repeated.rfc,
  },
  {
    id: 'bearer-token-in-header-and-query',
    family: 'bearer',
    title: 'A token in the header and another in the query',
    trigger: { method: 'GET', path: `${DATA}?${QUERY_TOKEN}`, headers: bearer('valid') },
    expect: {
      status: 400,
      code: 'token_multiple_methods',
      challenge: invalidRequestFor('token_multiple_methods'),
    },
    explanation:
      'A valid token in the Authorization header, and `?access_token=…` in the URL as well. RFC 6750 §3.1 lists "uses more than one method for including an access token" as invalid_request: 400, however good the header’s token is.',
    rfc: problemCatalog.token_multiple_methods.rfc,
  },
  {
    id: 'bearer-token-in-query',
    family: 'bearer',
    title: 'A token in the URL query (?access_token=)',
    trigger: { method: 'GET', path: `${DATA}?${QUERY_TOKEN}` },
    expect: { status: 401, code: 'token_in_query_refused', challenge: noError },
    explanation:
      'The URI query method of RFC 6750 §2.3, with the RFC’s own example token. This resource takes the header only, so the token is not even read: to it, no credentials came, and the challenge has no error parameter. The code says where the token must go instead, so a client does not mistake it for token_missing.',
    rfc: problemCatalog.token_in_query_refused.rfc,
  },
  {
    id: 'bearer-token-in-form-body',
    family: 'bearer',
    title: 'A token in a form body: requests.get(url, data={"access_token": token})',
    trigger: {
      method: 'GET',
      path: DATA,
      body: { access_token: '{{token:valid}}' },
      contentType: 'form',
    },
    expect: { status: 401, code: 'token_in_body_refused', challenge: noError },
    explanation:
      'A valid token as the access_token field of a form body (RFC 6750 §2.2), on a GET. That method is optional and never allowed with GET; this resource takes the header only, so to it no credentials came. Python sends this when `data=` is written where `headers=` was meant.',
    rfc: problemCatalog.token_in_body_refused.rfc,
  },
  tokenScenario(
    'token-not-a-jwt',
    'A token that is not a JWT',
    'not_a_jwt',
    'token_malformed',
    'An opaque string, an API key or a session id sent as a bearer token. It passes the header grammar but is not a JWT, so it is refused as malformed, with the invalid_token error.',
  ),
  tokenScenario(
    'token-bad-json',
    'A JWT whose claims are not JSON',
    'bad_json',
    'token_malformed',
    'Three base64url parts, but the middle one decodes to bytes that are not a JSON object.',
  ),
  tokenScenario(
    'token-oversized',
    'A 20 KB token',
    'oversized',
    'token_malformed',
    'Huge tokens are refused before any parsing work: 8 KiB is far above any real access token, and parsing attacker-sized input costs CPU. The server still answers 401, not a 5xx or a dropped connection.',
  ),
  {
    ...tokenScenario(
      'token-jwt-io-sample',
      'The article’s jwt.io sample token',
      'jwt_io_sample',
      'token_signature_invalid',
      'The token in section 1 of the article is jwt.io’s example (`{"sub": "1234567890", "name": "John Doe", "iat": 1516239022}`), signed with the secret "your-256-bit-secret". It is a valid JWT — just not one this server signed — so the signature check fails and the article’s script prints "Invalid or missing auth token".',
    ),
  },
  tokenScenario(
    'token-signature-tampered',
    'A token whose claims were edited after signing',
    'bad_signature',
    'token_signature_invalid',
    'A real token from this server with its payload changed (here: `sub` switched to "admin"). The signature covers header and payload, so any edit breaks it.',
  ),
  tokenScenario(
    'token-alg-none',
    'An unsigned token (alg: none)',
    'alg_none',
    'token_algorithm_rejected',
    'The header says `"alg": "none"` and the signature part is empty. Libraries that trusted the header once accepted these; every spelling (none, None, NONE, nOnE) is refused here because the algorithm comes from the key, not from the token.',
  ),
  tokenScenario(
    'token-alg-confusion',
    'HS256 signed with the server’s public ES256 key',
    'alg_confusion',
    'token_algorithm_rejected',
    'The key confusion attack: the token names the server’s ES256 key (its kid) but says HS256, and is HMAC-signed with that key’s public PEM as the secret. A verifier that took the algorithm from the header would accept it. The key is pinned to ES256, so it is refused.',
  ),
  tokenScenario(
    'token-alg-not-allowed',
    'An algorithm the key is not pinned to (HS512)',
    'alg_not_allowed',
    'token_algorithm_rejected',
    'The token is signed with this server’s real HMAC secret, but with HS512 where the key is pinned to HS256. Even a correct signature is refused when the algorithm is not the key’s.',
  ),
  tokenScenario(
    'token-kid-unknown',
    'A kid this server does not know',
    'unknown_kid',
    'token_kid_unknown',
    'The header names a key id no key here has. The server does not try its other keys: which key verifies a token is decided by kid alone.',
  ),
  tokenScenario(
    'token-wrong-type',
    'A refresh token sent as an access token',
    'wrong_type',
    'token_type_invalid',
    'The token is correctly signed by this server but its header says `typ: rt+jwt`. Only `at+jwt` opens a resource.',
  ),
  tokenScenario(
    'token-no-exp',
    'A token with no exp claim',
    'no_exp',
    'token_claims_invalid',
    'Correctly signed, but without exp it would be valid forever. A missing required claim is refused.',
  ),
  tokenScenario(
    'token-expired',
    'An expired token',
    'expired',
    'token_expired',
    'The most common 401 in practice, and the one the first article’s retry logic exists for. The problem detail gives the expiry time and the server time, so clock skew is easy to see.',
  ),
  tokenScenario(
    'token-not-yet-valid',
    'A token whose nbf is in the future',
    'not_yet_valid',
    'token_not_yet_valid',
    'Valid from one hour from now. Clock tolerance (JWT_CLOCK_TOLERANCE_SECONDS) absorbs small skews, not this.',
  ),
  tokenScenario(
    'token-issued-in-future',
    'A token issued in the future',
    'issued_in_future',
    'token_issued_in_future',
    'Its iat is one hour ahead of the server clock.',
  ),
  tokenScenario(
    'token-wrong-issuer',
    'A token from another issuer',
    'wrong_issuer',
    'token_issuer_invalid',
    'Signed with this server’s key but claiming `iss: https://issuer.example`.',
  ),
  tokenScenario(
    'token-wrong-audience',
    'A token for another audience',
    'wrong_audience',
    'token_audience_invalid',
    'Signed by this server for `aud: another-api`, so it does not open this resource.',
  ),
  tokenScenario(
    'token-revoked',
    'A revoked token',
    'revoked',
    'token_revoked',
    'Everything about the token is right except that its jti is on the denylist. Revocation is checked last, in the store, and only for tokens that passed every other check.',
  ),
  tokenScenario(
    'token-retired-key',
    'A token signed by a key rotated out',
    'retired_key',
    'token_key_retired',
    'Signed by a key this server retired and whose grace period has ended. Unlike an unknown kid, the server knows the key: the token is old, not forged, and a fresh one will work.',
  ),
  tokenScenario(
    'token-crit-unknown',
    'A critical header extension this server does not understand',
    'crit_unknown',
    'token_crit_unsupported',
    'Signed by this server’s own key, but its header says `"crit": ["urn:example:must-understand"]`: whoever verifies it must understand that extension or refuse the token. This server understands none, so it refuses, and before the signature is even checked.',
  ),
  tokenScenario(
    'token-duplicate-member',
    'A header that names alg twice',
    'duplicate_member',
    'token_malformed',
    'The header is `{"alg":"none", …, "alg":"<the key’s alg>"}` and the signature is real. JSON.parse keeps the last alg, so a Node verifier would see a signed token; a parser that keeps the first sees alg none. One token with two meanings is refused, whichever member a parser would keep.',
    [rfc(8259, '4')],
  ),
  tokenScenario(
    'token-non-canonical-signature',
    'A signature spelled with its spare bits set',
    'non_canonical_signature',
    'token_malformed',
    'A token this server signed, whose signature’s last character was changed only in its spare low bits: it decodes to the same bytes, so a verifier that only decodes would accept it. Base64url has one canonical spelling; a token is its exact text (caches, replay checks and logs key on it), and a second spelling of one signature would let one token pass for many.',
  ),
  tokenScenario(
    'token-sender-constrained',
    'A DPoP-bound token sent as a Bearer token',
    'sender_constrained',
    'token_sender_constrained',
    'Signed by this server, unexpired, for this audience, but it carries `"cnf": {"jkt": "…"}` (the key thumbprint of RFC 9449’s example): it is bound to a DPoP key. Sent as `Authorization: Bearer` it comes with no proof of that key, so it is refused; otherwise whoever stole it could use it.',
  ),
  tokenScenario(
    'token-issued-before-store-loss',
    'A token issued before the server lost its state',
    'issued_before_store_loss',
    'store_state_lost',
    'Signed by this server, unexpired, for this audience, never revoked as far as anyone can tell: but it was issued an hour before the store’s data began (this specimen is minted so; a real one comes from before a Redis restart without persistence, or from before an embedded-store server restarted). The revocations of that time are gone, so the server cannot tell whether this token was revoked, and it fails closed rather than un-revoking every revoked token.',
  ),
  tokenScenario(
    'token-refresh-as-access',
    'A refresh token sent as an access token',
    'used_refresh',
    'token_type_invalid',
    'Refresh tokens here are JWTs with `typ: rt+jwt`. Sent to a resource they are refused by type, before any claim is read: a refresh token must only ever go to the token endpoint.',
  ),
  {
    id: 'bearer-scope-insufficient',
    family: 'bearer',
    title: 'A valid token without the data:read scope',
    trigger: { method: 'GET', path: DATA, headers: bearer('admin_scope_only') },
    expect: { status: 403, code: 'insufficient_scope', challenge: insufficientScope('data:read') },
    explanation:
      'The admin asked the token endpoint for `scope=admin` and got a token with that scope alone. Everything about the token is right, and the admin may read data, but this token was not granted `data:read`, which /api/v1/data needs: 403, with `scope="data:read"` in the challenge. A new token request with `scope=data:read` (or no scope, for all the user may have) gets one that works.',
    rfc: [rfc(6750, '3.1'), rfc(6749, '3.3')],
  },

  // --- tokens ---
  {
    id: 'auth-token-article',
    family: 'tokens',
    title: 'The article’s token request: JSON api_key and api_secret',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { api_key: 'YOUR_VALID_API_KEY', api_secret: 'YOUR_VALID_API_SECRET' },
    },
    expect: { status: 200, challenge: null, headers: { 'cache-control': 'no-store' } },
    explanation:
      'The first article’s `get_new_token()` posts exactly this and reads `access_token`. It runs unchanged against this server with the article’s placeholder credentials, which are the demo credentials here. The answer is an RFC 6749 §5.1 token response: access_token, token_type Bearer, expires_in, refresh_token and scope, never cached. The refresh token is the client’s: using it needs the same api_key and api_secret (or HTTP Basic) again, since RFC 6749 §6 makes a confidential client authenticate when it refreshes.',
    rfc: [rfc(6749, '4.4'), rfc(6749, '5.1')],
  },
  {
    id: 'auth-token-client-credentials',
    family: 'tokens',
    title: 'The standard client_credentials grant with HTTP Basic',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      headers: { Authorization: 'Basic WU9VUl9WQUxJRF9BUElfS0VZOllPVVJfVkFMSURfQVBJX1NFQ1JFVA==' },
      body: { grant_type: 'client_credentials' },
      contentType: 'form',
    },
    expect: { status: 200, challenge: null, headers: { 'cache-control': 'no-store' } },
    explanation:
      'The same client, authenticated the RFC 6749 way: HTTP Basic with the API key as client_id and the secret as client_secret, and a form body. No refresh token comes back (RFC 6749 §4.4.3): a client can always ask again with its credentials.',
    rfc: [rfc(6749, '4.4'), rfc(6749, '2.3.1')],
  },
  {
    id: 'auth-token-password',
    family: 'tokens',
    title: 'The password grant for a demo user',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { grant_type: 'password', username: 'my_username', password: 'my_password' },
      contentType: 'form',
    },
    expect: { status: 200, challenge: null, headers: { 'cache-control': 'no-store' } },
    explanation:
      'A user’s name and password exchanged for tokens, with a refresh token and an auth_time (used by step-up). OAuth 2.1 and RFC 9700 §2.4 drop this grant — the client sees the password — in favour of the authorization code flow; it stays here because it makes a user token one curl away.',
    rfc: [rfc(6749, '4.3'), rfc(9700, '2.4')],
  },
  {
    id: 'auth-token-wrong-secret',
    family: 'tokens',
    title: 'A wrong api_secret',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { api_key: 'YOUR_VALID_API_KEY', api_secret: 'not-the-secret' },
    },
    expect: {
      status: 401,
      code: 'invalid_client',
      challenge: 'Basic realm="four-oh-one", charset="UTF-8"',
    },
    explanation:
      'Bad client credentials at the token endpoint are the one OAuth error answered with 401 (RFC 6749 §5.2), with a challenge for the scheme the client should use. The body is the same as for an unknown key.',
    rfc: problemCatalog.invalid_client.rfc,
  },
  {
    id: 'auth-token-unknown-key',
    family: 'tokens',
    title: 'An unknown api_key',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { api_key: 'NO_SUCH_KEY', api_secret: 'whatever' },
    },
    expect: {
      status: 401,
      code: 'invalid_client',
      challenge: 'Basic realm="four-oh-one", charset="UTF-8"',
    },
    explanation:
      'Exactly the answer a wrong secret gets, and in the same time (the secret is compared, in constant time, against a dummy): otherwise the endpoint would tell an attacker which keys exist.',
    rfc: problemCatalog.invalid_client.rfc,
  },
  {
    id: 'auth-token-missing-secret',
    family: 'tokens',
    title: 'An api_key without its api_secret',
    trigger: { method: 'POST', path: '/auth/token', body: { api_key: 'YOUR_VALID_API_KEY' } },
    expect: { status: 400, code: 'invalid_request', challenge: null },
    explanation:
      'A required parameter is missing: that is a malformed request (400), not a failed authentication.',
    rfc: problemCatalog.invalid_request.rfc,
  },
  {
    id: 'auth-token-wrong-type',
    family: 'tokens',
    title: 'An object where a string belongs ({"$ne": 1})',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { grant_type: 'password', username: 'my_username', password: { $ne: 1 } },
    },
    expect: { status: 400, code: 'invalid_request', challenge: null },
    explanation:
      'The NoSQL-injection shape: a JSON object where a password string belongs. Parameters are type-checked before anything looks at them, so it is a 400, never a login and never a 500.',
    rfc: problemCatalog.invalid_request.rfc,
  },
  {
    id: 'auth-token-bad-password',
    family: 'tokens',
    title: 'A wrong password',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { grant_type: 'password', username: 'my_username', password: 'wrong' },
      contentType: 'form',
    },
    expect: { status: 400, code: 'invalid_grant', challenge: null },
    explanation:
      'RFC 6749 §5.2 answers a wrong user password with 400 invalid_grant, not 401: the grant (the resource owner’s credentials) is invalid, not the client. A surprise for many clients that expect 401 here.',
    rfc: problemCatalog.invalid_grant.rfc,
  },
  {
    id: 'auth-token-invalid-scope',
    family: 'tokens',
    title: 'A user asking for the admin scope',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: {
        grant_type: 'password',
        username: 'my_username',
        password: 'my_password',
        scope: 'admin',
      },
      contentType: 'form',
    },
    expect: { status: 400, code: 'invalid_scope', challenge: null },
    explanation: 'The credentials are right, but the scope is more than this user may have.',
    rfc: problemCatalog.invalid_scope.rfc,
  },
  {
    id: 'auth-token-unsupported-grant',
    family: 'tokens',
    title: 'A grant type this server does not serve',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { grant_type: 'authorization_code', code: 'abc' },
      contentType: 'form',
    },
    expect: { status: 400, code: 'unsupported_grant_type', challenge: null },
    explanation: 'The grant types served are listed in /.well-known/oauth-authorization-server.',
    rfc: problemCatalog.unsupported_grant_type.rfc,
  },
  {
    id: 'auth-token-bad-refresh',
    family: 'tokens',
    title: 'A refresh token that is not one',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' },
      contentType: 'form',
    },
    expect: { status: 400, code: 'invalid_grant', challenge: null },
    explanation:
      'Unknown, forged, expired or revoked refresh tokens are all invalid_grant (400). The client cannot refresh; it must sign in again.',
    rfc: problemCatalog.invalid_grant.rfc,
  },
  {
    id: 'auth-token-public-client',
    family: 'tokens',
    title: 'A public client names itself, without a secret',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: {
        grant_type: 'password',
        username: 'my_username',
        password: 'my_password',
        client_id: 'four-oh-one-public',
      },
      contentType: 'form',
    },
    expect: { status: 200, challenge: null, headers: { 'cache-control': 'no-store' } },
    explanation:
      'four-oh-one-public is a public client (RFC 6749 §2.1): a CLI, a browser app or an OAuth library with no secret to keep. It names itself with `client_id` alone (RFC 6749 §3.2.1), which the metadata announces as the token endpoint auth method `none`, and its tokens carry `client_id: four-oh-one-public`. A request with no client at all is taken as this client too. A public client may use the password and refresh grants and revoke its tokens; it cannot use client_credentials or introspection, which need a client that authenticates.',
    rfc: [rfc(6749, '2.1'), rfc(6749, '3.2.1'), rfc(8414, '2')],
  },
  {
    id: 'auth-token-public-client-credentials',
    family: 'tokens',
    title: 'The public client asking for client_credentials',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { grant_type: 'client_credentials', client_id: 'four-oh-one-public' },
      contentType: 'form',
    },
    expect: {
      status: 401,
      code: 'invalid_client',
      challenge: 'Basic realm="four-oh-one", charset="UTF-8"',
    },
    explanation:
      'The client credentials grant is for confidential clients only (RFC 6749 §4.4): the client is its own resource owner, so its authentication is the whole grant. A public client has no secret, so naming it proves nothing: 401 invalid_client, with the Basic challenge a confidential client answers.',
    rfc: [rfc(6749, '4.4'), rfc(6749, '2.1'), rfc(6749, '5.2')],
  },
  {
    id: 'auth-token-refresh-confidential-unauthenticated',
    family: 'tokens',
    title: 'A confidential client’s refresh token, without the client’s authentication',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { grant_type: 'refresh_token', refresh_token: '{{token:client_refresh}}' },
      contentType: 'form',
    },
    expect: {
      status: 401,
      code: 'invalid_client',
      challenge: 'Basic realm="four-oh-one", charset="UTF-8"',
    },
    explanation:
      'This refresh token was issued to the article’s API client (YOUR_VALID_API_KEY), a confidential client: it has a secret. RFC 6749 §6 makes such a client authenticate whenever it refreshes, so a stolen refresh token alone is worth nothing. Without the client’s authentication the answer is 401 invalid_client with a Basic challenge, before the token is looked at; with it (HTTP Basic, client_id and client_secret, or the article’s api_key and api_secret in the body) the refresh proceeds. Refresh tokens of the public client need none.',
    articleNote:
      'The article never refreshes: its `refresh_token()` is undefined, and its text says to get a new token with get_new_token(), which sends the api_key and api_secret anyway. So the article’s code runs unchanged. A client that keeps the refresh token from the article’s JSON answer must send the same credentials when it uses it.',
    rfc: [rfc(6749, '6'), rfc(6749, '2.3.1'), rfc(6749, '5.2')],
  },
  {
    id: 'auth-introspect-public-client',
    family: 'tokens',
    title: 'The public client asking to introspect',
    trigger: {
      method: 'POST',
      path: '/auth/introspect',
      body: { token: '{{token:valid}}', client_id: 'four-oh-one-public' },
      contentType: 'form',
    },
    expect: {
      status: 401,
      code: 'invalid_client',
      challenge: 'Basic realm="four-oh-one", charset="UTF-8"',
    },
    explanation:
      'Introspection tells whoever asks what a token is worth, so RFC 7662 §2.1 requires the caller to authenticate (here: a confidential client). The public client cannot, having no secret: 401 invalid_client.',
    rfc: [rfc(7662, '2.1'), rfc(7662, '4'), rfc(6749, '5.2')],
  },
  {
    id: 'auth-token-refresh-reused',
    family: 'tokens',
    title: 'A refresh token used a second time',
    trigger: {
      method: 'POST',
      path: '/auth/token',
      body: { grant_type: 'refresh_token', refresh_token: '{{token:used_refresh}}' },
      contentType: 'form',
    },
    expect: { status: 400, code: 'refresh_token_reused', challenge: null },
    explanation:
      'This refresh token was already exchanged once. Its reuse revokes the whole family: the refresh token issued in exchange and every access token issued from the family now answer 401 token_revoked. Clients that refresh from two tabs or threads at once meet this.',
    rfc: problemCatalog.refresh_token_reused.rfc,
  },
  {
    id: 'specimen-cannot-revoke',
    family: 'tokens',
    title: 'A shared specimen token cannot change state',
    trigger: {
      method: 'POST',
      path: '/auth/revoke-all',
      headers: { Authorization: 'Bearer {{token:admin}}' },
    },
    expect: { status: 403, code: 'specimen_read_only', challenge: null },
    explanation:
      'The admin specimen from /tokens/specimens is shared by every visitor. It opens read-only routes, but "log out everywhere" with it would change what everyone else sees, so it is refused before anything is written: 403, since the token is valid and no other credentials of the same kind would help. Your own admin token (the password grant as admin) may revoke.',
    rfc: problemCatalog.specimen_read_only.rfc,
  },
  {
    id: 'auth-revoke-missing-token',
    family: 'tokens',
    title: 'A revocation request without the token to revoke',
    trigger: {
      method: 'POST',
      path: '/auth/revoke',
      body: { client_id: 'YOUR_VALID_API_KEY', client_secret: 'YOUR_VALID_API_SECRET' },
      contentType: 'form',
    },
    expect: { status: 400, code: 'invalid_request', challenge: null },
    explanation:
      'RFC 7009 §2.1: `token` is required. The client authenticated, but the request names nothing to revoke, so it is invalid_request (400). An unknown or already revoked token, by contrast, answers 200: revocation says nothing about which tokens exist.',
    rfc: [rfc(7009, '2.1'), rfc(7009, '2.2.1'), rfc(6749, '5.2')],
  },
  {
    id: 'auth-introspect-no-client',
    family: 'tokens',
    title: 'Introspection without client authentication',
    trigger: {
      method: 'POST',
      path: '/auth/introspect',
      body: { token: 'any-token' },
      contentType: 'form',
    },
    expect: {
      status: 401,
      code: 'invalid_client',
      challenge: 'Basic realm="four-oh-one", charset="UTF-8"',
    },
    explanation:
      'RFC 7662 §2.1: the introspection endpoint must not tell strangers whether a token is active, so it requires the caller to authenticate. No client credentials came, so it is 401 invalid_client with a Basic challenge, before the token is looked at.',
    rfc: [rfc(7662, '2.1'), rfc(7662, '4'), rfc(6749, '5.2')],
  },

  // --- session ---
  {
    id: 'session-login',
    family: 'session',
    title: 'The article’s login form',
    trigger: {
      method: 'POST',
      path: '/login',
      body: { username: 'my_username', password: 'my_password' },
      contentType: 'form',
    },
    expect: { status: 200, challenge: null, headers: { 'cache-control': 'no-store' } },
    explanation:
      'The article’s `session.post(url="/login", data=login_data)`: a form post that sets an HttpOnly, SameSite=Lax session cookie under a fresh session id (a new id at every login defeats session fixation). The body says when the session will expire by inactivity and by age. `idle_seconds` and `absolute_seconds` may shorten both, so a test can watch expiry in seconds.',
    rfc: [rfc(6265, '4.1'), rfc(6265, '8.5'), rfc6265bis('4.1.2.7')],
  },
  {
    id: 'session-login-failed',
    family: 'session',
    title: 'A wrong password at the login form',
    trigger: {
      method: 'POST',
      path: '/login',
      body: { username: 'my_username', password: 'wrong' },
      contentType: 'form',
    },
    expect: { status: 401, code: 'login_failed', challenge: cookieChallenge },
    explanation:
      'A refused login is a 401 with the cookie challenge; an unknown user gets exactly the same answer. The failure counts towards the per-account and per-address limits (LOGIN_MAX_FAILURES_PER_ACCOUNT, LOGIN_MAX_FAILURES_PER_ADDRESS), after which the form answers 429 with Retry-After.',
    rfc: problemCatalog.login_failed.rfc,
  },
  {
    id: 'session-login-wrong-type',
    family: 'session',
    title: 'A password that is an object ({"$ne": 1})',
    trigger: {
      method: 'POST',
      path: '/login',
      body: { username: 'my_username', password: { $ne: 1 } },
    },
    expect: { status: 400, code: 'parameter_invalid', challenge: null },
    explanation:
      'The NoSQL-injection shape sent as JSON: fields are type-checked first, so it is a 400 and never reaches a comparison.',
    rfc: problemCatalog.parameter_invalid.rfc,
  },
  {
    id: 'session-missing',
    family: 'session',
    title: 'A heartbeat with no session cookie',
    trigger: { method: 'POST', path: '/keepalive' },
    expect: { status: 401, code: 'session_missing', challenge: cookieChallenge },
    explanation:
      'The article’s loop before it logged in, or a client that dropped its cookie jar. The article’s loop prints "Session expired, logging in again..." and logs in: exactly the remedy.',
    rfc: problemCatalog.session_missing.rfc,
  },
  {
    id: 'session-forged-cookie',
    family: 'session',
    title: 'A forged session cookie',
    trigger: {
      method: 'POST',
      path: '/keepalive',
      headers: { Cookie: '{{cookie_name}}=s:made-up-session-id.c2lnbmF0dXJl' },
    },
    expect: { status: 401, code: 'session_invalid', challenge: cookieChallenge },
    explanation:
      'Session cookies are signed; this signature does not verify, so the id is not even looked up. A logged-out or long-forgotten session gets the same answer. The cookie is cleared.',
    rfc: problemCatalog.session_invalid.rfc,
  },
  {
    id: 'session-idle-expired',
    family: 'session',
    title: 'A session idle past its timeout',
    trigger: {
      method: 'POST',
      path: '/keepalive',
      headers: { Cookie: '{{token:session_idle_expired}}' },
    },
    expect: { status: 401, code: 'session_idle_expired', challenge: cookieChallenge },
    explanation:
      'The article’s "session timeout": no request came for longer than the idle timeout, so even the heartbeat is too late. The answer names the moment the session went idle; the cookie is cleared.',
    rfc: problemCatalog.session_idle_expired.rfc,
  },
  {
    id: 'session-absolute-expired',
    family: 'session',
    title: 'A busy session past its absolute lifetime',
    trigger: {
      method: 'POST',
      path: '/keepalive',
      headers: { Cookie: '{{token:session_absolute_expired}}' },
    },
    expect: { status: 401, code: 'session_absolute_expired', challenge: cookieChallenge },
    explanation:
      'This session sent a heartbeat a second ago, yet it is over: it was logged in longer than SESSION_ABSOLUTE_SECONDS. Heartbeats cannot keep a session alive forever.',
    rfc: problemCatalog.session_absolute_expired.rfc,
  },

  {
    id: 'session-too-many-attempts',
    family: 'session',
    title: 'Too many wrong passwords at the login form',
    trigger: {
      method: 'POST',
      path: '/login',
      body: { username: 'my_username', password: 'wrong' },
      contentType: 'form',
      fired: false,
      setup:
        'Send this wrong password more often than LOGIN_MAX_FAILURES_PER_ACCOUNT (5) from one address within LOGIN_WINDOW_SECONDS (900): the next attempt answers this. A stateless replay cannot: the count is per address, and firing it here would lock the demo account for this address.',
    },
    expect: { status: 429, code: 'too_many_attempts', challenge: null },
    explanation:
      'The limit counts refused passwords per account and address, and per address, in the store; the answer names the wait in Retry-After and the counters in RateLimit and RateLimit-Policy. The right password from another address still works: nobody can lock a shared account for everyone.',
    rfc: problemCatalog.too_many_attempts.rfc,
  },

  // --- admin ---
  {
    id: 'admin-as-admin',
    family: 'admin',
    title: 'An admin opens the admin panel',
    trigger: {
      method: 'GET',
      path: '/admin',
      headers: { Authorization: 'Bearer {{token:admin}}' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'The Flask example’s happy path: the identity type is admin, and the answer is {"message": "Welcome to the admin panel!"}.',
    rfc: [rfc(6750, '2.1')],
  },
  {
    id: 'admin-no-token',
    family: 'admin',
    title: 'No token at the admin panel',
    trigger: { method: 'GET', path: '/admin' },
    expect: { status: 401, code: 'token_missing', challenge: noError },
    explanation:
      'Without credentials the server cannot know whether you are an admin: 401, with a challenge. Here the article and the RFCs agree.',
    rfc: problemCatalog.token_missing.rfc,
  },
  {
    id: 'admin-as-user',
    family: 'admin',
    title: 'A signed-in non-admin at the admin panel: 403, not 401',
    trigger: {
      method: 'GET',
      path: '/admin',
      headers: { Authorization: 'Bearer {{token:valid}}' },
    },
    expect: { status: 403, code: 'role_insufficient', challenge: null },
    explanation:
      'The token is valid; the user is simply not an admin, which is the article’s `current_user["type"] == "admin"` check. RFC 9110 §15.5.4: a server that understood the credentials and refuses anyway answers 403. It is a role, not a scope: no token of this user would pass, so it is not insufficient_scope and carries no challenge to ask for more.',
    articleNote:
      'The article’s Flask example returns 401 with "You are not authorized to access this resource." for a logged-in non-admin. A 401 tells the client its credentials are missing or bad, so a well-behaved client refreshes or re-prompts and gets 401 again, forever. 403 says: these credentials are fine, and they will never be enough.',
    rfc: problemCatalog.role_insufficient.rfc,
  },
  {
    id: 'admin-token-without-admin-scope',
    family: 'admin',
    title: 'An admin’s token narrowed to data:read, at the admin panel',
    trigger: {
      method: 'GET',
      path: '/admin',
      headers: { Authorization: 'Bearer {{token:admin_data_read_only}}' },
    },
    expect: { status: 403, code: 'insufficient_scope', challenge: insufficientScope('admin') },
    explanation:
      'The admin logged in asking for `scope=data:read` only (least privilege: a token for reading data cannot open the admin panel if it leaks). The role check passes, the scope check does not: /admin needs the admin role and the admin scope. 403 insufficient_scope with `scope="admin"`: the same user asking for a token with the admin scope will get in (incremental consent).',
    rfc: [rfc(6750, '3.1'), rfc(6749, '3.3'), rfc(9110, '15.5.4')],
  },
  {
    id: 'revoke-all-other-subject-as-user',
    family: 'admin',
    title: 'A non-admin revoking another user’s tokens',
    trigger: {
      method: 'POST',
      path: '/auth/revoke-all',
      headers: { Authorization: 'Bearer {{token:valid}}' },
      body: { sub: 'admin' },
    },
    expect: { status: 403, code: 'role_insufficient', challenge: null },
    explanation:
      'Anyone may revoke their own tokens with POST /auth/revoke-all; naming another `sub` is an admin’s business, checked as /admin checks it: the admin role first, then the admin scope. A user is refused by role, before anything is revoked.',
    rfc: problemCatalog.role_insufficient.rfc,
  },
  {
    id: 'revoke-all-other-subject-without-admin-scope',
    family: 'admin',
    title: 'An admin’s data:read token revoking another user’s tokens',
    trigger: {
      method: 'POST',
      path: '/auth/revoke-all',
      headers: { Authorization: 'Bearer {{token:admin_data_read_only}}' },
      body: { sub: 'my_username' },
    },
    expect: { status: 403, code: 'insufficient_scope', challenge: insufficientScope('admin') },
    explanation:
      'The admin’s role passes, but this token was granted only `data:read`: revoking another subject’s tokens needs the admin scope too, as /admin does. A token with `scope=admin` (or no scope asked, for all of the admin’s) may.',
    rfc: [rfc(6750, '3.1'), rfc(6749, '3.3')],
  },
  {
    id: 'step-up-stale-login',
    family: 'admin',
    title: 'A valid token whose login is too old (step-up)',
    trigger: {
      method: 'GET',
      path: '/account/security',
      headers: { Authorization: 'Bearer {{token:stale_login}}' },
    },
    expect: {
      status: 401,
      code: 'insufficient_user_authentication',
      challenge: `Bearer realm="four-oh-one", error="insufficient_user_authentication", error_description="${problemCatalog.insufficient_user_authentication.title}", max_age="{{step_up_max_age}}", ${RESOURCE_METADATA}`,
    },
    explanation:
      'The one 401 with a perfectly valid token: the user logged in two hours ago and this page wants a login at most max_age seconds old (STEP_UP_MAX_AGE_SECONDS). RFC 9470 adds the error code and the max_age parameter so the client knows to send the user through login again rather than refresh.',
    rfc: problemCatalog.insufficient_user_authentication.rfc,
  },
  {
    id: 'step-up-client-token',
    family: 'admin',
    title: 'A client token where a user login is needed',
    trigger: {
      method: 'GET',
      path: '/account/security',
      headers: { Authorization: 'Bearer {{token:valid}}' },
    },
    expect: {
      status: 401,
      code: 'insufficient_user_authentication',
      challenge: `Bearer realm="four-oh-one", error="insufficient_user_authentication", error_description="${problemCatalog.insufficient_user_authentication.title}", max_age="{{step_up_max_age}}", ${RESOURCE_METADATA}`,
    },
    explanation:
      'This token records no auth_time at all, as client-credentials tokens never do: no user logged in, so no login can be recent enough.',
    rfc: problemCatalog.insufficient_user_authentication.rfc,
  },
  {
    id: 'step-up-fresh-login',
    family: 'admin',
    title: 'A fresh login passes the step-up check',
    trigger: {
      method: 'GET',
      path: '/account/security',
      headers: { Authorization: 'Bearer {{token:fresh_login}}' },
    },
    expect: { status: 200, challenge: null },
    explanation: 'auth_time is within max_age of the server clock, so the page opens.',
    rfc: [rfc(9470, '3')],
  },

  // --- cors ---
  {
    id: 'cors-hello-world',
    family: 'cors',
    title: 'The article’s Hello World, read from another origin',
    trigger: { method: 'GET', path: '/', headers: { Origin: DEMO_ORIGIN } },
    expect: { status: 200, challenge: null, headers: CORS_ALLOWED },
    explanation:
      'The Flask route behind `CORS(app)`: `{"message": "Hello World!"}`. The origin is on the allowlist (CORS_ORIGINS), so the answer names it in Access-Control-Allow-Origin (the exact origin, never `*` and never an origin it did not check), allows credentials, and says Vary: Origin so that a cache never serves one origin’s answer to another. The script reads status 200 and the body.',
    articleNote:
      '`CORS(app)` answers every origin with `Access-Control-Allow-Origin: *`. Harmless on a public route like this one; but a wildcard can never carry cookies or an Authorization-bearing session (see cors-broken-wildcard-credentials), so an app with logins needs a list of origins.',
    rfc: [fetchStandard('3.2', 'http-cors-protocol'), rfc(6454, '7'), rfc(9110, '12.5.5')],
    browser: [
      { fetch: { method: 'GET', path: '/', credentials: 'omit' }, sees: readable(200) },
      { fetch: { method: 'GET', path: '/', credentials: 'include' }, sees: readable(200) },
    ],
  },
  {
    id: 'cors-no-token',
    family: 'cors',
    title: 'An allowed origin without a token still gets 401, and can read it',
    trigger: { method: 'GET', path: DATA, headers: { Origin: DEMO_ORIGIN } },
    expect: { status: 401, code: 'token_missing', challenge: noError, headers: CORS_ALLOWED },
    explanation:
      'CORS is not authentication: the origin is allowed, the request has no token, so it is refused exactly as for curl. Because the CORS policy runs before authentication, the 401 carries Access-Control-Allow-Origin and Access-Control-Expose-Headers, and the script reads everything: status 401, the problem body with code token_missing, WWW-Authenticate and X-Request-Id.',
    articleNote:
      'The article says a script calling another origin "gets 401" and cures it with CORS(app). A 401 comes from missing or bad credentials, never from the origin; CORS only decides whether the script may read the answer. A refused origin does not get a 401 it can see at all (cors-refused-origin).',
    rfc: [rfc(9110, '15.5.2'), rfc(6750, '3'), fetchStandard('3.2', 'http-cors-protocol')],
    browser: [
      {
        fetch: { method: 'GET', path: DATA, credentials: 'omit' },
        sees: readable(401, 'token_missing'),
      },
    ],
  },
  {
    id: 'cors-expired-token',
    family: 'cors',
    title: 'An expired token from another origin: a 401 the script can act on',
    trigger: {
      method: 'GET',
      path: DATA,
      headers: { Origin: DEMO_ORIGIN, ...bearer('expired') },
    },
    expect: {
      status: 401,
      code: 'token_expired',
      challenge: invalidToken('token_expired'),
      headers: CORS_ALLOWED,
    },
    explanation:
      'The case a browser client must handle. An Authorization header is not CORS-safelisted, so the browser first sends a preflight (OPTIONS, without the token), which the policy answers 204; then the real request, which is refused. The script reads status 401, code token_expired and, because it is exposed, WWW-Authenticate with error="invalid_token": it refreshes the token and retries once.',
    rfc: [rfc(6750, '3.1'), rfc(9110, '15.5.2'), fetchStandard('3.2', 'http-cors-protocol')],
    browser: [
      {
        fetch: { method: 'GET', path: DATA, headers: bearer('expired'), credentials: 'omit' },
        sees: readable(401, 'token_expired'),
      },
    ],
  },
  {
    id: 'cors-valid-token',
    family: 'cors',
    title: 'A valid token from another origin gets the data',
    trigger: { method: 'GET', path: DATA, headers: { Origin: DEMO_ORIGIN, ...bearer('valid') } },
    expect: { status: 200, challenge: null, headers: CORS_ALLOWED },
    explanation:
      'Preflight 204, then 200 with the CORS headers: the script reads the data and X-Request-Id.',
    rfc: [rfc(6750, '2.1'), fetchStandard('3.2', 'http-cors-protocol')],
    browser: [
      {
        fetch: { method: 'GET', path: DATA, headers: bearer('valid'), credentials: 'omit' },
        sees: readable(200),
      },
    ],
  },
  {
    id: 'cors-preflight',
    family: 'cors',
    title: 'The preflight is answered before authentication',
    trigger: {
      method: 'OPTIONS',
      path: DATA,
      headers: {
        Origin: DEMO_ORIGIN,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    },
    expect: {
      status: 204,
      challenge: null,
      headers: {
        'access-control-allow-origin': DEMO_ORIGIN,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET,HEAD,POST,PUT,PATCH,DELETE',
        'access-control-allow-headers': 'Authorization,Content-Type,X-Request-Id',
        'access-control-max-age': '600',
        vary: 'Origin',
      },
    },
    explanation:
      'What the browser sends before any call with an Authorization header or a JSON body. A preflight never carries credentials (Fetch standard, CORS-preflight request), so it must be answered before any authentication: 204, the allowed methods and request headers (a fixed list, never whatever the browser asks for), and Access-Control-Max-Age so the browser can skip it for ten minutes. Scripts never see a preflight; they see the request after it, or a network error when it fails (cors-broken-preflight-needs-auth).',
    rfc: [
      fetchStandard('3.2', 'http-cors-protocol'),
      fetchStandard('4.8', 'cors-preflight-fetch'),
      rfc(9110, '9.3.7'),
    ],
  },
  {
    id: 'cors-refused-origin',
    family: 'cors',
    title: 'An origin not on the list: the server says 401, the script sees nothing',
    trigger: { method: 'GET', path: DATA, headers: { Origin: 'http://evil.example' } },
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: noError,
      absentHeaders: CORS_HEADERS,
    },
    explanation:
      'The origin is not on CORS_ORIGINS, so the answer carries no CORS header at all (not even Allow-Credentials). The server still answers, 401 as to anyone without a token, and curl sees that 401. In the browser, `fetch` rejects with `TypeError: Failed to fetch`: the script learns no status, no header, no body, and cannot tell a refused origin from a server that is down; only the DevTools console says why. The demo page shows it from a sandboxed frame, whose origin (null) is not on the list either.',
    articleNote:
      'This is the article’s "gets 401", seen from where the script runs: the 401 exists on the wire, but the script never gets it. The fix is not to make the 401 readable to everyone, but to list the origins that may read it.',
    rfc: [fetchStandard('3.2', 'http-cors-protocol'), rfc(6454, '7')],
    browser: [
      {
        fetch: { method: 'GET', path: DATA, credentials: 'omit' },
        fromSandboxedFrame: true,
        sees: hidden(NO_ACAO),
      },
    ],
  },
  {
    id: 'cors-null-origin',
    family: 'cors',
    title: 'Origin: null is refused',
    trigger: { method: 'GET', path: '/', headers: { Origin: 'null' } },
    expect: { status: 200, challenge: null, absentHeaders: CORS_HEADERS },
    explanation:
      'Browsers send `Origin: null` from sandboxed frames, file:// pages, data: URLs and after some cross-origin redirects. Allowing "null" would allow every one of those, anywhere, so it is never on the list (CORS_ORIGINS refuses it at startup). Even this public 200 is hidden: the script in the sandboxed frame gets a TypeError.',
    rfc: [
      fetchStandard('3.2', 'http-cors-protocol'),
      fetchStandard('3.1', 'origin-header'),
      rfc(6454, '7.3'),
    ],
    browser: [
      {
        fetch: { method: 'GET', path: '/', credentials: 'omit' },
        fromSandboxedFrame: true,
        sees: hidden(NO_ACAO),
      },
    ],
  },
  {
    id: 'cors-lookalike-origin',
    family: 'cors',
    title: 'A look-alike of an allowed origin is refused',
    trigger: {
      method: 'GET',
      path: '/',
      headers: { Origin: '{{lookalike_origin}}' },
    },
    expect: { status: 200, challenge: null, absentHeaders: CORS_HEADERS },
    explanation:
      '{{allowed_origin}} is on the list; {{lookalike_origin}} is a host anyone can register. Origins are compared by exact string equality against a Set, so it gets no CORS header. Checks with startsWith, endsWith, includes or an unanchored regular expression let such look-alikes (app.test.evil.net, evil-app.test) read every answer, with credentials.',
    rfc: [fetchStandard('3.2', 'http-cors-protocol'), rfc(6454, '5')],
  },
  {
    id: 'cors-other-port',
    family: 'cors',
    title: 'The same host on another port is another origin',
    trigger: { method: 'GET', path: '/', headers: { Origin: '{{other_port_origin}}' } },
    expect: { status: 200, challenge: null, absentHeaders: CORS_HEADERS },
    explanation:
      'An origin is scheme, host and port (RFC 6454 §4): {{other_port_origin}} is not {{allowed_origin}}, and https:// is not http://. Each must be listed on its own.',
    rfc: [fetchStandard('3.2', 'http-cors-protocol'), rfc(6454, '4')],
  },
  {
    id: 'cors-preflight-refused-origin',
    family: 'cors',
    title: 'A preflight from a refused origin',
    trigger: {
      method: 'OPTIONS',
      path: DATA,
      headers: {
        Origin: 'http://evil.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    },
    expect: {
      status: 204,
      challenge: null,
      headers: { allow: 'GET, HEAD, OPTIONS' },
      absentHeaders: [
        ...CORS_HEADERS,
        'access-control-allow-methods',
        'access-control-allow-headers',
      ],
    },
    explanation:
      'The policy does not answer it; the route does, as it answers any OPTIONS: 204 with Allow, and no CORS header. The browser then never sends the real request and the script gets a TypeError. A refused preflight is an ordinary answer, never an error and never a 5xx.',
    rfc: [
      fetchStandard('3.2', 'http-cors-protocol'),
      fetchStandard('4.8', 'cors-preflight-fetch'),
      rfc(9110, '9.3.7'),
    ],
  },
  {
    id: 'cors-login',
    family: 'cors',
    title: 'A cross-origin cookie login',
    trigger: {
      method: 'POST',
      path: '/login',
      headers: { Origin: DEMO_ORIGIN },
      body: { username: 'my_username', password: 'my_password' },
      contentType: 'form',
    },
    expect: {
      status: 200,
      challenge: null,
      headers: { ...CORS_ALLOWED, 'cache-control': 'no-store' },
    },
    explanation:
      'The article’s login form, posted by a script with `credentials: "include"`. The answer allows credentials, so the script reads it, and the browser stores the HttpOnly, SameSite=Lax cookie only if the page is on the same site as the API (the same scheme and registrable domain; ports never count): with the default ports, the demo page on http://127.0.0.1:3001 calling http://127.0.0.1:3000 is another origin (the port differs) but the same site, so later calls with credentials carry it. From http://localhost:3001 the call is cross-site: the login reads 200, yet the cookie is dropped and the next heartbeat is 401 session_missing. Set-Cookie itself is never readable by a script.',
    rfc: [
      fetchStandard('3.2.5', 'cors-protocol-and-credentials'),
      rfc(6265, '5.4'),
      rfc(6265, '8.5'),
      rfc6265bis('4.1.2.7'),
      rfc6265bis('5.2'),
      rfc(6454, '4'),
    ],
    browser: [
      {
        fetch: {
          method: 'POST',
          path: '/login',
          body: { username: 'my_username', password: 'my_password' },
          credentials: 'include',
        },
        sees: readable(200),
      },
    ],
  },
  {
    id: 'cors-keepalive-without-credentials',
    family: 'cors',
    title: 'A heartbeat without credentials: 401 session_missing, readable',
    trigger: { method: 'POST', path: '/keepalive', headers: { Origin: DEMO_ORIGIN } },
    expect: {
      status: 401,
      code: 'session_missing',
      challenge: cookieChallenge,
      headers: CORS_ALLOWED,
    },
    explanation:
      'A cross-origin `fetch` sends cookies only with `credentials: "include"` (its default, "same-origin", sends none to another origin), so this heartbeat arrives without the session cookie even right after a login. The 401 is readable, with the Cookie challenge naming the login form: the script knows to log in or to send credentials.',
    rfc: [
      ...problemCatalog.session_missing.rfc,
      fetchStandard('3.2.5', 'cors-protocol-and-credentials'),
    ],
    browser: [
      {
        fetch: { method: 'POST', path: '/keepalive', credentials: 'omit' },
        sees: readable(401, 'session_missing'),
      },
    ],
  },
  {
    id: 'cors-broken-no-acao-on-401',
    family: 'cors',
    title: 'Broken on purpose: CORS after authentication, so the 401 has no CORS headers',
    trigger: {
      method: 'GET',
      path: '/cors/broken/no-acao-on-401',
      headers: { Origin: DEMO_ORIGIN },
    },
    expect: { status: 401, code: 'token_missing', challenge: noError, absentHeaders: CORS_HEADERS },
    explanation:
      'Here the CORS middleware runs after authentication, so only answers that pass auth get CORS headers. The 401 is sent without Access-Control-Allow-Origin and the browser hides it: `fetch` rejects with TypeError, and the script cannot know that it should log in or refresh; with an expired token it is the same. Compare cors-no-token and cors-expired-token, where the policy runs first.',
    rfc: [fetchStandard('3.2', 'http-cors-protocol'), rfc(9110, '15.5.2')],
    browser: [
      {
        fetch: { method: 'GET', path: '/cors/broken/no-acao-on-401', credentials: 'omit' },
        sees: hidden(NO_ACAO),
      },
      {
        fetch: {
          method: 'GET',
          path: '/cors/broken/no-acao-on-401',
          headers: bearer('expired'),
          credentials: 'omit',
        },
        sees: hidden(NO_ACAO),
      },
    ],
  },
  {
    id: 'cors-broken-no-acao-success',
    family: 'cors',
    title: 'Broken on purpose, yet the happy path works',
    trigger: {
      method: 'GET',
      path: '/cors/broken/no-acao-on-401',
      headers: { Origin: DEMO_ORIGIN, ...bearer('valid') },
    },
    expect: { status: 200, challenge: null, headers: CORS_ALLOWED },
    explanation:
      'With a valid token the request passes authentication, reaches the CORS middleware and is readable. That is why the bug survives testing: it only shows when a token expires, in production, as a network error.',
    rfc: [fetchStandard('3.2', 'http-cors-protocol'), rfc(9110, '15.3.1')],
    browser: [
      {
        fetch: {
          method: 'GET',
          path: '/cors/broken/no-acao-on-401',
          headers: bearer('valid'),
          credentials: 'omit',
        },
        sees: readable(200),
      },
    ],
  },
  {
    id: 'cors-broken-unexposed',
    family: 'cors',
    title: 'Broken on purpose: a readable 401 whose challenge and request id read as null',
    trigger: { method: 'GET', path: '/cors/broken/unexposed', headers: { Origin: DEMO_ORIGIN } },
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: noError,
      headers: {
        'access-control-allow-origin': DEMO_ORIGIN,
        'access-control-allow-credentials': 'true',
      },
      absentHeaders: ['access-control-expose-headers'],
    },
    explanation:
      'The origin is allowed but no Access-Control-Expose-Headers is sent. The script reads the status, the safelisted headers (Content-Type, Cache-Control, ...) and the body, but `response.headers.get("WWW-Authenticate")` and `get("X-Request-Id")` return null although both came: it cannot read the challenge (expired or missing?) nor quote the request id from the header. This server repeats the id in the problem body’s request_id, which is readable; many do not.',
    rfc: [fetchStandard('3.2.3', 'http-responses'), rfc(9110, '11.6.1')],
    browser: [
      {
        fetch: { method: 'GET', path: '/cors/broken/unexposed', credentials: 'omit' },
        sees: {
          outcome: 'response',
          status: 401,
          code: 'token_missing',
          readable: ['content-type', 'cache-control'],
          unreadable: ['www-authenticate', 'x-request-id'],
        },
      },
    ],
  },
  {
    id: 'cors-broken-preflight-needs-auth',
    family: 'cors',
    title: 'Broken on purpose: the preflight demands authentication',
    trigger: {
      method: 'OPTIONS',
      path: '/cors/broken/preflight-needs-auth',
      headers: {
        Origin: DEMO_ORIGIN,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    },
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: noError,
      headers: {
        'access-control-allow-origin': DEMO_ORIGIN,
        'access-control-allow-credentials': 'true',
      },
    },
    explanation:
      'The CORS headers are right, but the preflight is passed on to the authentication check, which refuses it: a preflight never carries the Authorization header or cookies, so it always gets 401. A preflight must answer 2xx, so the browser never sends the real request, and every call with a token, a valid one too, fails in the script as a TypeError. Compare cors-preflight, answered 204 before any authentication.',
    rfc: [
      fetchStandard('4.8', 'cors-preflight-fetch'),
      fetchStandard('3.2', 'http-cors-protocol'),
      rfc(9110, '9.3.7'),
      rfc(9110, '15.5.2'),
    ],
    browser: [
      {
        fetch: {
          method: 'GET',
          path: '/cors/broken/preflight-needs-auth',
          headers: bearer('valid'),
          credentials: 'omit',
        },
        sees: hidden('It does not have HTTP ok status'),
      },
    ],
  },
  {
    id: 'cors-broken-wildcard-credentials',
    family: 'cors',
    title: 'Broken on purpose: Access-Control-Allow-Origin: * with credentials',
    trigger: {
      method: 'GET',
      path: '/cors/broken/wildcard-credentials',
      headers: { Origin: DEMO_ORIGIN },
    },
    expect: {
      status: 401,
      code: 'session_missing',
      challenge: cookieChallenge,
      headers: {
        'access-control-allow-origin': '*',
        'access-control-allow-credentials': 'true',
      },
    },
    explanation:
      'A cookie-session route answering `Access-Control-Allow-Origin: *` and `Access-Control-Allow-Credentials: true`. Browsers refuse a wildcard on any request made with credentials, so with `credentials: "include"` the script gets a TypeError, even when the user is logged in and the server answered 200. Without credentials the answer is readable, but no cookie was sent, so it is always 401 session_missing. No setting lets a logged-in user read it. The tempting fix, echoing whatever Origin arrives along with Allow-Credentials, lets every site on the web read your users’ data; list the origins instead.',
    rfc: [
      fetchStandard('3.2.5', 'cors-protocol-and-credentials'),
      fetchStandard('3.2', 'http-cors-protocol'),
    ],
    browser: [
      {
        fetch: { method: 'GET', path: '/cors/broken/wildcard-credentials', credentials: 'include' },
        sees: hidden(
          "must not be the wildcard '*' when the request's credentials mode is 'include'",
        ),
      },
      {
        fetch: { method: 'GET', path: '/cors/broken/wildcard-credentials', credentials: 'omit' },
        sees: readable(401, 'session_missing'),
      },
    ],
  },

  // --- classic ---
  {
    id: 'basic-auth-valid',
    family: 'classic',
    title: 'Basic credentials that match the path',
    trigger: {
      method: 'GET',
      path: '/basic-auth/user/passwd',
      headers: { Authorization: 'Basic dXNlcjpwYXNzd2Q=' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'As on httpbin, /basic-auth/:user/:passwd takes the user-id and password its path names; `dXNlcjpwYXNzd2Q=` is base64 of `user:passwd`. The answer is httpbin’s, `{"authenticated": true, "user": "user"}`, so a client written against httpbin runs unchanged (curl -u user:passwd, requests auth=("user", "passwd")).',
    rfc: [rfc(7617, '2')],
  },
  {
    id: 'basic-auth-missing',
    family: 'classic',
    title: 'No credentials at a Basic resource',
    trigger: { method: 'GET', path: '/basic-auth/user/passwd' },
    expect: { status: 401, code: 'basic_credentials_missing', challenge: BASIC },
    explanation:
      'The challenge names the scheme, the realm and `charset="UTF-8"` (RFC 7617 §2.1). httpbin sends `Basic realm="Fake Realm"` and an empty body; this server sends its realm and a problem body. A browser opening this URL shows its login dialog, and curl and requests send credentials only when given them.',
    rfc: problemCatalog.basic_credentials_missing.rfc,
  },
  {
    id: 'basic-auth-wrong-password',
    family: 'classic',
    title: 'A wrong Basic password',
    trigger: {
      method: 'GET',
      path: '/basic-auth/user/passwd',
      headers: { Authorization: 'Basic dXNlcjp3cm9uZw==' },
    },
    expect: { status: 401, code: 'basic_credentials_invalid', challenge: BASIC },
    explanation:
      '`dXNlcjp3cm9uZw==` is `user:wrong`. The same challenge comes back, so a browser asks again; the body does not say whether the user-id or the password was wrong.',
    rfc: problemCatalog.basic_credentials_invalid.rfc,
  },
  {
    id: 'basic-auth-utf8',
    family: 'classic',
    title: 'A UTF-8 user-id and password',
    trigger: {
      method: 'GET',
      path: '/basic-auth/J%C3%BCrgen/p%C3%A4sswort',
      headers: { Authorization: 'Basic SsO8cmdlbjpww6Rzc3dvcnQ=' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      '`charset="UTF-8"` in the challenge asks clients to encode `Jürgen:pässwort` as UTF-8 before base64 (RFC 7617 §2.1), which is what curl sends from a UTF-8 terminal. Python requests encodes str credentials as ISO-8859-1 instead; bytes that are not UTF-8 are read as ISO-8859-1, so both work.',
    rfc: [rfc(7617, '2.1')],
  },
  {
    id: 'basic-auth-not-base64',
    family: 'classic',
    title: 'Basic credentials that are not base64',
    trigger: {
      method: 'GET',
      path: '/basic-auth/user/passwd',
      headers: { Authorization: 'Basic user:passwd' },
    },
    expect: { status: 400, code: 'basic_malformed', challenge: null },
    explanation:
      'The user-id and password sent in the clear instead of base64, a common hand-written mistake. It is a broken request, so 400 without a challenge: a wrong password would be a 401.',
    rfc: problemCatalog.basic_malformed.rfc,
  },
  {
    id: 'basic-auth-no-colon',
    family: 'classic',
    title: 'Basic credentials without a colon',
    trigger: {
      method: 'GET',
      path: '/basic-auth/user/passwd',
      headers: { Authorization: 'Basic dXNlcnBhc3N3ZA==' },
    },
    expect: { status: 400, code: 'basic_malformed', challenge: null },
    explanation:
      '`dXNlcnBhc3N3ZA==` decodes to `userpasswd`: no colon, so no way to tell user-id from password. Often a token sent with the Basic scheme by mistake.',
    rfc: problemCatalog.basic_malformed.rfc,
  },
  {
    id: 'basic-auth-colon-in-user',
    family: 'classic',
    title: 'A path naming a user-id with a colon',
    trigger: { method: 'GET', path: '/basic-auth/a:b/passwd' },
    expect: { status: 400, code: 'parameter_invalid', challenge: null },
    explanation:
      'RFC 7617 §2: a user-id cannot contain a colon, because the first colon of the decoded credentials ends it. No request could ever authenticate as `a:b`, so the path itself is refused with 400, before any credentials are read.',
    rfc: [rfc(7617, '2'), rfc(9110, '15.5.1')],
  },
  {
    id: 'hidden-basic-auth-missing',
    family: 'classic',
    title: 'A hidden Basic resource: 404 instead of 401',
    trigger: { method: 'GET', path: '/hidden-basic-auth/user/passwd' },
    expect: { status: 404, code: 'not_found', challenge: null },
    explanation:
      'httpbin’s hidden-basic-auth: without the right credentials the resource answers exactly like a path that does not exist, with no challenge. RFC 9110 §15.5.4 allows a server to answer 404 when it does not want to reveal that a resource exists, and §15.5.5 lets 404 stand for a refusal. It is right for things whose existence is itself the secret (another user’s private repository), and wrong for a login-protected API: clients cannot learn that credentials would help, and a browser never prompts.',
    rfc: [rfc(9110, '15.5.4'), rfc(9110, '15.5.5')],
  },
  {
    id: 'hidden-basic-auth-wrong-password',
    family: 'classic',
    title: 'A hidden Basic resource with a wrong password',
    trigger: {
      method: 'GET',
      path: '/hidden-basic-auth/user/passwd',
      headers: { Authorization: 'Basic dXNlcjp3cm9uZw==' },
    },
    expect: { status: 404, code: 'not_found', challenge: null },
    explanation:
      'Wrong credentials get the same 404, word for word, as no credentials and as an unknown path: any difference would give the resource away.',
    rfc: [rfc(9110, '15.5.4'), rfc(9110, '15.5.5')],
  },
  {
    id: 'hidden-basic-auth-valid',
    family: 'classic',
    title: 'A hidden Basic resource with the right credentials',
    trigger: {
      method: 'GET',
      path: '/hidden-basic-auth/user/passwd',
      headers: { Authorization: 'Basic dXNlcjpwYXNzd2Q=' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'With the right credentials, sent unasked (preemptively: curl -u, requests auth=), the resource appears. A client that waits for a challenge before sending credentials never gets here.',
    rfc: [rfc(7617, '2'), rfc(9110, '15.5.5')],
  },
  {
    id: 'digest-auth-challenge',
    family: 'classic',
    title: 'Digest: the first 401, with a fresh nonce',
    trigger: { method: 'GET', path: '/digest-auth/auth/user/passwd/SHA-256' },
    expect: {
      status: 401,
      code: 'digest_credentials_missing',
      challenge:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="…", opaque="…", charset=UTF-8',
      challengePattern:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="[A-Za-z0-9_-]+", opaque="[0-9a-f]+", charset=UTF-8',
    },
    explanation:
      'The first half of the Digest handshake (RFC 7616 §3.3): no credentials, so a 401 whose challenge carries a nonce signed by the server and bounded in time, and an opaque value to send back. The client hashes the password with them (never sending it) and asks again; `curl --digest` and Python requests do both steps for you.',
    rfc: [rfc(7616, '3.3'), rfc(7616, '3.4'), rfc(9110, '11.6.1')],
  },
  {
    id: 'digest-auth-three-challenges',
    family: 'classic',
    title: 'Digest without an algorithm: one challenge per algorithm (multiple challenges)',
    trigger: { method: 'GET', path: '/digest-auth/auth/user/passwd' },
    expect: {
      status: 401,
      code: 'digest_credentials_missing',
      challenge:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="…", opaque="…", charset=UTF-8, Digest realm="four-oh-one", qop="auth", algorithm=SHA-512-256, nonce="…", opaque="…", charset=UTF-8, Digest realm="four-oh-one", qop="auth", algorithm=MD5, nonce="…", opaque="…", charset=UTF-8',
      challengePattern:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="(?<n>[A-Za-z0-9_-]+)", opaque="[0-9a-f]+", charset=UTF-8, Digest realm="four-oh-one", qop="auth", algorithm=SHA-512-256, nonce="\\k<n>", opaque="[0-9a-f]+", charset=UTF-8, Digest realm="four-oh-one", qop="auth", algorithm=MD5, nonce="\\k<n>", opaque="[0-9a-f]+", charset=UTF-8',
    },
    explanation:
      'RFC 7616 §3.7: a server that accepts several algorithms sends one challenge each, most preferred first (SHA-256, SHA-512-256, then MD5 for old clients), all with the same nonce. The client answers the first it supports. Real clients differ: curl answers the first it can, Python requests the last it reads (MD5) — one reason to prefer SHA-256-only routes.',
    rfc: [rfc(7616, '3.7'), rfc(9110, '11.6.1')],
  },
  {
    id: 'digest-auth-duplicated-parameter',
    family: 'classic',
    title: 'Digest credentials with a parameter given twice',
    trigger: {
      method: 'GET',
      path: '/digest-auth/auth/user/passwd/SHA-256',
      headers: {
        Authorization:
          'Digest username="user", username="admin", realm="four-oh-one", nonce="x", uri="/digest-auth/auth/user/passwd/SHA-256", response="0", qop=auth, nc=00000001, cnonce="c", opaque="o"',
      },
    },
    expect: { status: 400, code: 'digest_malformed', challenge: null },
    explanation:
      'Two usernames: which one should be judged? A header that cannot be read one way only is refused as broken (400), before any hashing or state. The handshake’s first 401 is the digest-auth-challenge scenario; `curl -i --digest -u user:passwd <server>/digest-auth/auth/user/passwd/SHA-256` shows both steps.',
    rfc: problemCatalog.digest_malformed.rfc,
  },
  {
    id: 'digest-auth-missing-parameter',
    family: 'classic',
    title: 'Digest credentials without a nonce count',
    trigger: {
      method: 'GET',
      path: '/digest-auth/auth/user/passwd/MD5',
      headers: {
        Authorization:
          'Digest username="user", realm="four-oh-one", nonce="x", uri="/digest-auth/auth/user/passwd/MD5", response="0", qop=auth, cnonce="c", opaque="o"',
      },
    },
    expect: { status: 400, code: 'digest_malformed', challenge: null },
    explanation:
      'With qop=auth, nc and cnonce are required (RFC 7616 §3.4): without the count the server could not refuse a replayed request. The detail names every missing parameter.',
    rfc: problemCatalog.digest_malformed.rfc,
  },
  {
    id: 'digest-auth-algorithm-not-offered',
    family: 'classic',
    title: 'Digest: an MD5 answer to a route that offers SHA-256',
    trigger: {
      method: 'GET',
      path: '/digest-auth/auth/user/passwd/SHA-256',
      headers: {
        Authorization:
          'Digest username="user", realm="four-oh-one", nonce="x", uri="/digest-auth/auth/user/passwd/SHA-256", algorithm=MD5, response="0", qop=auth, nc=00000001, cnonce="c", opaque="o"',
      },
    },
    expect: {
      status: 401,
      code: 'digest_not_offered',
      challenge:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="…", opaque="…", charset=UTF-8',
      challengePattern:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="[A-Za-z0-9_-]+", opaque="[0-9a-f]+", charset=UTF-8',
    },
    explanation:
      'What wget (MD5 only) sends here, and what a Python requests.Session sends after an MD5 route: a well-formed answer to a challenge this route never made. It is not a broken request, so not a 400: the 401 carries this route’s own challenge with a fresh nonce, and a client that supports SHA-256 answers it and gets in (`curl --digest` and requests both do).',
    rfc: problemCatalog.digest_not_offered.rfc,
  },
  {
    id: 'digest-auth-unknown-algorithm',
    family: 'classic',
    title: 'A Digest algorithm that does not exist (SHA-1)',
    trigger: { method: 'GET', path: '/digest-auth/auth/user/passwd/SHA-1' },
    expect: { status: 400, code: 'parameter_invalid', challenge: null },
    explanation:
      'This server offers MD5, SHA-256 and SHA-512-256, each also as -sess (RFC 7616 §3.2), and httpbin’s SHA-512. httpbin quietly falls back to MD5 for a name it does not know; silently downgrading the algorithm a client asked for is exactly what Digest negotiation must not do, so the path is refused.',
    rfc: [rfc(7616, '3.2'), rfc(7616, '6.1')],
  },
  {
    id: 'digest-auth-uri-mismatch',
    family: 'classic',
    title: 'A Digest answer made for another request-target',
    trigger: {
      method: 'GET',
      path: '/digest-auth/auth/user/passwd/SHA-256',
      headers: {
        Authorization:
          'Digest username="user", realm="four-oh-one", nonce="x", uri="/digest-auth/auth/user/passwd/MD5", algorithm=SHA-256, response="0", qop=auth, nc=00000001, cnonce="c", opaque="o"',
      },
    },
    expect: { status: 400, code: 'digest_uri_mismatch', challenge: null },
    explanation:
      'The uri parameter names /digest-auth/auth/user/passwd/MD5 but the request went to …/SHA-256. A response made for one request-target could be replayed against another, so RFC 7616 §3.4.6 refuses it with 400, before the nonce or the hash is looked at.',
    rfc: problemCatalog.digest_uri_mismatch.rfc,
  },
  {
    id: 'digest-auth-nonce-invalid',
    family: 'classic',
    title: 'A Digest answer to a nonce this server never issued',
    trigger: {
      method: 'GET',
      path: '/digest-auth/auth/user/passwd/SHA-256',
      headers: {
        Authorization:
          'Digest username="user", realm="four-oh-one", nonce="made-up", uri="/digest-auth/auth/user/passwd/SHA-256", algorithm=SHA-256, response="0", qop=auth, nc=00000001, cnonce="c", opaque="o"',
      },
    },
    expect: {
      status: 401,
      code: 'digest_nonce_invalid',
      challenge:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="…", opaque="…", charset=UTF-8',
      challengePattern:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="[A-Za-z0-9_-]+", opaque="[0-9a-f]+", charset=UTF-8',
    },
    explanation:
      'Nonces here are signed (issue time, random bytes, an HMAC under a key derived from the server secret), so "made-up", or a nonce from another server or from before a secret change, is refused without any stored state, and a fresh challenge comes back to answer.',
    rfc: problemCatalog.digest_nonce_invalid.rfc,
  },
  {
    id: 'digest-auth-wrong-password',
    family: 'classic',
    title: 'A Digest answer with a wrong password',
    trigger: {
      method: 'GET',
      path: '/digest-auth/auth/user/passwd/SHA-256',
      headers: { Authorization: '{{token:digest_wrong_password}}' },
    },
    expect: {
      status: 401,
      code: 'digest_credentials_invalid',
      challenge:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="…", opaque="…", charset=UTF-8',
      challengePattern:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="[A-Za-z0-9_-]+", opaque="[0-9a-f]+", charset=UTF-8',
    },
    explanation:
      'A well-formed answer to a nonce this server signed, hashed with the password "not-the-password" instead of "passwd". The response does not verify, and the server cannot say which input was wrong: a new challenge, without stale=true, so a client asks the user again.',
    rfc: problemCatalog.digest_credentials_invalid.rfc,
  },
  {
    id: 'digest-auth-stale-nonce',
    family: 'classic',
    title: 'The right Digest password, to a nonce that expired: stale=true',
    trigger: {
      method: 'GET',
      path: '/digest-auth/auth/user/passwd/SHA-256',
      headers: { Authorization: '{{token:digest_stale_nonce}}' },
    },
    expect: {
      status: 401,
      code: 'digest_nonce_stale',
      challenge:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="…", opaque="…", charset=UTF-8, stale=true',
      challengePattern:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="[A-Za-z0-9_-]+", opaque="[0-9a-f]+", charset=UTF-8, stale=true',
    },
    explanation:
      'The response verifies (the password is right) but its nonce was issued more than five minutes ago. stale=true tells the client exactly that: answer the new challenge with the same credentials, without asking the user (curl and Python requests do so on their own).',
    rfc: problemCatalog.digest_nonce_stale.rfc,
  },
  {
    id: 'digest-auth-replayed',
    family: 'classic',
    title: 'A Digest answer sent twice: the replay is refused',
    trigger: {
      method: 'GET',
      path: '/digest-auth/auth/user/passwd/SHA-256',
      headers: {
        Authorization:
          'Digest username="user", realm="four-oh-one", nonce="<the challenge\'s nonce>", uri="/digest-auth/auth/user/passwd/SHA-256", algorithm=SHA-256, response="<the right response>", qop=auth, nc=00000001, cnonce="c", opaque="<the challenge\'s opaque>"',
      },
      fired: false,
      setup:
        'Answer a fresh challenge correctly (curl --digest, requests HTTPDigestAuth), then send the very same Authorization header a second time, within the nonce’s five minutes. A fixed request cannot be a replay every time: a nonce lives five minutes, and its used counts are kept only that long.',
    },
    expect: {
      status: 401,
      code: 'digest_nonce_replayed',
      challenge:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="…", opaque="…", charset=UTF-8',
      challengePattern:
        'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="[A-Za-z0-9_-]+", opaque="[0-9a-f]+", charset=UTF-8',
    },
    explanation:
      'The first request with this nonce and nc was accepted and its count stored; the same pair again is a captured request played back (or a client that does not count nc up). It is refused on every instance sharing the store.',
    rfc: problemCatalog.digest_nonce_replayed.rfc,
  },
  {
    id: 'digest-auth-rate-limited',
    family: 'classic',
    title: 'Too many Digest requests from one address',
    trigger: {
      method: 'GET',
      path: '/digest-auth/auth/user/passwd/SHA-256',
      fired: false,
      setup:
        'Send more than DIGEST_MAX_REQUESTS_PER_MINUTE (120) requests to /digest-auth/… from one address within a minute. Not fired here: the count is per address, and the table test would only spend its own budget.',
    },
    expect: { status: 429, code: 'rate_limited', challenge: null },
    explanation:
      'Every verified Digest answer stores a nonce count, so anonymous requests could fill the store; each address is limited instead, and the answer names the wait in Retry-After. Other addresses are unaffected.',
    rfc: problemCatalog.rate_limited.rfc,
  },
  {
    id: 'bearer-lenient-any-token',
    family: 'classic',
    title: 'httpbin’s /bearer takes any token',
    trigger: {
      method: 'GET',
      path: '/bearer',
      headers: { Authorization: 'Bearer anything-at-all' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'Like httpbin’s, /bearer checks only that a token is there and answers `{"authenticated": true, "token": "anything-at-all"}`. It tests a client’s header, not its token. The strict contrast is GET /api/v1/data, which verifies signature, type, claims and revocation and has a distinct 401 for each failure.',
    rfc: [rfc(6750, '2.1')],
  },
  {
    id: 'bearer-lenient-missing',
    family: 'classic',
    title: 'httpbin’s /bearer without a token',
    trigger: { method: 'GET', path: '/bearer' },
    expect: { status: 401, code: 'token_missing', challenge: noError },
    explanation:
      'httpbin answers `WWW-Authenticate: Bearer` and an empty body; this server sends the same challenge with its realm and resource metadata (RFC 9728), and a problem body. `Bearer x y` and `Bearer` alone are 400 here, as on /api/v1/data.',
    rfc: problemCatalog.token_missing.rfc,
  },
  {
    id: 'multiple-challenges',
    family: 'classic',
    title: 'Bearer or Basic: one 401 with multiple challenges',
    trigger: { method: 'GET', path: '/bearer-or-basic' },
    expect: { status: 401, code: 'credentials_missing', challenge: `${noError}, ${BASIC}` },
    explanation:
      'A resource that takes an access token or the demo user’s password (my_username / my_password) lists both challenges in one WWW-Authenticate field, Bearer first as the one it prefers (RFC 9110 §11.6.1). Parsing this is the hard part for clients: parameters of one challenge and the next challenge are separated by the same comma, and only the `Basic` token without `=` shows where one challenge ends.',
    rfc: problemCatalog.credentials_missing.rfc,
  },
  {
    id: 'multiple-challenges-basic',
    family: 'classic',
    title: 'Bearer or Basic: the demo user’s password works',
    trigger: {
      method: 'GET',
      path: '/bearer-or-basic',
      headers: { Authorization: 'Basic bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ=' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'Basic credentials of the demo user (`my_username:my_password`) open the resource.',
    rfc: [rfc(7617, '2'), rfc(9110, '11.6.1')],
  },
  {
    id: 'multiple-challenges-wrong-password',
    family: 'classic',
    title: 'Bearer or Basic: a wrong password still lists both challenges',
    trigger: {
      method: 'GET',
      path: '/bearer-or-basic',
      headers: { Authorization: 'Basic bXlfdXNlcm5hbWU6d3Jvbmc=' },
    },
    expect: { status: 401, code: 'basic_credentials_invalid', challenge: `${noError}, ${BASIC}` },
    explanation:
      'The refusal is Basic’s own (basic_credentials_invalid), and the Bearer challenge stays beside it: the client may still switch to a token.',
    rfc: problemCatalog.basic_credentials_invalid.rfc,
  },
  {
    id: 'multiple-challenges-bearer',
    family: 'classic',
    title: 'Bearer or Basic: an expired token',
    trigger: {
      method: 'GET',
      path: '/bearer-or-basic',
      headers: { Authorization: 'Bearer {{token:expired}}' },
    },
    expect: {
      status: 401,
      code: 'token_expired',
      challenge: `${invalidToken('token_expired')}, ${BASIC}`,
    },
    explanation:
      'A token is judged exactly as on /api/v1/data, and its refusal carries error="invalid_token" in the Bearer challenge while the Basic challenge still stands.',
    rfc: problemCatalog.token_expired.rfc,
  },
  {
    id: 'status-401',
    family: 'classic',
    title: 'GET /status/401: a 401 on request, with a challenge',
    trigger: { method: 'GET', path: '/status/401' },
    expect: { status: 401, code: 'status_unauthorized', challenge: BASIC },
    explanation:
      'A fixture for testing a client’s 401 handling. httpbin and go-httpbin send `Basic realm="Fake Realm"` and an empty body; this one names its own realm and sends a problem body, like every 401 here.',
    rfc: problemCatalog.status_unauthorized.rfc,
  },
  {
    id: 'status-407',
    family: 'classic',
    title: 'GET /status/407: the proxy twin of 401',
    trigger: { method: 'GET', path: '/status/407' },
    expect: {
      status: 407,
      code: 'proxy_auth_required',
      challenge: null,
      headers: { 'Proxy-Authenticate': BASIC },
    },
    explanation:
      'The challenge travels in Proxy-Authenticate, and there is no WWW-Authenticate: a 407 asks for the proxy’s credentials (Proxy-Authorization), not the origin’s. Clients that treat 407 like 401 send the wrong header, or drop credentials that were fine.',
    rfc: problemCatalog.proxy_auth_required.rfc,
  },
  {
    id: 'status-503',
    family: 'classic',
    title: 'GET /status/503: an error status on request',
    trigger: { method: 'GET', path: '/status/503' },
    expect: { status: 503, code: 'status_requested', challenge: null },
    explanation:
      'Any status from 400 to 599 comes back as asked, as a problem body whose `status` is that status (httpbin sends an empty body). Useful for testing retry logic: a 503 may be retried, a 401 needs new credentials first.',
    rfc: problemCatalog.status_requested.rfc,
  },
  {
    id: 'status-302',
    family: 'classic',
    title: 'GET /status/302: a redirect, as httpbin sends it',
    trigger: { method: 'GET', path: '/status/302' },
    expect: { status: 302, challenge: null, headers: { Location: '/redirect/1' } },
    explanation:
      '301, 302, 303, 305, 307 and 308 point at /redirect/1, as on httpbin, which sends one more redirect to /status/200. 2xx answers have an empty body.',
    rfc: [rfc(9110, '15.4')],
  },
  {
    id: 'status-out-of-range',
    family: 'classic',
    title: 'GET /status/600: not an HTTP status',
    trigger: { method: 'GET', path: '/status/600' },
    expect: { status: 400, code: 'parameter_invalid', challenge: null },
    explanation:
      'Statuses are three digits from 100 to 599 (RFC 9110 §15); 1xx are interim answers that cannot end a request, so 200-599 are served. Weighted lists such as httpbin’s `/status/200:0.9,503:0.1` are not: random answers make tests flaky.',
    rfc: [rfc(9110, '15'), rfc(9110, '15.2')],
  },
  {
    id: 'api-key-valid',
    family: 'classic',
    title: 'An API key in the X-API-Key header',
    trigger: {
      method: 'GET',
      path: '/api-key/demo-key-123',
      headers: { 'X-API-Key': 'demo-key-123' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'In httpbin’s style the path names the key the resource takes; the request carries it in X-API-Key, and the answer is `{"authenticated": true}`.',
    rfc: [rfc(9110, '11.4')],
  },
  {
    id: 'api-key-missing',
    family: 'classic',
    title: 'No X-API-Key header',
    trigger: { method: 'GET', path: '/api-key/demo-key-123' },
    expect: { status: 401, code: 'api_key_header_missing', challenge: API_KEY },
    explanation:
      'Many APIs answer a missing key with 401 and no WWW-Authenticate, or with 403. HTTP requires a challenge on every 401, and no registered scheme fits a custom header, so this server sends its own `ApiKey` challenge naming the header; a 403 would wrongly say that credentials would not help.',
    rfc: problemCatalog.api_key_header_missing.rfc,
  },
  {
    id: 'api-key-wrong',
    family: 'classic',
    title: 'A wrong X-API-Key',
    trigger: {
      method: 'GET',
      path: '/api-key/demo-key-123',
      headers: { 'X-API-Key': 'not-the-key' },
    },
    expect: { status: 401, code: 'api_key_header_invalid', challenge: API_KEY },
    explanation: 'A key that is present but wrong: 401 with the same challenge, never 403.',
    rfc: problemCatalog.api_key_header_invalid.rfc,
  },

  // --- openai ---
  {
    id: 'openai-valid-key',
    family: 'openai',
    title: 'An OpenAI SDK with the demo key lists the models',
    trigger: {
      method: 'GET',
      path: '/v1/models',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'What `OpenAI(api_key="sk-demo-four-oh-one", base_url="{{public_url}}/v1").models.list()` sends: the key as a Bearer credential (RFC 6750 §2.1), the same header the article’s client sends. The key is compared as a SHA-256 digest in constant time, so neither its value nor its length leaks through timing. The key is DEMO_OPENAI_KEY; this trigger shows its default.',
    rfc: [rfc(6750, '2.1')],
  },
  {
    id: 'openai-access-token',
    family: 'openai',
    title: 'An access token works as an API key',
    trigger: {
      method: 'GET',
      path: '/v1/models',
      headers: { Authorization: 'Bearer {{token:valid}}' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'Besides the API key, `/v1/*` accepts any access token this server issued, judged exactly as on /api/v1/data. That is the article’s setup: a short-lived token in the SDK’s api_key slot, which expires and must be refreshed.',
    rfc: [rfc(6750, '2.1'), rfc(9068, '4')],
  },
  {
    id: 'openai-retrieve-model',
    family: 'openai',
    title: 'Retrieve one model, as models.retrieve() does',
    trigger: {
      method: 'GET',
      path: '/v1/models/four-oh-one-echo',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
    },
    expect: { status: 200, challenge: null },
    explanation:
      'What `client.models.retrieve("four-oh-one-echo")` sends: the model object, `{"id", "object": "model", "created", "owned_by"}`, exactly as listed by GET /v1/models.',
    rfc: [rfc(9110, '15.3.1')],
  },
  {
    id: 'openai-unknown-model',
    family: 'openai',
    title: 'A model that does not exist: 404 model_not_found',
    trigger: {
      method: 'GET',
      path: '/v1/models/gpt-does-not-exist',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
    },
    expect: { status: 404, code: 'model_not_found', challenge: null, envelope: 'openai' },
    explanation:
      'The key is right and the model is unknown: `{"error": {"message": "The model \'gpt-does-not-exist\' does not exist (request id: …)", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}`, OpenAI’s answer for the same request. The Python SDK raises NotFoundError, never AuthenticationError, so a client that refreshes its token on 401 leaves this one alone.',
    rfc: problemCatalog.model_not_found.rfc,
  },
  {
    id: 'openai-chat',
    family: 'openai',
    title: 'A chat completion from the echo model',
    trigger: {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
      body: { model: 'four-oh-one-echo', messages: [{ role: 'user', content: 'Hello' }] },
    },
    expect: { status: 200, challenge: null, headers: { 'cache-control': 'no-store' } },
    explanation:
      'The answer has OpenAI’s shape (id, object "chat.completion", created, model, choices[0].message, finish_reason "stop", usage) and quotes the last user message back, always the same for the same request, so a client’s tests can assert on it.',
    rfc: [rfc(9110, '15.3.1')],
  },
  {
    id: 'openai-stream',
    family: 'openai',
    title: 'A streamed chat completion (server-sent events)',
    trigger: {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
      body: {
        model: 'four-oh-one-echo',
        messages: [{ role: 'user', content: 'Hello' }],
        stream: true,
      },
    },
    expect: {
      status: 200,
      challenge: null,
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
    },
    explanation:
      'With `stream: true` the reply comes as `data: {chunk}` events of object "chat.completion.chunk", one word per delta, a last chunk with finish_reason "stop", then `data: [DONE]`. Authentication happens before the stream starts: once a 200 and its first bytes are out, a 401 can no longer be sent.',
    rfc: [rfc(9110, '15.3.1')],
  },
  {
    id: 'openai-missing-key',
    family: 'openai',
    title: 'No API key',
    trigger: { method: 'GET', path: '/v1/models' },
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: noError,
      envelope: 'openai',
    },
    explanation:
      'Errors on /v1/* come in OpenAI’s envelope, not problem+json: `{"error": {"message": "You didn\'t provide an API key. … (request id: <id>)", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}`, because that is what OpenAI SDKs parse. It is still a 401 with a WWW-Authenticate challenge (RFC 9110 §15.5.2), without an error parameter since no credentials were sent (RFC 6750 §3). The client should configure a key; retrying cannot help.',
    rfc: [rfc(9110, '15.5.2'), rfc(6750, '3')],
  },
  {
    id: 'openai-invalid-key',
    family: 'openai',
    title: 'A wrong API key: "Invalid Token (request id: …)"',
    trigger: { method: 'GET', path: '/v1/models', headers: { Authorization: 'Bearer sk-wrong' } },
    expect: {
      status: 401,
      code: 'api_key_invalid',
      challenge: invalidToken('api_key_invalid'),
      envelope: 'openai',
    },
    explanation:
      'The article’s error, reproduced: the body is `{"error": {"message": "Invalid Token (request id: <id>)", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}`, where <id> is the X-Request-Id response header — quote it when you report the error, and the server’s log line for that id names the real reason. An OpenAI-style API still answers 401 with `WWW-Authenticate: Bearer …, error="invalid_token"`: HTTP requires the challenge on every 401, and it tells generic HTTP clients and proxies which scheme failed. A key that is simply wrong will not get better by retrying: check the key and the base URL.',
    articleNote:
      'The article’s server answered `{"error": {"code": "", "type": "rix_api_error", …}}`, a proxy’s variant. This server answers as OpenAI does, with code "invalid_api_key" and type "invalid_request_error"; the message, "Invalid Token (request id: …)", is the article’s.',
    rfc: [...problemCatalog.api_key_invalid.rfc],
  },
  {
    id: 'openai-expired-token',
    family: 'openai',
    title: 'An expired access token as the API key',
    trigger: {
      method: 'GET',
      path: '/v1/models',
      headers: { Authorization: 'Bearer {{token:expired}}' },
    },
    expect: {
      status: 401,
      code: 'token_expired',
      challenge: invalidToken('token_expired'),
      envelope: 'openai',
    },
    explanation:
      'The body says only "Invalid Token (request id: …)", as the article’s gateway did (OpenAI’s own API says "Incorrect API key provided" for a key it does not know); the reason is in the challenge’s error_description ("Access token expired") and in the log line for the request id. This is the case the article’s fix is for: on a 401 whose message holds "Invalid Token", get a new token (POST /auth/token), then retry the request once — not in a loop.',
    rfc: [...problemCatalog.token_expired.rfc, rfc(9110, '15.5.2')],
  },
  {
    id: 'openai-missing-messages',
    family: 'openai',
    title: 'A chat completion without messages',
    trigger: {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { Authorization: 'Bearer sk-demo-four-oh-one' },
      body: { model: 'four-oh-one-echo' },
    },
    expect: { status: 400, code: 'body_invalid', challenge: null, envelope: 'openai' },
    explanation:
      'The key is fine, the request is not: 400 in the envelope with `"param": "messages"` and the message "Missing required parameter: \'messages\'. (request id: …)". OpenAI SDKs raise BadRequestError, not AuthenticationError, so a client never refreshes its token over a bad body.',
    rfc: [rfc(9110, '15.5.1')],
  },
  {
    id: 'openai-unknown-path',
    family: 'openai',
    title: 'A /v1 path no route serves',
    trigger: { method: 'GET', path: '/v1/engines' },
    expect: { status: 404, code: 'not_found', challenge: null, envelope: 'openai' },
    explanation:
      'Under /v1/ even a 404 comes in the envelope, with code "unknown_url" as OpenAI sends it. A wrong base URL (a missing or doubled /v1) shows up here, not as a 401.',
    rfc: problemCatalog.not_found.rfc,
  },
  {
    id: 'openai-method-not-allowed',
    family: 'openai',
    title: 'A method /v1/models does not serve',
    trigger: { method: 'DELETE', path: '/v1/models' },
    expect: {
      status: 405,
      code: 'method_not_allowed',
      challenge: null,
      headers: { Allow: 'GET, HEAD, OPTIONS' },
      envelope: 'openai',
    },
    explanation:
      'The method is checked before the key, as everywhere on this server, and the 405 comes in the envelope with an Allow header.',
    rfc: problemCatalog.method_not_allowed.rfc,
  },
  {
    id: 'platform-not-found',
    family: 'platform',
    title: 'A path no route serves',
    trigger: { method: 'GET', path: '/no/such/path' },
    expect: { status: 404, code: 'not_found', challenge: null },
    explanation: 'Unknown paths get a problem+json 404, never an HTML page.',
    rfc: problemCatalog.not_found.rfc,
  },
  {
    id: 'platform-method-not-allowed',
    family: 'platform',
    title: 'A method the path does not serve',
    trigger: { method: 'DELETE', path: DATA },
    expect: {
      status: 405,
      code: 'method_not_allowed',
      challenge: null,
      headers: { Allow: 'GET, HEAD, OPTIONS' },
    },
    explanation:
      'The method is checked before authentication: a DELETE to a GET-only resource is 405 whether or not a token came with it.',
    rfc: problemCatalog.method_not_allowed.rfc,
  },
  {
    id: 'platform-bad-percent-encoding',
    family: 'platform',
    title: 'A path that is not valid percent-encoding',
    trigger: { method: 'GET', path: '/basic-auth/%zz/passwd' },
    expect: { status: 400, code: 'bad_request', challenge: null },
    explanation:
      '`%zz` is no percent-encoded byte (RFC 3986 §2.1), so the path parameter cannot be decoded and the route cannot even be asked: 400 bad_request, before any credential check. A compliant client never sends it; a hand-built URL does.',
    rfc: [rfc(3986, '2.1'), rfc(9110, '15.5.1')],
  },
  {
    id: 'platform-body-malformed',
    family: 'platform',
    title: 'A body that is not what its Content-Encoding says',
    trigger: {
      method: 'POST',
      path: '/login',
      headers: { 'Content-Encoding': 'gzip' },
      body: { username: 'my_username', password: 'my_password' },
      contentType: 'form',
    },
    expect: { status: 400, code: 'body_malformed', challenge: null },
    explanation:
      'The header says gzip, the bytes are a plain form: the body cannot be decoded, so it cannot be read as the form its Content-Type names. 400 body_malformed, before the password is looked at (a JSON body with a syntax error gets the same answer).',
    rfc: [rfc(9110, '8.4'), rfc(9110, '15.5.1')],
  },
  {
    id: 'platform-body-too-large',
    family: 'platform',
    title: 'A 20 KB login form',
    trigger: {
      method: 'POST',
      path: '/login',
      body: { username: '{{token:oversized}}', password: 'x' },
      contentType: 'form',
    },
    expect: { status: 413, code: 'body_too_large', challenge: null },
    explanation:
      'Forms and JSON bodies here are read up to 8 KiB (64 KiB for a chat completion); past it the server stops reading and answers 413, so a stranger’s megabytes cost nothing to parse.',
    rfc: problemCatalog.body_too_large.rfc,
  },
  {
    id: 'platform-media-type-unsupported',
    family: 'platform',
    title: 'JSON in a charset this server does not read',
    trigger: {
      method: 'POST',
      path: '/login',
      headers: { 'Content-Type': 'application/json; charset=latin1' },
      body: { username: 'my_username', password: 'my_password' },
    },
    expect: { status: 415, code: 'media_type_unsupported', challenge: null },
    explanation:
      'JSON is UTF-8 (RFC 8259 §8.1); a body declared latin1 is refused with 415 rather than guessed at. The same for a media type the endpoint does not take at all (text/plain on /login).',
    rfc: [rfc(8259, '8.1'), rfc(9110, '15.5.16')],
  },
  {
    id: 'platform-header-too-large',
    family: 'platform',
    title: 'Request headers over 32 KiB',
    trigger: {
      method: 'GET',
      path: DATA,
      headers: { Authorization: 'Bearer {{token:oversized}}', 'X-Padding': '{{token:oversized}}' },
    },
    expect: { status: 431, code: 'header_too_large', challenge: null },
    explanation:
      'Two 20 KB headers exceed the 32 KiB this server reads. Node refuses the request before any route sees it, and this server still answers a problem body with a request id. One 20 KB token alone fits, and is judged: token_malformed (token-oversized). Nothing was read, so nothing is explained at /explain.',
    rfc: problemCatalog.header_too_large.rfc,
  },
  {
    id: 'platform-internal-error',
    family: 'platform',
    title: 'A failure in the server itself',
    trigger: {
      method: 'GET',
      path: DATA,
      headers: bearer('valid'),
      fired: false,
      setup:
        'No request produces it on purpose: it is the answer to a bug or a dependency that throws. Its log line carries the error and the request id; report the id. GET /status/500 shows how a client handles a 500 (status_requested).',
    },
    expect: { status: 500, code: 'internal_error', challenge: null },
    explanation:
      'Whatever failed, the answer is a generic problem with the request id, never a stack trace or the error message, and never a 401: a client must not drop good credentials over a server fault.',
    rfc: problemCatalog.internal_error.rfc,
  },
  {
    id: 'platform-store-unavailable',
    family: 'platform',
    title: 'The store (Redis) does not answer: 503, not 401',
    trigger: {
      method: 'GET',
      path: DATA,
      headers: bearer('valid'),
      fired: false,
      setup:
        'Stop Redis (or pause it: redis-cli DEBUG SLEEP 30) while the server runs with REDIS_URL, then send a valid token. Not fired here: it needs an outage.',
    },
    expect: {
      status: 503,
      code: 'store_unavailable',
      challenge: null,
      headers: { 'retry-after': '2' },
    },
    explanation:
      'The token’s signature and claims are fine, but whether it was revoked lives in the store, which did not answer. Failing closed with 401 would log everyone out whenever Redis blinks; the server answers 503 with Retry-After, and the client keeps its token.',
    rfc: problemCatalog.store_unavailable.rfc,
  },
  {
    id: 'platform-store-full',
    family: 'platform',
    title: 'The store holds all it may',
    trigger: {
      method: 'POST',
      path: '/login',
      body: { username: 'my_username', password: 'my_password' },
      contentType: 'form',
      fired: false,
      setup:
        'Start with a small STORE_MAX_ENTRIES or STORE_MAX_BYTES (or a Redis at its maxmemory) and log in from many addresses until the store is full; the next login, which writes a session, answers this. Not fired here: it needs every visitor’s share spent at once.',
    },
    expect: { status: 503, code: 'store_full', challenge: null, headers: { 'retry-after': '60' } },
    explanation:
      'Nothing new can be written for anyone, and evicting would silently un-revoke tokens or log people out, so writes are refused with 503 and Retry-After. /readyz reports the fill level.',
    rfc: problemCatalog.store_full.rfc,
  },
  {
    id: 'platform-visitor-quota',
    family: 'platform',
    title: 'One visitor holds its whole share of the store',
    trigger: {
      method: 'POST',
      path: '/login',
      body: { username: 'my_username', password: 'my_password' },
      contentType: 'form',
      fired: false,
      setup:
        'Log in more than VISITOR_MAX_ENTRIES (2000) times from one address without logging out (each session is one entry), or use a small VISITOR_MAX_ENTRIES; the next login answers this. Not fired here: the quota is per address.',
    },
    expect: { status: 429, code: 'visitor_quota_exceeded', challenge: null },
    explanation:
      'Sessions, revocations, used refresh tokens and scripted counters are charged to the address that caused them. This address is full, so its next write is refused; Retry-After says when some of its entries expire, and every other visitor is unaffected.',
    rfc: problemCatalog.visitor_quota_exceeded.rfc,
  },
  {
    id: 'platform-shutting-down',
    family: 'platform',
    title: 'An instance that is draining',
    trigger: {
      method: 'GET',
      path: '/readyz',
      fired: false,
      setup:
        'Send SIGTERM to one instance: for SHUTDOWN_DRAIN_SECONDS its /readyz answers this, so that a load balancer takes it out of rotation before it stops.',
    },
    expect: { status: 503, code: 'shutting_down', challenge: null },
    explanation:
      'Readiness, not liveness: the process still answers everything else while it drains, and finishes requests in flight before it exits. Other instances keep answering 200.',
    rfc: problemCatalog.shutting_down.rfc,
  },
];

// --- The registry of a configuration ----------------------------------------------------------

/** What the registry's triggers and expectations depend on in the configuration. */
export interface RegistrySettings {
  /** PUBLIC_URL: where challenges point (resource_metadata) and snippets send requests. */
  publicUrl: string;
  /** CORS_ORIGINS (by default the demo page's two origins and Vite's): the first is the caller. */
  origins: readonly string[];
  /** The session cookie's name: `__Host-four-oh-one.sid` with COOKIE_SECURE=true. */
  cookieName: string;
  /** STEP_UP_MAX_AGE_SECONDS, the step-up challenge's max_age. */
  stepUpMaxAgeSeconds: number;
}

/** The session cookie's name (the `__Host-` prefix needs Secure, so only with COOKIE_SECURE). */
export function sessionCookieName(cookieSecure: boolean): string {
  return cookieSecure ? '__Host-four-oh-one.sid' : 'four-oh-one.sid';
}

/** The registry settings of a configuration: the one place they are read from it. */
export function registrySettings(config: {
  publicUrl: string;
  cors: { origins: readonly string[] };
  session: { cookieSecure: boolean };
  tokens: { stepUpMaxAgeSeconds: number };
}): RegistrySettings {
  return {
    publicUrl: config.publicUrl,
    origins: config.cors.origins,
    cookieName: sessionCookieName(config.session.cookieSecure),
    stepUpMaxAgeSeconds: config.tokens.stepUpMaxAgeSeconds,
  };
}

/** The settings of `npm start` with no environment (src/config.ts defaults). */
export const DEFAULT_REGISTRY_SETTINGS: RegistrySettings = {
  publicUrl: 'http://127.0.0.1:3000',
  origins: [
    'http://127.0.0.1:3001',
    'http://localhost:3001',
    'http://localhost:5173',
    'http://127.0.0.1:5173',
  ],
  cookieName: 'four-oh-one.sid',
  stepUpMaxAgeSeconds: 300,
};

/** What stands for the allowed origin when the allowlist is empty (those cards are not fired). */
const NO_ALLOWED_ORIGIN = 'https://an-origin-on-cors-origins.example';

/** The values of the registry's placeholders under some settings. */
function placeholders(settings: RegistrySettings): Record<string, string> {
  const allowed = settings.origins[0];
  const url = new URL(allowed ?? NO_ALLOWED_ORIGIN);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  // The same scheme and host on a port the allowlist does not hold.
  let other = port;
  let otherOrigin: string;
  do {
    other = other >= 65535 ? 1024 : other + 1;
    otherOrigin = `${url.protocol}//${url.hostname}:${other}`;
  } while (settings.origins.includes(otherOrigin));
  return {
    public_url: settings.publicUrl,
    allowed_origin: url.origin,
    other_port_origin: otherOrigin,
    // A host anyone can register, whose name starts with the allowed one's.
    lookalike_origin: `${url.protocol}//${url.hostname}.evil.example${url.port ? `:${url.port}` : ''}`,
    cookie_name: settings.cookieName,
    step_up_max_age: String(settings.stepUpMaxAgeSeconds),
  };
}

/** Fills the placeholders in every string of a value (`{{token:…}}` is left for the specimens). */
function fill<T>(value: T, values: Record<string, string>): T {
  if (typeof value === 'string') {
    return value.replace(/\{\{([a-z_]+)\}\}/g, (whole, name: string) => values[name] ?? whole) as T;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => fill(v, values)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === 'rfc' ? v : fill(v, values)]),
    ) as T;
  }
  return value;
}

const registries = new Map<string, Scenario[]>();

/**
 * The registry under a configuration: every trigger and expectation as this server, so
 * configured, really answers them (its CORS origin, cookie name, public URL, step-up max age).
 * A card that needs what the configuration lacks (an allowed origin, when CORS_ORIGINS is
 * empty) is kept, marked not fired, with the reason. Built once per settings.
 */
export function registryFor(settings: RegistrySettings): Scenario[] {
  const key = JSON.stringify(settings);
  const known = registries.get(key);
  if (known) return known;
  const values = placeholders(settings);
  const noOrigin = settings.origins.length === 0;
  const built = templates.map((template) => {
    const s = fill(template, values);
    if (noOrigin && JSON.stringify(template).includes('{{allowed_origin}}')) {
      s.trigger = {
        ...s.trigger,
        fired: false,
        setup:
          'No origin is on CORS_ORIGINS in this configuration, so no call can come from an allowed origin. Add one (e.g. http://127.0.0.1:3001) to see this answer.',
      };
    }
    return s;
  });
  registries.set(key, built);
  return built;
}

/** The registry under the default configuration (`npm start` with no environment). */
export const scenarios: Scenario[] = registryFor(DEFAULT_REGISTRY_SETTINGS);

/** The scenarios that produce a problem code, for its documentation page. */
export function scenariosFor(code: ProblemCode, registry: Scenario[] = scenarios): Scenario[] {
  return registry.filter((s) => s.expect.code === code);
}

export function isProblemCode(value: string): value is ProblemCode {
  return Object.prototype.hasOwnProperty.call(problemCatalog, value);
}
