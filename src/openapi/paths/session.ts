/** Cookie sessions: login, heartbeat, logout (routes/session.ts). */
import { BODY_ERRORS, obj, sessionView, STORE, str } from '../schemas';
import type { ProblemCode } from '../../scenarios/catalog';
import type { RouteDoc } from '../types';

/** The refusals of a browser's state-changing request (middleware/csrf.ts). */
const CSRF_ERRORS: ProblemCode[] = [
  'csrf_origin_refused',
  'csrf_token_missing',
  'csrf_token_mismatch',
];

/** A login's form: its fields, and the session lifetimes it may shorten. */
const loginForm = (fields: Record<string, unknown>, required: string[]) => ({
  schema: obj(
    {
      ...fields,
      idle_seconds: { type: ['integer', 'string'] },
      absolute_seconds: { type: ['integer', 'string'] },
    },
    required,
  ),
  form: true,
  required: true,
});

/** A login's success: the session, its cookie set. */
const LOGGED_IN = [
  {
    status: 200,
    description: 'Logged in; Set-Cookie carries the session.',
    schema: sessionView,
  },
];

export const sessionRoutes: RouteDoc[] = [
  {
    method: 'post',
    path: '/login',
    tag: 'session',
    summary:
      'Log in with a form; sets the session cookie. Refused 403 csrf_origin_refused when a browser posts it from another site (an Origin neither this site nor on CORS_ORIGINS, Origin: null, or Sec-Fetch-Site: cross-site)',
    body: loginForm({ username: str, password: str }, ['username', 'password']),
    success: LOGGED_IN,
    errors: ['too_many_attempts', 'csrf_origin_refused', ...BODY_ERRORS, ...STORE],
  },
  {
    method: 'post',
    path: '/login/mfa',
    tag: 'session',
    summary:
      'The second step of a login that needs a second factor (mfa_user): the mfa_token of the 401 mfa_required and the one-time code (the demo code is 123456); sets the session cookie',
    body: loginForm({ mfa_token: str, code: str }, ['mfa_token', 'code']),
    success: LOGGED_IN,
    errors: ['csrf_origin_refused', ...BODY_ERRORS, ...STORE],
  },
  {
    method: 'post',
    path: '/keepalive',
    tag: 'session',
    summary:
      'The heartbeat: keeps the session’s idle window open. A browser (one that sends Sec-Fetch-Site) must send the session’s csrf_token in X-CSRF-Token; clients that are not browsers need not',
    security: [['cookieSession']],
    success: [{ status: 200, description: 'Kept alive.', schema: sessionView }],
    errors: [...CSRF_ERRORS, ...STORE],
  },
  {
    method: 'get',
    path: '/me',
    tag: 'session',
    summary: 'Who the session is (also counts as activity)',
    security: [['cookieSession']],
    success: [{ status: 200, description: 'The session.', schema: sessionView }],
    errors: [
      'session_missing',
      'session_invalid',
      'session_idle_expired',
      'session_absolute_expired',
      ...STORE,
    ],
  },
  {
    method: 'post',
    path: '/logout',
    tag: 'session',
    summary:
      'Log out: the session is destroyed. A browser sends the session’s csrf_token in X-CSRF-Token',
    security: [[], ['cookieSession']],
    success: [
      { status: 200, description: 'Logged out.', schema: obj({ message: str }, ['message']) },
    ],
    errors: [...CSRF_ERRORS, ...STORE],
  },
];
