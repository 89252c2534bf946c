import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's headers, worked out once at startup and set on every answer. helmet recomputes
 * nothing that differs between requests unless a directive is a function (a per-request CSP
 * nonce, which this server does not use: no inline script or style), yet runs a dozen small
 * middlewares per request. Here helmet itself runs once, against a recording response, and each
 * request gets exactly the headers it set, in the same order, with the same values.
 */
export function securityHeaders(options: Readonly<HelmetOptions> = {}): RequestHandler {
  const directives = (options.contentSecurityPolicy as { directives?: Record<string, unknown> })
    ?.directives;
  for (const [name, value] of Object.entries(directives ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'function')) {
      throw new TypeError(`securityHeaders: directive ${name} is per request; use helmet()`);
    }
  }
  const { headers, removed } = recordHeaders(helmet(options));
  const names = [...headers.keys()];
  const values = [...headers.values()];
  return function securityHeadersMiddleware(_req, res, next) {
    for (let i = 0; i < names.length; i += 1) res.setHeader(names[i]!, values[i]!);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}

/** What a header-setting middleware does to every response: headers set, and headers removed. */
export interface RecordedHeaders {
  headers: Map<string, string>;
  removed: string[];
}

/** The headers a header-setting middleware sets, by running it once on a stand-in response. */
export function recordHeaders(middleware: RequestHandler): RecordedHeaders {
  const headers = new Map<string, string>();
  const removed: string[] = [];
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, String(value));
      return res;
    },
    removeHeader(name: string) {
      headers.delete(name);
      removed.push(name);
    },
    getHeader: (name: string) => headers.get(name),
  };
  let passed = false;
  const req = { headers: {}, method: 'GET', url: '/', secure: true };
  middleware(
    req as unknown as IncomingMessage as never,
    res as unknown as ServerResponse as never,
    (err?: unknown) => {
      if (err) throw err;
      passed = true;
    },
  );
  if (!passed) throw new TypeError('recordHeaders: the middleware did not pass the request on');
  return { headers, removed };
}
