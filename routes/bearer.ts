import { Router, type RequestHandler } from 'express';
import { methodNotAllowed } from '../src/problems';

/**
 * Section 1 of the article: `GET /api/v1/data` with `Authorization: Bearer <jwt>`.
 * The route reads as a sentence: a valid bearer token gets the data.
 */
export function bearerRouter(deps: { bearerAuth: RequestHandler }): Router {
  const router = Router();
  router.route('/api/v1/data').get(deps.bearerAuth, getData).all(methodNotAllowed('GET'));
  return router;
}

const getData: RequestHandler = function getData(_req, res) {
  const claims = res.locals.auth?.claims;
  res.setHeader('Cache-Control', 'no-store');
  res.json({
    message: 'Here is your data.',
    data: [
      { id: 1, name: 'alpha' },
      { id: 2, name: 'beta' },
    ],
    caller: claims && {
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope ?? '',
      expires_at: new Date(claims.exp * 1000).toISOString(),
    },
  });
};
