import type { Logger } from 'pino';
import { QuotaExceededError, StoreFullError, StoreUnavailableError } from '../http/problems';
import { RedisConnection, type RedisClient } from './redis-connection';
import {
  checkSize,
  checkTtl,
  entryBytes,
  type OwnerQuota,
  type Store,
  type StoreUsage,
} from './types';

export interface RedisStoreOptions {
  url: string;
  /** Prefix for every key, so several apps (or test runs) can share one Redis. */
  prefix?: string;
  /** How long one command may take before the request answers 503. */
  commandTimeoutMs?: number;
  /** How often the connection is checked with a PING of its own (ms). */
  healthIntervalMs?: number;
  /** How long that PING may go unanswered before the connection is replaced (ms). */
  healthTimeoutMs?: number;
  /** Commands waiting on the connection at once; one more answers 503 at once. */
  maxPendingCommands?: number;
  /** What one owner (a visitor) may hold; unbounded when absent. */
  ownerQuota?: OwnerQuota;
  logger?: Logger;
}

// Creates the counter with its window on the first increment only, atomically.
const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

// A write charged to an owner, atomically: forget the owner's expired entries, refuse when the
// new entry would pass its quota (-1), else write it and record its size and expiry.
// KEYS: the entry, the owner's expiry index (sorted set), the owner's sizes (hash), its total.
// ARGV: value, ttl ms, mode (set | nx | incr), now ms, max entries, max bytes, entry name, bytes.
// Returns 0 when nx found the key, -1 over quota, else 1 (or the counter's value for incr).
const OWNED_WRITE = `
local now = tonumber(ARGV[4])
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #gone > 0 then
  local sizes = redis.call('HMGET', KEYS[3], unpack(gone))
  local freed = 0
  for _, size in ipairs(sizes) do freed = freed + (tonumber(size) or 0) end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('HDEL', KEYS[3], unpack(gone))
  redis.call('DECRBY', KEYS[4], freed)
end
local exists = redis.call('EXISTS', KEYS[1]) == 1
if ARGV[3] == 'nx' and exists then return 0 end
if ARGV[3] == 'incr' and exists then return redis.call('INCR', KEYS[1]) end
local bytes = tonumber(ARGV[8])
local old = tonumber(redis.call('HGET', KEYS[3], ARGV[7]) or '0')
local count = redis.call('ZCARD', KEYS[2])
if old == 0 then count = count + 1 end
local total = tonumber(redis.call('GET', KEYS[4]) or '0') + bytes - old
if count > tonumber(ARGV[5]) or total > tonumber(ARGV[6]) then return -1 end
local px = tonumber(ARGV[2])
local reply = 1
if ARGV[3] == 'incr' then
  reply = redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], px)
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', px)
end
redis.call('ZADD', KEYS[2], now + px, ARGV[7])
redis.call('HSET', KEYS[3], ARGV[7], bytes)
redis.call('INCRBY', KEYS[4], bytes - old)
for i = 2, 4 do
  if redis.call('PTTL', KEYS[i]) < px then redis.call('PEXPIRE', KEYS[i], px) end
end
return reply`;

/**
 * The shared store: several server processes on one Redis behave as one server. Commands fail
 * fast while Redis is unreachable (no offline queue, a command timeout), so a request answers
 * 503 at once instead of hanging; the connection reconnects in the background, and is replaced
 * when it goes silent (src/store/redis-connection.ts).
 */
export class RedisStore implements Store {
  readonly kind = 'redis';
  private readonly connection: RedisConnection;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly quota: OwnerQuota | undefined;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'four-oh-one:';
    this.timeoutMs = options.commandTimeoutMs ?? 1000;
    this.quota = options.ownerQuota;
    this.connection = new RedisConnection({
      url: options.url,
      commandTimeoutMs: this.timeoutMs,
      healthIntervalMs: options.healthIntervalMs,
      healthTimeoutMs: options.healthTimeoutMs,
      maxPendingCommands: options.maxPendingCommands,
      logger: options.logger,
    });
  }

  /** The client commands go to right now (a new one after the connection is replaced). */
  private get client(): RedisClient {
    return this.connection.client;
  }

  /**
   * Starts connecting; resolves when connected. While Redis is unreachable it keeps retrying in
   * the background rather than rejecting (commands answer StoreUnavailableError meanwhile); it
   * rejects only if the store is closed before it connects.
   */
  connect(): Promise<unknown> {
    return this.connection.connect();
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.connection.isReady) throw new StoreUnavailableError('redis is not connected');
    // node-redis's command timeout covers only the wait to be written: once a command is on the
    // socket it waits for its reply forever, so a Redis that stops answering (paused, partitioned)
    // would hang every request. Give up after our own deadline; the late reply, if any, still
    // lands on the abandoned command (replies stay in order), so nothing is mismatched.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError(`redis did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([command(), deadline]);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      // maxmemory with noeviction (docker-compose.yml): Redis is full, for everyone.
      if (String(err).includes('OOM')) throw new StoreFullError(`redis is full: ${String(err)}`);
      throw new StoreUnavailableError(`redis command failed: ${String(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run(() => this.client.get(this.prefix + key));
    return value ?? undefined;
  }

  // checkTtl runs before run(): a bad ttl is the caller's bug (RangeError), not an outage (503).
  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.run(() => this.client.mGet(keys.map((k) => this.prefix + k)));
    return values.map((v) => v ?? undefined);
  }

  async set(key: string, value: string, ttlMs: number, owner?: string): Promise<void> {
    const px = checkTtl(ttlMs);
    checkSize(key, value);
    if (owner !== undefined && this.quota) {
      await this.ownedWrite(key, value, px, 'set', owner);
      return;
    }
    await this.run(() => this.client.set(this.prefix + key, value, { PX: px }));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number, owner?: string): Promise<boolean> {
    const px = checkTtl(ttlMs);
    checkSize(key, value);
    if (owner !== undefined && this.quota) {
      return (await this.ownedWrite(key, value, px, 'nx', owner)) === 1;
    }
    const reply = await this.run(() =>
      this.client.set(this.prefix + key, value, { PX: px, NX: true }),
    );
    return reply === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run(() => this.client.del(this.prefix + key))) > 0;
  }

  async increment(key: string, ttlMs: number, owner?: string): Promise<number> {
    const px = checkTtl(ttlMs);
    if (owner !== undefined && this.quota) return this.ownedWrite(key, '1', px, 'incr', owner);
    const reply = await this.run(() =>
      this.client.eval(INCREMENT, { keys: [this.prefix + key], arguments: [String(px)] }),
    );
    return Number(reply);
  }

  /**
   * A write charged to an owner's quota (OWNED_WRITE). The owner's index expires with its
   * longest-lived entry, so nothing about a visitor outlives what it wrote.
   */
  private async ownedWrite(
    key: string,
    value: string,
    px: number,
    mode: 'set' | 'nx' | 'incr',
    owner: string,
  ): Promise<number> {
    const quota = this.quota as OwnerQuota;
    const base = `${this.prefix}owner:${owner}:`;
    const reply = await this.run(() =>
      this.client.eval(OWNED_WRITE, {
        keys: [this.prefix + key, `${base}expiry`, `${base}sizes`, `${base}bytes`],
        arguments: [
          value,
          String(px),
          mode,
          String(Date.now()),
          String(quota.maxEntries),
          String(quota.maxBytes),
          key,
          String(entryBytes(key, value)),
        ],
      }),
    );
    const n = Number(reply);
    if (n === -1) {
      throw new QuotaExceededError(
        `at most ${quota.maxEntries} entries, ${quota.maxBytes} bytes`,
        60,
      );
    }
    return n;
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping());
  }

  /** Keys in this Redis database, and Redis's own memory figures (maxmemory 0 means none). */
  async usage(): Promise<StoreUsage> {
    const [keys, info] = await this.run(() =>
      Promise.all([this.client.dbSize(), this.client.info('memory')]),
    );
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    const maxBytes = field('maxmemory');
    return { entries: keys, bytes: field('used_memory'), ...(maxBytes > 0 ? { maxBytes } : {}) };
  }

  /** Waits for replies still due at most one command deadline: a stalled Redis never holds up a shutdown. */
  async close(): Promise<void> {
    await this.connection.close(this.timeoutMs);
  }
}
