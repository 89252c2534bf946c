import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { textEqual } from '../src/auth/compare';
import { problem } from '../src/http/problems';
import { traceOf } from '../src/teaching/explain';
import type { SessionRecord } from '../src/store/session-store';

/** For /explain: the checks a browser's state-changing request to the session passes, in order. */
const CSRF_GUARD = 'cross-site request forgery defences (OWASP: origin check, synchronizer token)';
const ORIGIN_ALLOWED = 'Origin is this site, or on CORS_ORIGINS (when sent)';
const NOT_CROSS_SITE = 'not Sec-Fetch-Site: cross-site (when no Origin)';
const TOKEN_SENT = 'X-CSRF-Token sent (browsers, to a logged-in session)';
const TOKEN_MATCHES = "X-CSRF-Token is this session's token";
const CSRF_CHECKS = [ORIGIN_ALLOWED, NOT_CROSS_SITE, TOKEN_SENT, TOKEN_MATCHES];

/** The request header a browser script sends the session's CSRF token in. */
export const CSRF_HEADER = 'X-CSRF-Token';

/** A fresh synchronizer token: 256 random bits, base64url. One per session, made at login. */
export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface OriginCheckOptions {
  /** PUBLIC_URL: the site's own origin as the world names it. */
  publicUrl: string;
  /** CORS_ORIGINS: the pages allowed to call with credentials may also post. */
  origins: readonly string[];
}

/**
 * Refuses a state-changing request that a browser sent from another site (OWASP CSRF Prevention:
 * verifying the origin with standard headers; Fetch Metadata). It refuses only what a browser
 * says: an Origin that is neither this site's (as the request reached it, or PUBLIC_URL) nor on
 * CORS_ORIGINS, `Origin: null` (a sandboxed frame, a redirect across sites), or no Origin with
 * `Sec-Fetch-Site: cross-site`. A request with neither header is let through: curl, Python
 * requests and other non-browser clients send none, and no browser omits both on a POST.
 */
export function originCheck(options: OriginCheckOptions): RequestHandler {
  if (typeof options?.publicUrl !== 'string' || !Array.isArray(options.origins)) {
    throw new TypeError('originCheck: publicUrl and origins are required');
  }
  const allowed = new Set([new URL(options.publicUrl).origin, ...options.origins]);
  const ownOrigin = (req: Request) => `${req.protocol}://${String(req.headers.host)}`.toLowerCase();

  return function originCheckMiddleware(req, res, next) {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (allowed.has(origin) || origin.toLowerCase() === ownOrigin(req)) {
        next();
        return;
      }
      res.locals.trace = traceOf(CSRF_GUARD, CSRF_CHECKS, ORIGIN_ALLOWED, {
        notApplicable: [NOT_CROSS_SITE],
      });
      throw problem('csrf_origin_refused', {
        detail:
          origin === 'null'
            ? 'The request came from an opaque origin (Origin: null: a sandboxed frame, a file, or a redirect across sites); a state-changing request must come from this site or an origin on CORS_ORIGINS.'
            : 'The request came from a page on another origin, neither this site nor one on CORS_ORIGINS: a browser sent it for that page, with your cookie. State-changing requests must come from this site.',
      });
    }
    if (req.headers['sec-fetch-site'] === 'cross-site') {
      res.locals.trace = traceOf(CSRF_GUARD, CSRF_CHECKS, NOT_CROSS_SITE, {
        notApplicable: [ORIGIN_ALLOWED],
      });
      throw problem('csrf_origin_refused', {
        detail:
          'The browser says this request comes from another site (Sec-Fetch-Site: cross-site); state-changing requests must come from this site.',
      });
    }
    next();
  };
}

/**
 * Requires the session's synchronizer token in X-CSRF-Token on a browser's request (one that
 * carries Sec-Fetch-Site) to a logged-in session, compared in constant time. A page of another
 * site can make the browser send the cookie, but cannot read the token (GET /login's answer and
 * GET /me are readable only by this site and CORS_ORIGINS). Clients that are not browsers send
 * no Sec-Fetch-Site and need no token: nobody can make them send a request they did not mean.
 */
export function csrfToken(): RequestHandler {
  return function csrfTokenMiddleware(req, res, next) {
    const s = req.session as (typeof req.session & SessionRecord) | undefined;
    if (!s?.user || req.headers['sec-fetch-site'] === undefined) {
      next();
      return;
    }
    const given = req.headers['x-csrf-token'];
    if (typeof given !== 'string' || given.trim() === '') {
      res.locals.trace = traceOf(CSRF_GUARD, CSRF_CHECKS, TOKEN_SENT);
      throw problem('csrf_token_missing', {
        detail: `A browser's state-changing request to a logged-in session must carry the session's token in ${CSRF_HEADER}; POST /login and GET /me answer it as csrf_token.`,
      });
    }
    if (s.csrfToken === undefined || !textEqual(given, s.csrfToken)) {
      res.locals.trace = traceOf(CSRF_GUARD, CSRF_CHECKS, TOKEN_MATCHES);
      throw problem('csrf_token_mismatch', {
        detail: `The ${CSRF_HEADER} header is not this session's token. Take csrf_token from the answer to POST /login or GET /me of this very session.`,
      });
    }
    next();
  };
}
