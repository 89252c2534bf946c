import cors, { type CorsOptions } from 'cors';
import type { RequestHandler } from 'express';
import { originProblem } from '../src/config';

/** Request headers a page script may send: what this API reads, nothing more. */
export const CORS_ALLOWED_HEADERS: readonly string[] = [
  'Authorization',
  'Content-Type',
  'X-Request-Id',
  // The session's CSRF token (middleware/csrf.ts), which a page's heartbeat and logout send.
  'X-CSRF-Token',
  // A DPoP proof (RFC 9449 §4.1), which a page using DPoP-bound tokens sends with each call.
  'DPoP',
  // The run a browser client's requests are recorded in (routes/runs.ts).
  'X-Run-Id',
];

/**
 * Response headers a page script may read besides the CORS-safelisted ones (Content-Type,
 * Cache-Control, ...): without this list `response.headers.get('WWW-Authenticate')` is null in
 * the browser even though the header came, and a script cannot tell an expired token from a
 * missing one, quote the request id, or honour Retry-After and the rate-limit headers.
 */
export const CORS_EXPOSED_HEADERS: readonly string[] = [
  'WWW-Authenticate',
  'X-Request-Id',
  'X-Explanation-Id',
  'Retry-After',
  'RateLimit',
  'RateLimit-Policy',
  // The server nonce a DPoP proof must carry next (RFC 9449 §8, §9).
  'DPoP-Nonce',
];

/**
 * Methods a preflight may ask for. Broader than the routes serve on purpose: a DELETE to a
 * GET-only route should reach it and read its 405, not fail as an opaque CORS error.
 */
export const CORS_ALLOWED_METHODS: readonly string[] = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
];

/** How long a browser may cache a preflight's answer (Chromium caps it at 7200). */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * The policy as options for `cors()`: exactly these origins, credentials, the lists above, and
 * preflights answered 204 before any authentication. The broken set-ups of routes/cors-broken.ts
 * each start from it and change one thing.
 */
export function corsOptions(origins: readonly string[]): CorsOptions {
  const allowed: ReadonlySet<string> = new Set(origins);
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: [...CORS_ALLOWED_METHODS],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    maxAge: CORS_MAX_AGE_SECONDS,
    preflightContinue: false,
    optionsSuccessStatus: 204,
  };
}

export interface CorsPolicyOptions {
  /** Exact origins, as browsers send them in `Origin`: `scheme://host[:port]`. */
  origins: readonly string[];
}

/**
 * The CORS policy of the whole API, registered before every router: preflights are answered
 * here with 204, before any authentication sees them (a preflight never carries credentials),
 * and every later answer to an allowed origin, 401 and 403 included, carries the CORS headers
 * that let the page's script read it.
 *
 * Origins are compared by exact string equality against a Set built once, never by pattern and
 * never reflected unchecked: `http://app.test.evil.net`, `null` and another port or scheme are
 * refused. A refused origin gets no CORS header at all (not even Allow-Credentials); the
 * request itself is still served, because CORS is not authentication: it only decides what the
 * browser lets the script see. `Vary: Origin` goes on every answer, so a cache never hands one
 * origin's answer to another.
 */
export function corsPolicy(options: CorsPolicyOptions): RequestHandler {
  for (const origin of options.origins) {
    const problem = originProblem(origin);
    if (problem !== undefined) throw new TypeError(`corsPolicy: origins ${problem}`);
  }
  const handle = cors(corsOptions(options.origins));
  return function corsPolicyMiddleware(req, res, next) {
    // Usually the first Vary of the answer: set it without parsing one.
    if (res.getHeader('Vary') === undefined) res.setHeader('Vary', 'Origin');
    else res.vary('Origin');
    // No Origin (curl, servers, same-origin GETs): cors() would refuse it and do nothing else.
    if (req.headers.origin === undefined) next();
    else handle(req, res, next);
  };
}
