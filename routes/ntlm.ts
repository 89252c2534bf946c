import { Router, type Request, type RequestHandler } from 'express';
import { ntlmAuth, type NtlmScheme } from '../middleware/ntlm-auth';
import { OTHER_ACCOUNT, refusedWith, type FailureLimiter } from '../middleware/rate-limit';
import type { Config } from '../src/config';
import { methodNotAllowed } from '../src/http/problems';
import type { Clock } from '../src/store';

export interface NtlmDeps {
  config: Config;
  clock: Clock;
  /** The budget of refused credentials every secret check shares (middleware/rate-limit.ts). */
  credentials: FailureLimiter;
  /** Who is asking: a challenge is answered only by the visitor it was issued to. */
  owner: (req: Request) => string;
}

/**
 * Windows integrated authentication on a plain-http loopback server: /ntlm/resource offers
 * `Negotiate` and `NTLM` as IIS does, /negotiate/resource `Negotiate` alone (a raw NTLM token
 * inside it is accepted; Kerberos is not, there is no KDC). The synthetic domain FOUR-OH-ONE has
 * one account, the demo user.
 */
export function ntlmRouter(deps: NtlmDeps): Router {
  const router = Router();
  const accounts = { [deps.config.demo.username]: deps.config.demo.password };
  const guard = (offer: NtlmScheme[]) =>
    ntlmAuth({ offer, accounts, clock: deps.clock, owner: deps.owner });
  // Wrong passwords spend the shared budget of refused secrets, per address.
  const limit = deps.credentials.guard({
    account: () => OTHER_ACCOUNT,
    counts: refusedWith('ntlm_credentials_invalid'),
  });
  router
    .route('/ntlm/resource')
    .get(limit, guard(['Negotiate', 'NTLM']), authenticated)
    .all(methodNotAllowed('GET'));
  router
    .route('/negotiate/resource')
    .get(limit, guard(['Negotiate']), authenticated)
    .all(methodNotAllowed('GET'));
  return router;
}

/** Who the handshake authenticated; nothing stays authenticated on the connection. */
const authenticated: RequestHandler = function authenticated(_req, res) {
  res.setHeader('Cache-Control', 'no-store');
  const { user, domain, scheme } = res.locals.ntlm!;
  res.json({ authenticated: true, user, domain, scheme, connection_authenticated: false });
};
