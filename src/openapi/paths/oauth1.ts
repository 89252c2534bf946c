/** OAuth 1.0a signed requests (RFC 5849): routes/oauth1.ts. */
import { BODY_ERRORS, obj, STORE, str } from '../schemas';
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

const page = { status: 200, description: 'An HTML page.', type: 'text/html', schema: str } as const;

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
  {
    method: 'post',
    path: '/oauth1/request_token',
    tag: 'oauth1',
    summary: 'Temporary credentials (RFC 5849 §2.1): the first of the three legs',
    description:
      'Signed with the client credentials alone (no oauth_token), with `oauth_callback`: `oob`, a loopback URI, or this server’s /oauth1/callback. They last 10 minutes.',
    security: [['oauth1']],
    body: { schema: obj({}, []), form: true, required: false },
    success: [
      {
        status: 200,
        description: 'The temporary credentials, form-encoded (RFC 5849 §2.1).',
        type: 'application/x-www-form-urlencoded',
        schema: obj(
          {
            oauth_token: str,
            oauth_token_secret: str,
            oauth_callback_confirmed: { const: 'true' },
          },
          ['oauth_token', 'oauth_token_secret', 'oauth_callback_confirmed'],
        ),
      },
    ],
    errors: ['oauth1_callback_invalid', 'body_too_large', ...STORE],
  },
  {
    method: 'get',
    path: '/oauth1/authorize',
    tag: 'oauth1',
    summary: 'Resource owner authorization (RFC 5849 §2.2): the approval page',
    params: { oauth_token: 'The temporary credentials’ oauth_token' },
    success: [page],
    errors: ['oauth1_authorization_unknown', ...STORE],
  },
  {
    method: 'post',
    path: '/oauth1/authorize',
    tag: 'oauth1',
    summary: 'The approval form: sign in and allow, or deny',
    body: {
      schema: obj(
        { oauth_token: str, username: str, password: str, action: { enum: ['approve', 'deny'] } },
        ['oauth_token', 'action'],
      ),
      form: true,
      required: true,
    },
    success: [
      {
        ...page,
        description: 'For an `oob` callback: the verifier to copy (or the denial).',
      },
      {
        status: 303,
        description:
          'Back to the callback with `oauth_token` and `oauth_verifier` (or `denied`), its own query kept.',
        headers: { Location: 'The callback URI with the authorization in its query.' },
      },
      {
        status: 401,
        description: 'The page again: the user name or password is wrong.',
        type: 'text/html',
        schema: str,
        headers: {
          'WWW-Authenticate': 'Cookie realm="four-oh-one", form-action="/oauth1/authorize"',
        },
      },
    ],
    errors: [
      'oauth1_authorization_unknown',
      'csrf_origin_refused',
      'parameter_invalid',
      'too_many_attempts',
      ...BODY_ERRORS,
      ...STORE,
    ],
  },
  {
    method: 'get',
    path: '/oauth1/callback',
    tag: 'oauth1',
    summary: 'This server’s own callback page: shows what a client would receive',
    success: [page],
  },
  {
    method: 'post',
    path: '/oauth1/access_token',
    tag: 'oauth1',
    summary: 'Token credentials (RFC 5849 §2.3): the temporary credentials and the verifier, once',
    description:
      'Signed with the client credentials and the approved temporary credentials, with `oauth_verifier`. Issued token credentials last a day in the sandbox.',
    security: [['oauth1']],
    body: { schema: obj({}, []), form: true, required: false },
    success: [
      {
        status: 200,
        description: 'The token credentials, form-encoded (RFC 5849 §2.3).',
        type: 'application/x-www-form-urlencoded',
        schema: obj({ oauth_token: str, oauth_token_secret: str }, [
          'oauth_token',
          'oauth_token_secret',
        ]),
      },
    ],
    errors: ['oauth1_verifier_invalid', 'body_too_large', ...STORE],
  },
];
