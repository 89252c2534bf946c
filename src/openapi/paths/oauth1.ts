/** OAuth 1.0a signed requests (RFC 5849): routes/oauth1.ts. */
import { obj, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

const verified = {
  status: 200,
  description: 'The signature verified: who signed, for whom, how.',
  schema: obj(
    {
      authenticated: { const: true },
      scheme: { const: 'OAuth' },
      consumer_key: str,
      token: { type: ['string', 'null'] },
      user: { type: ['string', 'null'] },
      signature_method: { enum: ['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1', 'PLAINTEXT'] },
      transmission: { enum: ['header', 'body', 'query'] },
    },
    ['authenticated', 'scheme', 'consumer_key', 'token', 'user', 'signature_method'],
  ),
};

const DESCRIPTION =
  'Signed with OAuth 1.0a (RFC 5849): the protocol parameters in `Authorization: OAuth …` (or the form body, or the query), the signature over the method, the base string URI and every parameter, with HMAC-SHA1, HMAC-SHA256, RSA-SHA1 or PLAINTEXT (https only). Demo credentials: consumer `four-oh-one-consumer` / `four-oh-one-consumer-secret`, token `four-oh-one-token` / `four-oh-one-token-secret`; the RSA private key is examples/oauth1/rsa-demo-private-key.pem. Timestamps within 300 seconds; a nonce is taken once.';

export const oauth1Routes: RouteDoc[] = [
  {
    method: 'get',
    path: '/oauth1/resource',
    tag: 'oauth1',
    summary: 'A resource that takes OAuth 1.0a signed requests',
    description: DESCRIPTION,
    security: [['oauth1']],
    success: [verified],
    errors: [...STORE],
  },
  {
    method: 'post',
    path: '/oauth1/resource',
    tag: 'oauth1',
    summary: 'The same resource, POST: a form body’s parameters are signed too',
    description: DESCRIPTION,
    security: [['oauth1']],
    body: { schema: obj({ status: str }, []), form: true, required: false },
    success: [verified],
    errors: ['body_too_large', ...STORE],
  },
];
