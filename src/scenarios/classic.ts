import { problemCatalog, type ProblemCode } from './catalog';
import { rfc } from './refs';
import { BASIC, invalidToken, noError } from './shared';
import type { FamilyInfo, Scenario } from './types';

/** The demo proxy's credentials (middleware/forward-proxy.ts), as curl --proxy-user sends them. */
const PROXY_CREDENTIALS = 'Basic cHJveHktdXNlcjpwcm94eS1wYXNzd29yZA==';
const PROXY_CHALLENGE = {
  'Proxy-Authenticate': 'Basic realm="four-oh-one proxy", charset="UTF-8"',
};

/**
 * A request through this server as its own forward proxy: in absolute form, which the table
 * test's clients cannot send, so not fired (test/scenario-setups.test.ts sends it).
 */
const throughProxy = (setup: string, authorization?: string): Scenario['trigger'] => ({
  method: 'GET',
  path: '/headers',
  ...(authorization === undefined ? {} : { headers: { 'Proxy-Authorization': authorization } }),
  fired: false,
  setup,
});

/** The X-API-Key resource's challenge (ApiKey is no registered scheme). */
const API_KEY = 'ApiKey realm="four-oh-one", header="X-API-Key"';

/** A webhook delivery's body, as the table test sends it (JSON.stringify: no spaces). */
const WEBHOOK_BODY = { id: 'evt_demo', type: 'ping' };
/** 2025-12-01T00:00:00Z, and the v1 signature of it and WEBHOOK_BODY under the demo secret. */
const WEBHOOK_OLD_T = 1764547200;
const WEBHOOK_OLD_V1 = '7d27bcac161f9d6e5af4e44520c3dbefc5cfe7add4b45e5a54414a7857b93dd0';

/** The RFC 9530 Content-Digest of WEBHOOK_BODY, and the RFC 9421 signature over it created at WEBHOOK_OLD_T. */
const HTTP_SIG_DIGEST = 'sha-256=:rUT0RFXTBIctFNvKl5WQIAWedJ0H3ik2yvNqvQDp6X8=:';
const HTTP_SIG_OLD = 'sDuBYcFQv9H6Hg/XAfQDJzrFaBVEEGKF2biYZv0EzDk=';
/** What every RFC 9421 refusal asks for (RFC 9421 §5.1). */
const HTTP_SIG_ACCEPT =
  'sig1=("@method" "@path" "content-digest");keyid="four-oh-one-demo-hmac";alg="hmac-sha256";created';

/** An RFC 9421 request's fields: the body's digest, the signature input and the signature. */
const signed9421 = (input: string, signature: string) => ({
  'Content-Digest': HTTP_SIG_DIGEST,
  'Signature-Input': input,
  Signature: signature,
});
/** An RFC 9421 refusal: 400 with no challenge and Accept-Signature. */
const refused9421 = (code: ProblemCode): Scenario['expect'] => ({
  status: 400,
  code,
  challenge: null,
  headers: { 'Accept-Signature': HTTP_SIG_ACCEPT },
});

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Classic challenges, httpbin-compatible: Basic, Digest, API keys, 407',
  summary:
    'The routes people test HTTP clients against, with httpbin’s and go-httpbin’s paths and success bodies: /basic-auth, /hidden-basic-auth, /digest-auth (RFC 7616: MD5, SHA-256, SHA-512-256, -sess, auth-int, stale nonces, replay refused), /bearer, /status/:code. Unlike httpbin, every refusal is a problem body with a code, every 401 carries a challenge, and a 407 carries Proxy-Authenticate. Beside them: a resource with two schemes and two challenges, an X-API-Key resource, a Stripe-style signed webhook receiver (HMAC over timestamp and body, a 300-second window, replays refused), and RFC 9421 HTTP Message Signatures with Accept-Signature on refusal.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
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
    id: 'proxy-auth-missing',
    family: 'classic',
    title: 'Through this server as a proxy, without proxy credentials: 407',
    trigger: throughProxy(
      'Send the request through this server as a forward proxy, so that its target is in absolute form: `curl -x http://127.0.0.1:3000 http://127.0.0.1:3000/headers` sends `GET http://127.0.0.1:3000/headers HTTP/1.1`. Not fired by the table test, whose clients send paths only.',
    ),
    expect: {
      status: 407,
      code: 'proxy_credentials_missing',
      challenge: null,
      headers: PROXY_CHALLENGE,
    },
    explanation:
      'A real 407 round trip, unlike /status/407: this server is a forward proxy for itself (and only itself). The proxy’s challenge is in Proxy-Authenticate, with a realm of its own; curl then answers it with --proxy-user, which puts the credentials in Proxy-Authorization.',
    rfc: problemCatalog.proxy_credentials_missing.rfc,
  },
  {
    id: 'proxy-auth-wrong',
    family: 'classic',
    title: 'Through the proxy with the wrong proxy password: 407 again',
    trigger: throughProxy(
      '`curl -x http://127.0.0.1:3000 --proxy-user proxy-user:wrong-password http://127.0.0.1:3000/headers`: the absolute-form request, with a wrong proxy password.',
      'Basic cHJveHktdXNlcjp3cm9uZy1wYXNzd29yZA==',
    ),
    expect: {
      status: 407,
      code: 'proxy_credentials_invalid',
      challenge: null,
      headers: PROXY_CHALLENGE,
    },
    explanation:
      'Wrong proxy credentials get the same 407 and challenge as none: only other proxy credentials can help. The origin’s Authorization, if any, is not looked at: the request never got past the proxy.',
    rfc: problemCatalog.proxy_credentials_invalid.rfc,
  },
  {
    id: 'proxy-auth-forwarded',
    family: 'classic',
    title: 'Through the proxy with its credentials: served, without Proxy-Authorization',
    trigger: throughProxy(
      '`curl -x http://127.0.0.1:3000 --proxy-user proxy-user:proxy-password http://127.0.0.1:3000/headers`: the absolute-form request, with the demo proxy’s credentials.',
      PROXY_CREDENTIALS,
    ),
    expect: { status: 200, challenge: null, headers: { Via: '1.1 four-oh-one' } },
    explanation:
      'The proxy checked its credentials, took Proxy-Authorization off (it is for the hop to the proxy, never for the origin) and handed the request to the origin, this same server, as the path it names. The echo shows no Proxy-Authorization; Via names the proxy. The origin’s own credentials are judged as usual: /api/v1/data through the proxy still wants a Bearer token, a 401 after the 407 is passed.',
    rfc: [rfc(9110, '11.7.2'), rfc(9110, '7.6.3')],
  },
  {
    id: 'proxy-target-refused',
    family: 'classic',
    title: 'The proxy asked for another server: 403, nothing connected',
    trigger: throughProxy(
      '`curl -x http://127.0.0.1:3000 --proxy-user proxy-user:proxy-password http://example.invalid/headers`: right credentials, a target that is not this server.',
      PROXY_CREDENTIALS,
    ),
    expect: { status: 403, code: 'proxy_target_refused', challenge: null },
    explanation:
      'The proxy forwards only to this server (PUBLIC_URL, or the address and port the client connected to). Any other host or port is refused before any connection: an open proxy in a sandbox would let anyone reach other hosts from it.',
    rfc: problemCatalog.proxy_target_refused.rfc,
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
    id: 'api-key-in-query',
    family: 'classic',
    title: 'The key in the URL (?api_key=) instead of X-API-Key',
    trigger: { method: 'GET', path: '/api-key/demo-key-123?api_key=demo-key-123' },
    expect: { status: 401, code: 'api_key_in_query_refused', challenge: API_KEY },
    explanation:
      'The right key, as a query parameter. Refused before the header is read, even if X-API-Key is sent too: the key has already been written into every access log between client and server. The challenge names the header to use. (The path naming the key is httpbin’s fixture style; this server redacts it from logs for the same reason.)',
    rfc: problemCatalog.api_key_in_query_refused.rfc,
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
  {
    id: 'webhook-signature-valid',
    family: 'classic',
    title: 'A Stripe-style webhook, signed now',
    trigger: {
      method: 'POST',
      path: '/webhooks/stripe-style',
      headers: { 'Stripe-Signature': 't=<now>,v1=<hex HMAC-SHA256 of "<now>.<body>">' },
      body: WEBHOOK_BODY,
      fired: false,
      setup:
        'Sign the exact body with the published secret and the current time: `t=$(date +%s)`, then `printf "%s.%s" "$t" "$body" | openssl dgst -sha256 -hmac whsec_four-oh-one-demo`. A fixed timestamp would leave the 300-second window, so this card cannot be fired as written.',
    },
    expect: { status: 200, challenge: null },
    explanation:
      'The receiver recomputes HMAC-SHA256 over `<t>.<raw body>` with the signing secret and compares it in constant time, then checks that `t` is within 300 seconds and that this signature was not taken before. It reads the body raw: verifying a body parsed and serialised again is the classic webhook bug. GitHub signs the same way (`X-Hub-Signature-256: sha256=<hex>`) but without a timestamp, so a GitHub receiver must deduplicate by `X-GitHub-Delivery` instead.',
    rfc: [rfc(2104, '2')],
  },
  {
    id: 'webhook-signature-missing',
    family: 'classic',
    title: 'A webhook delivery without Stripe-Signature',
    trigger: { method: 'POST', path: '/webhooks/stripe-style', body: WEBHOOK_BODY },
    expect: { status: 400, code: 'webhook_signature_missing', challenge: null },
    explanation:
      '400 with no challenge: no HTTP authentication scheme exists for webhook signatures, and a 401 without a WWW-Authenticate challenge would break RFC 9110 §15.5.2. The sender (a server) retries non-2xx deliveries; it never prompts anyone.',
    rfc: problemCatalog.webhook_signature_missing.rfc,
  },
  {
    id: 'webhook-signature-malformed',
    family: 'classic',
    title: 'A Stripe-Signature header without t= or v1=',
    trigger: {
      method: 'POST',
      path: '/webhooks/stripe-style',
      headers: { 'Stripe-Signature': 'sha256=7d27bcac' },
      body: WEBHOOK_BODY,
    },
    expect: { status: 400, code: 'webhook_signature_malformed', challenge: null },
    explanation:
      'A GitHub-style value sent to a Stripe-style receiver: no timestamp, no v1 signature, nothing to verify.',
    rfc: problemCatalog.webhook_signature_malformed.rfc,
  },
  {
    id: 'webhook-signature-wrong',
    family: 'classic',
    title: 'A webhook signature that does not match the body',
    trigger: {
      method: 'POST',
      path: '/webhooks/stripe-style',
      headers: { 'Stripe-Signature': `t=${WEBHOOK_OLD_T},v1=${'0'.repeat(64)}` },
      body: WEBHOOK_BODY,
    },
    expect: { status: 400, code: 'webhook_signature_invalid', challenge: null },
    explanation:
      'The signature is checked before the timestamp (as Stripe’s libraries do), so a wrong signature is reported as wrong whatever its timestamp: a stale, tampered delivery does not learn that only its age was the problem.',
    rfc: problemCatalog.webhook_signature_invalid.rfc,
  },
  {
    id: 'webhook-signature-expired',
    family: 'classic',
    title: 'A correctly signed webhook from long ago',
    trigger: {
      method: 'POST',
      path: '/webhooks/stripe-style',
      headers: { 'Stripe-Signature': `t=${WEBHOOK_OLD_T},v1=${WEBHOOK_OLD_V1}` },
      body: WEBHOOK_BODY,
    },
    expect: { status: 400, code: 'webhook_signature_expired', challenge: null },
    explanation:
      'The signature is right (the secret is the published demo one) but `t` is 2025-12-01T00:00:00Z, far outside 300 seconds: a captured delivery replayed later. The timestamp is inside the signed string, so it cannot be refreshed without the secret.',
    rfc: problemCatalog.webhook_signature_expired.rfc,
  },
  {
    id: 'webhook-signature-replayed',
    family: 'classic',
    title: 'The same signed webhook twice within the window',
    trigger: {
      method: 'POST',
      path: '/webhooks/stripe-style',
      headers: { 'Stripe-Signature': 't=<now>,v1=<the signature just accepted>' },
      body: WEBHOOK_BODY,
      fired: false,
      setup:
        'Send a delivery signed with the current time (webhook-signature-valid), then send the same request again within 300 seconds.',
    },
    expect: { status: 400, code: 'webhook_signature_replayed', challenge: null },
    explanation:
      'The window alone lets a captured delivery be replayed for five minutes; the server remembers each accepted signature until its timestamp leaves the window (charged to the sender’s store quota, so the cache is bounded), and refuses it a second time.',
    rfc: problemCatalog.webhook_signature_replayed.rfc,
  },
  {
    id: 'http-signature-valid',
    family: 'classic',
    title: 'An RFC 9421 signature over @method, @path and content-digest, created now',
    trigger: {
      method: 'POST',
      path: '/signatures/rfc9421',
      headers: {
        'Content-Digest': HTTP_SIG_DIGEST,
        'Signature-Input':
          'sig1=("@method" "@path" "content-digest");created=<now>;keyid="four-oh-one-demo-hmac";alg="hmac-sha256"',
        Signature: 'sig1=:<base64 HMAC-SHA256 of the signature base>:',
      },
      body: WEBHOOK_BODY,
      fired: false,
      setup:
        'Build the signature base (RFC 9421 §2.5) with `created` set to the current time and sign it with the published key; a fixed `created` would leave the 300-second window, so this card cannot be fired as written. README.md shows it with openssl.',
    },
    expect: { status: 200, challenge: null },
    explanation:
      'The signature base is one line per covered component (`"@method": POST`, `"@path": /signatures/rfc9421`, `"content-digest": sha-256=:…:`) and a last line `"@signature-params": ` followed by the Signature-Input value after the label, byte for byte. Content-Digest (RFC 9530) carries the body into the signature.',
    rfc: [rfc(9421, '2.5'), rfc(9421, '3.1'), rfc(9530, '2')],
  },
  {
    id: 'http-signature-missing',
    family: 'classic',
    title: 'No Signature-Input or Signature at an RFC 9421 resource',
    trigger: { method: 'POST', path: '/signatures/rfc9421', body: WEBHOOK_BODY },
    expect: refused9421('http_signature_missing'),
    explanation:
      'Accept-Signature (RFC 9421 §5.1) plays the part a challenge plays for 401: it says which components to cover, with which key and algorithm, and asks for `created`.',
    rfc: problemCatalog.http_signature_missing.rfc,
  },
  {
    id: 'http-signature-malformed',
    family: 'classic',
    title: 'Signature-Input without a Signature for its label',
    trigger: {
      method: 'POST',
      path: '/signatures/rfc9421',
      headers: signed9421(
        `sig1=("@method" "@path" "content-digest");created=${WEBHOOK_OLD_T};keyid="four-oh-one-demo-hmac"`,
        `sig2=:${HTTP_SIG_OLD}:`,
      ),
      body: WEBHOOK_BODY,
    },
    expect: refused9421('http_signature_malformed'),
    explanation:
      'The two fields are joined by their label: `sig1` in Signature-Input, `sig2` in Signature, so there is no signature to check for the parameters given.',
    rfc: problemCatalog.http_signature_malformed.rfc,
  },
  {
    id: 'http-signature-components-missing',
    family: 'classic',
    title: 'An RFC 9421 signature that covers only @method',
    trigger: {
      method: 'POST',
      path: '/signatures/rfc9421',
      headers: signed9421(
        `sig1=("@method");created=${WEBHOOK_OLD_T};keyid="four-oh-one-demo-hmac";alg="hmac-sha256"`,
        `sig1=:${HTTP_SIG_OLD}:`,
      ),
      body: WEBHOOK_BODY,
    },
    expect: refused9421('http_signature_components_missing'),
    explanation:
      'Whatever its value, a signature over `@method` alone says nothing about the path or the body, so the server refuses it before checking it.',
    rfc: problemCatalog.http_signature_components_missing.rfc,
  },
  {
    id: 'http-signature-keyid-unknown',
    family: 'classic',
    title: 'An RFC 9421 signature with a keyid this server does not hold',
    trigger: {
      method: 'POST',
      path: '/signatures/rfc9421',
      headers: signed9421(
        `sig1=("@method" "@path" "content-digest");created=${WEBHOOK_OLD_T};keyid="test-key-rsa-pss"`,
        `sig1=:${HTTP_SIG_OLD}:`,
      ),
      body: WEBHOOK_BODY,
    },
    expect: refused9421('http_signature_keyid_unknown'),
    explanation:
      '`test-key-rsa-pss` is the RSA-PSS key of RFC 9421’s own examples (Appendix B.1.2); this server holds only its demo HMAC key, which Accept-Signature names.',
    rfc: problemCatalog.http_signature_keyid_unknown.rfc,
  },
  {
    id: 'http-signature-invalid',
    family: 'classic',
    title: 'An RFC 9421 signature that does not verify',
    trigger: {
      method: 'POST',
      path: '/signatures/rfc9421',
      headers: signed9421(
        `sig1=("@method" "@path" "content-digest");created=${WEBHOOK_OLD_T};keyid="four-oh-one-demo-hmac";alg="hmac-sha256"`,
        `sig1=:${'A'.repeat(43)}=:`,
      ),
      body: WEBHOOK_BODY,
    },
    expect: refused9421('http_signature_invalid'),
    explanation:
      'The signature is checked before `created`, so a forged signature is reported as forged whatever its age.',
    rfc: problemCatalog.http_signature_invalid.rfc,
  },
  {
    id: 'http-signature-expired',
    family: 'classic',
    title: 'A correct RFC 9421 signature created long ago',
    trigger: {
      method: 'POST',
      path: '/signatures/rfc9421',
      headers: signed9421(
        `sig1=("@method" "@path" "content-digest");created=${WEBHOOK_OLD_T};keyid="four-oh-one-demo-hmac";alg="hmac-sha256"`,
        `sig1=:${HTTP_SIG_OLD}:`,
      ),
      body: WEBHOOK_BODY,
    },
    expect: refused9421('http_signature_expired'),
    explanation:
      'The signature verifies with the published key, but `created` is 2025-12-01T00:00:00Z. RFC 9421 leaves the window to the verifier; here it is 300 seconds either way.',
    rfc: problemCatalog.http_signature_expired.rfc,
  },
];
