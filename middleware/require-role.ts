import type { RequestHandler } from 'express';
import { problem } from '../src/http/problems';

/**
 * Lets through only callers whose identity `type` is `role` (the article's
 * `current_user["type"] == "admin"`). Runs after bearerAuth. Anyone else is authenticated but
 * not allowed: 403 role_insufficient, never 401 (RFC 9110 §15.5.4). It is no scope, so it is not
 * labelled as one: no insufficient_scope and no challenge, since no token of this identity,
 * whatever its scopes, would be let through.
 */
export function requireRole(role: string): RequestHandler {
  if (typeof role !== 'string' || !/^[a-z][a-z0-9_:-]*$/.test(role)) {
    throw new TypeError('requireRole: role must be a lower-case token');
  }
  return function requireRoleMiddleware(_req, res, next) {
    const claims = res.locals.auth?.claims;
    if (!claims) throw new Error('requireRole must run after an authentication middleware');
    if (claims.type === role) {
      next();
      return;
    }
    throw problem('role_insufficient', {
      detail: `You are signed in as ${String(claims.sub).slice(0, 64)}, whose role (type) is ${String(claims.type ?? 'none').slice(0, 16)}; this needs the role ${role}.`,
      extensions: { required_role: role },
    });
  };
}
