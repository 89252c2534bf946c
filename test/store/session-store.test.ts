import type session from 'express-session';
import { MemoryStore } from '../../src/store';
import { SessionStore, sessionCookieExpiresAt } from '../../src/store/session-store';

/** SessionStore keeps this server's fields only: express-session's cookie is rebuilt on read. */
describe('SessionStore', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const cookieDefaults = { path: '/', httpOnly: true, sameSite: 'lax', secure: false };
  const record = {
    cookie: {
      originalMaxAge: 28_800_000,
      expires: new Date(sessionCookieExpiresAt(now, 28_800_000)),
      ...cookieDefaults,
    },
    user: { sub: 'my_username', type: 'user' },
    createdAt: now,
    lastSeenAt: now,
    idleMs: 900_000,
    absoluteMs: 28_800_000,
  } as unknown as session.SessionData;

  const setUp = () => {
    const store = new MemoryStore({
      maxEntries: 100,
      sweepIntervalMs: 0,
      clock: { now: () => now },
    });
    return { store, sessions: new SessionStore(store, () => now, cookieDefaults) };
  };
  const set = (sessions: SessionStore, sid: string, sess: session.SessionData) =>
    new Promise<void>((resolve, reject) =>
      sessions.set(sid, sess, (err) => (err ? reject(err) : resolve())),
    );
  const get = (sessions: SessionStore, sid: string) =>
    new Promise<session.SessionData | null | undefined>((resolve, reject) =>
      sessions.get(sid, (err, sess) => (err ? reject(err) : resolve(sess))),
    );

  it('stores the session without its cookie object (half the bytes of 100k sessions)', async () => {
    const { store, sessions } = setUp();
    await set(sessions, 'sid-1', record);
    const stored = JSON.parse((await store.get('sess:sid-1')) ?? '{}') as Record<string, unknown>;
    expect(stored).not.toHaveProperty('cookie');
    expect(stored).toMatchObject({
      user: { sub: 'my_username' },
      createdAt: now,
      absoluteMs: 28_800_000,
    });
  });

  it('reads it back with the cookie express-session would have kept', async () => {
    const { sessions } = setUp();
    await set(sessions, 'sid-2', record);
    const read = await get(sessions, 'sid-2');
    expect(JSON.parse(JSON.stringify(read))).toEqual(JSON.parse(JSON.stringify(record)));
  });
});
