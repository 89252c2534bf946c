/** Roles and step-up (routes/admin.ts). */
import { obj, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

export const adminRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/admin',
    tag: 'admin',
    summary: 'The article’s admin panel: the admin role and the admin scope',
    security: [['bearer']],
    success: [{ status: 200, description: 'Welcome.', schema: obj({ message: str }, ['message']) }],
    errors: ['role_insufficient', 'insufficient_scope', ...STORE],
  },
  {
    method: 'get',
    path: '/account/security',
    tag: 'admin',
    summary: 'Needs a recent login (RFC 9470 step-up)',
    security: [['bearer']],
    success: [
      {
        status: 200,
        description: 'Unlocked.',
        schema: obj({ message: str, sub: str }, ['message']),
      },
    ],
    errors: STORE,
  },
];
