import type { RequestHandler } from 'express';
import { bearerChallenge, problem } from '../src/problems';
import { problemCatalog } from '../src/scenarios';

/**
 * Lets through only callers whose identity `type` is `role` (the article's
 * `current_user["type"] == "admin"`). Runs after bearerAuth. Anyone else is authenticated but not
 * allowed: 403 insufficient_scope, never 401 (RFC 9110 §15.5.4, RFC 6750 §3.1).
 */
export function requireRole(
  role: string,
  options: { resourceMetadata?: string } = {},
): RequestHandler {
  if (typeof role !== 'string' || !/^[a-z][a-z0-9_:-]*$/.test(role)) {
    throw new TypeError('requireRole: role must be a lower-case token');
  }
  const challenge = bearerChallenge({
    error: 'insufficient_scope',
    errorDescription: problemCatalog.insufficient_scope.title,
    scope: role,
    resourceMetadata: options.resourceMetadata,
  });
  return function requireRoleMiddleware(_req, res, next) {
    const claims = res.locals.auth?.claims;
    if (!claims) throw new Error('requireRole must run after an authentication middleware');
    if (claims.type === role) {
      next();
      return;
    }
    throw problem('insufficient_scope', {
      detail: `You are signed in as ${String(claims.sub).slice(0, 64)} (type ${String(claims.type ?? 'none').slice(0, 16)}); this needs type ${role}.`,
      headers: { 'WWW-Authenticate': challenge },
      extensions: { required_scope: role },
    });
  };
}
