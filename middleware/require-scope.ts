import type { RequestHandler } from 'express';
import { bearerChallenge } from '../src/auth/challenges';
import { problem } from '../src/http/problems';
import { problemCatalog } from '../src/scenarios/catalog';

/** RFC 6749 §3.3: a scope token is printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The scopes a token's `scope` claim grants (RFC 6749 §3.3, RFC 9068 §2.2.3: space-delimited). */
export function grantedScopes(scope: unknown): string[] {
  return typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
}

/**
 * Lets through only access tokens whose `scope` claim holds `scope`. Runs after bearerAuth.
 * Anyone else is authenticated but the token does not reach this far: 403 insufficient_scope,
 * never 401, with `scope` naming what a token needs here (RFC 6750 §3.1), so a client can ask
 * for a token with that scope and succeed.
 */
export function requireScope(
  scope: string,
  options: { resourceMetadata?: string } = {},
): RequestHandler {
  if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
    throw new TypeError('requireScope: scope must be one RFC 6749 §3.3 scope token');
  }
  const challenge = bearerChallenge({
    error: 'insufficient_scope',
    errorDescription: problemCatalog.insufficient_scope.title,
    scope,
    resourceMetadata: options.resourceMetadata,
  });
  return function requireScopeMiddleware(_req, res, next) {
    const claims = res.locals.auth?.claims;
    if (!claims) throw new Error('requireScope must run after an authentication middleware');
    const granted = grantedScopes(claims.scope);
    if (granted.includes(scope)) {
      next();
      return;
    }
    const has = granted.length > 0 ? `"${granted.join(' ').slice(0, 80)}"` : 'no scope';
    throw problem('insufficient_scope', {
      detail: `This token carries ${has}; this resource needs a token with scope "${scope}".`,
      headers: { 'WWW-Authenticate': challenge },
      extensions: { required_scope: scope },
    });
  };
}
