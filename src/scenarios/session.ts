import { sessionAccountScenarios } from './accounts';
import { problemCatalog } from './catalog';
import { rfc, rfc6265bis } from './refs';
import { cookieChallenge, OK_NO_STORE, postForm } from './shared';
import type { FamilyInfo, Scenario } from './types';
import { cite } from './sources';

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Cookie sessions with a heartbeat: /login, /keepalive',
  summary:
    cite('explained', 2) +
    ': `session.post("/login", data=login_data)`, then `session.post("/keepalive")` in a loop, logging in again on 401. Sessions end after SESSION_IDLE_SECONDS without a request and SESSION_ABSOLUTE_SECONDS after login, whatever the heartbeat does; each ending is its own 401.',
};

/** A browser's heartbeat with a live session of one's own (a page of this site sends this). */
const BROWSER_WITH_SESSION = {
  Cookie: '{{cookie_name}}=<the cookie of your login>',
  'Sec-Fetch-Site': 'same-origin',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'session-login',
    family: 'session',
    title: 'The article’s login form',
    trigger: postForm('/login', { username: 'my_username', password: 'my_password' }),
    expect: OK_NO_STORE,
    explanation:
      'The article’s `session.post(url="/login", data=login_data)`: a form post that sets an HttpOnly, SameSite=Lax session cookie under a fresh session id (a new id at every login defeats session fixation). The body says when the session will expire by inactivity and by age. `idle_seconds` and `absolute_seconds` may shorten both, so a test can watch expiry in seconds.',
    rfc: [rfc(6265, '4.1'), rfc(6265, '8.5'), rfc6265bis('4.1.2.7')],
  },
  {
    id: 'session-login-failed',
    family: 'session',
    title: 'A wrong password at the login form',
    trigger: postForm('/login', { username: 'my_username', password: 'wrong' }),
    expect: { status: 401, code: 'login_failed', challenge: cookieChallenge },
    explanation:
      'A refused login is a 401 with the cookie challenge; an unknown user gets exactly the same answer. The failure counts towards the per-account and per-address limits (LOGIN_MAX_FAILURES_PER_ACCOUNT, LOGIN_MAX_FAILURES_PER_ADDRESS), after which the form answers 429 with Retry-After.',
    rfc: problemCatalog.login_failed.rfc,
  },
  ...sessionAccountScenarios,
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
      ...postForm('/login', { username: 'my_username', password: 'wrong' }),
      fired: false,
      setup:
        'Send this wrong password more often than LOGIN_MAX_FAILURES_PER_ACCOUNT (5) from one address within LOGIN_WINDOW_SECONDS (900): the next attempt answers this. A stateless replay cannot: the count is per address, and firing it here would lock the demo account for this address.',
    },
    expect: { status: 429, code: 'too_many_attempts', challenge: null },
    explanation:
      'The limit counts refused passwords per account and address, and per address, in the store; the answer names the wait in Retry-After and the counters in RateLimit and RateLimit-Policy. The right password from another address still works: nobody can lock a shared account for everyone.',
    rfc: problemCatalog.too_many_attempts.rfc,
  },
  {
    id: 'session-csrf-foreign-origin',
    family: 'session',
    title: 'A login form posted from another site’s page: 403 csrf_origin_refused',
    trigger: {
      ...postForm('/login', { username: 'my_username', password: 'my_password' }),
      headers: { Origin: 'https://evil.example' },
    },
    expect: { status: 403, code: 'csrf_origin_refused', challenge: null },
    explanation:
      'What a browser sends when a page on https://evil.example submits a form to this server: its Origin. Right credentials or not, the post is refused before the body is read (login CSRF would sign the victim into the attacker’s account). Before this check the post was served: CORS hid the answer from the page, but the request did its work. The article’s Python code sends no Origin and is not affected.',
    rfc: problemCatalog.csrf_origin_refused.rfc,
  },
  {
    id: 'session-csrf-origin-null',
    family: 'session',
    title: 'A logout from a sandboxed frame (Origin: null)',
    trigger: { method: 'POST', path: '/logout', headers: { Origin: 'null' } },
    expect: { status: 403, code: 'csrf_origin_refused', challenge: null },
    explanation:
      'An opaque origin (a sandboxed iframe, a file: page, a redirect that crossed sites) is sent as `Origin: null`, which names no site at all: it is never trusted, even though CORS can be configured to allow it. A forced logout is the mildest CSRF, and still one.',
    rfc: problemCatalog.csrf_origin_refused.rfc,
  },
  {
    id: 'session-csrf-fetch-metadata',
    family: 'session',
    title: 'A heartbeat a browser marks Sec-Fetch-Site: cross-site',
    trigger: { method: 'POST', path: '/keepalive', headers: { 'Sec-Fetch-Site': 'cross-site' } },
    expect: { status: 403, code: 'csrf_origin_refused', challenge: null },
    explanation:
      'Fetch Metadata: browsers mark every request with where it comes from (same-origin, same-site, cross-site, none). A state-changing request marked cross-site, with no Origin on the allowlist, is refused before the session is even loaded. curl and Python requests send no Sec-Fetch-Site, and are judged by their credentials alone.',
    rfc: problemCatalog.csrf_origin_refused.rfc,
  },
  {
    id: 'session-csrf-token-missing',
    family: 'session',
    title: 'A browser’s heartbeat without X-CSRF-Token',
    trigger: {
      method: 'POST',
      path: '/keepalive',
      headers: BROWSER_WITH_SESSION,
      fired: false,
      setup:
        'Log in (POST /login), then send POST /keepalive with the session cookie and Sec-Fetch-Site: same-origin (what a browser adds) but no X-CSRF-Token. Not fired here: it needs a live session of your own.',
    },
    expect: { status: 403, code: 'csrf_token_missing', challenge: null },
    explanation:
      'The second defence, a synchronizer token (OWASP): each login makes a random token, kept in the session and answered as csrf_token by POST /login and GET /me. A browser’s state-changing request must send it back in X-CSRF-Token; a page of another site can make the browser send the cookie, but cannot read the token. Rails would answer 422, Laravel 419 Page Expired, Django 403; this server 403. The session stays as it was: no heartbeat was counted.',
    rfc: problemCatalog.csrf_token_missing.rfc,
  },
  {
    id: 'session-csrf-token-mismatch',
    family: 'session',
    title: 'A browser’s heartbeat with another session’s X-CSRF-Token',
    trigger: {
      method: 'POST',
      path: '/keepalive',
      headers: { ...BROWSER_WITH_SESSION, 'X-CSRF-Token': '<the csrf_token of another login>' },
      fired: false,
      setup:
        'Log in twice, then send POST /keepalive with the first login’s cookie, Sec-Fetch-Site: same-origin and the second login’s csrf_token. Not fired here: it needs live sessions of your own.',
    },
    expect: { status: 403, code: 'csrf_token_mismatch', challenge: null },
    explanation:
      'The token is per session and made anew at each login, so one from another session (or from before the last login) does not fit; it is compared in constant time. A client that keeps a token across logins sees this: take the new one from the login’s answer.',
    rfc: problemCatalog.csrf_token_mismatch.rfc,
  },
];
