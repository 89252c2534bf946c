/** GNAP (RFC 9635): routes/gnap.ts. */
import { obj, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

const granted = {
  status: 200,
  description: 'The token and its key proof hold, and its access covers the request.',
  schema: obj(
    {
      authenticated: { const: true },
      method: str,
      kid: str,
      access: { type: 'array', items: obj({ type: str, actions: { type: 'array' } }, []) },
    },
    ['authenticated', 'method', 'kid', 'access'],
  ),
};

const RESOURCE =
  '`Authorization: GNAP <token>` with an RFC 9421 signature by the key the token is bound to (RFC 9635 §7.3.1): `tag="gnap"`, `created`, `keyid` = the JWK’s kid, covering `@method`, `@target-uri`, `authorization` (and `content-digest` with a body). Without a token: 401 with the RS-first challenge `GNAP as_uri=…, referrer=…, access=…` (§9.1).';

export const gnapRoutes: RouteDoc[] = [
  {
    method: 'post',
    path: '/gnap/grant',
    tag: 'gnap',
    summary: 'GNAP grant endpoint: an immediate, key-bound access token (RFC 9635 §2, §3)',
    description:
      'A grant request (application/json) with `access_token.access` (this API: type "four-oh-one-demo", actions "read"/"write", or the references "four-oh-one-read"/"four-oh-one-write") and `client.key` (`"proof": "httpsig"`, a public Ed25519 or P-256 JWK with kid and alg), signed with that key over `@method`, `@target-uri` and `content-digest`. No interaction: the answer is the token at once, valid 300 seconds. Errors are GNAP’s `error: {code, description}` (§3.6) in application/json, with the problem members.',
    body: {
      schema: obj(
        {
          access_token: obj({ access: { type: 'array' }, flags: { type: 'array' } }, ['access']),
          client: obj({ key: obj({ proof: str, jwk: { type: 'object' } }, ['proof', 'jwk']) }, []),
        },
        ['access_token', 'client'],
      ),
    },
    success: [
      {
        status: 200,
        description: 'The access token, bound to the key the request presented and proved.',
        schema: obj(
          {
            access_token: obj(
              { value: str, access: { type: 'array' }, expires_in: { type: 'integer' } },
              ['value', 'access', 'expires_in'],
            ),
          },
          ['access_token'],
        ),
      },
    ],
    errors: ['body_too_large', 'visitor_quota_exceeded', ...STORE],
  },
  {
    method: 'get',
    path: '/gnap/resource',
    tag: 'gnap',
    summary: 'A GNAP-protected resource: needs "read"',
    description: RESOURCE,
    security: [['gnap']],
    success: [granted],
    errors: [...STORE],
  },
  {
    method: 'post',
    path: '/gnap/resource',
    tag: 'gnap',
    summary: 'The same resource, POST: needs "write"',
    description: RESOURCE,
    security: [['gnap']],
    success: [granted],
    errors: ['body_too_large', ...STORE],
  },
];
