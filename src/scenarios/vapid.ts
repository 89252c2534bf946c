import { problemCatalog, type ProblemCode } from './catalog';
import { rfc } from './refs';
import { bearer } from './shared';
import type { FamilyInfo, Scenario } from './types';

/** The demo subscription's push resource and the published application server keys (src/auth/vapid.ts). */
const PUSH = '/push/demo';
const DEMO_KEY =
  'BCCSDFUIARp1ygfwL3OspI0Z8PDJlan_Nrvr9CJ-nPQn139YeTdj0jAfUhnl_WeWWfcqUdRe1_CqZyM2BSygFp8';
const OTHER_KEY =
  'BLuZiVRRY2UYnpRWNoBvK6DUstTorlQFu5GkF9qTKfXNzOWJLjd2lvCNnmfiDus1u-Gf-lUWV2HM6Ofk3gJkm7g';

/** A push message with these VAPID credentials (a specimen JWT and a key) and a TTL. */
const pushWith = (token: string, key = DEMO_KEY, ttl: string | null = '60') => ({
  Authorization: `vapid t={{token:${token}}}, k=${key}`,
  ...(ttl === null ? {} : { TTL: ttl }),
});

/** A VAPID refusal: no challenge, ever (RFC 8292 §3 forbids one, even on its 401). */
const refused = (code: ProblemCode): Scenario['expect'] => ({
  status: problemCatalog[code].status,
  code,
  challenge: null,
  absentHeaders: ['WWW-Authenticate'],
});

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'vapid: Web Push application servers (RFC 8292)',
  summary:
    'A Web Push service (RFC 8030) with one demo subscription restricted to a published application server key (GET /push/subscription). POST /push/demo takes `Authorization: vapid t=<ES256 JWT>, k=<P-256 key>` and refuses as RFC 8292 §4.2 says: 401 without credentials (with no WWW-Authenticate: the scheme forbids a challenge), 403 for a key that is not the subscription’s, a bad signature, a wrong audience, an expiry past or more than 24 hours ahead, no contact; then the message’s own TTL and aes128gcm. POST /push/subscriptions gives a visitor a subscription of its own, restricted to its own VAPID key, for an hour (410 Gone after). web-push (npm) completes both.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'vapid-push-accepted',
    family: 'vapid',
    title: 'A push message with VAPID credentials signed by the subscription’s key',
    trigger: { method: 'POST', path: PUSH, headers: pushWith('vapid_valid') },
    expect: { status: 201, challenge: null, headers: { TTL: '0' } },
    explanation:
      'The JWT is ES256, signed by the key in `k`, which is the subscription’s applicationServerKey; `aud` is this server’s origin, `exp` 12 hours ahead, `sub` a mailto: contact. The push service answers 201 with a Location for the message (RFC 8030 §5) and TTL: 0, since no user agent is attached and nothing is kept (RFC 8030 §5.2: the TTL answered is the one honoured). A payload would have to be aes128gcm ciphertext for the subscription’s p256dh and auth keys (RFC 8291), as web-push sends it.',
    rfc: [rfc(8292, '3'), rfc(8292, '4.2'), rfc(8030, '5')],
  },
  {
    id: 'vapid-webpush-legacy-accepted',
    family: 'vapid',
    title: 'The drafts’ form: Authorization: WebPush <JWT> and Crypto-Key: p256ecdsa=<key>',
    trigger: {
      method: 'POST',
      path: PUSH,
      headers: {
        Authorization: 'WebPush {{token:vapid_valid}}',
        'Crypto-Key': `p256ecdsa=${DEMO_KEY}`,
        TTL: '60',
      },
    },
    expect: { status: 201, challenge: null, headers: { TTL: '0' } },
    explanation:
      'Before RFC 8292, the VAPID drafts (draft-ietf-webpush-vapid-01 and earlier) sent the JWT under a `WebPush` scheme and the key in Crypto-Key’s `p256ecdsa` member, with payloads encrypted as `aesgcm` (draft-ietf-webpush-encryption-04). It is obsolete, but push services still accept it and web-push still sends it with `contentEncoding: "aesgcm"`; the checks are the same. Use `vapid t=…, k=…` and aes128gcm.',
    rfc: [rfc(8292, '3'), rfc(8291, '4')],
  },
  {
    id: 'vapid-credentials-missing',
    family: 'vapid',
    title: 'A push message without Authorization to a restricted subscription',
    trigger: { method: 'POST', path: PUSH, headers: { TTL: '60' } },
    expect: refused('vapid_credentials_missing'),
    explanation:
      'The one 401 in this server without a WWW-Authenticate: RFC 8292 §3 forbids a vapid challenge, and §4.2 asks for a 401. A client cannot learn the scheme from the answer; it knew it from the subscription (its applicationServerKey).',
    rfc: problemCatalog.vapid_credentials_missing.rfc,
  },
  {
    id: 'vapid-other-scheme',
    family: 'vapid',
    title: 'A push message with a Bearer token instead of VAPID',
    trigger: { method: 'POST', path: PUSH, headers: { ...bearer('valid'), TTL: '60' } },
    expect: refused('vapid_credentials_missing'),
    explanation:
      'A valid access token of this very server, but a push resource takes only vapid (RFC 8292 §4.2): another scheme is no proof of the application server’s key, so it is answered as missing credentials.',
    rfc: problemCatalog.vapid_credentials_missing.rfc,
  },
  {
    id: 'vapid-credentials-malformed',
    family: 'vapid',
    title: 'vapid credentials whose k is not a P-256 public key',
    trigger: {
      method: 'POST',
      path: PUSH,
      headers: { Authorization: 'vapid t={{token:vapid_valid}}, k=not-a-key', TTL: '60' },
    },
    expect: refused('vapid_credentials_malformed'),
    explanation:
      '`k` must be the 65-byte uncompressed point (0x04, x, y) in base64url: the form `applicationServerKey` takes, not a JWK, not PEM, not the compressed 33-byte point.',
    rfc: problemCatalog.vapid_credentials_malformed.rfc,
  },
  {
    id: 'vapid-credentials-incomplete',
    family: 'vapid',
    title: 'vapid credentials with t and no k',
    trigger: {
      method: 'POST',
      path: PUSH,
      headers: { Authorization: 'vapid t={{token:vapid_valid}}', TTL: '60' },
    },
    expect: refused('vapid_credentials_incomplete'),
    explanation:
      'A correct JWT, but without `k` the push service cannot tell which key signed it, nor compare it with the subscription’s (RFC 8292 §3.2).',
    rfc: problemCatalog.vapid_credentials_incomplete.rfc,
  },
  {
    id: 'vapid-key-mismatch',
    family: 'vapid',
    title: 'Another application server’s key, correctly signed',
    trigger: { method: 'POST', path: PUSH, headers: pushWith('vapid_other_key', OTHER_KEY) },
    expect: refused('vapid_key_mismatch'),
    explanation:
      'The JWT verifies with its `k`, but that key is not the one the subscription is restricted to: someone who learned the endpoint URL cannot push to it with a key of their own.',
    rfc: problemCatalog.vapid_key_mismatch.rfc,
  },
  {
    id: 'vapid-signature-invalid',
    family: 'vapid',
    title: 'The subscription’s key in k, a JWT signed by another key',
    trigger: { method: 'POST', path: PUSH, headers: pushWith('vapid_other_key') },
    expect: refused('vapid_signature_invalid'),
    explanation:
      'Naming the right key is not enough: the JWT must verify with it. Here it was signed with another private key, so only its claims are right.',
    rfc: problemCatalog.vapid_signature_invalid.rfc,
  },
  {
    id: 'vapid-audience-mismatch',
    family: 'vapid',
    title: 'A VAPID JWT made for FCM’s push service',
    trigger: { method: 'POST', path: PUSH, headers: pushWith('vapid_wrong_audience') },
    expect: refused('vapid_audience_mismatch'),
    explanation:
      '`aud` is https://fcm.googleapis.com: a JWT for Google’s push service, sent to this one. The audience binds a token to one push service’s origin.',
    rfc: problemCatalog.vapid_audience_mismatch.rfc,
  },
  {
    id: 'vapid-token-expired',
    family: 'vapid',
    title: 'A VAPID JWT that expired an hour ago',
    trigger: { method: 'POST', path: PUSH, headers: pushWith('vapid_expired') },
    expect: refused('vapid_token_expired'),
    explanation:
      'A cached JWT kept past its `exp`: the usual cause is a library’s token cache that renews too late, or a clock behind.',
    rfc: problemCatalog.vapid_token_expired.rfc,
  },
  {
    id: 'vapid-expiry-too-far',
    family: 'vapid',
    title: 'A VAPID JWT that expires in 48 hours',
    trigger: { method: 'POST', path: PUSH, headers: pushWith('vapid_too_far') },
    expect: refused('vapid_expiry_too_far'),
    explanation:
      'Every other claim is right; the JWT is refused only because it would stay valid for longer than RFC 8292 allows (24 hours).',
    rfc: problemCatalog.vapid_expiry_too_far.rfc,
  },
  {
    id: 'vapid-subject-invalid',
    family: 'vapid',
    title: 'A VAPID JWT without a sub contact',
    trigger: { method: 'POST', path: PUSH, headers: pushWith('vapid_no_subject') },
    expect: refused('vapid_subject_invalid'),
    explanation:
      'Without `sub`, the push service’s operator has no way to reach the application server’s when its messages cause trouble (RFC 8292 §2.1).',
    rfc: problemCatalog.vapid_subject_invalid.rfc,
  },
  {
    id: 'push-ttl-missing',
    family: 'vapid',
    title: 'Right VAPID credentials, no TTL header',
    trigger: { method: 'POST', path: PUSH, headers: pushWith('vapid_valid', DEMO_KEY, null) },
    expect: refused('push_ttl_missing'),
    explanation:
      'The credentials are checked first (a 401 or 403 says more to a client than a 400), then the message: TTL is mandatory in RFC 8030.',
    rfc: problemCatalog.push_ttl_missing.rfc,
  },
  {
    id: 'push-encoding-unsupported',
    family: 'vapid',
    title: 'Right VAPID credentials, a plain JSON payload',
    trigger: {
      method: 'POST',
      path: PUSH,
      headers: pushWith('vapid_valid'),
      body: { title: 'Hello', body: 'in clear text' },
    },
    expect: refused('push_encoding_unsupported'),
    explanation:
      'A payload in clear text would be readable by the push service, which RFC 8291 exists to prevent: the application server encrypts it for the user agent, and the push service only relays `aes128gcm` ciphertext.',
    rfc: problemCatalog.push_encoding_unsupported.rfc,
  },
  {
    id: 'push-subscription-gone',
    family: 'vapid',
    title: 'A push message to a subscription that expired or was deleted',
    trigger: {
      method: 'POST',
      path: '/push/s/AAAAAAAAAAAAAAAAAAAAAA',
      headers: pushWith('vapid_valid'),
    },
    expect: refused('push_subscription_gone'),
    explanation:
      'A visitor’s own subscription (`POST /push/subscriptions` with its own applicationServerKey) lives an hour at `/push/s/<id>`, and a `DELETE` there ends it, as a user agent unsubscribing does. After that the push service answers 410 Gone before it reads any credentials (RFC 8030 §7.3): the application server must drop the subscription, not retry it.',
    rfc: problemCatalog.push_subscription_gone.rfc,
  },
];
