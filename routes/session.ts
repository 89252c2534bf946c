import { Router, type Request, type RequestHandler, type Response } from 'express';
import { csrfToken, newCsrfToken, originCheck } from '../middleware/csrf';
import { cookieChallenge } from '../src/auth/challenges';
import { jsonOrForm, secondsParam } from '../src/http/body';
import type { Config } from '../src/config';
import type { AccountState, Directory, Principal } from '../src/tokens/identities';
import type { MfaChallenges } from '../src/tokens/mfa';
import { methodNotAllowed, problem } from '../src/http/problems';
import type { ProblemCode } from '../src/scenarios/catalog';
import type { Clock } from '../src/store';
import { sessionCookieExpiresAt, type SessionRecord } from '../src/store/session-store';
import type { Visitors } from '../src/http/visitors';
import { hasCookie } from '../middleware/session-auth';

export interface SessionRoutesDeps {
  config: Config;
  directory: Directory;
  clock: Clock;
  /** express-session, configured (see src/app.ts). */
  session: RequestHandler;
  sessionAuth: RequestHandler;
  loginRateLimit: RequestHandler[];
  cookieName: string;
  cookieOptions: { path: string; httpOnly: boolean; sameSite: 'lax'; secure: boolean };
  visitors: Visitors;
  /** The second factor of the demo user who needs one (src/tokens/mfa.ts). */
  mfa: MfaChallenges;
}

/** The refusal of a right password for an account that may not sign in (POST /login). */
const STATE_REFUSALS: Record<Exclude<AccountState, 'mfa_required'>, [ProblemCode, string]> = {
  locked: ['account_locked', 'This account is locked.'],
  disabled: ['account_disabled', 'This account is disabled.'],
  password_expired: ['password_expired', 'This account’s password has expired: change it first.'],
};

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A string body field, or a 400 naming it (objects like {"$ne": 1} never reach a comparison). */
function text(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '' || value.length > 256) {
    throw problem('parameter_invalid', {
      detail: `"${name}" must be a non-empty string of at most 256 characters.`,
    });
  }
  return value;
}

const invalidParam = (detail: string) => problem('parameter_invalid', { detail });

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.regenerate((err: unknown) => (err ? reject(err) : resolve())),
  );
}

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.save((err: unknown) => (err ? reject(err) : resolve())),
  );
}

/**
 * Section 2 of the article: log in with a form, keep the session alive with a heartbeat, and
 * meet 401 when it times out. Both timeouts are enforced on the server; `idle_seconds` and
 * `absolute_seconds` at login shorten them (never lengthen) so a test can watch expiry.
 */
export function sessionRouter(deps: SessionRoutesDeps): Router {
  const { config, directory, clock, session, sessionAuth } = deps;
  const router = Router();
  const loginChallenge = cookieChallenge(deps.cookieName);

  const describe = (s: NonNullable<Express.Locals['session']>, token: string) => ({
    user: s.user,
    idle_expires_at: iso(s.idleExpiresAt),
    absolute_expires_at: iso(s.absoluteExpiresAt),
    // For browser scripts: their state-changing calls send it back in X-CSRF-Token.
    csrf_token: token,
  });
  // State-changing requests from another site's page are refused before anything is read.
  const sameSite = originCheck({ publicUrl: config.publicUrl, origins: config.cors.origins });
  const requireCsrfToken = csrfToken();

  /** idle_seconds and absolute_seconds of a login: they may shorten the configured ones. */
  const sessionLifetimes = (body: Record<string, unknown>) => {
    const idleSeconds =
      secondsParam(body, 'idle_seconds', config.session.idleSeconds, invalidParam) ??
      config.session.idleSeconds;
    const absoluteSeconds =
      secondsParam(body, 'absolute_seconds', config.session.absoluteSeconds, invalidParam) ??
      config.session.absoluteSeconds;
    return { idleSeconds, absoluteSeconds };
  };

  /** Logs `user` in: a new session, charged to the visitor, and its description as the answer. */
  async function startSession(
    req: Request,
    res: Response,
    user: Principal,
    { idleSeconds, absoluteSeconds }: { idleSeconds: number; absoluteSeconds: number },
  ): Promise<void> {
    // A new session id at every login: an id planted before login is worth nothing after.
    await regenerate(req);
    const now = clock.now();
    const record = req.session as typeof req.session & SessionRecord;
    record.user = { sub: user.sub, type: user.type };
    // The session is charged to the visitor who logged in, for as long as it is kept.
    record.owner = deps.visitors.of(req);
    record.createdAt = now;
    record.lastSeenAt = now;
    record.idleMs = Math.min(idleSeconds, absoluteSeconds) * 1000;
    record.absoluteMs = absoluteSeconds * 1000;
    record.csrfToken = newCsrfToken();
    // The cookie outlives the session by the tombstone window: a client that still holds it
    // after the absolute deadline hears session_absolute_expired, not session_missing.
    record.cookie.maxAge = sessionCookieExpiresAt(now, record.absoluteMs) - now;
    try {
      await save(req);
    } catch (err) {
      // Not saved (a full quota, a store outage): send no cookie for a session that is not there.
      (req as { session?: unknown }).session = null;
      throw err;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      message: `Logged in as ${user.sub}.`,
      ...describe(
        {
          user: record.user,
          idleExpiresAt: now + record.idleMs,
          absoluteExpiresAt: now + record.absoluteMs,
        },
        record.csrfToken,
      ),
    });
  }

  router
    .route('/login')
    .post(
      sameSite,
      ...jsonOrForm(),
      ...deps.loginRateLimit,
      session,
      async function login(req, res) {
        const body = req.body as Record<string, unknown>;
        const username = text(body, 'username');
        const password = text(body, 'password');
        const lifetimes = sessionLifetimes(body);
        const signIn = directory.signIn(username, password);
        if (!signIn) {
          throw problem('login_failed', {
            detail: 'The username or password is wrong.',
            headers: { 'WWW-Authenticate': loginChallenge },
          });
        }
        if (signIn.state === 'mfa_required') {
          const mfaToken = await deps.mfa.start(signIn.user.sub, deps.visitors.of(req));
          res.setHeader('Cache-Control', 'no-store');
          throw problem('mfa_required', {
            detail:
              'The password is right; now POST the one-time code with this mfa_token to /login/mfa.',
            headers: { 'WWW-Authenticate': loginChallenge },
            extensions: { mfa_token: mfaToken },
          });
        }
        if (signIn.state) {
          const [code, detail] = STATE_REFUSALS[signIn.state];
          throw problem(code, { detail });
        }
        await startSession(req, res, signIn.user, lifetimes);
      },
    )
    .all(methodNotAllowed('POST'));

  router
    .route('/login/mfa')
    .post(sameSite, ...jsonOrForm(), session, async function loginMfa(req, res) {
      const body = req.body as Record<string, unknown>;
      const mfaToken = text(body, 'mfa_token');
      const code = text(body, 'code');
      const lifetimes = sessionLifetimes(body);
      const outcome = await deps.mfa.complete(mfaToken, code, deps.visitors.of(req));
      if (!outcome.ok) {
        const headers = { 'WWW-Authenticate': loginChallenge };
        if (outcome.reason === 'token') {
          throw problem('mfa_token_invalid', { detail: outcome.detail, headers });
        }
        throw problem('mfa_code_invalid', {
          detail:
            outcome.attemptsRemaining > 0
              ? `The one-time code is wrong; ${outcome.attemptsRemaining} attempts remain for this mfa_token.`
              : 'The one-time code is wrong, and this mfa_token is now spent: log in again.',
          headers,
          extensions: { attempts_remaining: outcome.attemptsRemaining },
        });
      }
      const user = directory.user(outcome.sub);
      if (!user) throw problem('mfa_token_invalid', { detail: 'The user is gone.' });
      await startSession(req, res, user, lifetimes);
    })
    .all(methodNotAllowed('POST'));

  /** Answers the session sessionAuth let through (activity already counted), after `lead`. */
  const sessionState = (lead: Record<string, string>): RequestHandler =>
    function sessionState(req, res) {
      const s = res.locals.session;
      if (!s) throw new Error('sessionState: sessionAuth did not run');
      // A session from before tokens existed gets one now (saved with the activity mark).
      const record = req.session as typeof req.session & SessionRecord;
      record.csrfToken ??= newCsrfToken();
      res.setHeader('Cache-Control', 'no-store');
      res.json({ ...lead, ...describe(s, record.csrfToken) });
    };

  // The routes that only read an existing session: without its cookie there is none to load, and
  // sessionAuth refuses session_missing on its own; express-session would first make (and then
  // drop) a new empty session with a fresh random id, the most of that refusal's cost.
  const existingSession: RequestHandler = function existingSession(req, res, next) {
    if (hasCookie(req, deps.cookieName)) session(req, res, next);
    else next();
  };

  router
    .route('/keepalive')
    .post(
      sameSite,
      existingSession,
      sessionAuth,
      requireCsrfToken,
      sessionState({ message: 'Session kept alive.' }),
    )
    .all(methodNotAllowed('POST'));

  router
    .route('/me')
    .get(existingSession, sessionAuth, sessionState({}))
    .all(methodNotAllowed('GET'));

  router
    .route('/logout')
    .post(sameSite, session, requireCsrfToken, async function logout(req, res) {
      const loggedIn = Boolean((req.session as SessionRecord | undefined)?.user);
      if (loggedIn) {
        await new Promise<void>((resolve, reject) =>
          req.session.destroy((err: unknown) => (err ? reject(err) : resolve())),
        );
      }
      res.clearCookie(deps.cookieName, deps.cookieOptions);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ message: loggedIn ? 'Logged out.' : 'No session to log out of.' });
    })
    .all(methodNotAllowed('POST'));

  return router;
}
