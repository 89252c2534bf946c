import cors from 'cors';
import { Router, type RequestHandler } from 'express';
import { CORS_EXPOSED_HEADERS, corsOptions, corsPolicy } from '../middleware/cors-policy';
import { methodNotAllowed } from '../src/http/problems';

export interface CorsBrokenDeps {
  /** The same allowlist the real policy uses: these routes are wrong in other ways. */
  origins: readonly string[];
  bearerAuth: RequestHandler;
  /** The `data:read` scope, as on /api/v1/data: these routes answer the same data. */
  requireDataRead: RequestHandler;
  /** express-session, configured, and the session check (see src/app.ts). */
  session: RequestHandler;
  sessionAuth: RequestHandler;
}

/**
 * BROKEN ON PURPOSE. Four CORS set-ups seen in real code, each wrong in one way, under
 * `/cors/broken/...`, so that a page script (the CORS demo page, the browser tests) can watch
 * what each does to a 401. src/app.ts mounts this router before the real policy, which never
 * touches these paths. The registry (src/scenarios/cors.ts) explains each one and
 * what the script sees; the correct policy is middleware/cors-policy.ts. Do not copy these.
 */
export function corsBrokenRouter(deps: CorsBrokenDeps): Router {
  const { bearerAuth, requireDataRead, session, sessionAuth } = deps;
  // The real policy's options, of which each set-up below changes one thing.
  const policy = corsOptions(deps.origins);
  const router = Router();

  // 1. CORS after authentication. Preflights were "fixed" with their own cors(), but for the
  //    real request the CORS middleware comes after auth: a 200 carries
  //    Access-Control-Allow-Origin, a 401 (thrown by auth before CORS ran) does not.
  const correct = corsPolicy({ origins: deps.origins });
  router
    .route('/cors/broken/no-acao-on-401')
    .options(correct)
    .get(
      bearerAuth,
      requireDataRead,
      correct,
      brokenData('CORS ran only because authentication passed.'),
    )
    .all(methodNotAllowed('GET'));

  // 2. CORS without Access-Control-Expose-Headers: the script reads the 401 and its body, but
  //    WWW-Authenticate and X-Request-Id read as null.
  router
    .route('/cors/broken/unexposed')
    .all(cors({ ...policy, exposedHeaders: undefined }))
    .get(
      bearerAuth,
      requireDataRead,
      brokenData('No header of this answer beyond the safelisted ones is readable.'),
    )
    .all(methodNotAllowed('GET'));

  // 3. The preflight behind authentication: CORS headers are right, but the OPTIONS request is
  //    passed on (preflightContinue) to the auth check, which answers it 401, since a
  //    preflight never carries credentials. A preflight must be 2xx: every call that needs one
  //    (any call with an Authorization header) fails, with a valid token too.
  router
    .route('/cors/broken/preflight-needs-auth')
    .all(cors({ ...policy, preflightContinue: true }), bearerAuth)
    .get(
      requireDataRead,
      brokenData('Unreachable from a browser: the preflight before this request failed.'),
    )
    .all(methodNotAllowed('GET'));

  // 4. The wildcard with credentials: `Access-Control-Allow-Origin: *` plus
  //    `Access-Control-Allow-Credentials: true` on a cookie-session route. Browsers refuse
  //    every credentialed answer to it, and without credentials no cookie is sent, so no
  //    logged-in user can ever read it. (It never reflects the request's Origin.)
  router
    .route('/cors/broken/wildcard-credentials')
    .all(
      cors({
        origin: '*',
        credentials: true,
        exposedHeaders: [...CORS_EXPOSED_HEADERS],
        optionsSuccessStatus: 204,
      }),
    )
    .get(session, sessionAuth, function wildcardSession(_req, res) {
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        message: 'Your session, which no browser script can read through a wildcard.',
        user: res.locals.session?.user,
      });
    })
    .all(methodNotAllowed('GET'));

  return router;
}

function brokenData(note: string): RequestHandler {
  return function brokenCorsData(_req, res) {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ message: 'Here is your data.', note });
  };
}
