import { Router, type RequestHandler } from 'express';
import { bearerChallenges } from '../src/auth/challenges';
import { methodNotAllowed, problem } from '../src/http/problems';
import type { Store } from '../src/store';
import type { Visitors } from '../src/http/visitors';

/**
 * Section 1 of the article: `GET /api/v1/data` with `Authorization: Bearer <jwt>`.
 * The route reads as a sentence: a valid bearer token gets the data.
 */
export function bearerRouter(deps: {
  bearerAuth: RequestHandler;
  /** The data routes need the `data:read` scope (middleware/require-scope.ts). */
  requireDataRead: RequestHandler;
  store: Store;
  /** RFC 9728 metadata URL, named in the scripted challenge like in every other. */
  resourceMetadata?: string;
  visitors: Visitors;
}): Router {
  const router = Router();
  const scriptedChallenge = bearerChallenges(deps.resourceMetadata).invalidToken('token_expired');
  router
    .route('/api/v1/data')
    .get(deps.bearerAuth, deps.requireDataRead, getData)
    .all(methodNotAllowed('GET'));
  router
    .route('/api/v1/flaky')
    .get(deps.bearerAuth, deps.requireDataRead, flaky(deps.store, deps.visitors, scriptedChallenge))
    .all(methodNotAllowed('GET'));
  return router;
}

const FLAKY_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const FLAKY_WINDOW_MS = 10 * 60 * 1000;
const FLAKY_MAX_FAILURES = 10;

/**
 * A deterministic target for retry-with-refresh logic: with a valid token, the first `fail`
 * calls for `key` answer 401 token_expired, later ones 200. Counters are per visitor, caller and
 * key, in the store (charged to the visitor), and expire ten minutes after the first call; only
 * authenticated calls create one.
 */
function flaky(store: Store, visitors: Visitors, challenge: string): RequestHandler {
  return async function flakyHandler(req, res) {
    const { fail, key } = req.query;
    if (typeof fail !== 'string' || !/^\d{1,2}$/.test(fail) || Number(fail) > FLAKY_MAX_FAILURES) {
      throw problem('parameter_invalid', {
        detail: `"fail" must be a whole number from 0 to ${FLAKY_MAX_FAILURES}.`,
      });
    }
    if (typeof key !== 'string' || !FLAKY_KEY.test(key)) {
      throw problem('parameter_invalid', {
        detail: '"key" must be 1-64 characters of A-Z, a-z, 0-9, "_" and "-".',
      });
    }
    const sub = res.locals.auth?.claims.sub ?? '';
    // Per visitor too: everyone shares the demo accounts, and one visitor's script must not
    // spend another's scripted failures.
    const visitor = visitors.of(req);
    const attempt = await store.increment(
      `flaky:${visitor}:${sub}:${key}`,
      FLAKY_WINDOW_MS,
      visitor,
    );
    const failures = Number(fail);
    if (attempt <= failures) {
      throw problem('token_expired', {
        detail: `Scripted failure ${attempt} of ${failures} for key "${key}": refresh your token and retry.`,
        headers: { 'WWW-Authenticate': challenge },
        extensions: { scripted: true, attempt, failures },
      });
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ message: 'Success after scripted failures.', attempt, failures, key });
  };
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
