/**
 * The problem catalog: every error `code` this server answers, declared once with its status,
 * title, explanation, remedy and RFCs. The error writer (src/http/problems.ts), the problem pages
 * (`GET /problems/:code`) and the registry's expectations all read it; a new code goes here,
 * and its registry scenario in the family's file beside this one.
 *
 * Data only: it imports nothing from the server, so anything may import it.
 */
import { msNlmp, owaspAuthentication, rfc, rfc6265bis, type RfcRef } from './refs';
import { cite } from './sources';

export interface ProblemDef {
  status: number;
  title: string;
  /** Why the server answers so, for a person. */
  explanation: string;
  /** What the client should do next. */
  remedy: string;
  rfc: RfcRef[];
}

/** What every account-state refusal says about a wrong password, and about user enumeration. */
const NOT_A_WRONG_PASSWORD =
  'How this differs from a wrong password: the password was right. A wrong password for this user answers exactly like any wrong password (401 login_failed, or invalid_grant on the token endpoint), so the account’s state is shown only to someone who already knows the password, and the refusal cannot be used to find out which user names exist or what state they are in (OWASP: generic error messages). Do not retry the same request: it will be refused again.';
const OWASP_RESPONSES = owaspAuthentication(
  'Authentication and error messages',
  'authentication-and-error-messages',
);
const OWASP_MFA = owaspAuthentication('Multi-factor authentication', 'multi-factor-authentication');
const LOCKED_TEXT =
  'The account is locked: too many failed sign-ins, or an administrator locked it (here `locked_user`, locked for good). Identity providers answer this after a correct password: Entra ID (Azure AD) AADSTS50053, Okta’s authentication API the LOCKED_OUT status, Auth0 a “user is blocked” refusal. A lock is temporary or lifted by an administrator or a self-service unlock.';
const DISABLED_TEXT =
  'The account is disabled (deactivated, suspended, blocked by an administrator; here `disabled_user`): it exists and the password is right, but it may not sign in at all. Entra ID answers AADSTS50057 (user account is disabled); Auth0 a “user is blocked” refusal. Unlike a lock, no wait and no self-service unlock helps.';
const EXPIRED_TEXT =
  'The password was right but has expired (here `expired_password_user`): the account must choose a new one before it can sign in. Entra ID answers AADSTS50055, Okta’s authentication API the PASSWORD_EXPIRED status with a state token that allows exactly one thing, changing the password. This server has no change-password step: what would come next is a form (or API) that takes the old password and a new one, under a short-lived token like the mfa_token here, and signs in only after the change.';
const LOGIN_403 =
  ' 403, not 401: the credentials were right and no other credentials for this account would be accepted now (RFC 9110 §15.5.4); a 401 would tell the client to prompt for the password again, which cannot help.';
const GRANT_400 =
  ' On the token endpoint it is 400 invalid_grant (RFC 6749 §5.2: “the resource owner credentials … are invalid, expired, revoked”), with this code to tell it from a wrong password, as Entra ID does with its AADSTS numbers in an invalid_grant answer.';

const WEBHOOK_SIGNING = ' The demo signing secret is published: `whsec_four-oh-one-demo`.';

const HTTP_SIGNING =
  ' The demo key is published: keyid `four-oh-one-demo-hmac`, HMAC-SHA256 with the secret `four-oh-one-rfc9421-demo-key`.';

const OAUTH1_DEMO =
  ' The demo credentials are published: consumer key `four-oh-one-consumer`, secret `four-oh-one-consumer-secret`; token `four-oh-one-token`, secret `four-oh-one-token-secret`.';

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
      'A token came in the Authorization header and another in the query: the access_token parameter, or an API key as api_key, apikey or api-key. RFC 6750 §3.1 names this case: a request that "uses more than one method for including an access token" is invalid_request, 400. The server does not guess which one counts.',
    remedy:
      'Send the token in the Authorization header only, and take access_token (or the api_key) out of the URL; a token that was in a URL may sit in logs and browser history, so revoke it.',
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
  api_key_in_query_refused: {
    status: 401,
    title: 'API key in the URL is not accepted here',
    explanation:
      'The key came as a query parameter (`?api_key=`, `?apikey=` or `?api-key=`), a habit many APIs allow. A URL is the worst place for a secret: access logs, proxies, CDNs and load balancers record it, browsers keep it in history and send it on in Referer, and screenshots and support tickets carry it. RFC 6750 says the URI query method "SHOULD NOT be used" unless the header is impossible (§2.3) and that tokens must not travel in page URLs (§5.3); OWASP’s REST Security Cheat Sheet says the same of API keys. This server could accept it with a warning; it refuses instead, because a sandbox that accepts it teaches the habit. To the resource a key where it does not look is no credential, an unsupported authentication method (RFC 6750 §3): 401 with its challenge and no error, with a code of its own that names where the key goes. Beside a key in the header it is two methods at once, 400 token_multiple_methods. The value is never logged here: this server redacts it from its log line and its explanation.',
    remedy:
      'Send the key in a header: `Authorization: Bearer <key>` on /v1 and /api/v1 (curl -H, requests headers=, the OpenAI SDKs do it for you), `X-API-Key: <key>` on /api-key. Then rotate the key: the URL that carried it may sit in logs you do not control.',
    rfc: [rfc(6750, '2.3'), rfc(6750, '5.3'), rfc(6750, '3')],
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
      'The OpenAI-compatible API (`/v1/*`) takes `Authorization: Bearer <key>`, where the key is this server’s API key (DEMO_OPENAI_KEY) or an access token it issued. This one is neither: a mistyped, revoked or foreign key. The body’s message is "Invalid Token (request id: …)", word for word what the gateway in ' +
      cite('invalidToken') +
      ' answered; OpenAI’s own API words it "Incorrect API key provided: …" in the same envelope, with the same type "invalid_request_error" and code "invalid_api_key", so an SDK raises the same AuthenticationError for both. Like every 401 the answer carries a Bearer challenge with error="invalid_token".',
    remedy:
      'Check the key (the environment variable your client reads it from, and the base URL it is sent to); retrying the same key will not help.',
    rfc: [rfc(6750, '3.1'), rfc(9110, '15.5.2')],
  },
  token_signature_invalid: {
    status: 401,
    title: 'Access token signature is invalid',
    explanation: `The signature does not verify with the key the token names. Either the token was altered after signing, or it was signed by someone else — like the jwt.io sample token in ${cite('explained', 1)}, signed with the secret "your-256-bit-secret", which this server has never held.`,
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
      'Use your refresh token (or your client credentials) to get a new access token, then retry once. If fresh tokens expire at once, your clock and the server’s disagree: compare the Date header of any answer with your own clock.',
    rfc: [rfc(7519, '4.1.4'), rfc(6750, '3.1')],
  },
  token_not_yet_valid: {
    status: 401,
    title: 'Access token not yet valid',
    explanation:
      'The token’s nbf (not before) is in the future beyond the clock tolerance. Usually the issuer’s clock and this server’s disagree.',
    remedy:
      'Measure the skew (the Date header of any answer is the server’s clock; detail names it too) and fix the clocks with NTP; wait until nbf, or get a token without a future nbf.',
    rfc: [rfc(7519, '4.1.5')],
  },
  token_issued_in_future: {
    status: 401,
    title: 'Access token issued in the future',
    explanation:
      'The token’s iat is later than the server’s clock plus tolerance: it claims to have been issued at a time that has not come yet. Either the issuer’s clock runs fast or the token was forged.',
    remedy:
      'Compare the issuer’s clock with the server’s (the Date header of any answer), fix it with NTP, then get a new token.',
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

  // --- DPoP (RFC 9449): proof-of-possession at the resource and the token endpoint ------------
  dpop_proof_missing: {
    status: 401,
    title: 'DPoP proof missing',
    explanation:
      'The token came with the DPoP scheme (`Authorization: DPoP <token>`) but the request has no DPoP header. A DPoP-bound token is worth nothing without a proof of its key, made for this very request (RFC 9449 §7.1).',
    remedy:
      'Sign a new proof for each request (typ dpop+jwt, your public key in jwk, htm, htu, iat, a fresh jti and ath = base64url(SHA-256(token))) and send it as the DPoP header.',
    rfc: [rfc(9449, '7.1'), rfc(9449, '4.3')],
  },
  dpop_proof_invalid: {
    status: 401,
    title: 'DPoP proof is malformed',
    explanation:
      'The DPoP header is not a proof this server can check: more than one DPoP field, over 4 KiB, not one JWT of JSON, typ not dpop+jwt, an alg outside the pinned list (ES256, EdDSA, PS256, RS256: never none or an HMAC), a jwk that is no public key of that alg (or holds a private member), or jti, htm, htu or iat missing (RFC 9449 §4.3 steps 1 to 7). `detail` names the check.',
    remedy:
      'Build the proof as RFC 9449 §4.2 says; a library (oauth4webapi, openid-client, jose) does. Never put the private key in jwk.',
    rfc: [rfc(9449, '4.2'), rfc(9449, '4.3'), rfc(9449, '7.1')],
  },
  dpop_proof_signature_invalid: {
    status: 401,
    title: 'DPoP proof signature is invalid',
    explanation:
      'The proof’s signature does not verify with the public key in its own jwk header (RFC 9449 §4.3 step 6): it was altered after signing, or signed with another key than the one it names.',
    remedy: 'Sign the proof with the private key whose public half is in jwk.',
    rfc: [rfc(9449, '4.3'), rfc(7515, '5.2')],
  },
  dpop_proof_htm_mismatch: {
    status: 401,
    title: 'DPoP proof made for another method',
    explanation:
      'The proof’s htm claim is not this request’s method (RFC 9449 §4.3 step 8): a proof made for a GET cannot authorize a POST.',
    remedy: 'Make the proof for the method you send (htm, uppercase as sent).',
    rfc: [rfc(9449, '4.2'), rfc(9449, '4.3')],
  },
  dpop_proof_htu_mismatch: {
    status: 401,
    title: 'DPoP proof made for another URL',
    explanation:
      'The proof’s htu claim is not this request’s URL (RFC 9449 §4.3 step 9), compared without query and fragment after normalization: a proof captured on its way to one endpoint cannot be used at another. The URL is this server’s PUBLIC_URL and the path.',
    remedy:
      'Make the proof for the URL you request, scheme, host and path exactly as PUBLIC_URL names this server, without query or fragment.',
    rfc: [rfc(9449, '4.2'), rfc(9449, '4.3')],
  },
  dpop_proof_stale: {
    status: 401,
    title: 'DPoP proof is too old',
    explanation:
      'The proof’s iat lies more than 60 s before the server clock (RFC 9449 §4.3 step 11, §11.1): proofs are made per request and accepted only briefly, so a captured one soon stops working.',
    remedy:
      'Make a new proof for every request, at the time of the request; if your clock is behind, set it (NTP) or use a server nonce.',
    rfc: [rfc(9449, '4.3'), rfc(9449, '11.1')],
  },
  dpop_proof_future: {
    status: 401,
    title: 'DPoP proof is dated in the future',
    explanation:
      'The proof’s iat lies more than 60 s after the server clock (RFC 9449 §4.3 step 11, §11.1): a proof dated ahead would stay usable for longer than its window.',
    remedy: 'Check the client’s clock (the Date header of any answer here tells the server time).',
    rfc: [rfc(9449, '4.3'), rfc(9449, '11.1')],
  },
  dpop_proof_replayed: {
    status: 401,
    title: 'DPoP proof was already used',
    explanation:
      'A proof with this jti, signed by this key, was already accepted within its window (RFC 9449 §11.1): each proof is good for one request, so a captured proof cannot be sent again.',
    remedy: 'Make a new proof, with a new random jti, for every request, retries included.',
    rfc: [rfc(9449, '11.1'), rfc(9449, '4.3')],
  },
  dpop_proof_ath_mismatch: {
    status: 401,
    title: 'DPoP proof made for another access token',
    explanation:
      'At a resource the proof must carry ath, base64url(SHA-256) of the access token sent with it (RFC 9449 §4.3 step 12, §7.1); this one is missing or hashes another token, so the proof does not cover this token.',
    remedy: 'Set ath to base64url(SHA-256(access token as sent)) in each proof sent to a resource.',
    rfc: [rfc(9449, '4.3'), rfc(9449, '7.1')],
  },
  dpop_key_mismatch: {
    status: 401,
    title: 'DPoP proof signed by another key than the token is bound to',
    explanation:
      'The proof is valid, but signed by another key than the one the token is bound to (its cnf.jkt, the RFC 7638 thumbprint of the key that asked for it): whoever holds the token does not hold its key (RFC 9449 §4.3 step 12, §6.1). The error is invalid_token, as in RFC 9449 §7.1’s example.',
    remedy:
      'Sign proofs with the key you sent when the token was issued; a token bound to a lost key is worthless: get a new one.',
    rfc: [rfc(9449, '6.1'), rfc(9449, '7.1'), rfc(7638, '3')],
  },
  dpop_token_unbound: {
    status: 401,
    title: 'Token sent as DPoP is not bound to a key',
    explanation:
      'The token came with the DPoP scheme, but it has no cnf.jkt: it was issued as a Bearer token, without a proof, so there is no key a proof could show possession of (RFC 9449 §7.1).',
    remedy:
      'Send a Bearer token as `Authorization: Bearer`, or send a DPoP proof to the token endpoint to get a DPoP-bound token (token_type DPoP).',
    rfc: [rfc(9449, '7.1'), rfc(9449, '6')],
  },
  dpop_nonce_required: {
    status: 401,
    title: 'DPoP proof needs a server nonce',
    explanation:
      'This resource demands that every proof carry a nonce it gave (RFC 9449 §9): the proof has none, or one that expired. The answer carries a fresh nonce in the DPoP-Nonce header and the challenge `DPoP error="use_dpop_nonce"`. Nonces bound how long a proof made ahead of time could be used; here they are an HMAC of the minute, so demanding one stores nothing.',
    remedy:
      'Read DPoP-Nonce, make a new proof with `"nonce": "<it>"`, and retry once; keep using the newest DPoP-Nonce the server sends.',
    rfc: [rfc(9449, '9'), rfc(9449, '8')],
  },
  grant_dpop_proof_invalid: {
    status: 400,
    title: 'DPoP proof refused (token endpoint)',
    explanation:
      'The token request carries a DPoP header that fails a check of RFC 9449 §4.3 (malformed, signature, htm POST, htu the token endpoint, iat window, a replayed jti): the token endpoint answers 400 invalid_dpop_proof (RFC 9449 §5) and issues nothing. `detail` names the check.',
    remedy:
      'Make a new proof for `POST <PUBLIC_URL>/auth/token` (no ath at the token endpoint) and send the request again.',
    rfc: [rfc(9449, '5'), rfc(9449, '4.3')],
  },
  grant_dpop_nonce_required: {
    status: 400,
    title: 'DPoP nonce required (token endpoint)',
    explanation:
      'The token endpoint demands a server nonce in the proof (here when the request says `dpop_nonce=required`): it answers 400 with the OAuth error use_dpop_nonce and a fresh nonce in the DPoP-Nonce header (RFC 9449 §8). Libraries (oauth4webapi) remember the nonce; the client retries once with a new proof.',
    remedy: 'Make a new proof with the DPoP-Nonce value as its nonce claim and retry once.',
    rfc: [rfc(9449, '8'), rfc(9449, '5')],
  },
  grant_dpop_key_mismatch: {
    status: 400,
    title: 'Refresh token is bound to another DPoP key',
    explanation:
      'Refresh tokens issued to public clients with a DPoP proof are bound to that proof’s key (RFC 9449 §5): refreshing needs a proof signed by the same key. This refresh came without a proof, or with one of another key, so a stolen refresh token is worthless. The OAuth error is invalid_grant.',
    remedy:
      'Refresh with a DPoP proof signed by the key the refresh token was issued to; if the key is lost, sign in again.',
    rfc: [rfc(9449, '5'), rfc(6749, '5.2')],
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
  refresh_token_idle_expired: {
    status: 400,
    title: 'Refresh token expired unused (idle lifetime)',
    explanation:
      'A refresh token lives for REFRESH_TOKEN_IDLE_SECONDS after it is issued; each rotation issues a new one with a fresh idle lifetime, so an app in use stays signed in, and one left unused past it is signed out (RFC 9700 §4.14.2 lets a server expire refresh tokens after inactivity). This one was not used in time, though its family still had time to live. It differs from an expired access token (401 token_expired, which a refresh cures): nothing can cure an expired refresh token. The OAuth error is invalid_grant (RFC 6749 §5.2).',
    remedy:
      'Send the user back to log in; do not retry the refresh. Keep refreshing while the app is in use, and treat this answer as signed out.',
    rfc: [rfc(9700, '4.14.2'), rfc(6749, '6'), rfc(6749, '5.2')],
  },
  refresh_token_absolute_expired: {
    status: 400,
    title: 'Refresh token family reached its absolute lifetime',
    explanation:
      'A login starts a refresh-token family that lives REFRESH_TOKEN_TTL_SECONDS at most. Every rotated token carries the family\u2019s absolute end, and rotation never extends it, however often the client refreshes (RFC 9700 §4.14 advises bounding refresh-token lifetime; RFC 6749 §1.5 lets a refresh token expire). This family\u2019s end has passed: the user must authenticate again. The OAuth error is invalid_grant (RFC 6749 §5.2).',
    remedy:
      'Send the user back to log in; do not retry the refresh. A client cannot avoid this by refreshing more often: plan for a login every REFRESH_TOKEN_TTL_SECONDS.',
    rfc: [rfc(9700, '4.14'), rfc(6749, '6'), rfc(6749, '1.5'), rfc(6749, '5.2')],
  },
  unsupported_grant_type: {
    status: 400,
    title: 'Grant type not supported',
    explanation:
      'This server issues tokens for the authorization_code, client_credentials, password and refresh_token grants, and for the article\u2019s JSON {"api_key", "api_secret"} shape. Other grant types (device_code, token exchange, …) are not served here.',
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
  // --- the authorization-code flow (GET/POST /authorize, the authorization_code grant) --------
  unauthorized_client: {
    status: 400,
    title: 'Client may not use this grant',
    explanation:
      'The client authenticated, but it is not registered for this grant type (RFC 6749 §5.2 unauthorized_client). The confidential web client four-oh-one-web acts only for users, through the authorization code flow: it has no scopes of its own to ask for with client_credentials.',
    remedy:
      'Send the user through GET /authorize and exchange the code, or use a client registered for client_credentials (the demo api_key).',
    rfc: [rfc(6749, '5.2'), rfc(6749, '4.4')],
  },
  authorize_client_unknown: {
    status: 400,
    title: 'Unknown client_id',
    explanation:
      'The authorization request names no registered client (or names one twice). RFC 6749 §4.1.2.1 forbids redirecting then: without a known client there is no trusted redirect URI, and sending the user to whatever the request says would make this server an open redirector. The user sees this error here instead.',
    remedy: 'Send client_id exactly as registered (four-oh-one-spa or four-oh-one-web), once.',
    rfc: [rfc(6749, '4.1.2.1'), rfc(6749, '2.2'), rfc(9700, '4.11')],
  },
  authorize_redirect_uri_invalid: {
    status: 400,
    title: 'redirect_uri is not registered',
    explanation:
      'redirect_uri is missing, repeated, or not one of the client’s registered URIs compared as exact strings (RFC 9700 §4.1.3: no prefix, no wildcard, no added path or query). RFC 6749 §4.1.2.1 forbids redirecting to it, since a code sent there could be stolen, so the error is shown here.',
    remedy:
      'Send a redirect_uri registered for the client, character for character (the README lists them).',
    rfc: [rfc(6749, '4.1.2.1'), rfc(6749, '3.1.2'), rfc(9700, '4.1.3')],
  },
  csrf_token_invalid: {
    status: 403,
    title: 'The form is not one this server issued',
    explanation:
      'The login and consent forms of /authorize carry a token bound to the very authorization request, to your address and to the time the form was made. This post carried none, one for another request, or one older than ten minutes: it may come from a page of another site (cross-site request forgery), so nothing was done.',
    remedy: 'Start again from GET /authorize and submit the form it shows.',
    rfc: [rfc(6749, '10.12'), rfc(9700, '4.7')],
  },
  authorize_request_expired: {
    status: 400,
    title: 'The authorization request is over',
    explanation:
      'The consent form answered an authorization request this server no longer holds: it was already answered (Approve or Deny work once), or it expired ten minutes after the login.',
    remedy: 'Start again from GET /authorize.',
    rfc: [rfc(6749, '4.1.1'), rfc(6749, '4.1.2.1')],
  },
  authorization_code_invalid: {
    status: 400,
    title: 'Authorization code is not known',
    explanation:
      'No code with this value was issued here, or it was issued so long ago that the server forgot it. Codes are random, stored only as a digest, and live 60 seconds (RFC 6749 §4.1.2 recommends at most 10 minutes).',
    remedy:
      'Send the code from the redirect, once, within 60 seconds; or start a new authorization.',
    rfc: [rfc(6749, '4.1.3'), rfc(6749, '5.2')],
  },
  authorization_code_expired: {
    status: 400,
    title: 'Authorization code expired',
    explanation:
      'The code was issued more than 60 seconds ago. A code is a one-shot, short-lived hand-over from the browser to the client: a client that holds on to it (a queue, a retry loop with long back-off, a slow debugger session) loses it.',
    remedy: 'Exchange the code as soon as the redirect arrives; start a new authorization now.',
    rfc: [rfc(6749, '4.1.2'), rfc(6749, '5.2')],
  },
  authorization_code_reused: {
    status: 400,
    title: 'Authorization code was already used',
    explanation:
      'A code works once. A second exchange means the code leaked (browser history, a log, a Referer header) or the client posted twice; the server cannot tell which, so RFC 6749 §4.1.2 says to refuse it and revoke the tokens already issued from it: the access token and the refresh-token family of the first exchange stop working now (token_revoked, invalid_grant).',
    remedy:
      'Exchange each code exactly once and keep the tokens; after this error, start a new authorization. Never log or persist codes.',
    rfc: [rfc(6749, '4.1.2'), rfc(6749, '10.5'), rfc(9700, '4.5')],
  },
  pkce_verifier_mismatch: {
    status: 400,
    title: 'code_verifier does not match the code_challenge',
    explanation:
      'RFC 7636: the authorization request carried code_challenge = BASE64URL(SHA-256(code_verifier)); the token request must carry that very code_verifier. It did not, so whoever sent this code may have intercepted it and cannot prove it started the flow. The code is spent either way.',
    remedy:
      'Keep the code_verifier you made for this authorization (per flow, 43-128 characters of [A-Za-z0-9-._~]) and send it; start a new authorization.',
    rfc: [rfc(7636, '4.6'), rfc(7636, '4.1'), rfc(9700, '2.1.1')],
  },
  redirect_uri_mismatch: {
    status: 400,
    title: 'redirect_uri differs from the authorization request',
    explanation:
      'RFC 6749 §4.1.3: when the authorization request named a redirect_uri, the token request must send the identical value. It differs, so the code may be exchanged by someone who redirected it elsewhere.',
    remedy: 'Send the same redirect_uri string in both requests; start a new authorization.',
    rfc: [rfc(6749, '4.1.3'), rfc(6749, '10.6')],
  },
  authorization_code_client_mismatch: {
    status: 400,
    title: 'Authorization code was issued to another client',
    explanation:
      'The code was issued to one client and is being exchanged by another (RFC 6749 §4.1.3: ensure the code was issued to the authenticated confidential client, or to the public client named). One client cannot spend codes meant for another.',
    remedy: 'Exchange the code as the client that started the authorization.',
    rfc: [rfc(6749, '4.1.3'), rfc(6749, '10.5')],
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
      'The token is valid and carries the scopes this resource needs, but the identity it speaks for does not have the role (the `current_user["type"] == "admin"` check of ' +
      cite('explained', 4) +
      '). A role belongs to the user, not to the token: no token of this user, with any scope, will pass, so this is not insufficient_scope and the answer carries no challenge. 403, not 401: RFC 9110 §15.5.4, the server understood the credentials and refuses anyway.',
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
      'Send the user through a new authorization request carrying the challenge’s max_age (and its acr_values, when it names some), as RFC 9470 §4 says: the authorization server then makes the user log in again and issues a token with a fresh auth_time. Here that is GET /authorize with max_age (the login page comes back even for a remembered login), then the code exchanged at POST /auth/token. Retry once with that token. Refreshing cannot help, and a client must never collect the password itself: RFC 9700 §2.4 forbids the password grant (this demo server offers it only so that a test can get a fresh login in one call).',
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
    explanation: `The session saw no authenticated request for longer than its idle timeout (SESSION_IDLE_SECONDS). This is the "session timeout" of ${cite('explained', 2)}: the heartbeat (POST /keepalive) exists to prevent it. The session is destroyed and its cookie cleared.`,
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
  account_locked: {
    status: 403,
    title: 'Account is locked',
    explanation: LOCKED_TEXT + LOGIN_403 + ' ' + NOT_A_WRONG_PASSWORD,
    remedy:
      'Tell the user the account is locked and how to unlock it (wait, reset the password, or ask an administrator); do not prompt for the password again.',
    rfc: [rfc(9110, '15.5.4'), OWASP_RESPONSES],
  },
  account_disabled: {
    status: 403,
    title: 'Account is disabled',
    explanation: DISABLED_TEXT + LOGIN_403 + ' ' + NOT_A_WRONG_PASSWORD,
    remedy:
      'Tell the user the account is disabled and to contact an administrator; retrying or waiting will not help.',
    rfc: [rfc(9110, '15.5.4'), OWASP_RESPONSES],
  },
  password_expired: {
    status: 403,
    title: 'Password has expired',
    explanation: EXPIRED_TEXT + LOGIN_403 + ' ' + NOT_A_WRONG_PASSWORD,
    remedy:
      'Send the user to change the password (old and new), then sign in with the new one; do not ask for the old password again as if it were wrong.',
    rfc: [rfc(9110, '15.5.4'), OWASP_RESPONSES],
  },
  mfa_required: {
    status: 401,
    title: 'A second factor is required',
    explanation:
      'The password was right, but this account (here `mfa_user`) must also prove a second factor. The answer is 401 with the cookie challenge (not authenticated yet: more credentials are needed, RFC 9110 §15.5.2) and an `mfa_token` that stands for the password already checked, for a few minutes and a few attempts. Post it with the one-time code to POST /login/mfa. Real providers answer the same way in their words: Auth0 `mfa_required` with an `mfa_token`, Okta MFA_REQUIRED with a `stateToken`, Entra ID AADSTS50076. The demo code is published (`123456`); a real server checks a TOTP (RFC 6238) from an authenticator app, a WebAuthn assertion or a code it sent. ' +
      NOT_A_WRONG_PASSWORD,
    remedy:
      'Ask the user for the one-time code and POST {"mfa_token", "code"} to /login/mfa; do not send the password again.',
    rfc: [rfc(9110, '15.5.2'), rfc(6238, '4'), OWASP_MFA],
  },
  mfa_code_invalid: {
    status: 401,
    title: 'One-time code is wrong',
    explanation:
      'The mfa_token is good but the code is not. Each mfa_token allows 5 codes; the body’s `attempts_remaining` says how many are left, and at 0 the token is spent: the password must be sent again for a new one. Bounding the attempts per token is what makes a six-digit code safe to ask for (OWASP).',
    remedy:
      'Ask the user for the code again (a TOTP changes every 30 seconds: check the device’s clock); once attempts_remaining is 0, start again at POST /login.',
    rfc: [rfc(9110, '15.5.2'), rfc(6238, '5.2'), OWASP_MFA],
  },
  mfa_token_invalid: {
    status: 401,
    title: 'mfa_token is unknown or expired',
    explanation:
      'The mfa_token is not one this server handed out to this client address, was already used, was spent by too many wrong codes, or is older than 300 s. It stands for a checked password only for a short while, like Okta’s stateToken or Auth0’s mfa_token.',
    remedy: 'Start again: POST /login with the password, then the code with the new mfa_token.',
    rfc: [rfc(9110, '15.5.2'), OWASP_MFA],
  },
  grant_account_locked: {
    status: 400,
    title: 'Account is locked (token endpoint)',
    explanation: LOCKED_TEXT + GRANT_400 + ' ' + NOT_A_WRONG_PASSWORD,
    remedy:
      'Show the user that the account is locked and how to unlock it; do not retry the grant.',
    rfc: [rfc(6749, '5.2'), OWASP_RESPONSES],
  },
  grant_account_disabled: {
    status: 400,
    title: 'Account is disabled (token endpoint)',
    explanation: DISABLED_TEXT + GRANT_400 + ' ' + NOT_A_WRONG_PASSWORD,
    remedy: 'Show the user that the account is disabled; do not retry the grant.',
    rfc: [rfc(6749, '5.2'), OWASP_RESPONSES],
  },
  grant_password_expired: {
    status: 400,
    title: 'Password has expired (token endpoint)',
    explanation: EXPIRED_TEXT + GRANT_400 + ' ' + NOT_A_WRONG_PASSWORD,
    remedy: 'Send the user to change the password, then request tokens with the new one.',
    rfc: [rfc(6749, '5.2'), OWASP_RESPONSES],
  },
  grant_mfa_required: {
    status: 400,
    title: 'A second factor is required (token endpoint)',
    explanation:
      'The password grant for an account that must prove a second factor (here `mfa_user`). The OAuth error is `mfa_required`, Auth0’s name for it (an extension error, RFC 6749 §8.5), with status 400 as RFC 6749 §5.2 asks (Auth0 itself answers 403). The password grant has no place for a second factor, one more reason RFC 9700 §2.4 says not to use it: this server offers no MFA grant. A real deployment signs such users in with the authorization-code flow, whose login pages ask for the code; here, POST /login and POST /login/mfa make a session. ' +
      NOT_A_WRONG_PASSWORD,
    remedy:
      'Use a flow where the user can answer the second factor: the provider’s login pages (authorization-code flow), or here the session login with POST /login/mfa.',
    rfc: [rfc(6749, '5.2'), rfc(6749, '8.5'), rfc(9700, '2.4'), OWASP_MFA],
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

  csrf_origin_refused: {
    status: 403,
    title: 'Cross-site request refused',
    explanation:
      'A state-changing request to the cookie session (POST /login, /keepalive, /logout), or one that opens a run (POST /runs, which spends the address’s runs), came from a page of another site: its Origin is neither this site nor on CORS_ORIGINS, or is `null`, or the browser marked it `Sec-Fetch-Site: cross-site`. That is cross-site request forgery: any page can make a browser post a form to this server, and the browser adds the session cookie (SameSite=Lax stops that for cross-site POSTs, but not from a sibling subdomain, and old browsers ignore it). CORS does not help: it only hides the answer, and a simple form post is sent and served before any CORS check. So the server refuses what the browser itself says about the request’s origin (OWASP CSRF Prevention Cheat Sheet: verify the origin with standard headers; Fetch Metadata). A request with neither Origin nor Sec-Fetch-Site is let through: curl, Python requests and other non-browser clients send neither, cannot be forged by a page, and the article’s keepalive loop runs unchanged. 403, not 401: the credentials are beside the point; nothing the client could add makes this request acceptable from that page.',
    remedy:
      'Post from a page of this site (or an origin on CORS_ORIGINS). If this is your own front end on another origin, add its origin to CORS_ORIGINS; never relax the check to "any origin".',
    rfc: [rfc(9110, '15.5.4'), rfc(6454, '7.3'), rfc6265bis('8.8')],
  },
  csrf_token_missing: {
    status: 403,
    title: 'CSRF token missing',
    explanation:
      'A browser (it sent Sec-Fetch-Site) made a state-changing request to a logged-in session without the session’s synchronizer token in X-CSRF-Token. The token comes in the answer to POST /login and GET /me, which only this site and CORS_ORIGINS can read; a forged request from another site has the cookie but not the token. Frameworks refuse the same mistake each in their own way: Rails answers 422 Unprocessable Entity (ActionController::InvalidAuthenticityToken), Laravel 419 Page Expired (TokenMismatchException, a status of its own that no RFC defines), Django 403 Forbidden ("CSRF verification failed. Request aborted."). This server answers 403 like Django: the request is understood and authenticated, and refused. Non-browser clients need no token.',
    remedy:
      'Read csrf_token from the answer to POST /login (or GET /me) and send it as `X-CSRF-Token: <token>` on POST /keepalive and /logout.',
    rfc: [rfc(9110, '15.5.4')],
  },
  csrf_token_mismatch: {
    status: 403,
    title: 'CSRF token is wrong',
    explanation:
      'A browser’s state-changing request carried X-CSRF-Token, but not this session’s token: one from another session, an old one from before a new login, or a guess. Compared in constant time, as SHA-256 digests. Rails answers 422 for this, Laravel 419, Django 403 ("CSRF token incorrect"); this server 403, with a code apart from csrf_token_missing so a client can tell a stale token from a forgotten one. (The forms of /authorize have their own token, whose refusal is csrf_token_invalid.)',
    remedy:
      'Take csrf_token again from GET /me (or from the last login: each login makes a new one) and send it as `X-CSRF-Token`.',
    rfc: [rfc(9110, '15.5.4')],
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
  webhook_signature_missing: {
    status: 400,
    title: 'Webhook signature missing',
    explanation:
      'POST /webhooks/stripe-style takes deliveries signed as Stripe signs them, and this one carried no Stripe-Signature header. 400, not 401: a 401 must carry a WWW-Authenticate challenge naming a scheme the client could answer (RFC 9110 §15.5.2), and no HTTP authentication scheme exists for webhook signatures; the sender is a server that will not prompt anyone. Stripe’s own examples answer a failed verification with 400, and the sender retries a non-2xx delivery later.' +
      WEBHOOK_SIGNING,
    remedy: 'Sign the delivery: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.',
    rfc: [rfc(9110, '15.5.1'), rfc(9110, '15.5.2'), rfc(2104, '2')],
  },
  webhook_signature_malformed: {
    status: 400,
    title: 'Webhook signature header malformed',
    explanation:
      'The Stripe-Signature header is not `t=<unix seconds>,v1=<64 hex digits>` (several v1 values are allowed while a secret is rolled; other schemes such as v0 are ignored, as Stripe’s libraries ignore them). Without a timestamp and a v1 signature there is nothing to check.' +
      WEBHOOK_SIGNING,
    remedy: 'Send one `t=` and at least one `v1=` in the header, comma-separated.',
    rfc: [rfc(9110, '15.5.1')],
  },
  webhook_signature_invalid: {
    status: 400,
    title: 'Webhook signature does not match',
    explanation:
      'No v1 signature in the header is the HMAC-SHA256 of `<t>.<body>` under the signing secret. The signature covers the exact bytes sent, so a body parsed and serialised again (key order, spaces, a trailing newline) no longer matches: verify before parsing. Signatures are compared in constant time. The signature is checked before the timestamp, as Stripe’s libraries do, so a stale timestamp that was tampered with is reported as a bad signature.' +
      WEBHOOK_SIGNING,
    remedy:
      'Sign the body byte for byte as sent, with the timestamp in the header and the right secret.',
    rfc: [rfc(2104, '2'), rfc(9110, '15.5.1')],
  },
  webhook_signature_expired: {
    status: 400,
    title: 'Webhook timestamp outside the window',
    explanation:
      'The signature is right, but its timestamp is more than 300 seconds from the server’s clock (Stripe’s default tolerance). The timestamp is signed, so an attacker who captured a delivery cannot give it a fresh one: the window is what makes a captured delivery useless after five minutes, and the replay cache covers the five minutes.' +
      WEBHOOK_SIGNING,
    remedy: 'Sign with the current time; check the sender’s clock (NTP).',
    rfc: [rfc(9110, '15.5.1')],
  },
  webhook_signature_replayed: {
    status: 400,
    title: 'Webhook delivery replayed',
    explanation:
      'This signature was accepted once already within its window: the same delivery, sent again. The server remembers each accepted signature until its timestamp leaves the window, charged to the visitor who sent it, so a replay is refused while the timestamp would still pass. A real sender retrying a failed delivery signs it again with a new timestamp; receivers should still deduplicate by event id.' +
      WEBHOOK_SIGNING,
    remedy: 'Sign again with a new timestamp; deduplicate deliveries by their event id.',
    rfc: [rfc(9110, '15.5.1')],
  },
  http_signature_missing: {
    status: 400,
    title: 'HTTP message signature missing',
    explanation:
      'POST /signatures/rfc9421 takes requests signed with HTTP Message Signatures (RFC 9421), and this one carried neither Signature-Input nor Signature. The answer carries Accept-Signature (RFC 9421 §5.1): the label, the components to cover, the key and algorithm, and `created`. 400, not 401: RFC 9421 defines no WWW-Authenticate scheme, and a 401 must carry a challenge (RFC 9110 §15.5.2).' +
      HTTP_SIGNING,
    remedy: 'Sign the request as Accept-Signature asks and send Signature-Input and Signature.',
    rfc: [rfc(9421, '5.1'), rfc(9421, '4'), rfc(9110, '15.5.2')],
  },
  http_signature_malformed: {
    status: 400,
    title: 'HTTP message signature malformed',
    explanation:
      'Signature-Input or Signature is not in RFC 9421’s shape (Structured Field dictionaries: `sig1=("@method" …);created=…;keyid="…"` and `sig1=:<base64>:`), or Signature has no value for the label Signature-Input names.' +
      HTTP_SIGNING,
    remedy: 'Send both fields with the same label, as Accept-Signature shows.',
    rfc: [rfc(9421, '4.1'), rfc(9421, '4.2'), rfc(8941, '3.2')],
  },
  http_signature_keyid_unknown: {
    status: 400,
    title: 'HTTP message signature key unknown',
    explanation:
      'The `keyid` (or `alg`) in Signature-Input names no key this server holds. A verifier must know the key before it can check anything (RFC 9421 §3.2); Accept-Signature names the one it has.' +
      HTTP_SIGNING,
    remedy: 'Sign with the key Accept-Signature names.',
    rfc: [rfc(9421, '3.2'), rfc(9421, '2.3')],
  },
  http_signature_components_missing: {
    status: 400,
    title: 'HTTP message signature does not cover what it must',
    explanation:
      'A signature protects only what it covers: one over `@method` alone would let the path and the body be changed. This server requires `@method`, `@path` and `content-digest` (RFC 9530: the SHA-256 of the body), and the covered Content-Digest field must be in the request (RFC 9421 §3.2: a verifier decides which components it requires).' +
      HTTP_SIGNING,
    remedy: 'Cover the components Accept-Signature lists and send a Content-Digest field.',
    rfc: [rfc(9421, '3.2'), rfc(9421, '7.2.1'), rfc(9530, '2')],
  },
  http_signature_invalid: {
    status: 400,
    title: 'HTTP message signature does not verify',
    explanation:
      'The HMAC-SHA256 of the signature base (RFC 9421 §2.5: one line per covered component, then `"@signature-params"`) is not the Signature value, or Content-Digest is not the digest of the body sent. The base repeats the Signature-Input parameters exactly as sent, so any change to `created` or `keyid` breaks it too. Compared in constant time.' +
      HTTP_SIGNING,
    remedy:
      'Rebuild the signature base byte for byte and sign it with the key Accept-Signature names.',
    rfc: [rfc(9421, '2.5'), rfc(9421, '3.2'), rfc(9530, '2')],
  },
  http_signature_expired: {
    status: 400,
    title: 'HTTP message signature too old',
    explanation:
      'The signature verifies, but `created` is more than 300 seconds from the server’s clock (or absent), or `expires` has passed. RFC 9421 leaves the window to the verifier (§3.2.1); without one, a captured request could be replayed forever.' +
      HTTP_SIGNING,
    remedy: 'Sign again with `created` set to the current time.',
    rfc: [rfc(9421, '3.2.1'), rfc(9421, '7.2.2')],
  },
  // --- vapid (RFC 8292): the demo push service ------------------------------------------------
  vapid_credentials_missing: {
    status: 401,
    title: 'VAPID credentials missing',
    explanation:
      'The push subscription was created restricted to an application server’s key (RFC 8292 §4.1: the `applicationServerKey` a page passes to `pushManager.subscribe`), so a message to it must carry `Authorization: vapid t=<JWT>, k=<that key>`, and a push service “MUST reject a message that omits mandatory credentials with a 401” (RFC 8292 §4.2). This 401 has no WWW-Authenticate, on purpose: RFC 8292 §3 says a vapid challenge “MUST NOT be sent in a WWW-Authenticate header field”, since a client can build the credentials without one. That contradicts RFC 9110 §11.6.1 (a 401 must carry at least one challenge); the scheme’s own RFC is followed here, as push services do. Another scheme (Bearer, Basic) counts as no credentials.',
    remedy:
      'Sign an ES256 JWT (`aud` the push service’s origin, `exp` at most 24 hours ahead, `sub` a mailto: or https: contact) with the key the subscription was created with, and send `Authorization: vapid t=<JWT>, k=<base64url public key>`. Libraries do it: web-push’s `sendNotification(subscription, payload, { vapidDetails })`.',
    rfc: [rfc(8292, '4.2'), rfc(8292, '3'), rfc(9110, '11.6.1')],
  },
  vapid_credentials_malformed: {
    status: 400,
    title: 'VAPID credentials malformed',
    explanation:
      'The vapid credentials do not parse: the parameters are not RFC 9110 auth-params (`t=…, k=…`, a name given twice), `k` is not a base64url uncompressed P-256 point (65 bytes starting 0x04, RFC 8292 §3.2), or `t` is not a JWS in compact form whose header and claims are JSON objects (§3.1). Broken syntax is a 400, as for any scheme: nothing was judged.',
    remedy:
      'Send `vapid t=<header.claims.signature>, k=<base64url of the 65-byte public key>`, the key exactly as `applicationServerKey` holds it.',
    rfc: [rfc(8292, '3.1'), rfc(8292, '3.2'), rfc(9110, '11.2')],
  },
  vapid_credentials_incomplete: {
    status: 403,
    title: 'VAPID credentials incomplete',
    explanation:
      'The vapid credentials lack `t` (the JWT) or `k` (the key that signed it; in the obsolete WebPush form, the `p256ecdsa` member of Crypto-Key). RFC 8292 §4.2 counts credentials as invalid when “either the authentication token or public key are not included in the request”, and a push service “MAY reject a message that includes invalid credentials with a 403”.',
    remedy: 'Send both parameters: `vapid t=<JWT>, k=<public key>`.',
    rfc: [rfc(8292, '4.2'), rfc(8292, '3')],
  },
  vapid_key_mismatch: {
    status: 403,
    title: 'VAPID key is not the subscription key',
    explanation:
      'The public key in `k` is not the `applicationServerKey` the subscription was created with (RFC 8292 §4.2: credentials are invalid if “the public key used to sign the JWT doesn’t match the one that was included in the creation of the push subscription”). This is what restricting a subscription is for: a leaked endpoint URL is useless without the application server’s private key. The push service checks this first, before any signature: it is a comparison of two public values.',
    remedy:
      'Sign with the key pair whose public key the page passed to `pushManager.subscribe({ applicationServerKey })`. After changing keys, the user agent must subscribe again with the new one (RFC 8292 §4.2); an old subscription keeps the old key.',
    rfc: [rfc(8292, '4.2'), rfc(8292, '4.1')],
  },
  vapid_signature_invalid: {
    status: 403,
    title: 'VAPID JWT signature invalid',
    explanation:
      'The JWT in `t` does not verify with the key in `k`, or its `alg` is not ES256: RFC 8292 §2 pins ECDSA on P-256 with SHA-256, so no other algorithm is tried (and no `none`). The signature is the 64-byte r‖s form of RFC 7518 §3.4, not DER.',
    remedy:
      'Sign `base64url(header).base64url(claims)` with the private key matching `k`, ES256, and encode the signature as r‖s (64 bytes).',
    rfc: [rfc(8292, '2'), rfc(8292, '4.2'), rfc(7518, '3.4')],
  },
  vapid_audience_mismatch: {
    status: 403,
    title: 'VAPID JWT audience is not this push service',
    explanation:
      'The `aud` claim must be the origin of the push resource (RFC 8292 §2: “the Unicode serialization of the origin”), here this server’s PUBLIC_URL origin, with no path and no trailing slash. A JWT made for another push service (FCM’s, Mozilla’s) is refused, so a token stolen from one service cannot be spent at another.',
    remedy:
      'Set `aud` to `new URL(subscription.endpoint).origin`; libraries derive it from the endpoint.',
    rfc: [rfc(8292, '2'), rfc(8292, '4.2'), rfc(6454, '6.1')],
  },
  vapid_token_expired: {
    status: 403,
    title: 'VAPID JWT expired',
    explanation:
      'The `exp` claim is in the past (or absent: RFC 8292 §2 makes it mandatory). A VAPID JWT is reused across messages until it expires, which is why its life is short.',
    remedy:
      'Sign a new JWT with `exp` a few hours ahead (libraries cache one and renew it before it runs out).',
    rfc: [rfc(8292, '2'), rfc(8292, '4.2'), rfc(7519, '4.1.4')],
  },
  vapid_expiry_too_far: {
    status: 403,
    title: 'VAPID JWT expiry more than 24 hours ahead',
    explanation:
      'RFC 8292 §2: “An exp claim MUST NOT be more than 24 hours from the time of the request”, and §4.2 counts a JWT whose expiry is more than 24 hours away as invalid. The limit caps the worth of a stolen token; a push service refuses a long-lived one rather than trusting it longer.',
    remedy:
      'Keep `exp` under 24 hours ahead of the push service’s clock; 12 hours leaves room for clock skew.',
    rfc: [rfc(8292, '2'), rfc(8292, '4.2')],
  },
  vapid_subject_invalid: {
    status: 403,
    title: 'VAPID JWT subject is not a contact URI',
    explanation:
      'The `sub` claim is absent or is not a `mailto:` address or an `https:` URL. RFC 8292 §2.1 makes it a SHOULD, so that the push service’s operator can reach the application server’s; this push service requires it, as Apple’s Web Push service does (its 403 BadJwtToken covers a subject that is not a mailto: or https: URL), so that a client tested here works there too.',
    remedy:
      'Add `sub: "mailto:you@example.com"` or an https: URL of your contact page (web-push’s `vapidDetails.subject`).',
    rfc: [rfc(8292, '2.1'), rfc(8292, '4.2')],
  },
  push_subscription_gone: {
    status: 410,
    title: 'Push subscription gone',
    explanation:
      'No subscription lives at this push endpoint: it expired (a visitor’s own subscription, made with `POST /push/subscriptions`, lives an hour), it was deleted (`DELETE` on the endpoint, what a user agent sends to unsubscribe), or it never existed. RFC 8030 §7.3 lets a push service answer an expired subscription with 410 Gone, and push services do (FCM, Mozilla’s, Apple’s send 404 or 410). An application server must take either as “delete this subscription from your database”: it will never work again, and retrying it is a waste.',
    remedy:
      'Remove the subscription from your records and ask the page to subscribe again (pushManager.subscribe); web-push’s sendNotification rejects with statusCode 410 for this.',
    rfc: [rfc(8030, '7.3'), rfc(8030, '6'), rfc(9110, '15.5.11')],
  },
  push_ttl_missing: {
    status: 400,
    title: 'Push message without a TTL',
    explanation:
      'The credentials are right, but the request has no TTL header field (or it is not a number of seconds). RFC 8030 §5.2: an application server “MUST include the TTL (Time-To-Live) header field in its request for push message delivery”, how long the push service may keep an undelivered message; push services refuse a message without one (Mozilla’s answers 400).',
    remedy:
      'Send `TTL: <seconds>`, e.g. `TTL: 60`; web-push sends one (its default is four weeks).',
    rfc: [rfc(8030, '5.2'), rfc(9110, '15.5.1')],
  },
  push_encoding_unsupported: {
    status: 415,
    title: 'Push message not encrypted as aes128gcm',
    explanation:
      'A push message with a body must be encrypted for the user agent (RFC 8291) and say so with `Content-Encoding: aes128gcm` (RFC 8188, RFC 8291 §4); the push service relays the ciphertext and can never read it. This body has no Content-Encoding, or another one. The drafts’ `aesgcm` is accepted only with the drafts’ WebPush credentials, as push services still do. 415, as RFC 9110 §15.5.16 gives it for a Content-Encoding the server will not take.',
    remedy:
      'Encrypt the payload with the subscription’s p256dh and auth keys (RFC 8291) and send `Content-Encoding: aes128gcm`; libraries do it for you.',
    rfc: [rfc(8291, '4'), rfc(8188, '2'), rfc(9110, '15.5.16')],
  },
  // --- PrivateToken (RFC 9577, Privacy Pass) --------------------------------------------------
  private_token_missing: {
    status: 401,
    title: 'Privacy Pass token required',
    explanation:
      'The resource takes a Privacy Pass token (RFC 9577) and none came (or another scheme did). The challenge says what to get: `challenge` is a base64url TokenChallenge (token type 0x0002, blind RSA; the issuer’s name, this server’s host; a redemption context that changes every five minutes), `token-key` the issuer’s public key (an RSASSA-PSS SubjectPublicKeyInfo, RFC 9578 §6), `max-age` the seconds the challenge stays good. A client takes the challenge to an issuer, gets a token without the issuer learning which origin it is for, and redeems it here once. The token proves “an issuer vouched for someone” and nothing about who: the point of Privacy Pass.',
    remedy:
      'Get a token for this challenge from the issuer (here the demo issuer, POST /privacypass/demo-issuer) and send `Authorization: PrivateToken token="<base64url Token>"`.',
    rfc: [rfc(9577, '2.1'), rfc(9577, '2.2'), rfc(9578, '6')],
  },
  private_token_malformed: {
    status: 400,
    title: 'Privacy Pass token malformed',
    explanation:
      'The PrivateToken credentials do not parse: no `token` parameter, a value that is not base64url, or a type 0x0002 token that is not 354 bytes (token_type 2, nonce 32, challenge_digest 32, token_key_id 32, authenticator 256: RFC 9577 §2.2). Nothing was judged; nothing was spent.',
    remedy: 'Send the Token structure whole, base64url-encoded, as `token="…"`.',
    rfc: [rfc(9577, '2.2'), rfc(9110, '11.2')],
  },
  private_token_type_unsupported: {
    status: 401,
    title: 'Privacy Pass token type not accepted',
    explanation:
      'The token’s type is not the one the challenge asked for. Token types are registered (RFC 9578: 0x0001 privately verifiable, VOPRF; 0x0002 publicly verifiable, blind RSA); this origin’s challenge names 0x0002, and a token of another type cannot answer it. The answer carries the challenge again.',
    remedy: 'Fetch a token of the type the challenge’s TokenChallenge names (its first two bytes).',
    rfc: [rfc(9577, '2.2'), rfc(9578, '6')],
  },
  private_token_key_unknown: {
    status: 401,
    title: 'Privacy Pass token from another issuer key',
    explanation:
      'The token’s `token_key_id` is not the SHA-256 of the `token-key` in the challenge: it was issued under another key (another issuer, or a key this issuer has rotated out). The origin can verify only tokens of the keys it trusts.',
    remedy: 'Fetch a token from the issuer whose key the challenge names, with that key.',
    rfc: [rfc(9577, '2.2'), rfc(9578, '6')],
  },
  private_token_invalid: {
    status: 401,
    title: 'Privacy Pass token signature invalid',
    explanation:
      'The authenticator is not the issuer’s signature of the token input (token_type, nonce, challenge_digest, token_key_id): RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt, under the token-key (RFC 9578 §6, RSABSSA-SHA384-PSS-Deterministic of RFC 9474). A token whose bytes were changed after issuance, or one that was made up, fails here.',
    remedy: 'Redeem the token exactly as the issuance protocol finalized it.',
    rfc: [rfc(9578, '6'), rfc(9474, '4'), rfc(9577, '2.2')],
  },
  private_token_challenge_mismatch: {
    status: 401,
    title: 'Privacy Pass token for another challenge',
    explanation:
      'The token verifies, but its `challenge_digest` is not the SHA-256 of this origin’s current challenge, nor of the last one: it was fetched for another origin’s challenge, or for a redemption context that has passed (here the context changes every five minutes, and a token is taken for the current and the previous window). Binding a token to its challenge is what stops tokens fetched for one origin from being spent at another.',
    remedy: 'Fetch a new token for the challenge this answer carries.',
    rfc: [rfc(9577, '2.1'), rfc(9577, '2.2')],
  },
  private_token_spent: {
    status: 401,
    title: 'Privacy Pass token already spent',
    explanation:
      'The token is valid and was redeemed here before: its nonce is in the spent-token cache. A token may be redeemed once (RFC 9577 §2.2: the origin must check for double spending); otherwise one token would unlock a resource for everyone it is shared with. The cache keeps a nonce only until a token for its challenge would be refused anyway, so it stays bounded; each entry is charged to the visitor that redeemed it.',
    remedy: 'Fetch a new token for each redemption.',
    rfc: [rfc(9577, '2.2'), rfc(9577, '2.1')],
  },
  private_token_challenge_unreadable: {
    status: 400,
    title: 'Not a TokenChallenge for this issuer',
    explanation:
      'The demo issuer signs a token for a TokenChallenge of type 0x0002 (RFC 9577 §2.1), base64url, as the `challenge` parameter carries it; this body held none, or one that does not parse (issuer name, a redemption context of 0 or 32 bytes, origin info), or of another token type. Simplified on purpose: a real issuer runs RFC 9578’s blind exchange and never sees the challenge, only a blinded message.',
    remedy:
      'POST {"challenge": "<the challenge parameter of the 401>"} to /privacypass/demo-issuer.',
    rfc: [rfc(9577, '2.1'), rfc(9578, '6')],
  },
  // --- OAuth 1.0a (RFC 5849) ------------------------------------------------------------------
  oauth1_credentials_missing: {
    status: 401,
    title: 'OAuth 1.0a signature missing',
    explanation:
      'The resource takes requests signed with OAuth 1.0a (RFC 5849), and this one carried no OAuth protocol parameters: no `Authorization: OAuth …` header and no `oauth_…` parameters in the form body or the query. The 401 carries `WWW-Authenticate: OAuth realm="four-oh-one"`, the scheme RFC 5849 §3.5.1 registers. A client with OAuth 1.0a support (requests-oauthlib’s OAuth1, the oauth-1.0a package) signs every request up front; it does not wait for this challenge.' +
      OAUTH1_DEMO,
    remedy:
      'Sign the request with your client credentials (and token credentials) and send the protocol parameters in `Authorization: OAuth …`.',
    rfc: [rfc(5849, '3.5.1'), rfc(5849, '3.1'), rfc(9110, '15.5.2')],
  },
  oauth1_request_malformed: {
    status: 400,
    title: 'OAuth 1.0a parameters unreadable',
    explanation:
      'The OAuth protocol parameters could not be read, or hold a value RFC 5849 does not allow: the Authorization value must be `OAuth` followed by `name="value"` pairs separated by commas, every name and value percent-encoded (§3.5.1); a `%` must be followed by two hex digits; `oauth_version`, when sent, must be `1.0`; `oauth_timestamp` a whole number of seconds. RFC 5849 §3.2 answers an unsupported parameter with 400, not 401: other credentials would not help, a corrected request would.' +
      OAUTH1_DEMO,
    remedy: 'Send the parameters in RFC 5849’s shape; an OAuth 1.0a library writes them for you.',
    rfc: [rfc(5849, '3.5.1'), rfc(5849, '3.1'), rfc(5849, '3.2')],
  },
  oauth1_parameter_duplicated: {
    status: 400,
    title: 'OAuth 1.0a parameter sent twice',
    explanation:
      'A protocol parameter (`oauth_…`) appears more than once: twice in the header, or in the header and the query or body too. RFC 5849 §3.5 has a client send them in one place, and §3.2 answers a duplicated protocol parameter with 400: with two values, which one was signed is a guess.' +
      OAUTH1_DEMO,
    remedy: 'Send each oauth_ parameter once, in one place (the Authorization header, preferably).',
    rfc: [rfc(5849, '3.2'), rfc(5849, '3.5')],
  },
  oauth1_parameter_missing: {
    status: 400,
    title: 'OAuth 1.0a parameter missing',
    explanation:
      'A required protocol parameter is missing: `oauth_consumer_key`, `oauth_signature_method` and `oauth_signature` always, `oauth_timestamp` and `oauth_nonce` unless the method is PLAINTEXT (RFC 5849 §3.1). `oauth_token` may be left out by a request made with the client credentials alone (two-legged), which this resource accepts. RFC 5849 §3.2: 400 for a missing required parameter.' +
      OAUTH1_DEMO,
    remedy: 'Send every required oauth_ parameter; the detail names the missing ones.',
    rfc: [rfc(5849, '3.1'), rfc(5849, '3.2')],
  },
  oauth1_signature_method_unsupported: {
    status: 400,
    title: 'OAuth 1.0a signature method not supported',
    explanation:
      'The `oauth_signature_method` is not one this server verifies: HMAC-SHA1 (RFC 5849 §3.4.2), RSA-SHA1 (§3.4.3, with the demo client’s published RSA key), HMAC-SHA256 (the common extension, same construction with SHA-256), and PLAINTEXT (§3.4.4) over https only: PLAINTEXT sends the secrets themselves, and the RFC requires TLS for it, so over plain http it is refused like an unknown method. RFC 5849 §3.2: 400 for an unsupported signature method.' +
      OAUTH1_DEMO,
    remedy: 'Sign with HMAC-SHA1, HMAC-SHA256 or RSA-SHA1 (or PLAINTEXT over https).',
    rfc: [rfc(5849, '3.2'), rfc(5849, '3.4'), rfc(5849, '3.4.4')],
  },
  oauth1_consumer_unknown: {
    status: 401,
    title: 'OAuth 1.0a consumer key unknown',
    explanation:
      'No client is registered under this `oauth_consumer_key`, so there is no secret (or RSA key) to check the signature with. RFC 5849 §3.2: invalid client credentials are 401.' +
      OAUTH1_DEMO,
    remedy: 'Use the consumer key and secret the server issued to your client.',
    rfc: [rfc(5849, '3.2'), rfc(5849, '3.1')],
  },
  oauth1_token_unknown: {
    status: 401,
    title: 'OAuth 1.0a token unknown',
    explanation:
      'The `oauth_token` names no token credentials this server issued (a token from another server, a typo, or the temporary credentials used where the token credentials belong). RFC 5849 §3.2: an invalid token is 401.' +
      OAUTH1_DEMO,
    remedy:
      'Use the token credentials the token endpoint gave you (RFC 5849 §2.3), or run the authorization again.',
    rfc: [rfc(5849, '3.2'), rfc(5849, '2.3')],
  },
  oauth1_token_revoked: {
    status: 401,
    title: 'OAuth 1.0a token revoked',
    explanation:
      'The token credentials were issued here, but the resource owner revoked them (here the published `four-oh-one-revoked-token`, revoked for good). OAuth 1.0a tokens have no expiry of their own; revocation is how a grant ends. RFC 5849 §3.2: the server verifies the token’s status, and an invalid or expired token is 401.' +
      OAUTH1_DEMO,
    remedy:
      'Send the resource owner through the authorization again (RFC 5849 §2) to get new token credentials.',
    rfc: [rfc(5849, '3.2'), rfc(5849, '2')],
  },
  oauth1_timestamp_invalid: {
    status: 401,
    title: 'OAuth 1.0a timestamp outside the window',
    explanation:
      'The `oauth_timestamp` is more than 300 seconds from the server’s clock, either way. RFC 5849 §3.3 lets a server reject stale timestamps so that it need remember nonces only for a while: a nonce is unique per timestamp, and this server keeps them for as long as a timestamp stays in the window. Checked before the signature, as oauthlib does, and before anything is stored. A client whose clock is wrong gets this on every request.' +
      OAUTH1_DEMO,
    remedy:
      'Sign again with the current time; if it keeps happening, fix the client’s clock (NTP) or take the offset from the Date header of this answer.',
    rfc: [rfc(5849, '3.3'), rfc(5849, '3.2')],
  },
  oauth1_nonce_reused: {
    status: 401,
    title: 'OAuth 1.0a nonce reused',
    explanation:
      'A request with this `oauth_nonce`, `oauth_timestamp`, consumer key and token verified already. RFC 5849 §3.3: the nonce makes each request unique, so a captured request cannot be sent again; §3.2 answers a used nonce with 401. The server remembers each nonce of a verified request until its timestamp leaves the 300-second window, per visitor, charged to the visitor’s store quota; a request whose signature did not verify stores nothing.' +
      OAUTH1_DEMO,
    remedy:
      'Sign every request afresh, with a new random nonce; never resend a signed request as it was (a retry is a new request).',
    rfc: [rfc(5849, '3.3'), rfc(5849, '3.2')],
  },
  oauth1_signature_encoding: {
    status: 401,
    title: 'OAuth 1.0a signature over a wrongly encoded base string',
    explanation:
      "The signature does not verify over the signature base string RFC 5849 defines, but it does over the same string percent-encoded the wrong way: with JavaScript’s encodeURIComponent, which leaves `!*'()` unencoded, or as application/x-www-form-urlencoded (PHP’s urlencode, Java’s URLEncoder, Python’s quote_plus), which writes a space as `+` and `~` as `%7E`. RFC 5849 §3.6 requires RFC 3986’s unreserved set only (`A-Z a-z 0-9 - . _ ~`), everything else as `%XX` in upper-case hex, both for each name and value and for the whole string. The server tries the wrong encodings only after the right one failed, to say why; it never accepts them. This is the classic OAuth 1.0a bug: it shows only when a parameter holds one of those characters." +
      OAUTH1_DEMO,
    remedy:
      'Percent-encode as RFC 5849 §3.6 says: encodeURIComponent(s).replace(/[!\'()*]/g, c => "%" + c.charCodeAt(0).toString(16).toUpperCase()), or Python’s quote(s, safe="~").',
    rfc: [rfc(5849, '3.6'), rfc(5849, '3.4.1.3.2'), rfc(3986, '2.1')],
  },
  oauth1_signature_invalid: {
    status: 401,
    title: 'OAuth 1.0a signature does not verify',
    explanation:
      'The `oauth_signature` is not the signature of the signature base string (RFC 5849 §3.4.1): the method in upper case, the base string URI (scheme and host in lower case, no default port, no query), and every parameter of the header, the query and the form body, decoded, encoded again, sorted and joined, each part percent-encoded and joined with `&`. Common causes: a wrong secret; the wrong HMAC key (`consumer_secret&token_secret`, both encoded, the `&` kept when there is no token); signing another URL than the one sent (http against https, a port, a proxy’s host); leaving the query or form parameters out. The server tries the URI as it received it and its PUBLIC_URL, and compares in constant time.' +
      OAUTH1_DEMO,
    remedy:
      'Rebuild the base string exactly (an OAuth 1.0a library does) and sign it with the secrets the server issued.',
    rfc: [rfc(5849, '3.4.1'), rfc(5849, '3.4.2'), rfc(5849, '3.2')],
  },
  oauth1_token_temporary: {
    status: 401,
    title: 'OAuth 1.0a temporary credentials used as a token',
    explanation:
      'The `oauth_token` is temporary credentials (a request token, RFC 5849 §2.1), signed with their secret, sent to a protected resource. Temporary credentials only carry the authorization: after the resource owner approves them (§2.2) the client exchanges them, with the `oauth_verifier` the approval gave, for token credentials (an access token, §2.3), and signs requests with those. Skipping the exchange is a classic three-legged bug; so is keeping the request token’s secret after it. RFC 5849 §3.2: an invalid token is 401.' +
      OAUTH1_DEMO,
    remedy:
      'POST /oauth1/access_token signed with the temporary credentials and carrying oauth_verifier, then sign with the oauth_token and oauth_token_secret it answers.',
    rfc: [rfc(5849, '2.3'), rfc(5849, '2.1'), rfc(5849, '3.2')],
  },
  oauth1_verifier_invalid: {
    status: 401,
    title: 'OAuth 1.0a verifier wrong, or not authorized yet',
    explanation:
      'The token request (RFC 5849 §2.3) names temporary credentials the resource owner has not approved yet, or carries an `oauth_verifier` that is not the one the approval gave. The verifier is what proves that the client which asks for the token is the one the resource owner sent back from the authorization page (OAuth 1.0a added it against the session fixation attack on OAuth 1.0). RFC 5849 §3.2 lists an invalid verifier among the 401s. A wrong verifier spends nothing: the right one still works until the temporary credentials expire (10 minutes).' +
      OAUTH1_DEMO,
    remedy:
      'Send the resource owner to /oauth1/authorize?oauth_token=… first, then send back exactly the oauth_verifier the callback received (or the page showed, for oob).',
    rfc: [rfc(5849, '2.3'), rfc(5849, '2.2'), rfc(5849, '3.2')],
  },
  oauth1_callback_invalid: {
    status: 400,
    title: 'OAuth 1.0a callback not allowed',
    explanation:
      'The temporary credential request (RFC 5849 §2.1) must carry `oauth_callback`: an absolute URI the resource owner is sent back to, or `oob` when the client cannot receive one (the authorization page then shows the verifier). This sandbox sends a browser back only to `oob`, its own `/oauth1/callback` page, or a loopback address (`http://127.0.0.1:…`, `http://localhost:…`), where a client under test listens: redirecting strangers’ browsers to any site a signed request named would make it an open redirector. A missing oauth_callback is `oauth1_parameter_missing`.' +
      OAUTH1_DEMO,
    remedy:
      'Send oauth_callback="oob", a loopback URI your client listens on, or this server’s /oauth1/callback.',
    rfc: [rfc(5849, '2.1'), rfc(5849, '3.2'), rfc(6819, '4.2.4')],
  },
  oauth1_authorization_unknown: {
    status: 400,
    title: 'OAuth 1.0a authorization for unknown temporary credentials',
    explanation:
      'The resource owner authorization endpoint (RFC 5849 §2.2) was opened, or its form sent, for an `oauth_token` that names no pending temporary credentials: never issued, expired (10 minutes), exchanged already, or approved already (an approval gives one verifier, once). A page for people, so no challenge: a 400 that says to start over.' +
      OAUTH1_DEMO,
    remedy:
      'Get new temporary credentials at POST /oauth1/request_token and open /oauth1/authorize?oauth_token=… with them.',
    rfc: [rfc(5849, '2.2'), rfc(5849, '2.1')],
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
  proxy_credentials_missing: {
    status: 407,
    title: 'The proxy wants credentials',
    explanation:
      'The request came in absolute form (`GET http://host:port/path`), which is how a client talks to a forward proxy (RFC 9112 §3.2.2), and this server acts as one: a proxy that forwards only to itself. It wants Basic credentials for the hop to the proxy, in Proxy-Authorization, and says so in Proxy-Authenticate with its own realm. A 407 is about the proxy, not the origin: the origin’s credentials (Authorization) are a separate matter, judged once the proxy lets the request through.',
    remedy:
      'Give the client the proxy’s credentials: `curl -x http://127.0.0.1:3000 --proxy-user proxy-user:proxy-password …`; Python requests proxies={"http": "http://proxy-user:proxy-password@127.0.0.1:3000"}; HTTP_PROXY with the user-id and password in its URL.',
    rfc: [rfc(9110, '15.5.8'), rfc(9110, '11.7.1'), rfc(9110, '11.7.2'), rfc(9112, '3.2.2')],
  },
  proxy_credentials_invalid: {
    status: 407,
    title: 'The proxy credentials are wrong',
    explanation:
      'The request through the proxy carried Proxy-Authorization, but not the proxy’s Basic credentials: the user-id or password is wrong (compared in constant time, the answer does not say which), the scheme is not Basic, or the value is not base64 of `user-id:password`. A proxy answers 407 for all of them, with its challenge again, since a client can only fix them by sending other proxy credentials.',
    remedy:
      'Check the proxy’s user-id and password (here proxy-user and proxy-password), not the origin’s: they go in Proxy-Authorization, as `curl --proxy-user` sends them.',
    rfc: [rfc(9110, '15.5.8'), rfc(9110, '11.7.2'), rfc(7617, '2')],
  },
  proxy_target_refused: {
    status: 403,
    title: 'The proxy does not go there',
    explanation:
      'The proxy’s credentials were right, but the absolute URI names another server than this one (another host, another port, another scheme). This proxy forwards only to itself: its own PUBLIC_URL, or the address and port the client connected to. Anything else is refused before any connection is made, so the sandbox cannot be used to reach other hosts (server-side request forgery). A 403, not a 407: other proxy credentials would not help.',
    remedy:
      'Ask the proxy for this server’s own URL (the one you connected to, e.g. http://127.0.0.1:3000/…), or use another proxy to reach other hosts.',
    rfc: [rfc(9110, '15.5.4'), rfc(9110, '7.6'), rfc(9112, '3.2.2')],
  },
  // --- Negotiate and NTLM (RFC 4559, [MS-NLMP]) -------------------------------------------------
  ntlm_credentials_missing: {
    status: 401,
    title: 'Negotiate or NTLM handshake needed',
    explanation:
      'The resource takes Windows integrated authentication: `WWW-Authenticate: Negotiate` (RFC 4559) and `NTLM`, with no parameters. Neither is a password sent once: the client opens a three-message handshake on this connection, NEGOTIATE (type 1) in `Authorization: NTLM <base64>`, the server’s CHALLENGE (type 2) in the next 401, then AUTHENTICATE (type 3) with an NTLMv2 response to that challenge. The domain FOUR-OH-ONE and its accounts are synthetic: no domain controller and no Kerberos KDC are involved.',
    remedy:
      'Let the client run the handshake on one keep-alive connection: `curl --ntlm -u my_username:my_password`, or Python requests with requests_ntlm’s HttpNtlmAuth.',
    rfc: [rfc(4559, '4.1'), msNlmp('1.3.1.1'), rfc(9110, '11.6.1')],
  },
  ntlm_handshake_continue: {
    status: 401,
    title: 'NTLM challenge: answer it on this connection',
    explanation:
      'Not a refusal but the handshake’s middle step: the client sent a NEGOTIATE message (type 1), and this 401 carries the server’s CHALLENGE message (type 2) in `WWW-Authenticate: NTLM <base64>` (or `Negotiate <base64>`): an 8-byte server challenge, the negotiated flags and the target info (the synthetic domain FOUR-OH-ONE, its server names and a timestamp). The server remembers the challenge with this TCP connection, not in any store: the AUTHENTICATE message must come on the same connection, which is why the answer keeps the connection open and the client must read this body to the end and reuse the connection.',
    remedy:
      'Send the AUTHENTICATE message (type 3) answering this challenge, on the same connection, within 60 seconds.',
    rfc: [msNlmp('2.2.1.2'), rfc(4559, '4.2'), rfc(9112, '9.3')],
  },
  ntlm_connection_changed: {
    status: 401,
    title: 'NTLM answer on another connection than its challenge',
    explanation:
      'An AUTHENTICATE message (type 3) came on a connection where this server issued no challenge to you, or one it answers is not this connection’s (its copied timestamp differs), or the challenge expired (60 seconds). NTLM authenticates a connection: the challenge lives with the TCP connection it was sent on. What breaks it: a client or library that closes the connection after the 401 (`Connection: close`, HTTP/1.0, a body not read to the end), a proxy or load balancer that sends the next request over another upstream connection or to another instance (nginx’s `keepalive` pool does not pin a client to an upstream connection; NTLM through a proxy needs connection pinning, RFC 4559 §6), or a replayed type 3. Each challenge is answered once.',
    remedy:
      'Start again with a NEGOTIATE message, and keep the connection open for all three legs; behind a proxy, pin the client’s connection to one upstream connection (or pass TCP through).',
    rfc: [rfc(4559, '6'), rfc(9110, '3.3'), msNlmp('3.2.5.1.2')],
  },
  ntlm_v1_refused: {
    status: 401,
    title: 'LM or NTLMv1 response refused',
    explanation:
      'The AUTHENTICATE message carries a 24-byte response: LM or NTLMv1 (or NTLMv1 with the “NTLM2 session” variant). Those are DES over the unsalted NT or LM hash with a server challenge: a captured response is cracked offline quickly, rainbow tables exist for the fixed challenge 1122334455667788, and the LM hash splits the password in two uppercase halves. Windows disables them by policy (LmCompatibilityLevel 5: “Send NTLMv2 response only, refuse LM & NTLM”), as this server does: only NTLMv2 (an HMAC-MD5 NTProofStr over the server challenge and the client’s blob) is accepted.',
    remedy:
      'Configure the client for NTLMv2 (LmCompatibilityLevel 3 or more on Windows; curl and requests_ntlm use NTLMv2 when the challenge carries target info, as here), and start the handshake again.',
    rfc: [msNlmp('3.3.1'), msNlmp('3.3.2'), msNlmp('5.1')],
  },
  ntlm_credentials_invalid: {
    status: 401,
    title: 'NTLM credentials are wrong',
    explanation:
      'The AUTHENTICATE message answered this connection’s challenge, but its NTProofStr does not verify: the password is wrong, the user is not one of the domain’s accounts, or the domain named is not FOUR-OH-ONE (or empty). Windows answers all of these with one status (STATUS_LOGON_FAILURE), and so does this server: the answer does not tell a guesser which user names exist. The challenge is spent; a new handshake starts over.',
    remedy:
      'Check the user name and password (the demo account is my_username / my_password, domain FOUR-OH-ONE or none), then run the handshake again.',
    rfc: [msNlmp('3.3.2'), msNlmp('3.2.5.1.2'), rfc(9110, '15.5.2')],
  },
  negotiate_kerberos_unavailable: {
    status: 401,
    title: 'Kerberos or SPNEGO token: no KDC here',
    explanation:
      'The `Negotiate` credentials carry a GSS-API token (RFC 2743 §3.1): a Kerberos AP-REQ (mechanism 1.2.840.113554.1.2.2) or a SPNEGO NegTokenInit (1.3.6.1.5.5.2) proposing Kerberos. Accepting one needs a Kerberos service key for HTTP/<host>, shared with a KDC (an Active Directory domain controller) that issued the client’s ticket; this server has neither, so it cannot read the ticket. It accepts a raw NTLM message under `Negotiate`, as IIS does, and offers `NTLM` in this 401’s challenge so that the client falls back to it.',
    remedy:
      'Send NTLM: `curl --ntlm`, or a GSS-API/SSPI client told to use NTLM (a client without a Kerberos ticket for this host falls back on its own). With a real domain, register an SPN for HTTP/<host> and give the server its keytab.',
    rfc: [rfc(4559, '4.2'), rfc(4178, '4.2.1'), rfc(4121, '4.1')],
  },
  ntlm_malformed: {
    status: 400,
    title: 'Negotiate or NTLM token is malformed',
    explanation:
      'The `Authorization: NTLM` or `Negotiate` header does not carry one readable message: no token, a token that is not padded base64, bytes that do not start with "NTLMSSP\\0", a message type other than 1 or 3 (type 2 is the server’s), or a field that points outside the message. A broken request is a 400, not a 401, and changes nothing: no challenge is spent.',
    remedy: 'Send one base64 NTLM message after the scheme name, as `curl --ntlm` does.',
    rfc: [msNlmp('2.2'), rfc(4559, '4.2'), rfc(9110, '15.5.1')],
  },
  // --- SCRAM (RFC 7804, RFC 5802, RFC 7677) -------------------------------------------------------
  scram_credentials_missing: {
    status: 401,
    title: 'SCRAM exchange needed',
    explanation:
      'The resource takes SCRAM over HTTP (RFC 7804): `WWW-Authenticate: SCRAM-SHA-256 realm=…, SCRAM-SHA-1 realm=…`. The password is never sent, nor anything a listener could replay: the client sends its user name and a nonce (client-first message), the server answers with its nonce, the salt and the iteration count (server-first), and the client proves it knows the salted password with a ClientProof bound to both nonces (client-final). The server then proves it knows it too (ServerSignature). The demo account is RFC 7804’s: `user` / `pencil`.',
    remedy:
      'Send `Authorization: SCRAM-SHA-256 data=<base64 of "n,,n=user,r=<your nonce>">` and continue with the sid the 401 gives.',
    rfc: [rfc(7804, '3'), rfc(7804, '5'), rfc(5802, '5')],
  },
  scram_continue: {
    status: 401,
    title: 'SCRAM server-first message: continue with this sid',
    explanation:
      'Not a refusal but the exchange’s first round trip (RFC 7804 §5): the 401 carries `sid` (which names this exchange on the server) and `data`, the base64 server-first message: the combined nonce (yours followed by the server’s), the salt and the iteration count. The server keeps the exchange under the sid for 60 seconds, charged to you; the client-final message must come with the same sid, on any connection.',
    remedy:
      'Compute SaltedPassword = PBKDF2(password, salt, i), the ClientProof over the AuthMessage, and send `Authorization: SCRAM-SHA-256 sid=<sid>, data=<base64 client-final message>`.',
    rfc: [rfc(7804, '5'), rfc(5802, '3'), rfc(5802, '7')],
  },
  scram_sid_invalid: {
    status: 401,
    title: 'SCRAM sid unknown, used or expired (a replay)',
    explanation:
      'The client-final message names a sid this server does not hold for you: never issued, already used (each exchange is answered once, right or wrong, so a replayed client-final message lands here), older than 60 seconds, or begun by another visitor or with the other mechanism. Or its nonce (r=) is not the one the sid issued, or c= does not repeat the GS2 header. The ClientProof is bound to the server’s nonce, so a captured exchange cannot be replayed even without the sid check.',
    remedy: 'Start again with a client-first message and a fresh nonce.',
    rfc: [rfc(7804, '5'), rfc(5802, '5.1'), rfc(5802, '9')],
  },
  scram_proof_invalid: {
    status: 401,
    title: 'SCRAM ClientProof does not verify',
    explanation:
      'The exchange is this server’s and the nonces match, but the ClientProof is not the one the password makes: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage) does not hash to the StoredKey. A wrong password, or a user name this server does not have: an unknown user gets a server-first message with a made-up salt that looks real, and the same refusal here (RFC 5802 §9), so the answer does not tell which user names exist.',
    remedy:
      'Check the user name and password (the demo account is user / pencil) and start again; the sid is spent.',
    rfc: [rfc(5802, '3'), rfc(5802, '9'), rfc(7804, '5')],
  },
  scram_channel_binding_unsupported: {
    status: 401,
    title: 'SCRAM channel binding needs TLS',
    explanation:
      'The client-first message asks for channel binding (GS2 header `p=tls-unique` or `p=tls-server-end-point`), which binds the proof to the TLS connection so that a man in the middle who terminates TLS cannot relay it. Over plain http there is no TLS channel to bind to, and this server offers no SCRAM-SHA-256-PLUS mechanism (it would need the TLS key material of the connection: RFC 5929, RFC 9266). RFC 5802 §7 has the server refuse (e=channel-bindings-not-supported); here, 401 with the challenge again.',
    remedy:
      'Start again with the GS2 header "n,," (no channel binding), or "y,," if the client supports binding but the server offers no -PLUS mechanism; over TLS, use a -PLUS mechanism where the server offers one.',
    rfc: [rfc(5802, '6'), rfc(5802, '7'), rfc(5929, '1')],
  },
  scram_malformed: {
    status: 400,
    title: 'SCRAM credentials are malformed',
    explanation:
      'The `Authorization: SCRAM-…` header cannot be read: no data=, data that is not padded base64, a parameter given twice, or a SCRAM message without its attributes in order (client-first: a GS2 header, then n= and r=; client-final: c=, r=, then p=). A broken request is a 400 without a challenge, and no sid is spent or created.',
    remedy: 'Send the messages RFC 5802 §7 defines, base64-encoded in data=.',
    rfc: [rfc(7804, '4'), rfc(5802, '7'), rfc(9110, '15.5.1')],
  },
  // --- GNAP (RFC 9635) ----------------------------------------------------------------------------
  gnap_token_missing: {
    status: 401,
    title: 'GNAP access token needed',
    explanation:
      'The resource takes GNAP access tokens (RFC 9635 §7.2: `Authorization: GNAP <token>`) and none was sent, or another scheme was. The challenge is RFC 9635 §9.1’s RS-first discovery: `as_uri` is the grant endpoint to ask, `referrer` this resource server (a client must check it names the server it called), and `access` an opaque reference to the right the request needed, to put in `access_token.access` as it is.',
    remedy:
      'POST a grant request to as_uri with `access_token.access: ["<access>"]` and `client.key` (a JWK with kid and alg, "proof": "httpsig"), signed with that key; then send `Authorization: GNAP <value>` signed with the same key.',
    rfc: [rfc(9635, '9.1'), rfc(9635, '7.2'), rfc(9110, '11.6.1')],
  },
  gnap_token_invalid: {
    status: 401,
    title: 'GNAP access token unknown or expired',
    explanation:
      'The token after `GNAP` is not one this AS issued to you: never issued, expired (tokens here live 300 seconds, the grant response’s `expires_in`), or issued to another visitor. The server keeps a token’s grant under the token’s SHA-256 only, so nothing in the store can be replayed as a token.',
    remedy: 'Ask the grant endpoint for a new token (the challenge names it).',
    rfc: [rfc(9635, '7.2'), rfc(9635, '3.2.1'), rfc(9635, '9.1')],
  },
  gnap_proof_missing: {
    status: 401,
    title: 'GNAP token sent without a key proof',
    explanation:
      'GNAP tokens are bound to the client’s key unless the AS flagged them `bearer` (this one never does): the request must carry an RFC 9421 signature made with that key (the `httpsig` proof, RFC 9635 §7.3.1). Signature-Input and Signature are missing, so the token alone proves nothing: a stolen token is useless without the key.',
    remedy:
      'Sign the request: Signature-Input: sig1=("@method" "@target-uri" "authorization");created=<now>;keyid="<kid>";tag="gnap", and Signature: sig1=:<signature>: (add "content-digest" when there is a body).',
    rfc: [rfc(9635, '7.3.1'), rfc(9635, '7.2'), rfc(9421, '3.1')],
  },
  gnap_proof_invalid: {
    status: 401,
    title: 'GNAP key proof does not verify',
    explanation:
      'The request carries a signature, but not a valid `httpsig` proof (RFC 9635 §7.3.1): the fields do not parse, `tag="gnap"` is missing, the covered components are not exactly `@method`, `@target-uri`, `authorization` (and `content-digest` with a body), `alg` is not the key’s, Content-Digest is not the body’s, the signature does not verify under the bound key, or `created` is more than 300 seconds from the server’s clock; or the signature’s `nonce` was already used with this key (RFC 9635 §7.3.1: a verifier MUST find a nonce unique within a short time). Without a nonce, a replay inside those 300 seconds is not detected: the nonce is a SHOULD, and it is what makes a signed request usable once.',
    remedy:
      'Sign the signature base of RFC 9421 §2.5 over those components, with the private key of the JWK you sent in the grant request, with a fresh random `nonce` for every request, and send it at once.',
    rfc: [rfc(9635, '7.3.1'), rfc(9421, '2.5'), rfc(9421, '3.2')],
  },
  gnap_key_mismatch: {
    status: 401,
    title: 'GNAP token signed with another key',
    explanation:
      'The signature names a `keyid` other than the `kid` of the key the token is bound to: the grant was made for one key and the request is signed with another (RFC 9635 §7.3.1: keyid is the JWK’s kid). A token moved to another client instance, or a client that rotated its key without rotating the token (§6.1), lands here.',
    remedy:
      'Sign with the key you presented in the grant request, or ask for a new grant with the new key.',
    rfc: [rfc(9635, '7.3.1'), rfc(9635, '7.1'), rfc(9635, '6.1')],
  },
  gnap_access_insufficient: {
    status: 403,
    title: 'GNAP token access does not cover this request',
    explanation:
      'The token and its key proof are valid, but the rights granted (`access` in the grant response, RFC 9635 §8) do not include the action this request needs: POST /gnap/resource needs "write", GET needs "read". Authenticated but not allowed is 403, never 401 (RFC 9110 §15.5.4); the WWW-Authenticate field names the access reference that would cover it, as RFC 9110 §11.6.1 allows on any response.',
    remedy:
      'Ask the AS for a new grant whose access covers the action (the challenge’s access reference).',
    rfc: [rfc(9635, '8'), rfc(9110, '15.5.4'), rfc(9635, '9.1')],
  },
  gnap_malformed: {
    status: 400,
    title: 'GNAP credentials are malformed',
    explanation:
      '`Authorization: GNAP` is followed by nothing, by more than one value, or by characters no token has (RFC 9635 §7.2 sends the token value as it was issued, after one space). A broken request is a 400 without a challenge.',
    remedy: 'Send `Authorization: GNAP <value>`, the value exactly as the grant response gave it.',
    rfc: [rfc(9635, '7.2'), rfc(9110, '11.4'), rfc(9110, '15.5.1')],
  },
  gnap_grant_invalid_request: {
    status: 400,
    title: 'GNAP grant request is invalid',
    explanation:
      'The grant endpoint answers a GNAP error (RFC 9635 §3.6): `error: {code: "invalid_request", description}`. The body is not a JSON object sent as application/json, or it lacks `access_token.access` (1 to 8 rights: this API’s type "four-oh-one-demo" with actions "read"/"write", or the references "four-oh-one-read"/"four-oh-one-write"), or `client.key` with a public JWK (Ed25519 with alg EdDSA, or P-256 with ES256; a kid is required, RFC 9635 §7.1) and `"proof": "httpsig"`. Nothing is stored.',
    remedy:
      'Send the grant request RFC 9635 §2 defines; the description names the part that is wrong.',
    rfc: [rfc(9635, '3.6'), rfc(9635, '2.1.1'), rfc(9635, '7.1')],
  },
  gnap_grant_invalid_client: {
    status: 401,
    title: 'GNAP grant request key proof failed',
    explanation:
      'RFC 9635 §3.6 `invalid_client`: the client instance is not recognised, or its signature does not verify. Every grant request must be signed with the key it presents (§7.3: proof of the key at the AS, too), covering `@method`, `@target-uri` and `content-digest`, with tag="gnap" and created, and a `nonce` it has not used before with that key, when it sends one; or the client sent an instance identifier this AS never registered. Nothing is stored.',
    remedy:
      'Sign the grant request with the private key of client.key.jwk (keyid = its kid), or send the key instead of an instance identifier.',
    rfc: [rfc(9635, '3.6'), rfc(9635, '7.3.1'), rfc(9635, '2.3')],
  },
  gnap_grant_invalid_flag: {
    status: 400,
    title: 'GNAP access token flag refused',
    explanation:
      'RFC 9635 §3.6 `invalid_flag`: the request asks for a flag this AS does not grant. Here every token is bound to the client’s key, so `"flags": ["bearer"]` is refused: a bearer token would let anyone who copies it use it, which is what GNAP’s key binding is for (RFC 9635 §11.9 on bearer tokens).',
    remedy: 'Leave flags out; present the key proof with the token instead.',
    rfc: [rfc(9635, '3.6'), rfc(9635, '2.1.1'), rfc(9635, '11.9')],
  },
  // --- HOBA (RFC 7486) -----------------------------------------------------------------------------
  hoba_credentials_missing: {
    status: 401,
    title: 'HOBA signature needed',
    explanation:
      'The resource takes HOBA (RFC 7486): no password, but a key pair the client made and registered. The 401 carries `WWW-Authenticate: HOBA challenge="…", max-age="60", realm="four-oh-one"` (§3): a fresh random challenge, good for 60 seconds and one request, bound to you. The client signs the HOBA-TBS blob (§2: each of nonce, alg, origin, realm, kid and challenge preceded by its length and a colon) with its private key and answers `Authorization: HOBA result="kid.challenge.nonce.sig"`. A key is registered first at `POST /.well-known/hoba/register` (§6.1), with the same kind of signed challenge.',
    remedy:
      'Register a key (GET /hoba does it in your browser), then sign this challenge with it and send `Authorization: HOBA result="kid.challenge.nonce.sig"`.',
    rfc: [rfc(7486, '3'), rfc(7486, '2'), rfc(7486, '6.1')],
  },
  hoba_malformed: {
    status: 400,
    title: 'HOBA result is malformed',
    explanation:
      'The `Authorization: HOBA` header cannot be read: no `result` parameter, a parameter given twice, or a result that is not four base64url parts joined by dots (kid.challenge.nonce.sig, RFC 7486 §3). A broken request is a 400 without a challenge, and it spends nothing.',
    remedy:
      'Send `Authorization: HOBA result="<kid>.<challenge>.<nonce>.<signature>"`, each part base64url without padding.',
    rfc: [rfc(7486, '3'), rfc(4648, '5'), rfc(9110, '15.5.1')],
  },
  hoba_challenge_unknown: {
    status: 401,
    title: 'HOBA challenge not issued to you',
    explanation:
      'The result signs a challenge this server never gave you: made up, copied from RFC 7486 or another server, or given to another visitor. Challenges are not stored: each carries its expiry and a MAC over it and the visitor it was given to, so the server knows its own without keeping a list, and an anonymous 401 writes nothing.',
    remedy: 'Sign the challenge of the 401 this refusal carries.',
    rfc: [rfc(7486, '3'), rfc(7486, '2'), rfc(7486, '8')],
  },
  hoba_challenge_expired: {
    status: 401,
    title: 'HOBA challenge expired',
    explanation:
      'The challenge is this server’s and yours, but older than its max-age (60 seconds, RFC 7486 §3): a result cannot be kept and replayed later.',
    remedy: 'Sign the fresh challenge this refusal carries, and send the result at once.',
    rfc: [rfc(7486, '3'), rfc(7486, '8')],
  },
  hoba_challenge_used: {
    status: 401,
    title: 'HOBA challenge already used',
    explanation:
      'The same result was accepted once already. A challenge is good for one request: once a signature over it verifies, it is marked used (in the store, charged to you, until it would have expired anyway), so a captured `Authorization: HOBA` header cannot be replayed.',
    remedy:
      'Sign a fresh challenge for each request (each 401 carries one); a browser that keeps signing in should use the session the application sets after the first success.',
    rfc: [rfc(7486, '3'), rfc(7486, '8')],
  },
  hoba_kid_unknown: {
    status: 401,
    title: 'HOBA key not registered',
    explanation:
      'The challenge is good, but no key is registered for you under this kid: never registered, registered by another visitor (keys are kept per client address), or older than an hour, when the sandbox forgets it. RFC 7486 §6.1 has the client register its key (kidtype, kid, didtype, did, alg, pub) before it signs in with it.',
    remedy:
      'Register the key at `POST /.well-known/hoba/register` (the form of RFC 7486 §6.1, signed with that key), then sign a fresh challenge.',
    rfc: [rfc(7486, '6.1'), rfc(7486, '3')],
  },
  hoba_signature_invalid: {
    status: 401,
    title: 'HOBA signature does not verify',
    explanation:
      'The kid is registered and the challenge good, but the signature does not verify with the registered key over the HOBA-TBS blob (RFC 7486 §2): another key signed it, a field is not the one the server uses, or the bytes were changed. (Where the signature verifies over a neighbouring origin or realm, the refusal says so instead: hoba_origin_mismatch, hoba_realm_mismatch.) It counts against the address’s budget of refused credentials.',
    remedy:
      'Sign, with the private key of the kid you name and RSASSA-PKCS1-v1_5 SHA-256 (alg 0), the string len:nonce len:alg len:origin len:realm len:kid len:challenge.',
    rfc: [rfc(7486, '2'), rfc(7486, '3'), rfc(8017, '8.2')],
  },
  hoba_origin_mismatch: {
    status: 401,
    title: 'HOBA signature over the wrong origin',
    explanation:
      'The signature verifies with your key, but over another origin than this server’s. The origin in the HOBA-TBS blob is what binds a signature to one site (the "origin-bound" of the name): scheme, host and port, with the port always written (RFC 7486 §2: "http://127.0.0.1:80", not the "http://127.0.0.1" of a browser’s location.origin).',
    remedy: 'Sign the origin the detail names: scheme "://" host ":" port.',
    rfc: [rfc(7486, '2'), rfc(6454, '4')],
  },
  hoba_realm_mismatch: {
    status: 401,
    title: 'HOBA signature over the wrong realm',
    explanation:
      'The signature verifies with your key, but with the realm empty or in quotes: the HOBA-TBS blob holds the challenge’s realm as it reads, four-oh-one, after its length (RFC 7486 §2); only a challenge without a realm gives the empty field "0:".',
    remedy: 'Put the challenge’s realm, unquoted, in the signed blob.',
    rfc: [rfc(7486, '2'), rfc(7486, '3')],
  },
  hoba_registration_invalid: {
    status: 400,
    title: 'HOBA registration form is not one this server takes',
    explanation:
      'RFC 7486 §6.1’s registration form is kidtype, kid, didtype, did, alg and pub. Taken here: kidtype 0 (the kid is the base64url SHA-256 of the key’s DER SubjectPublicKeyInfo), 1 or 2; didtype 0; alg 0 (RSA-SHA256; alg 1, RSA-SHA1, is refused); pub an RSA key of 2048 to 4096 bits in PEM (BEGIN PUBLIC KEY); and a request signed with that very key, under the kid the form names. Nothing is stored.',
    remedy: 'Post the form as the detail says, signed with the key it registers.',
    rfc: [rfc(7486, '6.1'), rfc(7486, '9.3'), rfc(7486, '9.4')],
  },
  // --- Mutual (RFC 8120, RFC 8121) -----------------------------------------------------------------
  mutual_credentials_missing: {
    status: 401,
    title: 'Mutual authentication needed',
    explanation:
      'The resource takes RFC 8120’s Mutual scheme: a password-authenticated key exchange in which the server proves it knows the password too, so a phishing server learns nothing and cannot complete the exchange. The 401-INIT (§4.1) says `Mutual version=1, algorithm=iso-kam3-dl-2048-sha256, validation=host, auth-scope="…", realm="four-oh-one", reason=initial`. The client would answer with req-KEX-C1 (§4.2: user, kc1 = g^s mod p), get 401-KEX-S1 (§4.3: sid, ks1, nc-max, nc-window, time), send req-VFY-C (§4.4: sid, nc, vkc) and receive 200-VFY-S (§4.5: vks), which proves the server. Other reasons a 401 may carry: stale-session, auth-failed, reauth-needed, invalid-parameters, internal-error, user-unknown, invalid-credential, authz-failed. This server shows the challenge and checks the client messages only: the RFC 8121 key exchange is not implemented, so no exchange completes here.',
    remedy:
      'A client would send req-KEX-C1; here it is checked and answered 501 (mutual_key_exchange_not_implemented).',
    rfc: [rfc(8120, '4.1'), rfc(8120, '2.1'), rfc(8121, '3')],
  },
  mutual_invalid_parameters: {
    status: 401,
    title: 'Mutual message has invalid parameters',
    explanation:
      'RFC 8120 answers a request it cannot use with a 401-INIT whose reason is `invalid-parameters` (§4.1), not a 400: a version other than 1, an algorithm not offered (RFC 8121 defines four; this server offers iso-kam3-dl-2048-sha256 only), validation other than host (tls-server-end-point and tls-unique need TLS), another realm, a parameter missing or given twice, or a kc1 outside the group (not 256 octets, or not strictly between 1 and p − 1, a check RFC 8121 requires so that a client cannot force a trivial key).',
    remedy: 'Send the message with the parameters of the 401-INIT it answers.',
    rfc: [rfc(8120, '4.1'), rfc(8120, '4.2'), rfc(8121, '3')],
  },
  mutual_stale_session: {
    status: 401,
    title: 'Mutual session unknown (401-STALE)',
    explanation:
      'A req-VFY-C names a sid the server does not hold: expired, or never issued. RFC 8120 answers with the 401-STALE form of the challenge, `reason=stale-session` (§4.1), and the client starts again with a req-KEX-C1. This server never issues a sid (it does not compute 401-KEX-S1), so every req-VFY-C lands here.',
    remedy: 'Start again with a req-KEX-C1.',
    rfc: [rfc(8120, '4.1'), rfc(8120, '4.4'), rfc(8120, '6')],
  },
  mutual_key_exchange_not_implemented: {
    status: 501,
    title: 'Mutual key exchange not implemented here',
    explanation:
      'The req-KEX-C1 is well formed: version 1, iso-kam3-dl-2048-sha256, validation=host, this realm, a user, and a kc1 inside the 2048-bit group. The next step would be the server’s 401-KEX-S1 (sid, ks1 computed from the password verifier and kc1 by RFC 8121’s KAM3), which this server does not compute: the exchange ends here, honestly, with 501 Not Implemented rather than a made-up ks1. No Mutual client exists in npm or Debian to test one against either.',
    remedy:
      'Use this route to test a client’s 401-INIT parsing and its req-KEX-C1; for a complete password-based mutual proof over HTTP, use SCRAM (GET /scram/resource).',
    rfc: [rfc(8120, '4.3'), rfc(8121, '3'), rfc(9110, '15.6.2')],
  },
  // --- Concealed (RFC 9729) -----------------------------------------------------------------------
  concealed_credentials_missing: {
    status: 401,
    title: 'Concealed credentials needed',
    explanation:
      'The resource takes the Concealed scheme (RFC 9729): the client signs, with its own key, keying material exported from the TLS connection (RFC 5705), and sends `Authorization: Concealed k=<key ID>, a=<public key>, p=<signature>, s=<TLS SignatureScheme>, v=<verification>` unprompted. RFC 9729 defines no challenge: a server that really hides a resource answers a missing or failed credential with the 404 a path that does not exist gets (§6.4), as GET /concealed/hidden does. This teaching resource answers 401 instead, so that each failure can be named, with the bare scheme name as its WWW-Authenticate (a 401 must carry a challenge, RFC 9110 §11.6.1), which tells a prober exactly what the scheme exists to hide.',
    remedy:
      'Over TLS 1.3, export 48 bytes with the label EXPORTER-HTTP-Concealed-Authentication and the context of RFC 9729 §3.1, sign the first 32 with the demo key (key ID "basement", Ed25519 seed in the README), and send the five parameters.',
    rfc: [rfc(9729, '2'), rfc(9729, '6.4'), rfc(9110, '11.6.1')],
  },
  concealed_malformed: {
    status: 401,
    title: 'Concealed parameters cannot be read',
    explanation:
      'A parameter is missing (k, a, p, s and v are all required), given twice, not base64url without padding and quotes (k, a, p, v), s is not an integer from 0 to 65535 without leading zeros, or v is not 16 bytes. RFC 9729 §6.1 has the server ignore the whole field, as if no credentials were sent: 401 here, not the 400 this server gives other broken Authorization fields.',
    remedy: 'Send the parameters as RFC 9729 §4 writes them: k=…, a=…, p=…, s=2055, v=…',
    rfc: [rfc(9729, '4'), rfc(9729, '6.1'), rfc(9110, '11.4')],
  },
  concealed_signature_scheme_unsupported: {
    status: 401,
    title: 'Concealed signature scheme not supported',
    explanation:
      '`s` names a TLS SignatureScheme (RFC 8446 §4.2.3) this server does not verify. It takes ed25519 (s=2055, 0x0807), whose public key `a` is the 32 bytes of RFC 8032; RFC 9729 §3.1.1 also defines the encodings for ECDSA and RSASSA-PSS, which this demo does not implement.',
    remedy: 'Sign with an Ed25519 key and send s=2055.',
    rfc: [rfc(9729, '4.4'), rfc(9729, '3.1.1'), rfc(8446, '4.2.3')],
  },
  concealed_key_unknown: {
    status: 401,
    title: 'Concealed key ID unknown, or not with this public key',
    explanation:
      'RFC 9729 §6.3: the key ID (`k`) must be in the server’s database, and the public key sent (`a`) must equal the one stored for it. Sending the key beside its ID is on purpose: it binds the signature to one key, so that a signature cannot be passed off under another key that would also verify it (key confusion). The demo database holds one key, "basement" (`k=YmFzZW1lbnQ`).',
    remedy: 'Use k=YmFzZW1lbnQ and the demo key’s public key in a=.',
    rfc: [rfc(9729, '6.3'), rfc(9729, '4.1'), rfc(9729, '4.2')],
  },
  concealed_tls_required: {
    status: 401,
    title: 'Concealed needs TLS 1.3',
    explanation:
      'The parameters, the scheme and the key are fine, but what `v` and `p` prove is possession of this connection’s TLS keying material exporter output (RFC 5705, RFC 8446 §7.5), and there is none: the request came over plain http, or over TLS older than 1.3 (RFC 9729 §7 allows TLS 1.2 only with the extended master secret, which this server cannot confirm, so it takes 1.3). RFC 9729 §7 has the server treat such a request as if it had no credentials. This server listens on plain http (a TLS-terminating proxy in front would have to forward the exporter output itself, in Concealed-Auth-Export, §6.2, which this server does not take from anyone); the test suite serves the same app over TLS 1.3 to complete the exchange.',
    remedy:
      'Serve the app over TLS 1.3 (test/routes/concealed.test.ts does, with a self-signed certificate) and compute the exporter on the client’s side of that connection.',
    rfc: [rfc(9729, '7'), rfc(5705, '4'), rfc(8446, '7.5')],
  },
  concealed_verification_mismatch: {
    status: 401,
    title: 'Concealed verification value does not match',
    explanation:
      '`v` must be the last 16 bytes of the 48 the exporter gives for this connection and this context (the signature scheme, key ID, public key, scheme, host, port and realm, RFC 9729 §3.1). It does not: the client exported on another connection (a header replayed from another one), or built the context differently (another host or port, a length not in QUIC varint form, a realm). Checking v before the signature stops signatures that verify for several inputs (RFC 9729 §4.5).',
    remedy:
      'Export on the connection the request goes over, with the context exactly as RFC 9729 §3.1 lays it out.',
    rfc: [rfc(9729, '4.5'), rfc(9729, '3.2'), rfc(9729, '6.3')],
  },
  concealed_signature_invalid: {
    status: 401,
    title: 'Concealed proof does not verify',
    explanation:
      '`v` matched, so the client holds this connection’s exporter output, but `p` is not the signature, by the key in `a`, of 64 spaces, "HTTP Concealed Authentication", a zero byte and the output’s first 32 bytes (RFC 9729 §3.3, mirroring TLS 1.3’s CertificateVerify).',
    remedy: 'Sign exactly that content with the private key of the key ID you send.',
    rfc: [rfc(9729, '3.3'), rfc(9729, '6.3'), rfc(8446, '4.4.3')],
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

  // --- runs: grading a client (routes/runs.ts) ------------------------------------------------
  run_not_found: {
    status: 404,
    title: 'Run not found',
    explanation:
      'A request named a run (the X-Run-Id header, or a base URL under /runs/{id}/) that this address has not opened. Runs are per visitor: one is found only from the address that opened it, so nobody can read or fill another visitor’s run. Nothing was recorded and the request was not served.',
    remedy:
      'Open a run with POST /runs and use the id (or base_url) it answers, from the same address.',
    rfc: [rfc(9110, '15.5.5')],
  },
  run_expired: {
    status: 404,
    title: 'Run expired',
    explanation:
      'The run this request named has ended: a run lives 30 minutes from its opening, and its records end with it. Nothing was recorded and the request was not served.',
    remedy: 'Open a new run with POST /runs for each test (or test suite).',
    rfc: [rfc(9110, '15.5.5')],
  },
  run_limit_reached: {
    status: 429,
    title: 'Too many runs',
    explanation:
      'Opening a run needs no credentials, so each address may open only a few runs per 30 minutes (each run records a bounded number of requests, charged to the address): one address cannot fill the store for everyone. Retry-After says when the window ends.',
    remedy: 'Reuse one run for a whole test suite, or wait for the Retry-After delay.',
    rfc: [rfc(6585, '4'), rfc(9110, '10.2.3')],
  },
} as const satisfies Record<string, ProblemDef>;

export type ProblemCode = keyof typeof problemCatalog;

export function isProblemCode(value: string): value is ProblemCode {
  return Object.prototype.hasOwnProperty.call(problemCatalog, value);
}
