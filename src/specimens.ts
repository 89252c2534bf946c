import { createHmac, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { RETIRED_DEMO_KID_PREFIX } from './keys';
import {
  issueAccessToken,
  revokedKey,
  SPECIMEN_CLIENT_ID,
  SPECIMEN_JTI_PREFIX,
  type AccessClaims,
  type TokenOptions,
} from './tokens';

/**
 * The token from section 1 of the article: jwt.io's example, HS256-signed with the secret
 * "your-256-bit-secret". A real JWT that this server never signed.
 */
export const JWT_IO_SAMPLE =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

export const SPECIMEN_NAMES = [
  'valid',
  'expired',
  'not_yet_valid',
  'issued_in_future',
  'no_exp',
  'wrong_issuer',
  'wrong_audience',
  'wrong_type',
  'unknown_kid',
  'bad_signature',
  'alg_none',
  'alg_confusion',
  'alg_not_allowed',
  'revoked',
  'not_a_jwt',
  'bad_json',
  'oversized',
  'jwt_io_sample',
  'retired_key',
  'admin',
  'fresh_login',
  'stale_login',
  'used_refresh',
  'session_idle_expired',
  'session_absolute_expired',
] as const;

export type SpecimenName = (typeof SPECIMEN_NAMES)[number];
export type Specimens = Record<SpecimenName, string>;

export { SPECIMEN_JTI_PREFIX } from './tokens';
const specimenJti = (kind?: string) =>
  `${SPECIMEN_JTI_PREFIX}${kind ? `${kind}-` : ''}${randomUUID()}`;

/** How long minted specimens live, and how often (at most) they are minted again. */
const LIFETIME_SECONDS = 3600;
const REMINT_AFTER_MS = 10 * 60 * 1000;

export interface SpecimenBookOptions extends TokenOptions {
  /** The step-up max age: `fresh_login` must stay fresh between mintings. */
  stepUpMaxAgeSeconds: number;
  /** Mints the session specimens (cookie pairs of just-expired sessions). */
  sessions?: () => Promise<Pick<Specimens, 'session_idle_expired' | 'session_absolute_expired'>>;
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * Ready-made tokens, good and bad, signed with this server's real keys so that each fails for
 * exactly one reason. Minted on first use and again every ten minutes (sooner when the step-up
 * max age is shorter); the "revoked" specimen's jti goes on the denylist and the "used_refresh"
 * specimen is marked used at each minting, so browsing writes at most two keys per minting.
 */
export class SpecimenBook {
  private cached: { at: number; specimens: Specimens } | undefined;
  private readonly remintAfterMs: number;

  constructor(private readonly options: SpecimenBookOptions) {
    this.remintAfterMs = Math.min(REMINT_AFTER_MS, (options.stepUpMaxAgeSeconds * 1000) / 2);
  }

  async get(): Promise<Specimens> {
    const now = this.options.clock.now();
    if (this.cached && now - this.cached.at < this.remintAfterMs) return this.cached.specimens;
    const { specimens, revokedJti, usedRefreshJti } = this.mint();
    if (this.options.sessions) Object.assign(specimens, await this.options.sessions());
    const ttlMs = (LIFETIME_SECONDS + this.options.jwt.clockToleranceSeconds + 60) * 1000;
    await this.options.store.set(revokedKey(revokedJti), 'specimen', ttlMs);
    await this.options.store.set(`rt:used:${usedRefreshJti}`, 'specimen', ttlMs);
    this.cached = { at: now, specimens };
    return specimens;
  }

  private mint(): { specimens: Specimens; revokedJti: string; usedRefreshJti: string } {
    const { keys, clock } = this.options;
    const now = Math.floor(clock.now() / 1000);
    const hmac = keys.signing;
    const { token: valid, claims } = issueAccessToken(this.options, {
      sub: 'demo-user',
      clientId: SPECIMEN_CLIENT_ID,
      scope: 'data:read',
      expiresIn: LIFETIME_SECONDS,
      extra: { type: 'user' },
    });
    const at = (
      c: Partial<AccessClaims> & Record<string, unknown>,
      header: Record<string, unknown> = {},
    ) =>
      jwt.sign({ ...claims, jti: specimenJti(), ...c }, hmac.signKey, {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'at+jwt', kid: hmac.kid, ...header },
      });
    const { exp: _exp, ...withoutExp } = claims;
    const revokedJti = specimenJti('revoked');
    const usedRefreshJti = specimenJti('used-refresh');
    const retired = keys.findWhere((k) => k.kid.startsWith(RETIRED_DEMO_KID_PREFIX));

    const [vh, vp, vs] = valid.split('.');
    const tamperedPayload = b64({ ...claims, sub: 'admin' });

    const es256 = keys.firstOf('ES256');
    const confusionInput = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: es256?.kid ?? 'none' })}.${vp}`;
    const publicPem = es256 ? String(es256.verifyKey.export({ type: 'spki', format: 'pem' })) : '';
    const confusionSig = createHmac('sha256', publicPem).update(confusionInput).digest('base64url');

    const specimens: Specimens = {
      valid,
      expired: at({ iat: now - 2 * LIFETIME_SECONDS, exp: now - LIFETIME_SECONDS }),
      not_yet_valid: at({ nbf: now + LIFETIME_SECONDS, exp: now + 2 * LIFETIME_SECONDS }),
      issued_in_future: at({ iat: now + LIFETIME_SECONDS, exp: now + 2 * LIFETIME_SECONDS }),
      no_exp: jwt.sign({ ...withoutExp, jti: specimenJti() }, hmac.signKey, {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'at+jwt', kid: hmac.kid },
      }),
      wrong_issuer: at({ iss: 'https://issuer.example' }),
      wrong_audience: at({ aud: 'another-api' }),
      wrong_type: at({}, { typ: 'rt+jwt' }),
      unknown_kid: at({}, { kid: 'retired-2019-key' }),
      bad_signature: `${vh}.${tamperedPayload}.${vs}`,
      alg_none: `${b64({ alg: 'none', typ: 'at+jwt' })}.${vp}.`,
      alg_confusion: `${confusionInput}.${confusionSig}`,
      alg_not_allowed: jwt.sign({ ...claims, jti: specimenJti() }, hmac.signKey, {
        algorithm: 'HS512',
        header: { alg: 'HS512', typ: 'at+jwt', kid: hmac.kid },
      }),
      revoked: at({ jti: revokedJti }),
      not_a_jwt: 'this-is-not-a-jwt',
      bad_json: `${b64({ alg: 'HS256', typ: 'at+jwt' })}.${b64('not json')}.c2lnbmF0dXJl`,
      oversized: 'A'.repeat(20 * 1024),
      jwt_io_sample: JWT_IO_SAMPLE,
      retired_key: retired
        ? keys.sign({ ...claims, jti: specimenJti() }, { typ: 'at+jwt' }, retired)
        : '',
      admin: at({ sub: 'admin', type: 'admin', scope: 'data:read admin', auth_time: now }),
      fresh_login: at({ sub: 'my_username', auth_time: now }),
      stale_login: at({ sub: 'my_username', auth_time: now - 2 * LIFETIME_SECONDS }),
      session_idle_expired: '',
      session_absolute_expired: '',
      used_refresh: keys.sign(
        {
          iss: claims.iss,
          sub: 'my_username',
          aud: claims.iss,
          iat: now,
          exp: now + LIFETIME_SECONDS,
          jti: usedRefreshJti,
          fid: `specimen-family-${randomUUID()}`,
          client_id: 'four-oh-one-public',
          scope: 'data:read',
          type: 'user',
        },
        { typ: 'rt+jwt' },
      ),
    };
    return { specimens, revokedJti, usedRefreshJti };
  }
}

/** Replaces every `{{token:NAME}}` in a header value with the specimen token NAME. */
export function fillTemplate(value: string, specimens: Specimens): string {
  return value.replace(/\{\{token:([a-z_]+)\}\}/g, (whole, name: string) =>
    name in specimens ? specimens[name as SpecimenName] : whole,
  );
}

/** A trigger body with `{{token:NAME}}` filled in its string values. */
export function fillBody<T extends Record<string, unknown>>(body: T, specimens: Specimens): T {
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [
      k,
      typeof v === 'string' ? fillTemplate(v, specimens) : v,
    ]),
  ) as T;
}
