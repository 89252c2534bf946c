/** SCRAM over HTTP (routes/scram.ts). */
import { obj, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

export const scramRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/scram/resource',
    tag: 'scram',
    summary: 'SCRAM-SHA-256 and SCRAM-SHA-1 over HTTP (RFC 7804)',
    description:
      'Two rounds: `Authorization: SCRAM-SHA-256 data=<base64 client-first>` gets 401 with `WWW-Authenticate: SCRAM-SHA-256 sid=…, data=<base64 server-first>`; `SCRAM-SHA-256 sid=…, data=<base64 client-final>` gets 200 with `Authentication-Info: sid=…, data=<base64 "v=<ServerSignature>">`. The demo account is RFC 7804’s, user / pencil (4096 iterations, the RFCs’ salts).',
    security: [['scramSha256'], ['scramSha1']],
    success: [
      {
        status: 200,
        description: 'The proof verified; check v= in Authentication-Info.',
        schema: obj({ authenticated: { type: 'boolean' }, user: str, mechanism: str }, [
          'authenticated',
          'user',
          'mechanism',
        ]),
        headers: { 'Authentication-Info': 'sid=…, data=<base64 of "v=<ServerSignature>">' },
      },
    ],
    errors: ['too_many_attempts', 'visitor_quota_exceeded', ...STORE],
  },
];
