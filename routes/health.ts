import { Router } from 'express';
import { methodNotAllowed, StoreFullError } from '../src/problems';
import type { Store } from '../src/store';

/** From this fill level on, /readyz says the store is nearly full (still ready). */
const NEAR_FULL = 0.9;

/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the store answers and
 * has room: a full store answers 503 store_full, so a balancer stops sending new work).
 */
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
      const usage = await store.usage();
      const fill = Math.max(
        usage.maxEntries ? usage.entries / usage.maxEntries : 0,
        usage.maxBytes ? usage.bytes / usage.maxBytes : 0,
      );
      if (fill >= 1) {
        throw new StoreFullError(`${usage.entries} entries, ${usage.bytes} bytes`);
      }
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        status: 'ready',
        store: store.kind,
        usage: { ...usage, fill: Math.round(fill * 1000) / 1000, near_full: fill >= NEAR_FULL },
      });
    })
    .all(methodNotAllowed('GET'));
  return router;
}
