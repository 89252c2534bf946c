/** Negotiate and NTLM (routes/ntlm.ts). */
import { obj, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

const authenticated = obj(
  {
    authenticated: { type: 'boolean' },
    user: str,
    domain: str,
    scheme: { type: 'string', enum: ['Negotiate', 'NTLM'] },
    connection_authenticated: { type: 'boolean' },
  },
  ['authenticated', 'user', 'domain', 'scheme'],
);
const HANDSHAKE =
  'Three messages on one keep-alive connection: `Authorization: <scheme> <NEGOTIATE>` gets 401 with the CHALLENGE in WWW-Authenticate, and `<scheme> <AUTHENTICATE>` (NTLMv2) on the same connection gets 200. The synthetic domain FOUR-OH-ONE has one account, the demo user (DEMO_USERNAME / DEMO_PASSWORD); `curl --ntlm -u my_username:my_password` completes it.';

export const ntlmRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/ntlm/resource',
    tag: 'ntlm',
    summary: 'Windows integrated authentication: Negotiate or NTLM ([MS-NLMP], RFC 4559)',
    description: HANDSHAKE,
    security: [['negotiate'], ['ntlm']],
    success: [
      { status: 200, description: 'Authenticated by the handshake.', schema: authenticated },
    ],
    errors: ['too_many_attempts', ...STORE],
  },
  {
    method: 'get',
    path: '/negotiate/resource',
    tag: 'ntlm',
    summary: 'Negotiate only (RFC 4559), with a raw NTLM handshake inside it',
    description: `${HANDSHAKE} Here only \`Negotiate\` is offered; a Kerberos or SPNEGO token is refused (no KDC).`,
    security: [['negotiate']],
    success: [
      { status: 200, description: 'Authenticated by the handshake.', schema: authenticated },
    ],
    errors: ['too_many_attempts', ...STORE],
  },
];
