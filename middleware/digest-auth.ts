import type { Request, RequestHandler } from 'express';
import {
  createDigest,
  DEFAULT_NONCE_TTL_MS,
  type DigestExpectation,
  type DigestOptions,
} from '../src/auth/digest';
import { DIGEST_CHECKS, DIGEST_GUARD, traceOf } from '../src/teaching/explain';
import { problem } from '../src/http/problems';

export interface DigestAuthOptions extends DigestOptions {
  /** What the request must authenticate as; may throw a problem for a bad route. */
  expectFor: (req: Request) => DigestExpectation;
  /** Whose store quota the nonce counts are charged to (src/http/visitors.ts). */
  owner?: (req: Request) => string;
}

const EMPTY = Buffer.alloc(0);

/**
 * Requires HTTP Digest credentials (RFC 7616, judged by src/auth/digest.ts) for the user
 * `expectFor` names, puts the user in `res.locals.digestUser` and sends Authentication-Info;
 * refuses everything else with the problem and the challenges the protocol names.
 */
export function digestAuth(options: DigestAuthOptions): RequestHandler {
  if (!Buffer.isBuffer(options?.secret) || options.secret.length < 16) {
    throw new TypeError('digestAuth: secret must be a Buffer of at least 16 bytes');
  }
  if (!options.store) throw new TypeError('digestAuth: store is required');
  if (typeof options.clock?.now !== 'function')
    throw new TypeError('digestAuth: clock is required');
  if (typeof options.expectFor !== 'function') {
    throw new TypeError('digestAuth: expectFor must be a function');
  }
  const ttl = options.nonceTtlMs ?? DEFAULT_NONCE_TTL_MS;
  if (!Number.isInteger(ttl) || ttl < 1000) {
    throw new TypeError('digestAuth: nonceTtlMs must be a whole number of at least 1000');
  }
  const { expectFor, owner } = options;
  const digest = createDigest(options);

  return async function digestAuthMiddleware(req, res, next) {
    const want = expectFor(req);
    const result = await digest.check(
      {
        authorization: req.headers.authorization,
        method: req.method,
        uri: req.originalUrl,
        body: Buffer.isBuffer(req.body) ? req.body : EMPTY,
        owner: owner && (() => owner(req)),
      },
      want,
    );
    if (!result.ok) {
      res.locals.trace = traceOf(DIGEST_GUARD, DIGEST_CHECKS, result.check, {
        facts: result.facts,
      });
      // One header field per challenge, as in RFC 7616 §3.9.1. curl answers the first Digest
      // field, but reads a comma-joined list as one challenge whose last algorithm wins, which
      // would downgrade it to MD5. HttpError headers hold one value per field, so the fields are
      // set here, and the error writer leaves WWW-Authenticate alone.
      if (result.challenge !== 'none') {
        res.setHeader('WWW-Authenticate', digest.challenges(want, result.challenge === 'stale'));
      }
      throw problem(result.code, { detail: result.detail });
    }
    res.locals.digestUser = result.user;
    res.setHeader('Authentication-Info', result.authenticationInfo);
    next();
  };
}
