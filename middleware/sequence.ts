import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Several middlewares as one: each runs after the one before calls `next()`, as if mounted one
 * after another with `app.use`, but the router matches one layer instead of one per middleware
 * (each layer costs a path match and a few calls on every request; measured in bench/).
 * An error, passed to `next(err)` or thrown synchronously, skips the rest and goes to the app's
 * error handlers; `next('router')` leaves the router likewise; `next('route')`, which in a
 * middleware (not a route) means "the next layer", continues with the next handler.
 */
export function sequence(...handlers: RequestHandler[]): RequestHandler {
  for (const [i, handler] of handlers.entries()) {
    if (typeof handler !== 'function') {
      throw new TypeError(`sequence: handler ${i} must be a function`);
    }
  }
  if (handlers.length === 1) return handlers[0]!;
  return function sequenceMiddleware(req: Request, res: Response, next: NextFunction) {
    let i = 0;
    let done = false;
    const leave = (err?: unknown) => {
      done = true;
      next(err);
    };
    const step = (err?: unknown) => {
      if (done) return;
      if (err !== undefined && err !== null && err !== 'route') {
        leave(err);
        return;
      }
      const handler = handlers[i];
      i += 1;
      if (handler === undefined) {
        leave();
        return;
      }
      try {
        const result = handler(req, res, step) as unknown;
        // An async handler's rejection is an error, as Express 5 treats it.
        if (result instanceof Promise) result.catch(step);
      } catch (thrown) {
        // Thrown after the sequence was left (by the layers after it): the router's to handle.
        if (done) throw thrown;
        step(thrown ?? new Error('sequence: a handler threw a nullish value'));
      }
    };
    step();
  };
}
