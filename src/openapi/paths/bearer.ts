/** Bearer tokens on GET /api/v1/data and its scripted retries (routes/bearer.ts). */
import { int, obj, STORE, str } from '../schemas';
import type { RouteDoc, Success } from '../types';

/** The data, as /api/v1/data and /api/v1/dpop/nonce answer it. */
const DATA: Success = {
  status: 200,
  description: 'The data and who you are.',
  schema: obj({ message: str, data: { type: 'array' }, caller: { type: 'object' } }, [
    'message',
    'data',
  ]),
};

export const bearerRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/data',
    tag: 'bearer',
    summary:
      'Bearer-protected data (the article’s first example); DPoP-bound tokens too, with a proof',
    security: [['bearer'], ['dpop']],
    success: [DATA],
    errors: ['insufficient_scope', ...STORE],
  },
  {
    method: 'get',
    path: '/api/v1/dpop/nonce',
    tag: 'dpop',
    summary:
      'The data again, where every DPoP proof must carry a server nonce: 401 use_dpop_nonce with a DPoP-Nonce header, then 200 to a proof carrying it (RFC 9449 §9)',
    security: [['dpop'], ['bearer']],
    success: [DATA],
    errors: ['insufficient_scope', ...STORE],
  },
  {
    method: 'get',
    path: '/api/v1/flaky',
    tag: 'bearer',
    summary:
      'Scripted failures for retry logic: the first `fail` calls per `key` (or every call, `fail=always`) answer 401 token_expired, 429 rate_limited or 503 store_unavailable',
    security: [['bearer'], ['dpop']],
    params: {
      fail: {
        description:
          'Failures before success, 0-10 (counted per caller and key for ten minutes), or "always": every call fails and nothing is counted or stored.',
        schema: {
          oneOf: [
            { type: 'integer', minimum: 0, maximum: 10 },
            { type: 'string', enum: ['always'] },
          ],
        },
      },
      key: {
        description:
          '1-64 characters of A-Z a-z 0-9 _ -; required with a count, ignored with fail=always.',
        schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      },
      status: {
        description:
          'What the scripted failures answer: 401 token_expired (the default: refresh and retry), 429 rate_limited with Retry-After, RateLimit and RateLimit-Policy (wait and retry), or 503 store_unavailable with Retry-After (keep the token, retry later: not a logout). Never a real limit: nobody is locked out.',
        schema: { type: 'string', enum: ['401', '429', '503'] },
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
    errors: ['token_expired', 'rate_limited', 'insufficient_scope', 'parameter_invalid', ...STORE],
  },
];
