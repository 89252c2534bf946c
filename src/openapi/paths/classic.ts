/** httpbin-compatible routes: Basic, Digest, Bearer, API keys, statuses (routes/classic.ts). */
import { authenticated, obj, ref, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

export const classicRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/basic-auth/{user}/{passwd}',
    tag: 'classic',
    summary: 'Basic auth with the credentials the path names (httpbin)',
    security: [['basic']],
    success: [{ status: 200, description: 'Authenticated.', schema: authenticated }],
  },
  {
    method: 'get',
    path: '/hidden-basic-auth/{user}/{passwd}',
    tag: 'classic',
    summary: 'Basic auth that answers 404 until the credentials are right (httpbin)',
    security: [['basic']],
    success: [{ status: 200, description: 'Authenticated.', schema: authenticated }],
  },
  ...[
    '/digest-auth/{qop}/{user}/{passwd}',
    '/digest-auth/{qop}/{user}/{passwd}/{algorithm}',
    '/digest-auth/{qop}/{user}/{passwd}/{algorithm}/{stale_after}',
  ].map((path): RouteDoc => ({
    method: 'get',
    path,
    tag: 'classic',
    summary: 'Digest auth (RFC 7616) with the credentials the path names (httpbin)',
    security: [['digest']],
    success: [{ status: 200, description: 'Authenticated.', schema: authenticated }],
    errors: [
      'digest_credentials_missing',
      'digest_credentials_invalid',
      'digest_nonce_stale',
      'too_many_attempts',
      ...STORE,
    ],
  })),
  {
    method: 'get',
    path: '/bearer',
    tag: 'classic',
    summary: 'Any Bearer token is accepted and echoed (httpbin)',
    security: [['bearer']],
    success: [
      {
        status: 200,
        description: 'The token, echoed.',
        schema: obj({ authenticated: { const: true }, token: str }, ['authenticated', 'token']),
      },
    ],
  },
  {
    method: 'get',
    path: '/bearer-or-basic',
    tag: 'classic',
    summary: 'Bearer or Basic: one 401 with two challenges',
    security: [['bearer'], ['basic']],
    success: [
      {
        status: 200,
        description: 'Who passed, by which scheme.',
        schema: obj({ authenticated: { const: true }, scheme: { enum: ['Bearer', 'Basic'] } }, [
          'authenticated',
          'scheme',
        ]),
      },
    ],
    errors: STORE,
  },
  {
    method: 'get',
    path: '/api-key/{key}',
    tag: 'classic',
    summary: 'An X-API-Key header that must equal the key the path names',
    security: [['apiKey']],
    success: [{ status: 200, description: 'Authenticated.', schema: authenticated }],
  },
  {
    method: 'post',
    path: '/webhooks/stripe-style',
    tag: 'classic',
    summary: 'A webhook receiver that verifies a Stripe-style signature',
    description:
      'The body is any bytes (up to 64 KiB), read raw: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the published demo secret `whsec_four-oh-one-demo`. Refused with 400 (no 401: there is no WWW-Authenticate scheme for it) when the header is missing or malformed, the signature wrong, the timestamp more than 300 seconds off, or the signature already accepted within its window.',
    body: { schema: obj({ id: str, type: str }, []) },
    success: [
      {
        status: 200,
        description: 'Verified and accepted once.',
        schema: obj({ received: { type: 'boolean' }, bytes: { type: 'integer' } }),
      },
    ],
    errors: ['body_too_large', 'media_type_unsupported', ...STORE],
  },
  {
    method: 'post',
    path: '/signatures/rfc9421',
    tag: 'classic',
    summary: 'A resource that verifies an HTTP Message Signature (RFC 9421)',
    description:
      'Signature-Input and Signature over `@method`, `@path` and `content-digest` (RFC 9530, SHA-256 of the body), HMAC-SHA256 with the published demo key: keyid `four-oh-one-demo-hmac`, secret `four-oh-one-rfc9421-demo-key`; `created` within 300 seconds. Every refusal is 400 with Accept-Signature (RFC 9421 §5.1).',
    body: { schema: obj({ id: str, type: str }, []) },
    success: [
      {
        status: 200,
        description: 'The signature verified.',
        schema: obj({ verified: { type: 'boolean' }, bytes: { type: 'integer' } }),
      },
    ],
    errors: ['body_too_large', 'media_type_unsupported'],
  },
  ...(['get', 'post', 'put', 'patch', 'delete'] as const).map((method): RouteDoc => ({
    method,
    path: '/status/{code}',
    tag: 'classic',
    summary: 'Answers with the status asked for, 200-599 (httpbin)',
    params: {
      code: {
        description: 'An HTTP status, 200-599.',
        schema: { type: 'integer', minimum: 200, maximum: 599 },
      },
    },
    success: [
      { status: '2XX', description: 'The success asked for; an empty body.' },
      {
        status: '3XX',
        description: 'A redirect to /redirect/1 (301, 302, 303, 305, 307, 308).',
        headers: { Location: 'Where to.' },
      },
      { status: 418, description: 'A teapot.', type: 'text/plain', schema: str },
      {
        status: '4XX',
        description: 'The error asked for, as a problem whose status is that status.',
        type: 'application/problem+json',
        schema: ref('Problem'),
      },
      {
        status: '5XX',
        description: 'The error asked for, as a problem whose status is that status.',
        type: 'application/problem+json',
        schema: ref('Problem'),
      },
    ],
    errors: ['parameter_invalid'],
  })),
  {
    method: 'get',
    path: '/redirect/{n}',
    tag: 'classic',
    summary: 'n more redirects, the last one to /status/200 (httpbin)',
    success: [{ status: 302, description: 'The next hop.', headers: { Location: 'Where to.' } }],
    errors: ['parameter_invalid'],
  },
];
