import { QuotaExceededError, StoreFullError, StoreUnavailableError } from '../http/problems';
import {
  checkSize,
  checkTtl,
  entryBytes,
  systemClock,
  type Clock,
  type OwnerQuota,
  type Store,
  type StoreUsage,
} from './types';

const FULL_SWEEP_EVERY_MS = 1000;

interface Entry {
  value: string;
  expiresAt: number;
  /** What the entry costs against the byte bounds (see entryBytes). */
  bytes: number;
  owner: string | undefined;
}

interface Holding {
  entries: number;
  bytes: number;
  /** The earliest expiry among the owner's entries written so far (a hint for Retry-After). */
  firstExpiry: number;
}

export interface MemoryStoreOptions {
  /** The most live entries held at once; a write beyond it fails closed with 503. */
  maxEntries: number;
  /** The most bytes (keys, values and a fixed overhead per entry) held at once. */
  maxBytes?: number;
  /** What one owner may hold; unbounded when absent. */
  ownerQuota?: OwnerQuota;
  clock?: Clock;
  /** How often expired entries are swept, in ms; 0 disables the timer (tests sweep by hand). */
  sweepIntervalMs?: number;
}

/**
 * The embedded store: a Map with per-entry expiry, bounded in entries and bytes, overall and per
 * owner. Expired entries vanish on read and are swept on a timer, so memory follows live entries
 * only. When full it refuses new keys rather than evicting: evicting would silently un-revoke a
 * token or log a user out.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private readonly entries = new Map<string, Entry>();
  private readonly owners = new Map<string, Holding>();
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly quota: OwnerQuota | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private lastFullSweep = -Infinity;
  private heldBytes = 0;

  constructor(options: MemoryStoreOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError('MemoryStore: maxEntries must be a positive integer');
    }
    this.maxEntries = options.maxEntries;
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.quota = options.ownerQuota;
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

  /** Bytes held (see entryBytes); for tests and the abuse benchmark. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** What one owner holds now (expired entries included until swept). */
  holding(owner: string): { entries: number; bytes: number } {
    const h = this.owners.get(owner);
    return { entries: h?.entries ?? 0, bytes: h?.bytes ?? 0 };
  }

  /** Drops every expired entry. */
  sweep(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.remove(key, entry);
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.heldBytes -= entry.bytes;
    if (entry.owner === undefined) return;
    const h = this.owners.get(entry.owner);
    if (!h) return;
    h.entries -= 1;
    h.bytes -= entry.bytes;
    if (h.entries <= 0) this.owners.delete(entry.owner);
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.remove(key, entry);
      return undefined;
    }
    return entry;
  }

  /** A full scan, at most once a second: a flood of refused writes must not each pay one. */
  private sweepWhenFull(): void {
    const now = this.clock.now();
    if (now - this.lastFullSweep >= FULL_SWEEP_EVERY_MS) {
      this.lastFullSweep = now;
      this.sweep();
    }
  }

  private write(key: string, value: string, ttlMs: number, owner: string | undefined): void {
    checkSize(key, value);
    const expiresAt = this.clock.now() + checkTtl(ttlMs);
    const bytes = entryBytes(key, value);
    const previous = this.live(key);
    // An overwrite is charged to whoever owned the entry; only the size difference is new.
    const payer = previous ? previous.owner : owner;
    const addedEntries = previous ? 0 : 1;
    const addedBytes = bytes - (previous?.bytes ?? 0);
    if (payer !== undefined && this.quota && addedBytes + addedEntries > 0) {
      this.checkQuota(payer, addedEntries, addedBytes);
    }
    if (
      this.entries.size + addedEntries > this.maxEntries ||
      this.heldBytes + addedBytes > this.maxBytes
    ) {
      this.sweepWhenFull();
      if (
        this.entries.size + addedEntries > this.maxEntries ||
        this.heldBytes + addedBytes > this.maxBytes
      ) {
        throw new StoreFullError(
          `memory store is full (${this.entries.size} entries, ${this.heldBytes} bytes)`,
        );
      }
    }
    if (previous) this.remove(key, previous);
    this.entries.set(key, { value, expiresAt, bytes, owner: payer });
    this.heldBytes += bytes;
    if (payer !== undefined) {
      const h = this.owners.get(payer);
      if (h) {
        h.entries += 1;
        h.bytes += bytes;
        h.firstExpiry = Math.min(h.firstExpiry, expiresAt);
      } else this.owners.set(payer, { entries: 1, bytes, firstExpiry: expiresAt });
    }
  }

  private checkQuota(owner: string, addedEntries: number, addedBytes: number): void {
    const quota = this.quota;
    if (!quota) return;
    const over = () => {
      const h = this.owners.get(owner);
      return (
        h !== undefined &&
        (h.entries + addedEntries > quota.maxEntries || h.bytes + addedBytes > quota.maxBytes)
      );
    };
    if (!over()) return;
    // The counts include entries that expired but were not swept yet; sweep before refusing.
    this.sweepWhenFull();
    if (!over()) return;
    const h = this.owners.get(owner);
    const now = this.clock.now();
    const wait = h && h.firstExpiry > now ? Math.ceil((h.firstExpiry - now) / 1000) : 1;
    throw new QuotaExceededError(
      `${h?.entries ?? 0} entries, ${h?.bytes ?? 0} bytes; at most ${quota.maxEntries} entries, ${quota.maxBytes} bytes`,
      Math.min(Math.max(wait, 1), 3600),
    );
  }

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    return keys.map((key) => this.live(key)?.value);
  }

  async set(key: string, value: string, ttlMs: number, owner?: string): Promise<void> {
    this.write(key, value, ttlMs, owner);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number, owner?: string): Promise<boolean> {
    if (this.live(key)) return false;
    this.write(key, value, ttlMs, owner);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const entry = this.live(key);
    if (entry) this.remove(key, entry);
    return entry !== undefined;
  }

  async increment(key: string, ttlMs: number, owner?: string): Promise<number> {
    const entry = this.live(key);
    if (entry) {
      const next = Number(entry.value) + 1;
      // As Redis's INCR refuses a non-integer value, so does this store.
      if (!Number.isSafeInteger(next)) throw new StoreUnavailableError(`${key} is not a counter`);
      const value = String(next);
      const bytes = entryBytes(key, value);
      this.heldBytes += bytes - entry.bytes;
      const h = entry.owner === undefined ? undefined : this.owners.get(entry.owner);
      if (h) h.bytes += bytes - entry.bytes;
      entry.value = value;
      entry.bytes = bytes;
      return next;
    }
    this.write(key, '1', ttlMs, owner);
    return 1;
  }

  async ping(): Promise<void> {}

  async usage(): Promise<StoreUsage> {
    return {
      entries: this.entries.size,
      bytes: this.heldBytes,
      maxEntries: this.maxEntries,
      ...(Number.isFinite(this.maxBytes) ? { maxBytes: this.maxBytes } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.entries.clear();
    this.owners.clear();
    this.heldBytes = 0;
  }
}
