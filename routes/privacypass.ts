import express, { Router } from 'express';
import { privateTokenAuth, type PrivateTokenAuthOptions } from '../middleware/private-token-auth';
import {
  issueDemoToken,
  readTokenChallenge,
  TOKEN_TYPE_BLIND_RSA,
} from '../src/auth/private-token';
import { methodNotAllowed, problem } from '../src/http/problems';

/**
 * Privacy Pass (RFC 9577): a resource that takes PrivateToken tokens of type 0x0002, and a demo
 * issuer that signs a token for a challenge it is shown (simplified: not RFC 9578's blind
 * exchange, which would hide the challenge from the issuer; see src/auth/private-token.ts).
 */
export function privacypassRouter(options: PrivateTokenAuthOptions): Router {
  const router = Router();
  router
    .route('/privacypass/resource')
    .get(privateTokenAuth(options), (_req, res) => {
      res.json({ authenticated: true, scheme: 'PrivateToken', tokenType: '0x0002' });
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/privacypass/demo-issuer')
    .post(express.json({ limit: '2kb' }), (req, res, next) => {
      const value: unknown = (req.body as { challenge?: unknown } | undefined)?.challenge;
      const raw =
        typeof value === 'string' && /^[A-Za-z0-9_-]{1,1400}$/.test(value)
          ? Buffer.from(value, 'base64url')
          : undefined;
      const read = raw && readTokenChallenge(raw);
      if (!raw || !read || read.tokenType !== TOKEN_TYPE_BLIND_RSA) {
        return next(
          problem('private_token_challenge_unreadable', {
            detail:
              'Send {"challenge": "<the challenge parameter of a PrivateToken challenge, token type 0x0002>"}.',
          }),
        );
      }
      res.setHeader('Cache-Control', 'no-store');
      res.json({ token: issueDemoToken(raw), tokenType: '0x0002' });
    })
    .all(methodNotAllowed('POST'));
  return router;
}
