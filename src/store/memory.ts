import { StoreUnavailableError } from '../problems';
import { checkTtl, systemClock, type Clock, type Store } from './types';

const FULL_SWEEP_EVERY_MS = 1000;

interface Entry {
  value: string;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /** The most live entries held at once; a write beyond it fails closed with 503. */
  maxEntries: number;
  clock?: Clock;
  /** How often expired entries are swept, in ms; 0 disables the timer (tests sweep by hand). */
  sweepIntervalMs?: number;
}

/**
 * The embedded store: a Map with per-entry expiry, bounded in size. Expired entries vanish on
 * read and are swept on a timer, so memory follows live entries only. When full it refuses new
 * keys rather than evicting: evicting would silently un-revoke a token or log a user out.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private lastFullSweep = -Infinity;

  constructor(options: MemoryStoreOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError('MemoryStore: maxEntries must be a positive integer');
    }
    this.maxEntries = options.maxEntries;
    this.clock = options.clock ?? systemClock;
    const every = options.sweepIntervalMs ?? 10_000;
    if (every > 0) {
      this.timer = setInterval(() => this.sweep(), every);
      this.timer.unref();
    }
  }

  /** Number of entries held, expired or not; for tests and the memory benchmark. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops every expired entry. */
  sweep(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private write(key: string, value: string, ttlMs: number): void {
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      // A sweep scans every entry; while full, sweep at most once a second, or a flood of
      // refused writes would each pay a full scan (~1.4 ms at 200k entries).
      const now = this.clock.now();
      if (now - this.lastFullSweep >= FULL_SWEEP_EVERY_MS) {
        this.lastFullSweep = now;
        this.sweep();
      }
      if (this.entries.size >= this.maxEntries) {
        throw new StoreUnavailableError(`memory store is full (${this.maxEntries} entries)`);
      }
    }
    this.entries.set(key, { value, expiresAt: this.clock.now() + checkTtl(ttlMs) });
  }

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    return keys.map((key) => this.live(key)?.value);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.write(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.write(key, value, ttlMs);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.live(key) !== undefined;
    this.entries.delete(key);
    return existed;
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const entry = this.live(key);
    if (entry) {
      const next = Number(entry.value) + 1;
      // As Redis's INCR refuses a non-integer value, so does this store.
      if (!Number.isSafeInteger(next)) throw new StoreUnavailableError(`${key} is not a counter`);
      entry.value = String(next);
      return next;
    }
    this.write(key, '1', ttlMs);
    return 1;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.entries.clear();
  }
}
