import type { Request, RequestHandler } from 'express';
import { hasCookie, sessionAuth } from '../../middleware/session-auth';
import { EXPIRED_SESSION_KEPT_MS, type SessionRecord } from '../../src/store/session-store';
import { testClock } from '../helpers';
import { check, get, type Send } from './check';

const CHALLENGE = 'Cookie realm="four-oh-one", form-action="/login", cookie-name="sid"';
const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: false };
const MINUTE = 60_000;
const withCookie: Send = (agent) => agent.get('/').set('Cookie', 'other=1; sid=s%3Aabc');

/** A stand-in for express-session: the request carries this record, or none. */
function session(record: SessionRecord | undefined): RequestHandler {
  return function session(req, _res, next) {
    if (record) Object.assign(req, { session: { cookie: { maxAge: 0 }, ...record } });
    next();
  };
}

describe('sessionAuth()', () => {
  const clock = testClock('2026-11-22T07:00:00Z');
  const now = clock.now();
  const guard = sessionAuth({ clock, cookieName: 'sid', cookieOptions });
  const live = {
    user: { sub: 'alice', type: 'user' },
    createdAt: now - 10 * MINUTE,
    lastSeenAt: now - MINUTE,
    idleMs: 5 * MINUTE,
    absoluteMs: 60 * MINUTE,
  };

  it('throws at once without a cookie name', () => {
    expect(() => sessionAuth({ clock, cookieName: '', cookieOptions })).toThrow(
      'sessionAuth: cookieName is required',
    );
  });

  it('lets a live session through, counts the request as activity and says when it ends', async () => {
    const res = await check([session({ ...live }), guard], withCookie, { status: 200 });
    expect(res.body.locals.session).toEqual({
      user: live.user,
      idleExpiresAt: now + 5 * MINUTE,
      absoluteExpiresAt: live.createdAt + 60 * MINUTE,
    });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('never lets the idle deadline pass the absolute one', async () => {
    const late = { ...live, createdAt: now - 58 * MINUTE };
    const res = await check([session(late), guard], withCookie, { status: 200 });
    expect(res.body.locals.session.idleExpiresAt).toBe(late.createdAt + 60 * MINUTE);
  });

  it('answers no cookie at all with 401 session_missing and the Cookie challenge', async () => {
    await check([session(undefined), guard], get, {
      status: 401,
      code: 'session_missing',
      headers: { 'WWW-Authenticate': CHALLENGE, 'Set-Cookie': null },
    });
  });

  it.each([
    ['no record for it', undefined],
    ['a record without a login', { createdAt: now }],
  ])(
    'answers a cookie with %s with 401 session_invalid, and clears the cookie',
    async (_n, record) => {
      const res = await check([session(record), guard], withCookie, {
        status: 401,
        code: 'session_invalid',
        headers: { 'WWW-Authenticate': CHALLENGE },
      });
      expect(String(res.headers['set-cookie'])).toMatch(/^sid=; Path=\/; Expires=Thu, 01 Jan 1970/);
    },
  );

  it.each([
    {
      name: 'idle past its timeout',
      changes: { lastSeenAt: now - 5 * MINUTE },
      code: 'session_idle_expired',
    },
    {
      name: 'past its absolute lifetime',
      changes: { createdAt: now - 60 * MINUTE, lastSeenAt: now },
      code: 'session_absolute_expired',
    },
    {
      name: 'past both deadlines, the absolute one first',
      changes: { createdAt: now - 61 * MINUTE, lastSeenAt: now - 5 * MINUTE },
      code: 'session_absolute_expired',
    },
  ])('answers a session $name with 401 $code, and clears the cookie', async ({ changes, code }) => {
    const res = await check([session({ ...live, ...changes }), guard], withCookie, {
      status: 401,
      code,
      headers: { 'WWW-Authenticate': CHALLENGE },
    });
    expect(String(res.headers['set-cookie'])).toMatch(/^sid=;/);
  });

  it('keeps the cookie until the record it names is gone', async () => {
    const record = { ...live, cookie: { maxAge: 0 } };
    await check([session(record), guard, keep(record)], withCookie, { status: 200 });
    expect(record.cookie.maxAge).toBe(live.createdAt + 60 * MINUTE + EXPIRED_SESSION_KEPT_MS - now);
    expect(record.lastSeenAt).toBe(now);
  });
});

/** Copies what sessionAuth wrote to the request's session back into `record`. */
function keep(record: SessionRecord & { cookie: { maxAge: number } }): RequestHandler {
  return function keep(req, _res, next) {
    const s = req.session as unknown as typeof record;
    record.lastSeenAt = s.lastSeenAt;
    record.cookie.maxAge = s.cookie.maxAge;
    next();
  };
}

describe('hasCookie()', () => {
  const req = (cookie?: string) => ({ headers: { cookie } }) as unknown as Request;
  it.each([
    ['four-oh-one.sid=abc', true],
    ['a=1; four-oh-one.sid=abc', true],
    ['a=1;four-oh-one.sid =abc', true],
    ['four-oh-one.sid2=abc', false],
    ['x-four-oh-one.sid=abc', false],
    ['a=four-oh-one.sid=abc', false],
    ['four-oh-one.sid', false],
    [undefined, false],
  ])('reads %j as having the cookie: %s (names as express-session reads them)', (header, has) => {
    expect(hasCookie(req(header), 'four-oh-one.sid')).toBe(has);
  });
});
