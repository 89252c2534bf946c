import { Router, type Request, type RequestHandler } from 'express';
import { OTHER_ACCOUNT, refusedWith, type FailureLimiter } from '../middleware/rate-limit';
import { scramAuth } from '../middleware/scram-auth';
import type { Config } from '../src/config';
import { methodNotAllowed } from '../src/http/problems';
import type { Store } from '../src/store';

export interface ScramDeps {
  config: Config;
  store: Store;
  credentials: FailureLimiter;
  owner: (req: Request) => string;
}

/**
 * The demo account is RFC 7804's example (user / pencil), with the salts of RFC 7677 §3 and RFC
 * 5802 §5 and 4096 iterations, so that the RFCs' published exchanges apply to it word for word.
 */
export const SCRAM_DEMO = {
  accounts: { user: 'pencil' },
  salts: {
    'SCRAM-SHA-256': Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
    'SCRAM-SHA-1': Buffer.from('QSXCR+Q6sek8bf92', 'base64'),
  },
};

/** SCRAM-SHA-256 and SCRAM-SHA-1 over HTTP (RFC 7804): GET /scram/resource. */
export function scramRouter(deps: ScramDeps): Router {
  const router = Router();
  const limit = deps.credentials.guard({
    account: () => OTHER_ACCOUNT,
    counts: refusedWith('scram_proof_invalid'),
  });
  const guard = scramAuth({
    store: deps.store,
    owner: deps.owner,
    secret: deps.config.session.secret,
    ...SCRAM_DEMO,
  });
  router.route('/scram/resource').get(limit, guard, authenticated).all(methodNotAllowed('GET'));
  return router;
}

const authenticated: RequestHandler = function authenticated(_req, res) {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ authenticated: true, ...res.locals.scram });
};
