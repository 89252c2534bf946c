/** Cookie sessions: login, heartbeat, logout (routes/session.ts). */
import { BODY_ERRORS, obj, sessionView, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

export const sessionRoutes: RouteDoc[] = [
  {
    method: 'post',
    path: '/login',
    tag: 'session',
    summary: 'Log in with a form; sets the session cookie',
    body: {
      schema: obj(
        {
          username: str,
          password: str,
          idle_seconds: { type: ['integer', 'string'] },
          absolute_seconds: { type: ['integer', 'string'] },
        },
        ['username', 'password'],
      ),
      form: true,
      required: true,
    },
    success: [
      {
        status: 200,
        description: 'Logged in; Set-Cookie carries the session.',
        schema: sessionView,
      },
    ],
    errors: ['too_many_attempts', ...BODY_ERRORS, ...STORE],
  },
  {
    method: 'post',
    path: '/keepalive',
    tag: 'session',
    summary: 'The heartbeat: keeps the session’s idle window open',
    security: [['cookieSession']],
    success: [{ status: 200, description: 'Kept alive.', schema: sessionView }],
    errors: STORE,
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
    summary: 'Log out: the session is destroyed',
    security: [[], ['cookieSession']],
    success: [
      { status: 200, description: 'Logged out.', schema: obj({ message: str }, ['message']) },
    ],
    errors: STORE,
  },
];
