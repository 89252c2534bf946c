import { Router } from 'express';
import { methodNotAllowed, problem, StoreFullError } from '../src/http/problems';
import type { Store } from '../src/store';
import type { StoreEpoch } from '../src/store/epoch';

/** From this fill level on, /readyz says the store is nearly full (still ready). */
const NEAR_FULL = 0.9;

export interface HealthOptions {
  /** True once the process is shutting down (src/server.ts, on SIGTERM). */
  draining?: () => boolean;
  /** Tells whether the store lost its data (src/store/epoch.ts); /readyz looks every time. */
  epoch?: StoreEpoch;
}

/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the store answers and
 * has room: a full store answers 503 store_full, so a balancer stops sending new work. The fill
 * level is given in whole percent, never the count of entries or bytes: anyone may ask, and an
 * exact count would let one visitor watch another's logins and refreshes come and go. And since
 * when its data dates, with whether this process saw it lost: src/store/epoch.ts). On
 * SIGTERM readiness fails first (503 shutting_down) while requests are still served, so a
 * balancer drains the instance before it stops accepting.
 */
export function healthRouter(store: Store, options: HealthOptions = {}): Router {
  const { draining, epoch } = options;
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
      if (draining?.()) {
        throw problem('shutting_down', {
          detail: 'This instance is shutting down; another one will answer.',
          headers: { 'Retry-After': '1' },
        });
      }
      await store.ping(); // throws StoreUnavailableError -> 503 problem
      const usage = await store.usage();
      const fill = Math.max(
        usage.maxEntries ? usage.entries / usage.maxEntries : 0,
        usage.maxBytes ? usage.bytes / usage.maxBytes : 0,
      );
      if (fill >= 1) {
        throw new StoreFullError(`${usage.entries} entries, ${usage.bytes} bytes`);
      }
      // A balancer polling readiness also notices a store that lost its data, with no token
      // traffic at all: the loss is logged at once, and reported here.
      await epoch?.read();
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        status: 'ready',
        store: store.kind,
        usage: {
          ...(usage.maxEntries === undefined ? {} : { maxEntries: usage.maxEntries }),
          ...(usage.maxBytes === undefined ? {} : { maxBytes: usage.maxBytes }),
          fill: Math.floor(fill * 100) / 100,
          near_full: fill >= NEAR_FULL,
        },
        ...(epoch ? { state: epoch.describe() } : {}),
      });
    })
    .all(methodNotAllowed('GET'));
  return router;
}
