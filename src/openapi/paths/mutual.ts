/** Mutual, RFC 8120 (routes/mutual.ts). */
import type { RouteDoc } from '../types';

export const mutualRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/mutual/resource',
    tag: 'mutual',
    summary:
      'Mutual (RFC 8120): the 401-INIT and the client messages checked; no exchange completes',
    description:
      'Without credentials: 401 with `WWW-Authenticate: Mutual version=1, algorithm=iso-kam3-dl-2048-sha256, validation=host, auth-scope="…", realm="four-oh-one", reason=initial`. A req-KEX-C1 with bad parameters: 401 reason=invalid-parameters; a well-formed one: 501 (the RFC 8121 key exchange is not implemented); a req-VFY-C: 401 reason=stale-session. There is no success answer.',
    security: [['mutual']],
    success: [],
  },
];
