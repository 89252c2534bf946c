import { Router, type RequestHandler } from 'express';
import { methodNotAllowed } from '../src/http/problems';

/**
 * Section 4 of the article: an admin panel behind a role check, plus a route that needs a recent
 * login (RFC 9470 step-up).
 */
export function adminRouter(deps: {
  bearerAuth: RequestHandler;
  /** The admin role, then the `admin` scope (src/app.ts). */
  requireAdmin: RequestHandler[];
  requireRecentLogin: RequestHandler;
}): Router {
  const router = Router();
  router
    .route('/admin')
    .get(deps.bearerAuth, ...deps.requireAdmin, function adminPanel(_req, res) {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ message: 'Welcome to the admin panel!' });
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/account/security')
    .get(deps.bearerAuth, deps.requireRecentLogin, function accountSecurity(_req, res) {
      const claims = res.locals.auth?.claims;
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        message: 'Recent login confirmed: security settings unlocked.',
        sub: claims?.sub,
        auth_time:
          typeof claims?.auth_time === 'number'
            ? new Date(claims.auth_time * 1000).toISOString()
            : null,
      });
    })
    .all(methodNotAllowed('GET'));
  return router;
}
