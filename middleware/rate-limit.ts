import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type Store as LimiterStore } from 'express-rate-limit';
import { problem } from '../src/problems';
import type { Clock, Store } from '../src/store';

/**
 * express-rate-limit's store on this server's Store, in fixed windows: the counters live where
 * all state lives (memory, or Redis shared by every instance), expire with their window, and a
 * store outage fails closed (503) instead of letting unlimited attempts through.
 * Hits and successes are two counters, since the Store has no decrement.
 */
class WindowStore implements LimiterStore {
  readonly localKeys = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly prefix: string,
    private readonly windowMs: number,
  ) {}

  private window(): { id: number; resetTime: Date } {
    const now = this.clock.now();
    const id = Math.floor(now / this.windowMs);
    // express-rate-limit compares resetTime with the real Date.now(); express the window's end
    // on that clock, whatever clock (injected in tests) decides the window.
    return { id, resetTime: new Date(Date.now() + (id + 1) * this.windowMs - now) };
  }

  private keys(key: string, id: number) {
    const base = `${this.prefix}${key}:${id}`;
    return { hits: `${base}:hits`, ok: `${base}:ok` };
  }

  async increment(key: string) {
    const { id, resetTime } = this.window();
    const k = this.keys(key, id);
    const hits = await this.store.increment(k.hits, this.windowMs);
    const [ok] = await this.store.getMany([k.ok]);
    return { totalHits: hits - Number(ok ?? 0), resetTime };
  }

  async decrement(key: string) {
    await this.store.increment(this.keys(key, this.window().id).ok, this.windowMs);
  }

  async resetKey(key: string) {
    const k = this.keys(key, this.window().id);
    await Promise.all([this.store.delete(k.hits), this.store.delete(k.ok)]);
  }
}

export interface LoginRateLimitOptions {
  store: Store;
  clock: Clock;
  perAccount: number;
  perAddress: number;
  windowSeconds: number;
}

/** The account a login names, or a placeholder for a body that names none (still counted). */
function accountOf(req: Request): string {
  const username = (req.body as Record<string, unknown> | undefined)?.username;
  return typeof username === 'string' && username.length <= 128 ? username : '(none)';
}

/** One fixed-window limiter on the shared store; 429 with Retry-After over the limit. */
function limiter(options: {
  store: Store;
  clock: Clock;
  name: string;
  limit: number;
  windowSeconds: number;
  keyGenerator: (req: Request) => string;
  /** Count only failures (a response for which this returns false is uncounted). */
  countOnly?: (res: Response) => boolean;
  code: 'too_many_attempts' | 'rate_limited';
  detail: string;
}): RequestHandler {
  const windowMs = options.windowSeconds * 1000;
  const countOnly = options.countOnly;
  return rateLimit({
    windowMs,
    limit: options.limit,
    store: new WindowStore(options.store, options.clock, `${options.name}:`, windowMs),
    keyGenerator: options.keyGenerator,
    skipSuccessfulRequests: countOnly !== undefined,
    requestWasSuccessful: (_req, res) => (countOnly ? !countOnly(res) : true),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: options.name,
    passOnStoreError: false,
    // The key generators handle IPv6 and trust proxy; the library's checks of them log noise.
    validate: { keyGeneratorIpFallback: false, trustProxy: false, xForwardedForHeader: false },
    handler: (_req, _res, next) => {
      next(problem(options.code, { detail: options.detail }));
    },
  });
}

/** The client address Express trusts (TRUST_PROXY), IPv6 grouped by /56 as the library advises. */
const clientAddress = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');

/**
 * Failed logins are limited per client address and per account (both, so neither one address
 * trying many accounts nor many addresses trying one account get far). Only refused credentials
 * (401) count: a malformed form (400) or a store outage (503) must not lock an account. Must run
 * after the body is parsed. Over the limit: 429 `too_many_attempts` with Retry-After.
 */
export function loginRateLimit(options: LoginRateLimitOptions): RequestHandler[] {
  const common = {
    store: options.store,
    clock: options.clock,
    windowSeconds: options.windowSeconds,
    countOnly: (res: Response) => res.statusCode === 401,
    code: 'too_many_attempts' as const,
  };
  const detail = (scope: string) =>
    `Too many failed logins for this ${scope} in the last ${options.windowSeconds}s; try again after the Retry-After delay.`;
  return [
    limiter({
      ...common,
      name: 'login-address',
      limit: options.perAddress,
      keyGenerator: clientAddress,
      detail: detail('address'),
    }),
    limiter({
      ...common,
      name: 'login-account',
      limit: options.perAccount,
      keyGenerator: accountOf,
      detail: detail('account'),
    }),
  ];
}

/**
 * Every request counted per client address: for routes where anyone can create a little state
 * (Digest nonce counts, whose credentials are in the URL), so a flood meets 429 long before the
 * store fills up and answers 503 for everyone.
 */
export function addressRateLimit(options: {
  store: Store;
  clock: Clock;
  name: string;
  limit: number;
  windowSeconds: number;
}): RequestHandler {
  return limiter({
    ...options,
    keyGenerator: clientAddress,
    code: 'rate_limited',
    detail: `More than ${options.limit} requests from this address in ${options.windowSeconds}s; try again after the Retry-After delay.`,
  });
}
