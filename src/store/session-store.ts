import { createHmac, randomBytes } from 'node:crypto';
import session from 'express-session';
import type { Store } from './types';

/** What this server keeps in a session, besides express-session's cookie settings. */
export interface SessionRecord {
  user?: { sub: string; type: string };
  /** Login time, ms: the absolute timeout counts from here. */
  createdAt?: number;
  /** Last authenticated request, ms: the idle timeout counts from here. */
  lastSeenAt?: number;
  idleMs?: number;
  absoluteMs?: number;
  /** The visitor whose quota the record is charged to (see src/http/visitors.ts). */
  owner?: string;
  /** The synchronizer token a browser sends in X-CSRF-Token (middleware/csrf.ts). */
  csrfToken?: string;
}

/**
 * After a session expires its record is kept this long, so the next request can be told
 * "idle expired" or "absolute expired" rather than "unknown session". Bounded, then gone.
 */
export const EXPIRED_SESSION_KEPT_MS = 10 * 60 * 1000;

/**
 * The tombstone window of one session: ten idle timeouts, at least a minute, at most
 * EXPIRED_SESSION_KEPT_MS. A client on a 5-second heartbeat that has not come back within a
 * minute is not coming back to ask; a flood of short sessions must not hold the store for ten
 * minutes after they ended.
 */
export function tombstoneMs(idleMs: number | undefined): number {
  if (idleMs === undefined) return EXPIRED_SESSION_KEPT_MS;
  return Math.min(EXPIRED_SESSION_KEPT_MS, Math.max(60_000, idleMs * 10));
}

/**
 * How long a session's cookie lives after its session's absolute deadline: the tombstone window.
 * A cookie that expired with the session would be dropped by the client (browsers, Python
 * requests), which would then hear "no cookie" (session_missing) instead of why its session
 * ended (session_absolute_expired); while the record is kept, the cookie is presented and the
 * answer names the reason, then clears it.
 */
export function sessionCookieExpiresAt(createdAt: number, absoluteMs: number): number {
  return createdAt + absoluteMs + EXPIRED_SESSION_KEPT_MS;
}

const key = (sid: string) => `sess:${sid}`;

/**
 * express-session's store, on this server's `Store` (memory or Redis): bounded, expiring,
 * and failing closed with StoreUnavailableError (503) like every other piece of state. Used for
 * both backends rather than connect-redis, so both share the contract tests and the Redis
 * command deadline that connect-redis would not have (a paused Redis would hang every request).
 */
export class SessionStore extends session.Store {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    /** The cookie attributes every session shares; restored on read, never stored. */
    private readonly cookieDefaults: Record<string, unknown> = {},
  ) {
    super();
  }

  /**
   * A session as stored: this server's fields only. express-session's cookie object (path,
   * flags, expiry) is the same for every session or derived from createdAt + absoluteMs, so it
   * is rebuilt on read; leaving it out halves the record (measured: 100k sessions in the memory
   * store, bench/RESULTS.md).
   */
  private encode(sess: session.SessionData): string {
    const { cookie: _cookie, ...rest } = sess as session.SessionData & Record<string, unknown>;
    return JSON.stringify(rest);
  }

  private decode(value: string): session.SessionData {
    const rest = JSON.parse(value) as SessionRecord & Record<string, unknown>;
    const maxAge = rest.absoluteMs;
    const expires =
      rest.createdAt !== undefined && maxAge !== undefined
        ? new Date(sessionCookieExpiresAt(rest.createdAt, maxAge))
        : null;
    return {
      ...rest,
      cookie: { ...this.cookieDefaults, originalMaxAge: maxAge ?? null, expires },
    } as unknown as session.SessionData;
  }

  /** How long a record lives: until its session expires, plus the tombstone window. */
  private ttlMs(sess: SessionRecord): number {
    const now = this.now();
    const ends = [
      sess.lastSeenAt !== undefined && sess.idleMs !== undefined
        ? sess.lastSeenAt + sess.idleMs
        : Infinity,
      sess.createdAt !== undefined && sess.absoluteMs !== undefined
        ? sess.createdAt + sess.absoluteMs
        : Infinity,
    ];
    const end = Math.min(...ends);
    // A record without timeouts (never logged in) is not kept beyond the tombstone window.
    const until = Number.isFinite(end) ? end : now;
    return Math.max(1000, until + tombstoneMs(sess.idleMs) - now);
  }

  override get(
    sid: string,
    callback: (err: unknown, session?: session.SessionData | null) => void,
  ): void {
    this.store.get(key(sid)).then((value) => {
      if (value === undefined) return callback(null, null);
      try {
        callback(null, this.decode(value));
      } catch {
        callback(null, null);
      }
    }, callback);
  }

  override set(sid: string, sess: session.SessionData, callback?: (err?: unknown) => void): void {
    const record = sess as SessionRecord;
    this.store.set(key(sid), this.encode(sess), this.ttlMs(record), record.owner).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override touch(sid: string, sess: session.SessionData, callback?: (err?: unknown) => void): void {
    this.set(sid, sess, callback);
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.store.delete(key(sid)).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }
}

/** The cookie value express-session expects for a session id: `s:` + id + `.` + HMAC (cookie-signature). */
export function signedCookieValue(sid: string, secret: string): string {
  const mac = createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
  return `s:${encodeURIComponent(`${sid}.${mac}`)}`;
}

/**
 * Sessions that have just timed out, for the registry's triggers: one idle past its timeout, one
 * past its absolute lifetime. Written through the session store (so memory or Redis alike),
 * they stay answerable for the tombstone window. Returns `name=value` cookie pairs.
 */
export async function mintExpiredSessions(options: {
  store: SessionStore;
  now: number;
  secret: string;
  cookieName: string;
  idleMs: number;
  absoluteMs: number;
}): Promise<{ session_idle_expired: string; session_absolute_expired: string }> {
  const { now, idleMs, absoluteMs } = options;
  const write = (sid: string, record: SessionRecord) =>
    new Promise<void>((resolve, reject) =>
      options.store.set(
        sid,
        {
          cookie: { originalMaxAge: absoluteMs, path: '/', httpOnly: true },
          ...record,
        } as unknown as session.SessionData,
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  const user = { sub: 'my_username', type: 'user' };
  const idle = `specimen-idle-${randomBytes(16).toString('base64url')}`;
  const absolute = `specimen-absolute-${randomBytes(16).toString('base64url')}`;
  await write(idle, {
    user,
    createdAt: now - idleMs - 1000,
    lastSeenAt: now - idleMs - 1000,
    idleMs,
    absoluteMs,
  });
  await write(absolute, {
    user,
    createdAt: now - absoluteMs - 1000,
    lastSeenAt: now - 1000,
    idleMs,
    absoluteMs,
  });
  const pair = (sid: string) => `${options.cookieName}=${signedCookieValue(sid, options.secret)}`;
  return { session_idle_expired: pair(idle), session_absolute_expired: pair(absolute) };
}
