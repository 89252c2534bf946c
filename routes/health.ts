import { Router } from 'express';
import { methodNotAllowed } from '../src/problems';
import type { Store } from '../src/store';

/** Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the store answers too). */
export function healthRouter(store: Store): Router {
  const router = Router();
  router
    .route('/healthz')
    .get(function healthz(_req, res) {
      res.json({ status: 'ok' });
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/readyz')
    .get(async function readyz(_req, res) {
      await store.ping(); // throws StoreUnavailableError -> 503 problem
      res.json({ status: 'ready', store: store.kind });
    })
    .all(methodNotAllowed('GET'));
  return router;
}
