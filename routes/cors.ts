import { Router, type RequestHandler } from 'express';
import { methodNotAllowed } from '../src/http/problems';

/**
 * Section 3 of the second article: the Flask route behind `CORS(app)`. It needs no credentials;
 * whether a page on another origin may read it is decided by the CORS policy (middleware/
 * cors-policy.ts), which runs before every router.
 */
export function corsRouter(deps: { frontDoor: RequestHandler }): Router {
  const router = Router();
  // A browser's navigation gets the site's front door (routes/home.ts); every other client
  // gets the article's JSON.
  router.route('/').get(deps.frontDoor, helloWorld).all(methodNotAllowed('GET'));
  return router;
}

/** The article's `hello_world()`. */
const helloWorld: RequestHandler = function helloWorld(_req, res) {
  res.json({ message: 'Hello World!' });
};
