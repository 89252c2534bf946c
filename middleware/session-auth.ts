import type { Request, RequestHandler } from 'express';
import { cookieChallenge } from '../src/auth/challenges';
import { fixedTrace, SESSION_CHECKS, SESSION_GUARD, traceOf } from '../src/teaching/explain';
import { problem } from '../src/http/problems';
import type { ProblemCode } from '../src/scenarios/catalog';
import type { Clock } from '../src/store';
import { sessionCookieExpiresAt, type SessionRecord } from '../src/store/session-store';

export interface SessionAuthOptions {
  clock: Clock;
  /** The session cookie's name, for the challenge and to tell "no cookie" from "bad cookie". */
  cookieName: string;
  /** The attributes the cookie was set with, so clearing it matches (RFC 6265 §5.3 step 11). */
  cookieOptions: { path: string; httpOnly: boolean; sameSite: 'lax'; secure: boolean };
}

/**
 * Whether the request carries a cookie of this name (its value is not looked at), read as the
 * `cookie` package that express-session uses reads names: up to the first `=`, trimmed.
 */
export function hasCookie(req: Request, name: string): boolean {
  const header = req.headers.cookie;
  if (!header) return false;
  return header.split(';').some((part) => {
    const eq = part.indexOf('=');
    return eq > 0 && part.slice(0, eq).trim() === name;
  });
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** When a session ends by inactivity and by age, in ms. */
export function sessionDeadlines(
  s: Required<Pick<SessionRecord, 'lastSeenAt' | 'idleMs' | 'createdAt' | 'absoluteMs'>>,
) {
  return { idle: s.lastSeenAt + s.idleMs, absolute: s.createdAt + s.absoluteMs };
}

/**
 * Requires a logged-in cookie session and enforces both timeouts on the server (OWASP Session
 * Management): idle (since the last authenticated request) and absolute (since login). Every
 * request that passes counts as activity. An expired session's cookie is cleared and its record
 * can no longer be used (it expires from the store shortly); each refusal has its own code.
 */
export function sessionAuth(options: SessionAuthOptions): RequestHandler {
  const { clock, cookieName, cookieOptions } = options;
  if (!cookieName) throw new TypeError('sessionAuth: cookieName is required');
  const headers = { 'WWW-Authenticate': cookieChallenge(cookieName) };
  const refuse = (code: ProblemCode, detail: string) => problem(code, { detail, headers });

  // A refusal goes to next(), not `throw`: a synchronous throw from a request's callback makes V8
  // build a message with the throw's source position, some 9,000 instructions (bench/RESULTS.md,
  // tenth round).
  return function sessionAuthMiddleware(req, res, next) {
    const s = req.session as (typeof req.session & SessionRecord) | undefined;
    if (
      !s?.user ||
      s.createdAt === undefined ||
      s.lastSeenAt === undefined ||
      !s.idleMs ||
      !s.absoluteMs
    ) {
      if (!hasCookie(req, cookieName)) {
        res.locals.trace = fixedTrace(SESSION_GUARD, SESSION_CHECKS, SESSION_CHECKS[0]);
        return next(
          refuse(
            'session_missing',
            'No session cookie came with the request; log in at POST /login.',
          ),
        );
      }
      res.clearCookie(cookieName, cookieOptions);
      res.locals.trace = fixedTrace(SESSION_GUARD, SESSION_CHECKS, SESSION_CHECKS[1]);
      return next(
        refuse(
          'session_invalid',
          'The session cookie is forged, unknown, or from a session that was logged out.',
        ),
      );
    }
    const now = clock.now();
    const { idle, absolute } = sessionDeadlines(s as Required<SessionRecord>);
    if (now >= Math.min(idle, absolute)) {
      // The record stays until its tombstone window ends (src/store/session-store.ts), so a
      // retry with the same cookie hears the same reason; the cookie itself is cleared now.
      res.clearCookie(cookieName, cookieOptions);
      res.locals.trace = traceOf(SESSION_GUARD, SESSION_CHECKS, SESSION_CHECKS[2], {
        times: {
          idle_expires_at: iso(idle),
          absolute_expires_at: iso(absolute),
          server_time: iso(now),
          idle_seconds: Math.round(s.idleMs / 1000),
        },
        facts: { ended_by: absolute <= idle ? 'absolute lifetime' : 'idle timeout' },
      });
      if (absolute <= idle) {
        return next(
          refuse(
            'session_absolute_expired',
            `The session reached its absolute lifetime at ${iso(absolute)}; server time is ${iso(now)}.`,
          ),
        );
      }
      return next(
        refuse(
          'session_idle_expired',
          `The session was idle past ${iso(idle)}; server time is ${iso(now)}.`,
        ),
      );
    }
    s.lastSeenAt = now;
    // express-session re-sends the cookie with Expires = now + maxAge: keep it at the absolute
    // end plus the tombstone window, so the client still sends it once the session is over.
    s.cookie.maxAge = sessionCookieExpiresAt(s.createdAt as number, s.absoluteMs) - now;
    res.locals.session = {
      user: s.user,
      idleExpiresAt: Math.min(now + s.idleMs, absolute),
      absoluteExpiresAt: absolute,
    };
    next();
  };
}
