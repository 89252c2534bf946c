/** Privacy Pass (routes/privacypass.ts, RFC 9577 and RFC 9578). */
import { obj, str } from '../schemas';
import type { RouteDoc } from '../types';

export const privatetokenRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/privacypass/resource',
    tag: 'privatetoken',
    summary: 'A resource that takes a Privacy Pass token once (RFC 9577, type 0x0002)',
    description:
      '`Authorization: PrivateToken token="<base64url Token>"`: token type 0x0002 (blind RSA, RFC 9578 §6), under the demo issuer’s token-key, for this origin’s current (or last) five-minute challenge, not redeemed before. Every refusal carries `WWW-Authenticate: PrivateToken challenge="…", token-key="…", max-age="…"`.',
    success: [
      {
        status: 200,
        description: 'The token was redeemed (and is now spent).',
        schema: obj({ authenticated: { const: true }, scheme: str, tokenType: str }),
      },
    ],
    errors: ['visitor_quota_exceeded', 'store_unavailable'],
  },
  {
    method: 'post',
    path: '/privacypass/demo-issuer',
    tag: 'privatetoken',
    summary: 'The demo issuer: a token for a TokenChallenge (simplified, not blind)',
    description:
      'Signs the token input for the challenge given with the published issuer key, as RFC 9578’s blind exchange would finalize it; a real issuer never sees the challenge.',
    body: { schema: obj({ challenge: str }, ['challenge']) },
    success: [
      {
        status: 200,
        description: 'A base64url Token to send as `PrivateToken token="…"`.',
        schema: obj({ token: str, tokenType: str }, ['token']),
      },
    ],
    errors: ['body_malformed', 'body_too_large', 'media_type_unsupported'],
  },
];
