import type { Request, RequestHandler } from 'express';
import { apiKeyChallenge, REALM } from '../src/auth/challenges';
import { textEqual } from '../src/auth/compare';
import { queryCredential } from '../src/auth/bearer';
import { isToken } from '../src/auth/scheme';
import { API_KEY_CHECKS, API_KEY_GUARD, traceOf } from '../src/teaching/explain';
import { problem } from '../src/http/problems';

export interface ApiKeyOptions {
  /** The request header that carries the key; `X-API-Key` unless told otherwise. */
  header?: string;
  /** The key this request must carry (httpbin-style routes name it in the path). */
  keyFor: (req: Request) => string;
  realm?: string;
}

/**
 * Requires an API key in a header (`X-API-Key: <key>`), compared in constant time. A missing key
 * and a wrong one are both 401, with a challenge naming the header.
 */
export function apiKeyAuth(options: ApiKeyOptions): RequestHandler {
  if (typeof options?.keyFor !== 'function') {
    throw new TypeError('apiKeyAuth: keyFor must be a function');
  }
  const header = options.header ?? 'X-API-Key';
  if (!isToken(header)) throw new TypeError(`apiKeyAuth: not a header name: ${header}`);
  const lower = header.toLowerCase();
  if (lower === 'authorization' || lower === 'cookie') {
    throw new TypeError(`apiKeyAuth: ${header} has its own schemes; use another header`);
  }
  const headers = { 'WWW-Authenticate': apiKeyChallenge(header, options.realm ?? REALM) };
  const { keyFor } = options;

  return function apiKeyAuthMiddleware(req, res, next) {
    // A key in the URL is refused, beside the header or not: the URL is logged on its way here.
    const param = queryCredential(req.originalUrl);
    if (param !== undefined) {
      res.locals.trace = traceOf(API_KEY_GUARD, API_KEY_CHECKS, 'key header sent', {
        facts: { header, param },
      });
      throw problem('api_key_in_query_refused', {
        detail: `This resource takes the key in the ${header} header only, not as the ${param} query parameter: URLs are logged. Send "${header}: <key>", and replace the key, which may now sit in logs.`,
        headers,
      });
    }
    const given = req.headers[lower];
    // Node joins repeated headers with ", "; two keys are one wrong key.
    const value = Array.isArray(given) ? given.join(', ') : given;
    if (value === undefined || value.trim() === '') {
      res.locals.trace = traceOf(API_KEY_GUARD, API_KEY_CHECKS, 'key header sent', {
        facts: { header },
      });
      throw problem('api_key_header_missing', {
        detail: `Send the API key in the ${header} header.`,
        headers,
      });
    }
    if (!textEqual(value, keyFor(req))) {
      res.locals.trace = traceOf(API_KEY_GUARD, API_KEY_CHECKS, 'key matches', {
        facts: { header },
      });
      throw problem('api_key_header_invalid', {
        detail: `The key in ${header} is not the one this resource takes.`,
        headers,
      });
    }
    next();
  };
}
