/** HOBA, RFC 7486 (routes/hoba.ts). */
import { obj, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

export const hobaRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/hoba/resource',
    tag: 'hoba',
    summary: 'A resource behind HOBA (RFC 7486): a signed challenge',
    description:
      'Without credentials: 401 with `WWW-Authenticate: HOBA challenge="…", max-age="60", realm="four-oh-one"`. With `Authorization: HOBA result="kid.challenge.nonce.sig"`, where sig is the RSASSA-PKCS1-v1_5 SHA-256 signature of the HOBA-TBS blob (RFC 7486 §2) by a key registered at POST /.well-known/hoba/register: 200. Each challenge answers one request.',
    security: [['hoba']],
    success: [
      {
        status: 200,
        description: 'The signature verified with the registered key.',
        schema: obj({ authenticated: { type: 'boolean' }, kid: str, did: str }, [
          'authenticated',
          'kid',
          'did',
        ]),
      },
    ],
    errors: ['too_many_attempts', 'visitor_quota_exceeded', ...STORE],
  },
  {
    method: 'post',
    path: '/.well-known/hoba/register',
    tag: 'hoba',
    summary: 'Registers a HOBA key (RFC 7486 §6.1), signed with that key',
    description:
      'The form kidtype, kid, didtype, did, alg (0: RSA-SHA256) and pub (PEM SubjectPublicKeyInfo), sent with `Authorization: HOBA result="…"` signed by the key it registers over a challenge of this server (a POST without Authorization gets the 401 with one). The key is kept an hour, for your address only, at most five an hour.',
    security: [['hoba']],
    body: {
      form: true,
      required: true,
      schema: obj({ kidtype: str, kid: str, didtype: str, did: str, alg: str, pub: str }, [
        'kidtype',
        'kid',
        'didtype',
        'did',
        'alg',
        'pub',
      ]),
    },
    success: [
      {
        status: 200,
        description: 'Registered.',
        headers: { Hobareg: 'regok' },
        schema: obj(
          {
            registered: { type: 'boolean' },
            kid: str,
            kidtype: str,
            did: str,
            expires_in: { type: 'integer' },
          },
          ['registered', 'kid', 'kidtype', 'did', 'expires_in'],
        ),
      },
    ],
    errors: [
      'too_many_attempts',
      'visitor_quota_exceeded',
      'body_malformed',
      'body_too_large',
      'media_type_unsupported',
      ...STORE,
    ],
  },
  {
    method: 'get',
    path: '/hoba',
    tag: 'hoba',
    summary: 'HOBA in your browser: a WebCrypto key registered, then a signed challenge',
    success: [{ status: 200, description: 'An HTML page.', type: 'text/html', schema: str }],
  },
];
