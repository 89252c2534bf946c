import { Router } from 'express';
import { mutualAuth } from '../middleware/mutual-auth';
import { methodNotAllowed } from '../src/http/problems';

/**
 * Mutual (RFC 8120) on GET /mutual/resource: the 401-INIT challenge and the client messages
 * checked; no exchange completes (the RFC 8121 key exchange is not implemented), so every answer
 * is a refusal and the route has no success handler.
 */
export function mutualRouter(deps: { publicUrl: string }): Router {
  const router = Router();
  router
    .route('/mutual/resource')
    .get(mutualAuth({ authScope: deps.publicUrl }))
    .all(methodNotAllowed('GET'));
  return router;
}
