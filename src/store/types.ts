/** Milliseconds since the epoch; injected so that expiry is tested by moving time, not sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * All server state goes through this: sessions, revoked token ids, refresh-token families,
 * counters. Every entry expires. Implementations throw `StoreUnavailableError` when they cannot
 * answer, which the error handler turns into 503 (never 401).
 */
export interface Store {
  /** The value, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Several values in one round trip, in the order asked. */
  getMany(keys: string[]): Promise<(string | undefined)[]>;
  /** Writes a value that expires after `ttlMs`. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Writes only if absent; true when this call wrote it (a claim, a lock, a one-time use). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Removes a key; true when it existed. */
  delete(key: string): Promise<boolean>;
  /**
   * Adds one to a counter and returns the new count. A new counter expires `ttlMs` after its
   * first increment (a fixed window); later increments do not extend it.
   */
  increment(key: string, ttlMs: number): Promise<number>;
  /** Resolves when the store answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'memory' | 'redis';
}

/** Validates a time-to-live; every entry must expire. */
export function checkTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be positive');
  return Math.ceil(ttlMs);
}
