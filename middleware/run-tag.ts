import type { RequestHandler } from 'express';
import type { Clock } from '../src/store';

export interface RunTagOptions {
  clock: Clock;
}

/** `/runs/{id}/rest…`: a run's base URL, in front of any route of the server. */
const PREFIXED = /^\/runs\/([^/?#]{1,64})(\/[^?#]*)(\?.*)?$/s;

/**
 * Names the run a request belongs to (routes/runs.ts), before any router sees the request: a
 * client that can only change its base URL uses `/runs/{id}/` in front of every path (the path is
 * then served as if sent without it: every route works under it), any other sends `X-Run-Id`.
 * Only names it: middleware/run-script.ts finds the run, numbers and records the request. The
 * runs API itself (`/runs`, `/runs/{id}`, `/runs/{id}/report`) is never part of a run. Costs an
 * untagged request one string comparison and one header lookup.
 */
export function runTag(options: RunTagOptions): RequestHandler {
  const { clock } = options;
  if (!clock || typeof clock.now !== 'function')
    throw new TypeError('runTag: clock must be a Clock');

  return function runTagMiddleware(req, res, next) {
    const url = req.url;
    if (url.startsWith('/runs')) {
      const prefixed = PREFIXED.exec(url);
      const rest = prefixed?.[2];
      if (prefixed && rest !== undefined && rest !== '/report') {
        // originalUrl stays as sent: the explanation, the log line and a Digest `uri` name what
        // the client sent; the error writer picks its dialect by the path as served.
        req.url = `${rest}${prefixed[3] ?? ''}`;
        res.locals.run = { id: prefixed[1]!, via: 'path', at: clock.now(), path: rest };
      }
      next();
      return;
    }
    const header = req.headers['x-run-id'];
    if (typeof header === 'string' && header !== '') {
      const path = url.split('?')[0] ?? '/';
      res.locals.run = { id: header.slice(0, 64), via: 'header', at: clock.now(), path };
    }
    next();
  };
}
