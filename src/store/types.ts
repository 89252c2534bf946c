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
  /**
   * Writes a value that expires after `ttlMs`. With an `owner` (a visitor's tag), the entry is
   * charged to that owner's quota; a write past it throws QuotaExceededError and changes nothing.
   */
  set(key: string, value: string, ttlMs: number, owner?: string): Promise<void>;
  /** Writes only if absent; true when this call wrote it (a claim, a lock, a one-time use). */
  setIfAbsent(key: string, value: string, ttlMs: number, owner?: string): Promise<boolean>;
  /** Removes a key; true when it existed. */
  delete(key: string): Promise<boolean>;
  /**
   * Adds one to a counter and returns the new count. A new counter expires `ttlMs` after its
   * first increment (a fixed window); later increments do not extend it.
   */
  increment(key: string, ttlMs: number, owner?: string): Promise<number>;
  /** Resolves when the store answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /** How full the store is, for /readyz; rejects with StoreUnavailableError when it cannot say. */
  usage(): Promise<StoreUsage>;
  close(): Promise<void>;
  readonly kind: 'memory' | 'redis';
}

/** A store's fill level. Counts are approximate for Redis (its own memory accounting). */
export interface StoreUsage {
  /** Live entries (memory), or keys (Redis). */
  entries: number;
  /** Bytes held: keys and values (memory), or Redis's used_memory. */
  bytes: number;
  /** The bounds, when the store has them (Redis without maxmemory has none). */
  maxEntries?: number;
  maxBytes?: number;
}

/**
 * What one owner (a visitor) may hold in the store at once. Every write a visitor can cause
 * names its owner, so one visitor filling its share is refused (429) while others are not.
 */
export interface OwnerQuota {
  maxEntries: number;
  maxBytes: number;
}

/** What an entry costs against the byte bounds: key and value lengths plus a fixed overhead. */
export const ENTRY_OVERHEAD_BYTES = 64;
export const entryBytes = (key: string, value: string) =>
  key.length + value.length + ENTRY_OVERHEAD_BYTES;

/** The longest key and value any caller may write: fields are length-checked long before this. */
export const MAX_KEY_LENGTH = 512;
export const MAX_VALUE_LENGTH = 64 * 1024;

/** Validates a write's size: an over-long key or value is a caller's bug, never stored. */
export function checkSize(key: string, value: string): void {
  if (key.length > MAX_KEY_LENGTH) throw new RangeError(`store key longer than ${MAX_KEY_LENGTH}`);
  if (value.length > MAX_VALUE_LENGTH) {
    throw new RangeError(`store value longer than ${MAX_VALUE_LENGTH}`);
  }
}

/** Validates a time-to-live; every entry must expire. */
export function checkTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be positive');
  return Math.ceil(ttlMs);
}
