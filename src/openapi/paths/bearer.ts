/** Bearer tokens on GET /api/v1/data and its scripted retries (routes/bearer.ts). */
import { int, obj, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

export const bearerRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/data',
    tag: 'bearer',
    summary: 'Bearer-protected data (the article’s first example)',
    security: [['bearer']],
    success: [
      {
        status: 200,
        description: 'The data and who you are.',
        schema: obj({ message: str, data: { type: 'array' }, caller: { type: 'object' } }, [
          'message',
          'data',
        ]),
      },
    ],
    errors: ['insufficient_scope', ...STORE],
  },
  {
    method: 'get',
    path: '/api/v1/flaky',
    tag: 'bearer',
    summary: 'Scripted 401s for retry logic: the first `fail` calls per `key` answer token_expired',
    security: [['bearer']],
    params: {
      fail: {
        description: 'Failures before success, 0-10.',
        schema: { type: 'integer', minimum: 0, maximum: 10 },
      },
      key: {
        description: '1-64 characters of A-Z a-z 0-9 _ -.',
        schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      },
    },
    success: [
      {
        status: 200,
        description: 'Success after the scripted failures.',
        schema: obj({ message: str, attempt: int, failures: int, key: str }, [
          'attempt',
          'failures',
          'key',
        ]),
      },
    ],
    errors: ['token_expired', 'insufficient_scope', 'parameter_invalid', ...STORE],
  },
];
