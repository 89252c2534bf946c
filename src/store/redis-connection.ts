import type { Logger } from 'pino';
import { createClient, ErrorReply } from 'redis';

export type RedisClient = ReturnType<typeof newRedisClient>;

export interface RedisConnectionOptions {
  url: string;
  /** The per-command deadline; also how long a command may wait to be written. */
  commandTimeoutMs: number;
  /** How often the connection is asked PING, busy or idle. */
  healthIntervalMs?: number;
  /** How long that PING may go unanswered before the connection is replaced. */
  healthTimeoutMs?: number;
  /** Commands waiting to be written or answered at once; one more fails at once (503). */
  maxPendingCommands?: number;
  logger?: Logger;
}

export const DEFAULT_HEALTH_INTERVAL_MS = 1000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 3000;
export const DEFAULT_MAX_PENDING_COMMANDS = 1000;

/**
 * The Redis connection of a RedisStore, replaced when it goes silent.
 *
 * A connection whose packets are dropped (a partition, a NAT or firewall that forgot the flow,
 * a paused VM) gives no error: writes land in the kernel's buffer and replies never come.
 * node-redis's own `pingInterval` cannot notice it, since a PING once written waits forever
 * for its reply. So a PING of our own is sent every `healthIntervalMs` with its own deadline;
 * when it misses, the client is destroyed (every queued command fails at once, 503) and a new
 * one connects. A new connection that is accepted but never answers its handshake is dropped
 * by node-redis's `socketTimeout` and retried. The queue of pending commands is capped so a
 * stalled connection cannot hoard memory.
 */
export class RedisConnection {
  private current: RedisClient;
  private readonly options: Required<Omit<RedisConnectionOptions, 'logger'>>;
  private readonly logger: Logger | undefined;
  private started = false;
  private closed = false;
  private probing = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private everReady = false;
  /** When the connection was last seen lost (for the "connected again" line). */
  private lostAt: number | undefined;
  private lastErrorLogged = 0;
  private readonly firstReady: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;

  constructor(options: RedisConnectionOptions) {
    this.options = {
      url: options.url,
      commandTimeoutMs: options.commandTimeoutMs,
      healthIntervalMs: options.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS,
      healthTimeoutMs: options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
      maxPendingCommands: options.maxPendingCommands ?? DEFAULT_MAX_PENDING_COMMANDS,
    };
    this.logger = options.logger;
    this.firstReady = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Handled here so that a store closed before anyone awaited connect() rejects nobody.
    this.firstReady.catch(() => undefined);
    this.current = this.newClient();
  }

  /** The client commands go to right now; a different one after a replacement. */
  get client(): RedisClient {
    return this.current;
  }

  get isReady(): boolean {
    return !this.closed && this.current.isReady;
  }

  /**
   * Starts connecting and checking; resolves on the first connection. While Redis is
   * unreachable it keeps retrying in the background (commands answer StoreUnavailableError
   * meanwhile); it rejects only if closed before it ever connected.
   */
  connect(): Promise<void> {
    if (!this.started && !this.closed) {
      this.started = true;
      this.open(this.current);
      this.healthTimer = setInterval(() => this.checkHealth(), this.options.healthIntervalMs);
      this.healthTimer.unref();
    }
    return this.firstReady;
  }

  /**
   * Closes the connection: waits up to `graceMs` for replies still due, then drops it. A
   * stalled Redis never holds up a shutdown longer than that.
   */
  async close(graceMs = this.options.commandTimeoutMs): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.healthTimer);
    this.rejectReady(new Error('the redis store was closed before it connected'));
    const client = this.current;
    if (!client.isOpen) {
      client.destroy();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([
      client.close().then(
        () => 'closed' as const,
        () => 'failed' as const,
      ),
      late,
    ]);
    clearTimeout(timer);
    if (outcome !== 'closed') client.destroy();
  }

  private newClient(): RedisClient {
    const client = newRedisClient(this.options);
    // Without a listener an 'error' event would crash the process; log at most once a second.
    client.on('error', (err: unknown) => {
      if (client !== this.current || this.closed) return;
      if (this.everReady && this.lostAt === undefined) this.lostAt = Date.now();
      const now = Date.now();
      if (now - this.lastErrorLogged > 1000) {
        this.lastErrorLogged = now;
        this.logger?.warn({ err: String(err) }, 'redis store error');
      }
    });
    client.on('ready', () => {
      if (client !== this.current || this.closed) return;
      if (!this.everReady) {
        this.everReady = true;
        this.logger?.info('redis: connected');
      } else if (this.lostAt !== undefined) {
        this.logger?.info({ downMs: Date.now() - this.lostAt }, 'redis: connected again');
      }
      this.lostAt = undefined;
      this.resolveReady();
    });
    return client;
  }

  /** Connects in the background; the promise rejects only when this client is destroyed. */
  private open(client: RedisClient): void {
    client.connect().catch(() => undefined);
  }

  private checkHealth(): void {
    const client = this.current;
    if (this.closed || this.probing || !client.isReady) return;
    this.probing = true;
    void this.probe(client).then((answered) => {
      this.probing = false;
      // Only a connection that still looks ready is replaced: one that failed loudly is
      // already being reconnected by node-redis.
      if (answered || this.closed || client !== this.current || !client.isReady) return;
      this.replace(client);
    });
  }

  /**
   * Whether Redis answers a PING within the health deadline. A PING that cannot even be queued
   * (the queue is full, the socket will not drain) is tried again until the deadline: a full
   * queue alone is not proof of a dead connection, no reply for that long is.
   */
  private async probe(client: RedisClient): Promise<boolean> {
    const deadline = Date.now() + this.options.healthTimeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        client.ping().then(
          () => 'reply' as const,
          // An error reply is an answer too: Redis is there.
          (err: unknown) => (err instanceof ErrorReply ? ('reply' as const) : ('failed' as const)),
        ),
        new Promise<'silent'>((resolve) => {
          timer = setTimeout(() => resolve('silent'), remaining);
        }),
      ]);
      clearTimeout(timer);
      if (outcome === 'reply') return true;
      if (outcome === 'silent') return false;
      // The socket failed loudly: node-redis reconnects by itself.
      if (!client.isReady) return true;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, remaining)));
    }
  }

  /** Drops a silent connection (its queued commands fail at once) and connects a new one. */
  private replace(client: RedisClient): void {
    this.logger?.warn(
      { healthTimeoutMs: this.options.healthTimeoutMs },
      `redis: no PING reply within ${this.options.healthTimeoutMs} ms; replacing the connection`,
    );
    this.lostAt ??= Date.now();
    this.current = this.newClient();
    client.destroy();
    this.open(this.current);
  }
}

function newRedisClient(options: Required<Omit<RedisConnectionOptions, 'logger'>>) {
  return createClient({
    url: options.url,
    // Fail fast while disconnected: a request answers 503 at once instead of waiting.
    disableOfflineQueue: true,
    // Abandons a command still waiting to be written past its deadline: it is never sent.
    commandOptions: { timeout: options.commandTimeoutMs },
    commandsQueueMaxLength: options.maxPendingCommands,
    socket: {
      connectTimeout: 2000,
      // Silence past the health deadline drops the socket, as during a handshake that a
      // black-holed connection never answers (the health PING covers a ready connection).
      socketTimeout: options.healthTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
    },
  });
}
