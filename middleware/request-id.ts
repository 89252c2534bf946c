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
 */
export function requestId(options: RequestIdOptions = {}): RequestHandler {
  const generate = options.generate ?? randomUUID;
  if (typeof generate !== 'function') throw new TypeError('requestId: generate must be a function');
  return function requestIdMiddleware(req, res, next) {
    const incoming = req.headers['x-request-id'];
    const id =
      typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : generate();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}
