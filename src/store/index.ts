import type { Logger } from 'pino';
import type { Config } from '../config';
import { MemoryStore } from './memory';
import { RedisStore } from './redis';
import type { Clock, Store } from './types';

export type { Clock, Store } from './types';
export { systemClock } from './types';
export { MemoryStore } from './memory';
export { RedisStore } from './redis';

/** The store a configuration asks for: Redis when REDIS_URL is set, else the embedded one. */
export function createStore(
  config: Pick<Config, 'redisUrl' | 'store'>,
  options: { logger?: Logger; clock?: Clock } = {},
): Store {
  if (config.redisUrl) {
    const store = new RedisStore({ url: config.redisUrl, logger: options.logger });
    // Start without waiting: until Redis answers, requests get 503 and /readyz says not ready.
    store.connect().catch((err: unknown) => {
      options.logger?.warn({ err: String(err) }, 'redis: first connection failed; retrying');
    });
    return store;
  }
  return new MemoryStore({ maxEntries: config.store.maxEntries, clock: options.clock });
}
