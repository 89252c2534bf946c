import express, { type RequestHandler } from 'express';
import { problem } from './problems';

const LIMIT = '8kb';

/**
 * Body parsing for endpoints that take JSON or form data (OAuth endpoints take both: the
 * article posts JSON, RFC 6749 clients post forms). Any other media type is 415; a POST with no
 * body at all is read as an empty form. Parser failures become 400/413/415 problems.
 */
export function jsonOrForm(): RequestHandler[] {
  return [
    express.json({ limit: LIMIT, strict: true, type: ['application/json', 'application/*+json'] }),
    express.urlencoded({ extended: false, limit: LIMIT, parameterLimit: 32 }),
    function requireReadableBody(req, _res, next) {
      if (req.body === undefined) {
        const hasBody =
          Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'];
        if (hasBody) {
          next(
            problem('media_type_unsupported', {
              detail: 'Send the body as application/json or application/x-www-form-urlencoded.',
            }),
          );
          return;
        }
        req.body = {};
      }
      if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
        next(problem('body_malformed', { detail: 'The body must be a JSON object or a form.' }));
        return;
      }
      next();
    },
  ];
}

/**
 * An optional whole number of seconds from 1 to `max` in a JSON or form body (a number, or a
 * string of digits); undefined when absent. Anything else is refused with `fail(detail)`.
 */
export function secondsParam(
  body: Record<string, unknown>,
  name: string,
  max: number,
  fail: (detail: string) => Error,
): number | undefined {
  const raw = body[name];
  if (raw === undefined) return undefined;
  const n =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^\d{1,9}$/.test(raw)
        ? Number(raw)
        : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw fail(`"${name}" must be a whole number of seconds from 1 to ${max}.`);
  }
  return n;
}
