import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { recordHeaders } from './security-headers';

/**
 * Strict-Transport-Security, only on a secure request (RFC 6797 §7.2: a server must not send it
 * over plain http, where an attacker could forge or strip it and a browser ignores it). Secure is
 * `req.secure`: TLS to this process, or `X-Forwarded-Proto: https` from a proxy TRUST_PROXY trusts.
 * helmet's own header is sent on every answer, so it is turned off where this one is used. The
 * value is helmet's, worked out once.
 */
export function hstsWhenSecure(): RequestHandler {
  const value = recordHeaders(helmet.strictTransportSecurity()).headers.get(HSTS);
  if (value === undefined) throw new TypeError('hstsWhenSecure: helmet set no HSTS header');
  return function hstsWhenSecureMiddleware(req, res, next) {
    if (req.secure) res.setHeader(HSTS, value);
    next();
  };
}

const HSTS = 'Strict-Transport-Security';
