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
  private connecting: Promise<unknown> | undefined;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'four-oh-one:';
    const logger = options.logger;
    let lastLogged = 0;
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: options.commandTimeoutMs ?? 1000 },
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

  /** Starts connecting; resolves when connected, rejects if the first attempt fails. */
  connect(): Promise<unknown> {
    this.connecting ??= this.client.connect();
    return this.connecting;
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.client.isReady) throw new StoreUnavailableError('redis is not connected');
    try {
      return await command();
    } catch (err) {
      throw new StoreUnavailableError(`redis command failed: ${String(err)}`, { cause: err });
    }
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run(() => this.client.get(this.prefix + key));
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run(() => this.client.set(this.prefix + key, value, { PX: checkTtl(ttlMs) }));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = await this.run(() =>
      this.client.set(this.prefix + key, value, { PX: checkTtl(ttlMs), NX: true }),
    );
    return reply === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run(() => this.client.del(this.prefix + key))) > 0;
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const reply = await this.run(() =>
      this.client.eval(INCREMENT, {
        keys: [this.prefix + key],
        arguments: [String(checkTtl(ttlMs))],
      }),
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
