import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { bearerTrace, HEADER_CHECKS } from '../src/explain';
import { bearerChallenges, problem } from '../src/problems';
import { SPECIMEN_JTI_PREFIX } from '../src/specimens';
import type { Store } from '../src/store';
import type { Verdict } from '../src/tokens';

/** What an Authorization header holds, as far as a Bearer resource cares. */
export type ParsedAuthorization =
  | { kind: 'none' }
  | { kind: 'other'; scheme: string }
  | { kind: 'malformed'; reason: string }
  | { kind: 'bearer'; token: string };

/** RFC 9110 §5.6.2: what an auth-scheme name may be. */
const SCHEME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 6750 §2.1: `Bearer` 1*SP b64token, b64token = 1*( ALPHA / DIGIT / "-._~+/" ) *"=" */
const BEARER_CREDENTIALS = /^ +([A-Za-z0-9\-._~+/]+=*)$/;

/** Classifies an Authorization header value. Never throws, whatever the input. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const scheme = /^\S*/.exec(header)?.[0] ?? '';
  if (scheme.toLowerCase() !== 'bearer') {
    return { kind: 'other', scheme: SCHEME.test(scheme) ? scheme.slice(0, 32) : '(unreadable)' };
  }
  const rest = header.slice(scheme.length);
  if (rest.trim() === '')
    return { kind: 'malformed', reason: 'The Bearer scheme is followed by no token.' };
  const match = BEARER_CREDENTIALS.exec(rest);
  if (!match?.[1]) {
    return {
      kind: 'malformed',
      reason: /\S\s+\S/.test(rest.trim())
        ? 'More than one token follows the Bearer scheme.'
        : 'The Bearer token must follow one space and hold only b64token characters (RFC 6750 §2.1).',
    };
  }
  return { kind: 'bearer', token: match[1] };
}

export interface BearerAuthOptions {
  /** Verifies a token (src/tokens.ts `createTokenVerifier`). */
  verify: (token: string) => Promise<Verdict>;
  /** RFC 9728 protected resource metadata URL, named in every challenge when set. */
  resourceMetadata?: string;
  /**
   * When set, refusals of tokens this server signed are counted per jti for a minute, and a
   * client that keeps sending the same refused token is told so (RFC 9110 §15.5.2). Forged
   * tokens create no state. The count is best effort: a store that cannot count (down, full)
   * changes nothing in the answer, which is the token's 401 all the same.
   */
  store?: Store;
  /** Told, at debug level, when the refusal count could not be kept. */
  logger?: Logger;
  /** Whose store quota a refusal count is charged to (src/visitors.ts). */
  owner?: (req: Request) => string;
}

/** How many refusals of one token in a minute before the detail says "stop retrying". */
export const REPEAT_THRESHOLD = 3;
const REPEAT_WINDOW_MS = 60_000;

/**
 * Requires a valid bearer access token (RFC 6750), puts the caller in `res.locals.auth`, and
 * refuses everything else with the status, code and challenge the registry documents.
 */
export function bearerAuth(options: BearerAuthOptions): RequestHandler {
  if (typeof options?.verify !== 'function')
    throw new TypeError('bearerAuth: verify must be a function');
  const { resourceMetadata, store, logger } = options;

  /** How often this token was refused in the window, or 0 when the store cannot say. */
  async function countRefusal(req: Request, jti: string, requestId: unknown): Promise<number> {
    if (!store) return 0;
    try {
      return await store.increment(`refused:${jti}`, REPEAT_WINDOW_MS, options.owner?.(req));
    } catch (err) {
      // The refusal is already decided by the token alone; an outage must not make it a 503.
      logger?.debug(
        { requestId, err: err instanceof Error ? err.message : String(err) },
        'refusal not counted',
      );
      return 0;
    }
  }
  const {
    noCredentials,
    invalidRequest,
    invalidToken: challengeFor,
  } = bearerChallenges(resourceMetadata);

  return async function bearerAuthMiddleware(req, res, next) {
    const parsed = parseAuthorization(req.headers.authorization);
    switch (parsed.kind) {
      case 'none':
        res.locals.trace = bearerTrace(HEADER_CHECKS[0]);
        throw problem('token_missing', {
          detail: 'Send an access token as "Authorization: Bearer <token>".',
          headers: { 'WWW-Authenticate': noCredentials },
        });
      case 'other':
        res.locals.trace = bearerTrace(HEADER_CHECKS[1], { facts: { scheme: parsed.scheme } });
        throw problem('auth_scheme_unsupported', {
          detail: `This resource accepts the Bearer scheme, not ${parsed.scheme}.`,
          headers: { 'WWW-Authenticate': noCredentials },
        });
      case 'malformed':
        res.locals.trace = bearerTrace(HEADER_CHECKS[2]);
        throw problem('authorization_malformed', {
          detail: parsed.reason,
          headers: { 'WWW-Authenticate': invalidRequest },
        });
      case 'bearer': {
        const verdict = await options.verify(parsed.token);
        if (!verdict.ok) {
          const refusals =
            verdict.jti && !verdict.jti.startsWith(SPECIMEN_JTI_PREFIX)
              ? await countRefusal(req, verdict.jti, res.locals.requestId)
              : 0;
          const repeated = refusals >= REPEAT_THRESHOLD;
          res.locals.trace = bearerTrace(verdict.check, verdict.evidence);
          throw problem(verdict.code, {
            detail: repeated
              ? `${verdict.detail} This same token has been refused ${refusals} times in the last minute: retrying it will not help; get a new token.`
              : verdict.detail,
            headers: { 'WWW-Authenticate': challengeFor(verdict.code) },
            extensions: repeated ? { refused_count: refusals } : {},
          });
        }
        res.locals.auth = { claims: verdict.claims, kid: verdict.kid, kidless: verdict.kidless };
        next();
      }
    }
  };
}
