import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { FailureLimits } from '../src/config';
import type { Directory } from '../src/tokens/identities';
import { problem, type HttpError } from '../src/http/problems';
import type { Clock, Store } from '../src/store';
import { clientAddress } from '../src/http/visitors';

/**
 * The account every name outside the demo directory is counted under, one per client address:
 * a stranger's thousand made-up user names are one counter, not a thousand store entries.
 */
export const OTHER_ACCOUNT = '(other)';

/** The longest account name a request may send; demo credentials are at most 128 characters. */
export const MAX_ACCOUNT_NAME = 128;

/** One partition of one limit: its name (in headers and keys), its limit and its key. */
interface Counter {
  name: string;
  limit: number;
  key: string;
  /** For the 429's detail: "this address", "this account from this address". */
  scope: string;
}

interface WindowLimitOptions {
  store: Store;
  clock: Clock;
  windowSeconds: number;
  logger?: Logger;
}

/** What a guarded route counts and how it answers: see `FailureLimiter.guard`. */
export interface GuardSpec {
  /** The account a request names, already reduced to a known one or OTHER_ACCOUNT; may throw a 400. */
  account?: (req: Request) => string;
  /** Whether the answer refused a credential (read after it was written). */
  counts: (req: Request, res: Response) => boolean;
  /** The 429 itself; a problem `too_many_attempts` unless the route speaks another dialect. */
  refuse?: (detail: string, headers: Record<string, string>, req: Request) => HttpError;
  /**
   * No RateLimit headers, and none on the refusal: for a resource that must look like one that
   * does not exist (its `refuse` then answers as a missing resource would).
   */
  quiet?: boolean;
}

/**
 * Fixed-window counters on the shared store, written only for the answers that count. A request
 * first reads its counters (one round trip) and is refused with 429 when one is spent; only when
 * its answer is one that counts (a refused credential: never a 400, a 503 or a success) are the
 * counters incremented, after the answer. So a store outage never counts against anyone, and a
 * request that counts nothing writes nothing.
 *
 * Reading before counting lets parallel requests pass on the same reading; so requests in flight
 * on this process count as if they had failed until they are answered. Across N instances, at
 * most the requests in flight on the other instances get past a spent limit.
 */
function windowLimit(
  options: WindowLimitOptions,
  counters: (req: Request) => Counter[],
  spec: GuardSpec,
): RequestHandler {
  const { store, clock, windowSeconds, logger } = options;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1) {
    throw new TypeError('rate limit: windowSeconds must be a positive whole number');
  }
  const windowMs = windowSeconds * 1000;
  /** Requests in flight on this process, per store key. */
  const inFlight = new Map<string, number>();
  const refuse =
    spec.refuse ??
    ((detail: string, headers: Record<string, string>) =>
      problem('too_many_attempts', { detail, headers }));

  const release = (keys: string[]) => {
    for (const key of keys) {
      const n = (inFlight.get(key) ?? 1) - 1;
      if (n > 0) inFlight.set(key, n);
      else inFlight.delete(key);
    }
  };

  return async function rateLimitMiddleware(req, res, next) {
    const list = counters(req);
    const now = clock.now();
    const window = Math.floor(now / windowMs);
    const end = (window + 1) * windowMs;
    const keys = list.map((c) => `rl:${c.name}:${c.key}:${window}`);
    const stored = await store.getMany(keys);
    const used = keys.map((key, i) => Number(stored[i] ?? 0) + (inFlight.get(key) ?? 0));
    const reset = Math.max(1, Math.ceil((end - now) / 1000));
    // draft-ietf-httpapi-ratelimit-headers-08, as express-rate-limit writes it, but for the
    // optional partition key: `r` is what is left should this request count.
    list.forEach((c, i) => {
      if (spec.quiet) return;
      const remaining = Math.max(0, c.limit - (used[i] ?? 0) - 1);
      res.append('RateLimit', `"${c.name}"; r=${remaining}; t=${reset}`);
      res.append('RateLimit-Policy', `"${c.name}"; q=${c.limit}; w=${windowSeconds}`);
    });
    const spent = list.find((c, i) => (used[i] ?? 0) >= c.limit);
    if (spent) {
      throw refuse(
        `Too many refused attempts for ${spent.scope} in this ${windowSeconds}s window; try again after the Retry-After delay.`,
        spec.quiet ? {} : { 'Retry-After': String(reset) },
        req,
      );
    }
    // From here to the answer this request counts as a failure in flight (see above).
    for (const key of keys) inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      let counts = false;
      try {
        counts = spec.counts(req, res);
      } catch (err) {
        logger?.warn({ err, requestId: res.locals.requestId }, 'rate limit: count check failed');
      }
      const ttl = end - clock.now();
      if (!counts || ttl <= 0) {
        release(keys);
        return;
      }
      // Released only once written, so that the next reading sees it one way or the other.
      Promise.all(keys.map((key) => store.increment(key, ttl)))
        .catch((err: unknown) => {
          logger?.warn(
            { err: String(err), requestId: res.locals.requestId },
            'rate limit: a refusal was not counted (store unavailable)',
          );
        })
        .finally(() => release(keys));
    };
    res.once('finish', settle);
    res.once('close', settle);
    next();
  };
}

/** The problem code a refusal was answered with (set by the error writer), if any. */
export const problemCodeOf = (res: Response): string | undefined => res.locals.problemCode;

/** Counts answers refused with one of these problem codes. */
export function refusedWith(...codes: string[]): GuardSpec['counts'] {
  const set = new Set(codes);
  return (_req, res) => set.has(problemCodeOf(res) ?? '');
}

/** A demo user's name as an account key, OTHER_ACCOUNT for anything else. */
export function userAccount(directory: Directory, name: unknown): string {
  return typeof name === 'string' && directory.user(name) ? `user:${name}` : OTHER_ACCOUNT;
}

/** A demo client's id as an account key, OTHER_ACCOUNT for anything else. */
export function clientAccount(directory: Directory, id: unknown): string {
  return typeof id === 'string' && directory.client(id) ? `client:${id}` : OTHER_ACCOUNT;
}

export interface FailureLimiterOptions {
  store: Store;
  clock: Clock;
  /** Names the counters (in store keys and RateLimit headers): `<name>-address`, `<name>-account`. */
  name: string;
  limits: FailureLimits;
  logger?: Logger;
  /** "failed logins", "refused credentials": for the 429's detail. */
  what?: string;
}

/** One budget of refused credentials, shared by every route it guards. */
export interface FailureLimiter {
  readonly name: string;
  readonly limits: FailureLimits;
  /** A middleware for one route; it must run after the body is parsed and before the check. */
  guard(spec: GuardSpec): RequestHandler;
}

/**
 * Refused credentials limited per client address and per (account, client address): neither one
 * address trying many accounts nor one address trying one account gets far, and no address can
 * lock an account for another (a shared demo account stays usable for everyone else). The routes
 * a limiter guards share its counters: guessing one password at /auth/token and at
 * /bearer-or-basic spends one budget. Over either limit: 429 with Retry-After and RateLimit.
 */
export function failureLimiter(options: FailureLimiterOptions): FailureLimiter {
  const { name, limits } = options;
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new TypeError(`failureLimiter ${name}: ${k} must be a positive whole number`);
    }
  }
  const what = options.what ?? 'refused credentials';
  return {
    name,
    limits,
    guard(spec) {
      const account = spec.account;
      return windowLimit(
        { ...options, windowSeconds: limits.windowSeconds },
        (req) => {
          const address = clientAddress(req);
          // The account first: a name too long to be one is a 400 before any counter is read.
          const counters: Counter[] = account
            ? [
                {
                  name: `${name}-account`,
                  limit: limits.perAccount,
                  key: `${account(req)}|${address}`,
                  scope: `${what} for this account from this address`,
                },
              ]
            : [];
          counters.unshift({
            name: `${name}-address`,
            limit: limits.perAddress,
            key: address,
            scope: `${what} from this address`,
          });
          return counters;
        },
        spec,
      );
    },
  };
}

export interface LoginRateLimitOptions extends FailureLimits {
  store: Store;
  clock: Clock;
  directory: Directory;
  logger?: Logger;
}

/**
 * POST /login: failed logins (401 `login_failed`) per address and per (account, address), in
 * windows of LOGIN_WINDOW_SECONDS. A user name longer than any account is a 400 before anything
 * is counted. Must run after the body is parsed.
 */
export function loginRateLimit(options: LoginRateLimitOptions): RequestHandler[] {
  const { store, clock, directory, logger, ...limits } = options;
  const limiter = failureLimiter({
    store,
    clock,
    logger,
    name: 'login',
    limits,
    what: 'failed logins',
  });
  return [
    limiter.guard({
      account(req) {
        const username = (req.body as Record<string, unknown> | undefined)?.username;
        if (typeof username === 'string' && username.length > MAX_ACCOUNT_NAME) {
          throw problem('parameter_invalid', {
            detail: `"username" must be at most ${MAX_ACCOUNT_NAME} characters.`,
          });
        }
        return userAccount(directory, username);
      },
      counts: refusedWith('login_failed'),
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
  logger?: Logger;
}): RequestHandler {
  const { name, limit, windowSeconds } = options;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new TypeError(`addressRateLimit ${name}: limit must be a positive whole number`);
  }
  return windowLimit(
    options,
    (req) => [{ name, limit, key: clientAddress(req), scope: 'requests from this address' }],
    {
      counts: () => true,
      refuse: (_detail, headers) =>
        problem('rate_limited', {
          detail: `More than ${limit} requests from this address in ${windowSeconds}s; try again after the Retry-After delay.`,
          headers,
        }),
    },
  );
}

/**
 * The login form of GET /authorize, on the budget of POST /login (a limiter named `login`): a
 * refused password there is a 401 page, and counts like a `login_failed` here.
 */
export function authorizeLoginLimit(limiter: FailureLimiter, directory: Directory): RequestHandler {
  return limiter.guard({
    account(req) {
      const username = (req.body as Record<string, unknown> | undefined)?.username;
      return typeof username === 'string' && username.length <= MAX_ACCOUNT_NAME
        ? userAccount(directory, username)
        : OTHER_ACCOUNT;
    },
    counts: (_req, res) => res.statusCode === 401,
  });
}
