import { problemCatalog, type ProblemCode } from './catalog';
import { rfc, type RfcRef } from './refs';
import {
  bearer,
  DATA,
  insufficientScope,
  invalidToken,
  noError,
  orDpop,
  RESOURCE_METADATA,
} from './shared';
import type { FamilyInfo, Scenario } from './types';
import { cite } from './sources';

/**
 * RFC 6750 §3.1 invalid_request for a broken presentation, described by the problem's title.
 * /api/v1/data takes DPoP too, so each of its challenges has the DPoP offer beside it.
 */
const invalidRequestFor = (code: ProblemCode) =>
  orDpop(
    `Bearer realm="four-oh-one", error="invalid_request", error_description="${problemCatalog[code].title}", ${RESOURCE_METADATA}`,
  );

const invalidRequest = invalidRequestFor('authorization_malformed');

/** The challenge of /api/v1/data to a request without usable credentials. */
const dataNoError = orDpop(noError);

/** RFC 6750 §2.3's own example token: in a URL this server never reads it, whatever it is. */
const QUERY_TOKEN = 'access_token=mF_9.B5f-4.1JqM';

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
    expect: { status: 401, code, challenge: orDpop(invalidToken(code)) },
    explanation,
    rfc: [...problemCatalog[code].rfc, ...extraRfc],
  };
}

/** A token one second inside the clock leeway: accepted, whatever the skew it shows. */
function withinTolerance(
  claim: 'exp' | 'nbf' | 'iat',
  title: string,
  explanation: string,
): Scenario {
  return {
    id: `clock-skew-${claim}-within-tolerance`,
    family: 'bearer',
    title,
    trigger: { method: 'GET', path: DATA, headers: bearer(`${claim}_within_tolerance`) },
    expect: { status: 200, challenge: null },
    explanation: `${explanation} ${CLOCK_REMEDY}`,
    rfc: [rfc(7519, CLAIM_SECTION[claim]), rfc(9110, '6.6.1')],
  };
}

const CLAIM_SECTION = { exp: '4.1.4', nbf: '4.1.5', iat: '4.1.6' } as const;

/** What every clock-skew card ends with: how a client measures its own skew. */
const CLOCK_REMEDY =
  'Every answer here carries a Date header (RFC 9110 §6.6.1): compare it with your own clock to measure your skew, and keep both clocks on NTP; the refusals name the server time in `detail` too.';

/**
 * The edges of JWT_CLOCK_TOLERANCE_SECONDS for exp, nbf and iat: a token one second inside the
 * leeway, accepted, and one beyond it, refused. The specimens are minted every second.
 */
function clockSkewScenarios(): Scenario[] {
  const beyond = (
    claim: 'exp' | 'nbf' | 'iat',
    code: ProblemCode,
    title: string,
    explanation: string,
  ): Scenario =>
    tokenScenario(
      `clock-skew-${claim}-beyond-tolerance`,
      title,
      `${claim}_beyond_tolerance`,
      code,
      `${explanation} ${CLOCK_REMEDY}`,
      [rfc(9110, '6.6.1')],
    );
  return [
    withinTolerance(
      'exp',
      'Expired a second ago, inside the clock leeway: still accepted',
      'Its exp passed one second before it was minted, yet the token is served: the server allows JWT_CLOCK_TOLERANCE_SECONDS ({{clock_tolerance}} s) of skew between the issuer’s clock and its own (RFC 7519 §4.1.4 allows "some small leeway"). It stays accepted for about {{clock_tolerance_inside}} s after /scenarios or the playground served it; after that it is an ordinary expired token, so fetch the trigger again (the playground does, before each Run: /scenarios marks it `minted_each_second`).',
    ),
    beyond(
      'exp',
      'token_expired',
      'Expired one second beyond the clock leeway: token_expired',
      'Its exp lies {{clock_tolerance}} s and one second in the past: one second more than the leeway allows, so it is refused. The detail names the expiry, the server time and the tolerance, which is how a client tells a skewed clock from a token it kept too long.',
    ),
    withinTolerance(
      'nbf',
      'Not valid for {{clock_tolerance_inside}} more seconds, inside the leeway: accepted',
      'Its nbf (not before) is {{clock_tolerance_inside}} s ahead of the server clock: an issuer whose clock runs fast by that much. The leeway covers it, so the token is served.',
    ),
    beyond(
      'nbf',
      'token_not_yet_valid',
      'nbf beyond the clock leeway: token_not_yet_valid',
      'Its nbf is {{clock_tolerance}} s plus five and a half minutes ahead: the issuer’s clock (or this server’s) is off by more than the leeway. It is minted that far beyond the edge so that it stays beyond it while you read; a token this far off is a clock to fix, not a moment to wait for.',
    ),
    withinTolerance(
      'iat',
      'Issued {{clock_tolerance_inside}} s in the future, inside the leeway: accepted',
      'Its iat is {{clock_tolerance_inside}} s ahead of the server clock. This server refuses a token whose iat lies in the future beyond the leeway (token_issued_in_future); within it, a fast issuer clock is tolerated like for nbf.',
    ),
    beyond(
      'iat',
      'token_issued_in_future',
      'iat beyond the clock leeway: token_issued_in_future',
      'Its iat is {{clock_tolerance}} s plus five and a half minutes ahead of the server clock. RFC 7519 makes iat informational and requires no check on it; this server checks it with the same leeway as nbf, its own choice, since a token from the future is either a skewed issuer or a forgery.',
    ),
  ];
}

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Bearer tokens on GET /api/v1/data',
  summary:
    cite('explained', 1) +
    ': `requests.get(".../api/v1/data", headers={"Authorization": "Bearer <jwt>"})`, which prints "Invalid or missing auth token" on 401. Every way a bearer token is refused, each with its own code.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
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
    expect: { status: 401, code: 'token_missing', challenge: dataNoError },
    explanation: `The first case in ${cite('explained', 1)}: the request has no token, so the script prints "Invalid or missing auth token". The challenge tells the client which scheme to use and carries no error, since no credentials were sent.`,
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
      challenge: dataNoError,
    },
    explanation:
      'The client sent Basic credentials to a resource that takes Bearer (and DPoP) tokens only. The server cannot judge them, so it answers as if none were sent: 401 with the Bearer challenge and no error, and the DPoP offer beside it.',
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
    expect: { status: 401, code: 'token_in_query_refused', challenge: dataNoError },
    explanation:
      'The URI query method of RFC 6750 §2.3, with the RFC’s own example token. This resource takes the header only, so the token is not even read: to it, no credentials came, and the challenge has no error parameter. The code says where the token must go instead, so a client does not mistake it for token_missing.',
    rfc: problemCatalog.token_in_query_refused.rfc,
  },
  {
    id: 'bearer-api-key-in-query',
    family: 'bearer',
    title: 'An API key in the URL query (?api_key=)',
    trigger: { method: 'GET', path: `${DATA}?api_key=mF_9.B5f-4.1JqM` },
    expect: { status: 401, code: 'api_key_in_query_refused', challenge: dataNoError },
    explanation:
      'A key sent the way many APIs take them: `?api_key=` (or `apikey`, `api-key`). It is refused unread, as no credentials, with a code that names the header form; a valid token in `Authorization: Bearer` is served. The key’s value never reaches this server’s log line or its explanation.',
    rfc: problemCatalog.api_key_in_query_refused.rfc,
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
    expect: { status: 401, code: 'token_in_body_refused', challenge: dataNoError },
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
      'The token in ' +
        cite('explained', 1) +
        ' is jwt.io’s example (`{"sub": "1234567890", "name": "John Doe", "iat": 1516239022}`), signed with the secret "your-256-bit-secret". It is a valid JWT — just not one this server signed — so the signature check fails and the article’s script prints "Invalid or missing auth token".',
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
    `The most common 401 in practice, and the one the retry logic of ${cite('invalidToken', 4)} exists for. The problem detail gives the expiry time and the server time, so clock skew is easy to see.`,
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
  ...clockSkewScenarios(),
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
];
