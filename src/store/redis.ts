import { createClient } from 'redis';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../problems';
import { checkTtl, type Store } from './types';

export interface RedisStoreOptions {
  url: string;
  /** Prefix for every key, so several apps (or test runs) can share one Redis. */
  prefix?: string;
  /** How long one command may take before the request answers 503. */
  commandTimeoutMs?: number;
  logger?: Logger;
}

// Creates the counter with its window on the first increment only, atomically.
const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/**
 * The shared store: several server processes on one Redis behave as one server. Commands fail
 * fast while Redis is unreachable (no offline queue, a command timeout), so a request answers
 * 503 at once instead of hanging, and the client reconnects in the background.
 */
export class RedisStore implements Store {
  readonly kind = 'redis';
  private readonly client;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private connecting: Promise<unknown> | undefined;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'four-oh-one:';
    this.timeoutMs = options.commandTimeoutMs ?? 1000;
    const logger = options.logger;
    let lastLogged = 0;
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: this.timeoutMs },
      // A connection that goes silent (no RST) is only noticed when something is sent on it:
      // ping every 5 s so a dead socket is replaced within seconds, not after TCP keepalive.
      pingInterval: 5000,
      socket: {
        connectTimeout: 2000,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
      },
    });
    // Without a listener an 'error' event would crash the process; log at most once a second.
    this.client.on('error', (err: unknown) => {
      const now = Date.now();
      if (logger && now - lastLogged > 1000) {
        lastLogged = now;
        logger.warn({ err: String(err) }, 'redis store error');
      }
    });
  }

  /**
   * Starts connecting; resolves when connected. While Redis is unreachable it keeps retrying in
   * the background rather than rejecting (commands answer StoreUnavailableError meanwhile); it
   * rejects only if the store is closed before it connects.
   */
  connect(): Promise<unknown> {
    this.connecting ??= this.client.connect();
    return this.connecting;
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.client.isReady) throw new StoreUnavailableError('redis is not connected');
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

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const px = checkTtl(ttlMs);
    await this.run(() => this.client.set(this.prefix + key, value, { PX: px }));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const px = checkTtl(ttlMs);
    const reply = await this.run(() =>
      this.client.set(this.prefix + key, value, { PX: px, NX: true }),
    );
    return reply === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run(() => this.client.del(this.prefix + key))) > 0;
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const px = checkTtl(ttlMs);
    const reply = await this.run(() =>
      this.client.eval(INCREMENT, { keys: [this.prefix + key], arguments: [String(px)] }),
    );
    return Number(reply);
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close();
    else this.client.destroy();
  }
}
