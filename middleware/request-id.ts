import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** An incoming id is kept only if it is this sane: short, and safe in logs and headers. */
export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestIdOptions {
  /** Makes a fresh id; injected by tests. */
  generate?: () => string;
}

/**
 * Gives every request an id, in `res.locals.requestId` and the `X-Request-Id` response header.
 * A client's own `X-Request-Id` is kept when sane, so its logs and ours share one key; anything
 * else (too long, odd bytes, several values) is replaced, never reflected.
 *
 * `res.locals.explanationId` is the id an explanation of this request would be kept under
 * (/explain/:id). It is always one the server generated: the request id when the server chose
 * that, a fresh one when the client did, so that no client can overwrite or read another's
 * explanation by sending its id.
 */
export function requestId(options: RequestIdOptions = {}): RequestHandler {
  const generate = options.generate ?? randomUUID;
  if (typeof generate !== 'function') throw new TypeError('requestId: generate must be a function');
  return function requestIdMiddleware(req, res, next) {
    const incoming = req.headers['x-request-id'];
    const kept = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming);
    const id = kept ? incoming : generate();
    res.locals.requestId = id;
    res.locals.explanationId = kept ? generate() : id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}
