import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Strict-Transport-Security, only on a secure request (RFC 6797 §7.2: a server must not send it
 * over plain http, where an attacker could forge or strip it and a browser ignores it). Secure is
 * `req.secure`: TLS to this process, or `X-Forwarded-Proto: https` from a proxy TRUST_PROXY trusts.
 * helmet's own header is sent on every answer, so it is turned off where this one is used.
 */
export function hstsWhenSecure(): RequestHandler {
  const hsts = helmet.strictTransportSecurity();
  return function hstsWhenSecureMiddleware(req, res, next) {
    if (req.secure) hsts(req, res, next);
    else next();
  };
}
