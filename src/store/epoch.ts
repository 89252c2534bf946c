import type { Logger } from 'pino';
import type { Clock, Store } from './types';

/** The store key holding when the store's current data began (ms since the epoch). */
export const EPOCH_KEY = 'store:epoch';
/** Every entry expires; this one outlives any token by far. */
const EPOCH_TTL_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * Detects a store that lost its data (a Redis restarted without persistence, flushed, or
 * replaced; an embedded store after a restart). A lost store has forgotten every revocation,
 * used refresh token and revoke-all, so "nothing is revoked" would be a lie: instead, every
 * token issued before the loss is refused (`store_state_lost`), which is what fail-closed means.
 *
 * The store holds one key, EPOCH_KEY: when its data began. Verifiers read it with the keys they
 * read anyway (no extra round trip) and hand the value to `observe`. Absent on a process's first
 * look, it is written as the process's start (a fresh store: nothing issued by this process came
 * before it). Absent or changed after this process has seen it, the data was lost: the epoch
 * becomes now, and the loss is logged once, loudly.
 */
export class StoreEpoch {
  private known: number | undefined;
  private lostAt: number | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly startedAt: number,
    private readonly logger?: Logger,
  ) {}

  /** The epoch this process knows, if it has seen one. */
  get current(): number | undefined {
    return this.known;
  }

  /** For /readyz: since when the store's data dates, and whether this process saw it lost. */
  describe(): { since?: string; lost_while_running: boolean } {
    return {
      ...(this.known === undefined ? {} : { since: new Date(this.known).toISOString() }),
      lost_while_running: this.lostAt !== undefined,
    };
  }

  /** The epoch, read from the store (for those who have not read EPOCH_KEY already). */
  async read(): Promise<number> {
    return this.observe(await this.store.get(EPOCH_KEY));
  }

  /**
   * The epoch to judge by, given the value of EPOCH_KEY just read from the store: synchronous
   * when the store holds one (every request but the first after a start or a loss).
   */
  observe(value: string | undefined): number | Promise<number> {
    if (value === undefined) return this.establish();
    const epoch = Number(value);
    if (this.known !== undefined && epoch > this.known) {
      // Another instance saw the loss first; this one learns it here.
      this.lost(epoch, 'the store epoch moved');
    }
    this.known = epoch;
    return epoch;
  }

  /** No epoch in the store: write one (the process's start at first, now after a loss). */
  private async establish(): Promise<number> {
    const firstLook = this.known === undefined;
    const candidate = firstLook ? this.startedAt : this.clock.now();
    await this.store.setIfAbsent(EPOCH_KEY, String(candidate), EPOCH_TTL_MS);
    const stored = Number((await this.store.get(EPOCH_KEY)) ?? candidate);
    // Several requests may find the epoch gone at once: the first to learn the new one says so.
    if (!firstLook && this.known !== stored)
      this.lost(stored, 'the store no longer holds its epoch');
    this.known = stored;
    return stored;
  }

  private lost(epoch: number, why: string): void {
    this.lostAt = epoch;
    this.logger?.error(
      { epoch: new Date(epoch).toISOString() },
      `store lost its data (${why}): every revocation, used refresh token and session before it is gone, so every token issued before ${new Date(epoch).toISOString()} is refused (store_state_lost)`,
    );
  }
}

/** Whether a token issued at `iat` (seconds) came before the store's epoch (ms). */
export const issuedBeforeEpoch = (iat: number, epoch: number) => (iat + 1) * 1000 <= epoch;
