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
];
