import type { RequestHandler } from 'express';
import { mutualChallenge, readMutual, type MutualReason } from '../src/auth/mutual';
import { problem } from '../src/http/problems';
import type { ProblemCode } from '../src/scenarios/catalog';

/**
 * RFC 8120 Mutual on a resource, as far as it goes here: every refusal is a 401-INIT (or
 * 401-STALE) with its reason; a well-formed req-KEX-C1 is answered 501, since the RFC 8121 key
 * exchange (401-KEX-S1, then 200-VFY-S) is not implemented; a req-VFY-C names a sid this server
 * never issued, so it is stale. Nothing is stored.
 */
export function mutualAuth(options: { authScope: string }): RequestHandler {
  const { authScope } = options;
  if (!authScope) throw new TypeError('mutualAuth: authScope is required');
  const refuse = (code: ProblemCode, reason: MutualReason, detail: string) =>
    problem(code, { detail, headers: { 'WWW-Authenticate': mutualChallenge(reason, authScope) } });
  return function mutualAuthMiddleware(req) {
    const read = readMutual(req.headers.authorization);
    switch (read.kind) {
      case 'none':
        throw refuse(
          'mutual_credentials_missing',
          'initial',
          'Start the exchange with a req-KEX-C1: Authorization: Mutual version=1, algorithm=…, validation=host, auth-scope=…, realm=…, user="…", kc1="…".',
        );
      case 'invalid':
        throw refuse('mutual_invalid_parameters', 'invalid-parameters', read.reason);
      case 'vfy-c':
        throw refuse(
          'mutual_stale_session',
          'stale-session',
          'This sid names no session here (this server never issues one: see mutual_key_exchange_not_implemented). Start again with a req-KEX-C1.',
        );
      case 'kex-c1':
        throw problem('mutual_key_exchange_not_implemented', {
          detail:
            'The req-KEX-C1 is well formed (version, algorithm, validation, realm, user, and kc1 within the group), but this server does not compute the RFC 8121 key exchange, so it cannot send the 401-KEX-S1 that would follow.',
        });
    }
  };
}
