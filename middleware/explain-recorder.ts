import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import {
  acceptedBearerTrace,
  buildExplanation,
  traceForCode,
  type ExplanationBook,
} from '../src/teaching/explain';
import { traceNow } from '../src/teaching/trace';
import { storeFailureLog } from '../src/http/outage-log';
import { clientAddress } from '../src/http/visitors';
import { StoreUnavailableError } from '../src/http/problems';
import { isProblemCode } from '../src/scenarios/catalog';
import type { Clock } from '../src/store';

export interface ExplainRecorderOptions {
  book: ExplanationBook;
  clock: Clock;
  /** JWT_CLOCK_TOLERANCE_SECONDS, shown in the trace of an accepted token. */
  toleranceSeconds: number;
  /** Told when an explanation could not be built or stored; the answer was sent already. */
  logger?: Logger;
}

/**
 * Keeps the explanation of every refused request (one whose answer is a problem) for
 * `GET /explain/:id`: its code, detail and decision trace. Written once, after the answer is
 * sent, so it never slows a refusal or turns it into a 503.
 *
 * The error writer asks `res.locals.claimExplanation()` while writing a refusal: it spends one of
 * the client address's explanations and names the server-generated id the explanation will be
 * kept under (`res.locals.explanationId`, see middleware/request-id.ts), which the answer then
 * carries. A refusal over its address's budget is not explained and its answer says nothing.
 *
 * The claim completes `res.locals.trace` at once, so the access log line and the stored
 * explanation carry the same trace.
 */
export function explainRecorder(options: ExplainRecorderOptions): RequestHandler {
  const { book, clock, toleranceSeconds, logger } = options;
  if (!book || typeof book.record !== 'function' || typeof book.claim !== 'function') {
    throw new TypeError('explainRecorder: book must be an ExplanationBook');
  }
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    throw new TypeError('explainRecorder: toleranceSeconds must be a number of seconds');
  }

  /** Completes the trace the log line and the explanation share, then stores it after the answer. */
  const recordAfterAnswer = (req: Request, res: Response, claimed: string, address: string) => {
    // A token that passed every check, refused later (a scope, a role, a step-up): the check
    // that refused it. A refusal no guard traced: the check its code names (src/teaching/explain.ts).
    // Completed now, while the refusal is written: the access log line, written on 'finish',
    // carries the same trace.
    const code = res.locals.problemCode;
    if (code !== undefined && isProblemCode(code)) {
      if (traceNow(res.locals) === undefined && res.locals.auth !== undefined) {
        res.locals.trace = acceptedBearerTrace(
          res.locals.auth,
          clock.now(),
          toleranceSeconds,
          code,
        );
      }
      res.locals.trace ??= traceForCode(code);
    }
    const record = () => {
      const code = res.locals.problemCode;
      if (code === undefined || !isProblemCode(code)) return;
      const explanation = buildExplanation({
        requestId: res.locals.requestId,
        at: clock.now(),
        method: req.method,
        path: req.originalUrl.split('?')[0] ?? '/',
        status: res.statusCode,
        code,
        detail: res.locals.problemDetail,
        trace: traceNow(res.locals) ?? traceForCode(code),
        headers: res.getHeaders(),
      });
      book.record(claimed, explanation, address).catch((err: unknown) => {
        if (!logger) return;
        // During an outage every refusal fails to be explained the same way: counted, one line
        // a second, no stack (src/http/outage-log.ts); a visitor over its share, one short line.
        if (err instanceof StoreUnavailableError) storeFailureLog(logger).note('explanation', err);
        else
          logger.warn(
            {
              requestId: res.locals.requestId,
              error: err instanceof Error ? err.message : String(err),
            },
            'explanation not stored',
          );
      });
    };
    const onDone = () => {
      res.removeListener('finish', onDone);
      res.removeListener('close', onDone);
      // Runs in an event listener, after the answer: a throw here would end the process.
      try {
        record();
      } catch (err) {
        logger?.error({ err, requestId: res.locals.requestId }, 'explanation not recorded');
      }
    };
    res.on('finish', onDone);
    res.on('close', onDone);
  };

  // Per request, only the claim: the address, the trace and the listeners that store the
  // explanation cost nothing until a refusal is written (the hot paths are 200s and refusals
  // over their address's budget).
  return function explainRecorderMiddleware(req, res, next) {
    let claimed: string | undefined;
    let asked = false;
    res.locals.claimExplanation = () => {
      if (asked) return claimed;
      asked = true;
      const address = clientAddress(req);
      if (!book.claim(address)) return undefined;
      claimed = res.locals.explanationId ?? res.locals.requestId;
      if (claimed !== undefined) recordAfterAnswer(req, res, claimed, address);
      return claimed;
    };
    next();
  };
}
