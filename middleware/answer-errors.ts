import type { ErrorRequestHandler, NextFunction, RequestHandler } from 'express';

/**
 * A handler whose own errors (thrown, passed to `next(err)`, or a rejected promise) go straight
 * to the error writer, instead of back through the router: an error passed to `next` walks
 * every later handler of its route and every later layer of its router and of the app (a path
 * match and a call each, and router 2.3's bookkeeping of seen errors) before it reaches the
 * writer, which on the hot guards' refusals cost more than the refusal itself (bench/RESULTS.md).
 *
 * Only for handlers with no error handler of their own between them and `writer`: whatever
 * would have caught the error on its way is skipped. What the handler passes on (`next()`,
 * `next('route')`, `next('router')`) goes on as usual, and so does anything that fails after it
 * passed the request on (the later handlers' errors, which are not this handler's).
 */
export function answeringErrors(
  handler: RequestHandler,
  writer: ErrorRequestHandler,
): RequestHandler {
  if (typeof handler !== 'function' || typeof writer !== 'function') {
    throw new TypeError('answeringErrors: handler and writer must be functions');
  }
  return function answeringErrorsMiddleware(req, res, next) {
    let passed = false;
    const write = (err: unknown) => writer(err, req, res, next);
    const onward = ((err?: unknown) => {
      if (err === undefined || err === null || err === 'route' || err === 'router') {
        passed = true;
        next(err as 'route' | 'router' | undefined);
        return;
      }
      write(err);
    }) as NextFunction;
    let result: unknown;
    try {
      result = handler(req, res, onward);
    } catch (err) {
      // Thrown by a later handler, through this one's next(): theirs, for the router.
      if (passed) throw err;
      write(err);
      return;
    }
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        // As Express 5 does with a rejected handler; a nullish rejection is still an error.
        const error = err ?? new Error('Rejected promise');
        if (passed) next(error);
        else write(error);
      });
    }
  };
}
