import type { Logger } from 'pino';
import type { Config } from '../config';
import type * as RedisModule from './redis';
import { MemoryStore } from './memory';
import type { Clock, Store } from './types';

export type { Clock, Store } from './types';
export { systemClock } from './types';
export { MemoryStore } from './memory';

/** The store a configuration asks for: Redis when REDIS_URL is set, else the embedded one. */
export function createStore(
  config: Pick<Config, 'redisUrl' | 'store'>,
  options: { logger?: Logger; clock?: Clock } = {},
): Store {
  const ownerQuota = {
    maxEntries: config.store.visitorMaxEntries,
    maxBytes: config.store.visitorMaxBytes,
  };
  if (config.redisUrl) {
    // Loaded only when used: the Redis client costs ~20 MB of RSS that a memory-store process
    // (the default, and the 100k-session budget in bench/RESULTS.md) should not pay.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { RedisStore } = require('./redis') as typeof RedisModule;
    const store = new RedisStore({ url: config.redisUrl, logger: options.logger, ownerQuota });
    // Start without waiting: until Redis answers, requests get 503 and /readyz says not ready.
    store.connect().catch((err: unknown) => {
      options.logger?.warn({ err: String(err) }, 'redis: first connection failed; retrying');
    });
    return store;
  }
  return new MemoryStore({
    maxEntries: config.store.maxEntries,
    maxBytes: config.store.maxBytes,
    ownerQuota,
    clock: options.clock,
  });
}
