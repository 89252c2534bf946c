/** The Web Push service and its VAPID guard (routes/push.ts, RFC 8030 and RFC 8292). */
import { bool, int, obj, str, uri } from '../schemas';
import type { RouteDoc } from '../types';

export const vapidRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/push/subscription',
    tag: 'vapid',
    summary: 'The demo push subscription, with every key a client needs (all published)',
    description:
      'As `PushSubscription.toJSON()` gives it to a page (endpoint, p256dh and auth for RFC 8291 encryption), plus the `applicationServerKey` it is restricted to (RFC 8292 §4) and, since this is a sandbox, the matching VAPID private key.',
    success: [
      {
        status: 200,
        description: 'The subscription.',
        schema: obj(
          {
            endpoint: uri,
            expirationTime: { type: 'null' },
            keys: obj({ p256dh: str, auth: str }, ['p256dh', 'auth']),
            applicationServerKey: str,
            demo: obj({}),
          },
          ['endpoint', 'keys', 'applicationServerKey'],
        ),
      },
    ],
  },
  {
    method: 'post',
    path: '/push/demo',
    tag: 'vapid',
    summary: 'Push a message to the demo subscription (RFC 8030 §5) with VAPID (RFC 8292)',
    description:
      '`Authorization: vapid t=<ES256 JWT>, k=<base64url P-256 key>` (or the drafts’ `WebPush <JWT>` with `Crypto-Key: p256ecdsa=<key>`), signed by the subscription’s applicationServerKey, `aud` this server’s origin, `exp` at most 24 hours ahead, `sub` a mailto: or https: contact; a `TTL` header; a body only as `Content-Encoding: aes128gcm` ciphertext, at most 4096 bytes. The 401 carries no WWW-Authenticate: RFC 8292 §3 forbids a vapid challenge.',
    success: [
      {
        status: 201,
        description:
          'Accepted (and dropped: no user agent is attached). Location names the message; TTL: 0, the time it is kept.',
        schema: obj({ accepted: bool, bytes: int, credentials: str, delivered: bool }),
        headers: { Location: 'The push message resource (RFC 8030 §5).', TTL: 'Always 0.' },
      },
    ],
    errors: ['body_too_large'],
  },
  {
    method: 'post',
    path: '/push/subscriptions',
    tag: 'vapid',
    summary: 'A subscription of your own, restricted to your VAPID key, for an hour',
    description:
      'What `pushManager.subscribe({ applicationServerKey })` makes at a push service: send `{"applicationServerKey": "<your VAPID public key, base64url>"}`; push to the endpoint answered with web-push and your own key pair. The user agent’s keys (p256dh, auth) are the demo subscription’s, since nothing is delivered. Charged to the visitor; after an hour, or a DELETE, the endpoint answers 410.',
    body: { schema: obj({ applicationServerKey: str }, ['applicationServerKey']), required: true },
    success: [
      {
        status: 201,
        description: 'The subscription, as PushSubscription.toJSON() gives it.',
        schema: obj(
          {
            endpoint: uri,
            expirationTime: int,
            keys: obj({ p256dh: str, auth: str }, ['p256dh', 'auth']),
            applicationServerKey: str,
          },
          ['endpoint', 'expirationTime', 'keys', 'applicationServerKey'],
        ),
        headers: { Location: 'The push resource, /push/s/{id}.' },
      },
    ],
    errors: [
      'parameter_invalid',
      'body_malformed',
      'body_too_large',
      'visitor_quota_exceeded',
      'store_unavailable',
    ],
  },
  {
    method: 'post',
    path: '/push/s/{id}',
    tag: 'vapid',
    summary: 'Push a message to your own subscription, signed with your own VAPID key',
    description:
      'As POST /push/demo, with the key the subscription was made with. 410 once the subscription expired or was deleted (RFC 8030 §7.3).',
    params: { id: 'The subscription’s id, from its endpoint' },
    success: [
      {
        status: 201,
        description: 'Accepted (and dropped: no user agent is attached).',
        schema: obj({ accepted: bool, bytes: int, credentials: str, delivered: bool }),
        headers: { Location: 'The push message resource (RFC 8030 §5).', TTL: 'Always 0.' },
      },
    ],
    errors: ['push_subscription_gone', 'body_too_large', 'store_unavailable'],
  },
  {
    method: 'delete',
    path: '/push/s/{id}',
    tag: 'vapid',
    summary: 'Unsubscribe: the endpoint answers 410 from now on',
    params: { id: 'The subscription’s id, from its endpoint' },
    success: [{ status: 204, description: 'Deleted.' }],
    errors: ['push_subscription_gone', 'store_unavailable'],
  },
];
