import { problemCatalog, type ProblemCode } from './catalog';
import { fetchStandard, rfc, rfc6265bis } from './refs';
import { bearer, cookieChallenge, DATA, invalidToken, noError, orDpop } from './shared';
import type { BrowserSees, FamilyInfo, Scenario } from './types';
import { cite } from './sources';

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
    'WWW-Authenticate,X-Request-Id,X-Explanation-Id,Retry-After,RateLimit,RateLimit-Policy,DPoP-Nonce',
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

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'CORS around a 401: what a script on another origin can see',
  summary:
    cite('explained', 3) +
    ': a script calling another origin "gets 401", fixed with Flask’s `CORS(app)`. In a browser it is subtler: a refused origin gets no 401 at all, the browser hides the answer and `fetch` throws; a preflight never carries credentials, so one behind authentication fails; a 401 without CORS headers is invisible to the script; and WWW-Authenticate and X-Request-Id read as null unless exposed. The CORS demo page (on CORS_DEMO_PORT, linked from the front door) runs each call in your browser.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'cors-hello-world',
    family: 'cors',
    title: 'The article’s Hello World, read from another origin',
    trigger: { method: 'GET', path: '/', headers: { Origin: DEMO_ORIGIN } },
    // The path is also the site's front door for browsers (routes/home.ts): it varies on Accept.
    expect: { status: 200, challenge: null, headers: { ...CORS_ALLOWED, vary: 'Origin, Accept' } },
    explanation:
      'The Flask route behind `CORS(app)`: `{"message": "Hello World!"}`. The origin is on the allowlist (CORS_ORIGINS), so the answer names it in Access-Control-Allow-Origin (the exact origin, never `*` and never an origin it did not check), allows credentials, and says Vary: Origin so that a cache never serves one origin’s answer to another (and Vary: Accept, since a browser that asks for HTML gets this site’s front door instead). The script reads status 200 and the body.',
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
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: orDpop(noError),
      headers: CORS_ALLOWED,
    },
    explanation:
      'CORS is not authentication: the origin is allowed, the request has no token, so it is refused exactly as for curl. Because the CORS policy runs before authentication, the 401 carries Access-Control-Allow-Origin and Access-Control-Expose-Headers, and the script reads everything: status 401, the problem body with code token_missing, WWW-Authenticate and X-Request-Id.',
    articleNote: `The article (${cite('explained', 3)}) says a script calling another origin "gets 401" and cures it with CORS(app). A 401 comes from missing or bad credentials, never from the origin; CORS only decides whether the script may read the answer. A refused origin does not get a 401 it can see at all (cors-refused-origin).`,
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
      challenge: orDpop(invalidToken('token_expired')),
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
        'access-control-allow-headers':
          'Authorization,Content-Type,X-Request-Id,X-CSRF-Token,DPoP,X-Run-Id',
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
      challenge: orDpop(noError),
      absentHeaders: CORS_HEADERS,
    },
    explanation:
      'The origin is not on CORS_ORIGINS, so the answer carries no CORS header at all (not even Allow-Credentials). The server still answers, 401 as to anyone without a token, and curl sees that 401. In the browser, `fetch` rejects with `TypeError: Failed to fetch`: the script learns no status, no header, no body, and cannot tell a refused origin from a server that is down; only the DevTools console says why. The demo page shows it from a sandboxed frame, whose origin (null) is not on the list either.',
    articleNote: `This is the "gets 401" of ${cite('explained', 3)}, seen from where the script runs: the 401 exists on the wire, but the script never gets it. The fix is not to make the 401 readable to everyone, but to list the origins that may read it.`,
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
      'The article’s login form, posted by a script with `credentials: "include"`. The answer allows credentials, so the script reads it, and the browser stores the HttpOnly, SameSite=Lax cookie only if the page is on the same site as the API (the same scheme and registrable domain; ports never count): the demo page, on the API’s host and another port, is another origin (the port differs) but the same site, so later calls with credentials carry it. From the same page under the loopback’s other name (localhost for 127.0.0.1, or the other way round) the call is cross-site: the login reads 200, yet the cookie is dropped and the next heartbeat is 401 session_missing. Set-Cookie itself is never readable by a script.',
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
];
