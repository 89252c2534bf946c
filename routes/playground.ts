import { Router } from 'express';
import { methodNotAllowed } from '../src/problems';
import { SITE_CSS } from '../src/site';

/** The teaching pages' stylesheet (and, later, the playground itself). */
export function playgroundRouter(): Router {
  const router = Router();
  router
    .route('/playground.css')
    .get(function playgroundCss(_req, res) {
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.type('css').send(SITE_CSS);
    })
    .all(methodNotAllowed('GET'));
  return router;
}
