import type { RequestHandler } from 'express';
import { bearerChallenge } from '../src/auth/challenges';
import { problem } from '../src/http/problems';
import { problemCatalog } from '../src/scenarios/catalog';
import type { Clock } from '../src/store';
import { isNumericDate } from '../src/tokens/verify';

export interface RequireRecentLoginOptions {
  /** How old the user's login (`auth_time`) may be, in seconds. */
  maxAgeSeconds: number;
  clock: Clock;
  /** RFC 9728 metadata URL for the challenge, as bearerAuth names it. */
  resourceMetadata?: string;
}

/**
 * RFC 9470 step-up: the token must carry an `auth_time` no older than `maxAgeSeconds`. Runs after
 * bearerAuth. Otherwise 401 with `error="insufficient_user_authentication"` and `max_age`, which
 * tells the client to send the user through a fresh login, not merely to refresh.
 */
export function requireRecentLogin(options: RequireRecentLoginOptions): RequestHandler {
  const { maxAgeSeconds, clock } = options;
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 1) {
    throw new TypeError('requireRecentLogin: maxAgeSeconds must be a positive integer');
  }
  const challenge = bearerChallenge({
    error: 'insufficient_user_authentication',
    errorDescription: problemCatalog.insufficient_user_authentication.title,
    max_age: String(maxAgeSeconds),
    resourceMetadata: options.resourceMetadata,
  });
  return function requireRecentLoginMiddleware(_req, res, next) {
    const claims = res.locals.auth?.claims;
    if (!claims) throw new Error('requireRecentLogin must run after an authentication middleware');
    // The verifier refuses an auth_time that is no time (token_claims_invalid); should claims
    // ever come from elsewhere, such a value still counts as no login rather than a fresh one.
    const authTime = isNumericDate(claims.auth_time) ? claims.auth_time : undefined;
    const now = Math.floor(clock.now() / 1000);
    if (authTime !== undefined && now - authTime <= maxAgeSeconds) {
      next();
      return;
    }
    throw problem('insufficient_user_authentication', {
      detail:
        authTime !== undefined
          ? `Your login is ${now - authTime}s old; this needs one at most ${maxAgeSeconds}s old.`
          : `This token records no user login (auth_time); this needs a login at most ${maxAgeSeconds}s old.`,
      headers: { 'WWW-Authenticate': challenge },
      extensions: { max_age: maxAgeSeconds },
    });
  };
}
