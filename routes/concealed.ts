import { Router, type RequestHandler } from 'express';
import { concealedAuth } from '../middleware/concealed-auth';
import { CONCEALED_DEMO_KEY_ID, concealedDemoKey } from '../src/auth/concealed';
import { methodNotAllowed, notFound } from '../src/http/problems';

/**
 * The Concealed scheme (RFC 9729): GET /concealed/resource explains each refusal (401 with its
 * code); GET /concealed/hidden is the real thing, whose every failure, and every other method,
 * is the 404 of a path no route serves. The demo key is published (src/auth/concealed.ts).
 */
export function concealedRouter(): Router {
  const router = Router();
  const demo = concealedDemoKey();
  const keys = new Map([
    [
      Buffer.from(CONCEALED_DEMO_KEY_ID).toString('base64url'),
      { raw: demo.raw, key: demo.publicKey },
    ],
  ]);
  router
    .route('/concealed/resource')
    .get(concealedAuth({ keys, hidden: false }), authenticated)
    .all(methodNotAllowed('GET'));
  router
    .route('/concealed/hidden')
    .get(concealedAuth({ keys, hidden: true }), authenticated)
    .all(notFound);
  return router;
}

const authenticated: RequestHandler = function concealedAuthenticated(_req, res) {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ authenticated: true, scheme: 'Concealed', key_id: res.locals.concealed?.keyId });
};
