import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import {
  bearerRefusals,
  presentation,
  presentationAtOnce,
  refusalError,
  type Presentation,
} from '../src/auth/bearer';
import { bearerChallenges } from '../src/auth/challenges';
import { bearerTrace } from '../src/teaching/explain';
import { problem } from '../src/http/problems';
import { SPECIMEN_JTI_PREFIX } from '../src/tokens/specimens';
import type { Store } from '../src/store';
import type { Verdict } from '../src/tokens/verify';

export interface BearerAuthOptions {
  /** Verifies a token (src/tokens/verify.ts `createTokenVerifier`). */
  verify: (token: string) => Promise<Verdict>;
  /** RFC 9728 protected resource metadata URL, named in every challenge when set. */
  resourceMetadata?: string;
  /**
   * A challenge sent beside every Bearer one, in the same field: DPOP_OFFER where the resource
   * takes DPoP too (RFC 9449 §7.2). Built into the challenges once, here.
   */
  alongside?: string;
  /**
   * When set, refusals of tokens this server signed are counted per jti for a minute, and a
   * client that keeps sending the same refused token is told so (RFC 9110 §15.5.2). Forged
   * tokens create no state. The count is best effort: a store that cannot count (down, full)
   * changes nothing in the answer, which is the token's 401 all the same.
   */
  store?: Store;
  /** Told, at debug level, when the refusal count could not be kept. */
  logger?: Logger;
  /** Whose store quota a refusal count is charged to (src/http/visitors.ts). */
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
  const { resourceMetadata, alongside, store, logger } = options;

  /** How often this token was refused in the window, or 0 when the store cannot say. */
  function countRefusal(req: Request, jti: string, requestId: unknown): Promise<number> | 0 {
    if (!store) return 0;
    // The refusal is already decided by the token alone; an outage must not make it a 503.
    const uncounted = (err: unknown): 0 => {
      logger?.debug(
        { requestId, err: err instanceof Error ? err.message : String(err) },
        'refusal not counted',
      );
      return 0;
    };
    // One promise, not an async function's own around the store's (bench/RESULTS.md).
    try {
      return store
        .increment(`refused:${jti}`, REPEAT_WINDOW_MS, options.owner?.(req))
        .catch(uncounted);
    } catch (err) {
      return uncounted(err);
    }
  }
  const { invalidToken: challengeFor } = bearerChallenges(resourceMetadata, alongside);
  const judge = bearerRefusals(resourceMetadata, undefined, alongside);

  /**
   * Judges a presentation: the token goes on to be verified; a refusal (no token, another
   * scheme, ...) goes to next() with the trace of the check it failed. Refusals are passed to
   * next(), never thrown: a synchronous throw from a request's callback makes V8 build a message
   * with the throw's source position, some 9,000 instructions an answer (bench/RESULTS.md, tenth
   * round), and an async function's throw rejects a promise for the error writer to catch.
   */
  const judgePresented = (p: Presentation, req: Request, res: Response, next: NextFunction) => {
    const judged = judge(p);
    if (judged.kind === 'refused') {
      res.locals.trace = bearerTrace(judged.check, { facts: judged.facts });
      return next(refusalError(judged));
    }
    return judgeToken(judged.token, req, res, next);
  };

  const judgeToken = async (token: string, req: Request, res: Response, next: NextFunction) => {
    const verdict = await options.verify(token);
    if (!verdict.ok) {
      const refusals =
        verdict.jti && !verdict.jti.startsWith(SPECIMEN_JTI_PREFIX)
          ? await countRefusal(req, verdict.jti, res.locals.requestId)
          : 0;
      const repeated = refusals >= REPEAT_THRESHOLD;
      // Built if the log line or an explanation asks (src/teaching/trace.ts).
      res.locals.trace = () => bearerTrace(verdict.check, verdict.evidence);
      return next(
        problem(verdict.code, {
          detail: repeated
            ? `${verdict.detail} This same token has been refused ${refusals} times in the last minute: retrying it will not help; get a new token.`
            : verdict.detail,
          headers: { 'WWW-Authenticate': challengeFor(verdict.code) },
          extensions: repeated ? { refused_count: refusals } : {},
        }),
      );
    }
    res.locals.auth = { claims: verdict.claims, kid: verdict.kid, kidless: verdict.kidless };
    next();
  };

  // How the token was presented is known at once but for a form body still to read: a request
  // refused for that (no token, another scheme, ...) is refused synchronously, with no promise
  // and no microtask before the error writer (bench/RESULTS.md).
  return function bearerAuthMiddleware(req, res, next) {
    const atOnce = presentationAtOnce(req);
    if (atOnce !== undefined) return judgePresented(atOnce, req, res, next);
    return presentation(req, res).then((p) => judgePresented(p, req, res, next));
  };
}
