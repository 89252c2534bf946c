import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { acceptedBearerTrace, buildExplanation, type ExplanationBook } from '../src/explain';
import { isProblemCode } from '../src/scenarios';
import type { Clock } from '../src/store';

export interface ExplainRecorderOptions {
  book: ExplanationBook;
  clock: Clock;
  /** JWT_CLOCK_TOLERANCE_SECONDS, shown in the trace of an accepted token. */
  toleranceSeconds: number;
  /** Told when the store would not take an explanation; the answer was sent already. */
  logger?: Logger;
}

/**
 * Keeps the explanation of every refused request (one whose answer is a problem) for
 * `GET /explain/:request_id`: its code, detail and decision trace. Written once, after the answer
 * is sent, so it never slows a refusal or turns it into a 503.
 *
 * Mount it before pino-http: its listener then runs first and completes `res.locals.trace`, so
 * the log line and the stored explanation carry the same trace.
 */
export function explainRecorder(options: ExplainRecorderOptions): RequestHandler {
  const { book, clock, toleranceSeconds, logger } = options;
  if (!book || typeof book.record !== 'function') {
    throw new TypeError('explainRecorder: book must be an ExplanationBook');
  }
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    throw new TypeError('explainRecorder: toleranceSeconds must be a number of seconds');
  }

  return function explainRecorderMiddleware(req, res, next) {
    const method = req.method;
    const path = req.originalUrl.split('?')[0] ?? '/';
    const onDone = () => {
      res.removeListener('finish', onDone);
      res.removeListener('close', onDone);
      const code = res.locals.problemCode;
      if (code === undefined || !isProblemCode(code)) return;
      // A token that passed every check, refused later (a role, a step-up): say so.
      if (res.locals.trace === undefined && res.locals.auth !== undefined) {
        res.locals.trace = acceptedBearerTrace(res.locals.auth, clock.now(), toleranceSeconds);
      }
      const explanation = buildExplanation({
        requestId: res.locals.requestId,
        at: clock.now(),
        method,
        path,
        status: res.statusCode,
        code,
        detail: res.locals.problemDetail,
        trace: res.locals.trace,
      });
      book.record(explanation).catch((err: unknown) => {
        logger?.warn({ err, requestId: res.locals.requestId }, 'explanation not stored');
      });
    };
    res.on('finish', onDone);
    res.on('close', onDone);
    next();
  };
}
