import { problemCatalog } from './catalog';
import { rfc } from './refs';
import { bearer, DATA, postForm } from './shared';
import type { Expectation, FamilyInfo, Scenario } from './types';

/** A store outage's answer, real or scripted: 503 with Retry-After, and no challenge. */
const STORE_UNAVAILABLE: Expectation = {
  status: 503,
  code: 'store_unavailable',
  challenge: null,
  headers: { 'retry-after': '2' },
};

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Platform answers',
  summary: 'What every route shares: problem+json 404, 405 and request ids.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
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
    trigger: postForm('/login', { username: '{{token:oversized}}', password: 'x' }),
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
    expect: STORE_UNAVAILABLE,
    explanation:
      'The token’s signature and claims are fine, but whether it was revoked lives in the store, which did not answer. Failing closed with 401 would log everyone out whenever Redis blinks; the server answers 503 with Retry-After, and the client keeps its token.',
    rfc: problemCatalog.store_unavailable.rfc,
  },
  {
    id: 'platform-scripted-rate-limited',
    family: 'platform',
    title: 'A scripted 429: wait for Retry-After, keep the token',
    trigger: {
      method: 'GET',
      path: '/api/v1/flaky?fail=always&status=429',
      headers: bearer('valid'),
    },
    expect: {
      status: 429,
      code: 'rate_limited',
      challenge: null,
      headers: {
        'retry-after': '2',
        ratelimit: '"flaky"; r=0; t=2',
        'ratelimit-policy': '"flaky"; q=10; w=60',
      },
    },
    explanation:
      'What a rate limit answers, on request and without limiting anyone: `/api/v1/flaky?status=429` fails with 429 every time (`fail=always`), or the first N times for a key (`fail=N&key=K`, then 200), so a client can test its back-off. The token is fine and no WWW-Authenticate comes: a 429 is never a reason to refresh or log in again. Retry-After says how long to wait (RFC 9110 §10.2.3); RateLimit-Policy names the quota and window, RateLimit what is left and when it resets (draft-ietf-httpapi-ratelimit-headers). The real limits answer the same way: the login form and the token endpoint with too_many_attempts, the Digest routes with rate_limited.',
    rfc: [rfc(6585, '4'), rfc(9110, '10.2.3')],
  },
  {
    id: 'platform-scripted-store-unavailable',
    family: 'platform',
    title: 'A scripted outage: 503, which is not a logout',
    trigger: {
      method: 'GET',
      path: '/api/v1/flaky?fail=always&status=503',
      headers: bearer('valid'),
    },
    expect: STORE_UNAVAILABLE,
    explanation:
      'The answer of a store outage (the card above), on request: `/api/v1/flaky?status=503` fails with it every time (`fail=always`), or the first N times for a key. A client that treats every non-2xx as "log in again" throws away a good token here; the right move is to keep it and retry after Retry-After, with back-off. No WWW-Authenticate comes with it: nothing was said about the credentials.',
    rfc: problemCatalog.store_unavailable.rfc,
  },
  {
    id: 'platform-store-full',
    family: 'platform',
    title: 'The store holds all it may',
    trigger: {
      ...postForm('/login', { username: 'my_username', password: 'my_password' }),
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
