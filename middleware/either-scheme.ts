import type { RequestHandler } from 'express';
import { challenges } from '../src/auth/challenges';
import { schemeOf } from '../src/auth/scheme';
import {
  EITHER_SCHEME_CHECKS,
  EITHER_SCHEME_GUARD,
  shortFact,
  traceOf,
} from '../src/teaching/explain';
import { HttpError, problem } from '../src/http/problems';

/** One authentication scheme a resource accepts: its guard and its plain challenge. */
export interface SchemeGuard {
  /** The auth-scheme name, matched case-insensitively (RFC 9110 §11.1). */
  scheme: string;
  /** The middleware that judges credentials of this scheme (e.g. basicAuth, bearerAuth). */
  guard: RequestHandler;
  /** Its challenge for a request that sent no credentials. */
  challenge: string;
}

/**
 * A resource that accepts several schemes. The Authorization header's scheme picks the guard;
 * no credentials, or an unknown scheme, get 401 `credentials_missing` with every challenge, in
 * the order given (RFC 9110 §11.6.1). A guard's own 401 keeps its code and detail, and its
 * challenge is sent with the other schemes' beside it, so the client still sees every way in.
 */
export function eitherScheme(...guards: SchemeGuard[]): RequestHandler {
  if (guards.length < 2) throw new TypeError('eitherScheme: give at least two schemes');
  const byScheme = new Map<string, SchemeGuard>();
  for (const g of guards) {
    if (typeof g.guard !== 'function')
      throw new TypeError(`eitherScheme: ${g.scheme} has no guard`);
    byScheme.set(g.scheme.toLowerCase(), g);
  }
  const all = challenges(...guards.map((g) => g.challenge));
  const names = guards.map((g) => g.scheme).join(' or ');

  /** The guard's 401 with the other schemes' challenges beside its own, in the declared order. */
  const withOthers = (err: HttpError, chosen: SchemeGuard): HttpError => {
    const own = err.headers['WWW-Authenticate'] ?? chosen.challenge;
    return problem(err.code, {
      detail: err.detail,
      headers: {
        ...err.headers,
        'WWW-Authenticate': challenges(...guards.map((g) => (g === chosen ? own : g.challenge))),
      },
      extensions: { ...err.extensions },
      cause: err,
    });
  };

  return async function eitherSchemeMiddleware(req, res, next) {
    const scheme = schemeOf(req.headers.authorization).toLowerCase();
    const chosen = byScheme.get(scheme);
    if (!chosen) {
      res.locals.trace =
        scheme === ''
          ? traceOf(EITHER_SCHEME_GUARD, EITHER_SCHEME_CHECKS, 'credentials sent')
          : traceOf(
              EITHER_SCHEME_GUARD,
              EITHER_SCHEME_CHECKS,
              'scheme is one this resource takes',
              {
                facts: { scheme: shortFact(scheme) ?? '', accepted: names },
              },
            );
      throw problem('credentials_missing', {
        detail:
          scheme === ''
            ? `Send credentials with ${names}; the WWW-Authenticate header lists a challenge for each.`
            : `This resource accepts ${names}; the WWW-Authenticate header lists a challenge for each.`,
        headers: { 'WWW-Authenticate': all },
      });
    }
    let passed = false;
    let failure: unknown;
    try {
      await chosen.guard(req, res, (err?: unknown) => {
        if (err === undefined || err === null) passed = true;
        else failure = err;
      });
    } catch (err) {
      failure = err;
    }
    if (failure !== undefined) {
      throw failure instanceof HttpError && failure.status === 401
        ? withOthers(failure, chosen)
        : failure;
    }
    if (passed) next();
  };
}
