import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { parseAuthParams } from './digest';
import { readScheme } from './scheme';

/**
 * VAPID (RFC 8292): an application server proves, with an ES256 JWT and the P-256 key that
 * signed it, that it may push to a subscription restricted to that key (RFC 8292 §4). This
 * module reads the `vapid t=…, k=…` credentials (and the obsolete `WebPush <JWT>` +
 * `Crypto-Key: p256ecdsa=…` form of the drafts) and checks them; it never throws.
 */

/**
 * The demo application server's key pair (base64url: the 65-byte uncompressed point, the
 * 32-byte private scalar), published so that any client can sign with it: it is the
 * `applicationServerKey` the demo subscription was created with.
 */
export const DEMO_VAPID_PUBLIC_KEY =
  'BCCSDFUIARp1ygfwL3OspI0Z8PDJlan_Nrvr9CJ-nPQn139YeTdj0jAfUhnl_WeWWfcqUdRe1_CqZyM2BSygFp8';
export const DEMO_VAPID_PRIVATE_KEY = '-uPkw7un5f_bbicoc-amyVv-iHlhuAKhRJOm6Gh-czM';
/** Another application server's pair: a good signature, but not the key the subscription names. */
export const OTHER_VAPID_PUBLIC_KEY =
  'BLuZiVRRY2UYnpRWNoBvK6DUstTorlQFu5GkF9qTKfXNzOWJLjd2lvCNnmfiDus1u-Gf-lUWV2HM6Ofk3gJkm7g';
export const OTHER_VAPID_PRIVATE_KEY = 'iSXH6I1LbqCdwiJUeFRHlNZr3irrByQDVHx8r2-jpEU';
/**
 * The demo subscription's user-agent keys (RFC 8291 §3): a client encrypts the payload to
 * p256dh with the auth secret. The private half is published too, so a payload can be read.
 */
export const DEMO_SUBSCRIPTION_P256DH =
  'BDP01HONJlE05yDwEeTo92YazQL5NUctCb-wYJT48uurU7qLP0zw_HUfRq1Werqm_SrwRczuLe5sAzDn5xPiXkM';
export const DEMO_SUBSCRIPTION_P256DH_PRIVATE = 'yhajkhvOpuvmZXU4lvJzl3jkWv__iARvK566Es4aZJk';
export const DEMO_SUBSCRIPTION_AUTH = 'dDF_yqDMzBP7rmAzVmmg1A';
/** The demo subscription's push resource path (RFC 8030 §5). */
export const DEMO_PUSH_PATH = '/push/demo';

/** RFC 8292 §2: "An exp claim MUST NOT be more than 24 hours from the time of the request." */
export const VAPID_MAX_EXPIRY_SECONDS = 24 * 3600;
/** Longest credentials read: a JWT with a few claims and a key are well under 1 KiB. */
const MAX_CREDENTIALS = 4096;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** A P-256 public key from its uncompressed point (base64url), or undefined when it is none. */
export function p256PublicKey(k: string): KeyObject | undefined {
  if (!B64URL.test(k)) return undefined;
  const raw = Buffer.from(k, 'base64url');
  if (raw.length !== 65 || raw[0] !== 0x04) return undefined;
  try {
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: raw.subarray(1, 33).toString('base64url'),
        y: raw.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch {
    return undefined; // not a point on the curve
  }
}

/** An ES256 JWT of these claims, signed with a published demo key (tests, specimens, README). */
export function signVapidJwt(
  claims: Record<string, unknown>,
  keys: { publicKey: string; privateKey: string } = {
    publicKey: DEMO_VAPID_PUBLIC_KEY,
    privateKey: DEMO_VAPID_PRIVATE_KEY,
  },
  header: Record<string, unknown> = { typ: 'JWT', alg: 'ES256' },
): string {
  const raw = Buffer.from(keys.publicKey, 'base64url');
  const key = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
      d: keys.privateKey,
    },
    format: 'jwk',
  });
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

/** How an Authorization value (and Crypto-Key) reads to a push resource. */
export type VapidReading =
  | { kind: 'none' }
  | { kind: 'other'; scheme: string }
  | { kind: 'malformed'; reason: string }
  | { kind: 'incomplete'; missing: 't' | 'k' }
  | { kind: 'credentials'; t: string; k: string; form: 'vapid' | 'WebPush' };

/**
 * Reads `vapid t=<JWT>, k=<key>` (RFC 8292 §3; unknown parameters are ignored, §3), or the
 * drafts' `WebPush <JWT>` with the key in `Crypto-Key: p256ecdsa=<key>`. Never throws.
 */
export function readVapid(
  authorization: string | undefined,
  cryptoKey: string | string[] | undefined,
): VapidReading {
  const vapid = readScheme(authorization, 'vapid', MAX_CREDENTIALS);
  if (vapid.kind === 'none' || vapid.kind === 'malformed') return vapid;
  if (vapid.kind === 'credentials') {
    const params = parseAuthParams(vapid.rest);
    if (typeof params === 'string') return { kind: 'malformed', reason: params };
    const t = params.get('t');
    const k = params.get('k');
    if (t === undefined) return { kind: 'incomplete', missing: 't' };
    if (k === undefined) return { kind: 'incomplete', missing: 'k' };
    return { kind: 'credentials', t, k, form: 'vapid' };
  }
  const legacy = readScheme(authorization, 'WebPush', MAX_CREDENTIALS);
  if (legacy.kind !== 'credentials') return legacy;
  const t = legacy.rest.trim();
  if (!/^[A-Za-z0-9_.-]+$/.test(t)) {
    return { kind: 'malformed', reason: 'WebPush is followed by something other than one JWT.' };
  }
  // Crypto-Key holds `;`-separated parameters per key, `,` between keys: dh=…;p256ecdsa=….
  const field = Array.isArray(cryptoKey) ? cryptoKey.join(',') : (cryptoKey ?? '');
  const k = /(?:^|[;,]\s*)p256ecdsa="?([A-Za-z0-9_-]+)"?/.exec(field.slice(0, MAX_CREDENTIALS));
  if (!k) return { kind: 'incomplete', missing: 'k' };
  return { kind: 'credentials', t, k: k[1]!, form: 'WebPush' };
}

/** Why VAPID credentials are refused, each with its own problem code in the middleware. */
export type VapidFailure =
  | { failed: 'malformed'; reason: string }
  | { failed: 'key_mismatch' }
  | { failed: 'signature'; reason: string }
  | { failed: 'audience'; aud: unknown }
  | { failed: 'expired'; exp: number }
  | { failed: 'too_far'; exp: number }
  | { failed: 'subject'; sub: unknown };

export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
}

/**
 * Checks credentials against a subscription restricted to `subscriptionKey` (RFC 8292 §4.2), in
 * the order a push service can afford: shape, then the key (a comparison), then the signature
 * (ES256 only, §2), then `aud` (the push resource's origin), `exp` (not past, at most 24 hours
 * ahead) and `sub` (a mailto: or https: contact, §2.1).
 */
export function checkVapid(
  credentials: { t: string; k: string },
  expected: { subscriptionKey: string; audience: string; nowSeconds: number },
): VapidClaims | VapidFailure {
  const key = p256PublicKey(credentials.k);
  if (key === undefined) {
    return { failed: 'malformed', reason: 'k is not a base64url uncompressed P-256 point.' };
  }
  const parts = credentials.t.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) {
    return {
      failed: 'malformed',
      reason: 't is not a JWS in compact form (three base64url parts).',
    };
  }
  const [h, c, s] = parts as [string, string, string];
  const header = decodeJson(h);
  const claims = decodeJson(c);
  if (header === undefined || claims === undefined) {
    return { failed: 'malformed', reason: 'The JWT header or claims are not a JSON object.' };
  }
  // Constant time is not needed: both keys are public.
  if (credentials.k !== expected.subscriptionKey) return { failed: 'key_mismatch' };
  if (header.alg !== 'ES256') {
    return {
      failed: 'signature',
      reason: `The JWT alg is ${JSON.stringify(header.alg)}, not ES256.`,
    };
  }
  const signature = Buffer.from(s, 'base64url');
  const ok =
    signature.length === 64 &&
    verify('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (!ok) return { failed: 'signature', reason: 'The ES256 signature does not verify with k.' };
  if (claims.aud !== expected.audience) return { failed: 'audience', aud: claims.aud };
  const exp = claims.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= expected.nowSeconds) {
    return { failed: 'expired', exp: typeof exp === 'number' ? exp : Number.NaN };
  }
  if (exp > expected.nowSeconds + VAPID_MAX_EXPIRY_SECONDS) return { failed: 'too_far', exp };
  const sub = claims.sub;
  if (typeof sub !== 'string' || !/^(?:mailto:[^@\s]+@[^@\s]+|https:\/\/[^\s]+)$/.test(sub)) {
    return { failed: 'subject', sub };
  }
  return { aud: claims.aud, exp, sub };
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The VAPID specimens (src/tokens/specimens.ts) for a push service at `audience`: JWTs minted
 * now, each wrong in one way; `vapid_other_key` is signed by the other published key.
 */
export function vapidSpecimens(audience: string, nowMs: number) {
  const now = Math.floor(nowMs / 1000);
  const claims = { aud: audience, exp: now + 12 * 3600, sub: 'mailto:push@four-oh-one.example' };
  const other = { publicKey: OTHER_VAPID_PUBLIC_KEY, privateKey: OTHER_VAPID_PRIVATE_KEY };
  const { sub: _sub, ...noSubject } = claims;
  return {
    vapid_valid: signVapidJwt(claims),
    vapid_expired: signVapidJwt({ ...claims, exp: now - 3600 }),
    vapid_too_far: signVapidJwt({ ...claims, exp: now + 48 * 3600 }),
    vapid_wrong_audience: signVapidJwt({ ...claims, aud: 'https://fcm.googleapis.com' }),
    vapid_no_subject: signVapidJwt(noSubject),
    vapid_other_key: signVapidJwt(claims, other),
  };
}
