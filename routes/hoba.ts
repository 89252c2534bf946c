import { Router, type Request, type RequestHandler } from 'express';
import { hobaAuth } from '../middleware/hoba-auth';
import { hobaRegister } from '../middleware/hoba-register';
import { OTHER_ACCOUNT, refusedWith, type FailureLimiter } from '../middleware/rate-limit';
import type { Config } from '../src/config';
import { jsonOrForm } from '../src/http/body';
import { methodNotAllowed } from '../src/http/problems';
import { assetRouter } from '../src/site/assets';
import { hobaPage } from '../src/site/hoba-page';
import type { Clock, Store } from '../src/store';

export interface HobaDeps {
  config: Config;
  store: Store;
  clock: Clock;
  credentials: FailureLimiter;
  owner: (req: Request) => string;
}

/**
 * HOBA (RFC 7486): a key registered at POST /.well-known/hoba/register (the RFC's own well-known
 * path, §6.1), then GET /hoba/resource with a signed challenge; GET /hoba is the browser demo
 * (WebCrypto), served with its script.
 */
export function hobaRouter(deps: HobaDeps): Router {
  const router = Router();
  const options = {
    store: deps.store,
    clock: deps.clock,
    owner: deps.owner,
    secret: deps.config.session.secret,
    publicUrl: deps.config.publicUrl,
  };
  const limit = deps.credentials.guard({
    account: () => OTHER_ACCOUNT,
    counts: refusedWith('hoba_signature_invalid'),
  });
  router
    .route('/hoba/resource')
    .get(limit, hobaAuth(options), authenticated)
    .all(methodNotAllowed('GET'));
  router
    .route('/.well-known/hoba/register')
    .post(limit, ...jsonOrForm(), hobaRegister(options), registered)
    .all(methodNotAllowed('POST'));
  router
    .route('/hoba')
    .get(function hobaDemo(_req, res) {
      res.setHeader('Cache-Control', 'no-store');
      res.type('html').send(hobaPage());
    })
    .all(methodNotAllowed('GET'));
  router.use(
    assetRouter(['/hoba-demo.js', '/shared/hoba.js'], { otherMethods: methodNotAllowed('GET') }),
  );
  return router;
}

const authenticated: RequestHandler = function authenticated(_req, res) {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ authenticated: true, ...res.locals.hoba });
};

const registered: RequestHandler = function registered(_req, res) {
  const r = res.locals.hobaRegistered;
  res.setHeader('Cache-Control', 'no-store');
  res.json({
    registered: true,
    kid: r?.kid,
    kidtype: r?.kidtype,
    did: r?.did,
    expires_in: r?.expiresIn,
  });
};
