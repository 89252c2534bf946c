import {
  createECDH,
  createHmac,
  createPrivateKey,
  randomUUID,
  sign as signWithKey,
  type KeyObject,
} from 'node:crypto';
import { jwkThumbprint, proofKey, replayTtlMs, sha256Base64url } from './dpop';
import {
  isRotatedOut,
  jsonwebtoken,
  jwsSignature,
  RETIRED_DEMO_KID_PREFIX,
  type Key,
} from './keys';
import {
  issueAccessToken,
  revokedKey,
  SPECIMEN_CLIENT_ID,
  SPECIMEN_JTI_PREFIX,
  type AccessClaims,
  type TokenOptions,
} from './verify';

/**
 * The token from section 1 of the article: jwt.io's example, HS256-signed with the secret
 * "your-256-bit-secret". A real JWT that this server never signed.
 */
export const JWT_IO_SAMPLE =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

/**
 * The DPoP proofs (RFC 9449), minted every second (their iat is now) for the requests the
 * registry's cards send: GET /api/v1/data with `dpop_bound` unless the name says otherwise.
 */
export const DPOP_PROOF_NAMES = [
  'dpop_proof',
  'dpop_proof_bad_signature',
  'dpop_proof_private_key',
  'dpop_proof_wrong_htm',
  'dpop_proof_wrong_htu',
  'dpop_proof_stale',
  'dpop_proof_future',
  'dpop_proof_replayed',
  'dpop_proof_ath_mismatch',
  'dpop_proof_other_key',
  'dpop_proof_unbound',
  'dpop_proof_nonce',
  'dpop_proof_token',
] as const;
type DpopProofName = (typeof DPOP_PROOF_NAMES)[number];

/** An ES256 key pair made from a secret: the same on every instance sharing JWT_SECRET. */
export interface DpopKey {
  privateKey: KeyObject;
  jwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  jkt: string;
}

export function derivedDpopKey(secret: Buffer, label: string): DpopKey {
  const d = createHmac('sha256', secret).update(`four-oh-one dpop specimen key: ${label}`).digest();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  const jwk = {
    kty: 'EC' as const,
    crv: 'P-256' as const,
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
  };
  const privateKey = createPrivateKey({
    key: { ...jwk, d: d.toString('base64url') },
    format: 'jwk',
  });
  return { privateKey, jwk, jkt: jwkThumbprint(jwk) as string };
}

/** A DPoP proof (RFC 9449 §4.2) signed with `key`: ES256, typ dpop+jwt, the public jwk. */
export function signProof(
  key: DpopKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk, ...header })}.${b64(claims)}`;
  const sig = signWithKey('sha256', Buffer.from(input), {
    key: key.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${sig.toString('base64url')}`;
}

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
  'rotated_out_key',
  'admin',
  'admin_data_read_only',
  'admin_scope_only',
  'fresh_login',
  'stale_login',
  'used_refresh',
  'client_refresh',
  'refresh_idle_expired',
  'refresh_absolute_expired',
  'session_idle_expired',
  'session_absolute_expired',
  'digest_wrong_password',
  'digest_stale_nonce',
  'crit_unknown',
  'duplicate_member',
  'non_canonical_signature',
  'sender_constrained',
  'issued_before_store_loss',
  'id_token',
  'exp_within_tolerance',
  'exp_beyond_tolerance',
  'nbf_within_tolerance',
  'nbf_beyond_tolerance',
  'iat_within_tolerance',
  'iat_beyond_tolerance',
  'vapid_valid',
  'vapid_expired',
  'vapid_too_far',
  'vapid_wrong_audience',
  'vapid_no_subject',
  'vapid_other_key',
  'dpop_bound',
  'dpop_bound_refresh',
  ...DPOP_PROOF_NAMES,
] as const;

/** The clock-skew specimens: minted again every second, since their point is a few seconds. */
type SkewName = Extract<SpecimenName, `${string}_tolerance`>;

/**
 * How far beyond the leeway the refused nbf and iat specimens lie: they drift towards it as time
 * passes, and must stay beyond it while a page that showed them is open (the playground fetches
 * its triggers again after five minutes).
 */
export const SKEW_BEYOND_SECONDS = 330;

export type SpecimenName = (typeof SPECIMEN_NAMES)[number];
export type Specimens = Record<SpecimenName, string>;

export { SPECIMEN_JTI_PREFIX } from './verify';
const specimenJti = (kind?: string) =>
  `${SPECIMEN_JTI_PREFIX}${kind ? `${kind}-` : ''}${randomUUID()}`;

/** How long minted specimens live, and how often (at most) they are minted again. */
const LIFETIME_SECONDS = 3600;
const REMINT_AFTER_MS = 10 * 60 * 1000;

export interface SpecimenBookOptions extends TokenOptions {
  /** The step-up max age: `fresh_login` must stay fresh between mintings. */
  stepUpMaxAgeSeconds: number;
  /** The confidential client (DEMO_API_KEY): `client_refresh` is a refresh token issued to it. */
  confidentialClientId?: string;
  /** Where proofs are sent (PUBLIC_URL): their htu. */
  publicUrl: string;
  /** Mints the session specimens (cookie pairs of just-expired sessions). */
  sessions?: () => Promise<Pick<Specimens, 'session_idle_expired' | 'session_absolute_expired'>>;
  /**
   * Mints the Digest specimens (Authorization values answering a nonce this server signed), at
   * the minting time: middleware/digest-auth.ts `digestSpecimens`.
   */
  digest?: (nowMs: number) => Pick<Specimens, 'digest_wrong_password' | 'digest_stale_nonce'>;
  /** Mints the VAPID JWTs (RFC 8292) for the push service's origin: src/auth/vapid.ts. */
  vapid?: (nowMs: number) => Pick<Specimens, VapidSpecimen>;
}

/** The VAPID specimens: ES256 JWTs for the demo push subscription (routes/push.ts). */
export type VapidSpecimen = Extract<SpecimenName, `vapid_${string}`>;

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A JWS of this exact header text and these claims, signed with `key` in its pinned algorithm. */
function jws(key: Key, headerJson: string, claims: object): string {
  const input = `${b64(headerJson)}.${b64(claims)}`;
  return `${input}.${jwsSignature(key, input)}`;
}

/**
 * The same signature spelled otherwise: a base64url text whose length leaves spare low bits in
 * its last character (RFC 4648 §3.5) decodes to the same bytes whatever those bits are. Sets the
 * lowest of them, so a decoder that ignores them would accept the token as it was signed.
 */
function nonCanonical(signature: string): string {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const spareBits = (signature.length * 6) % 8;
  const last = ALPHABET.indexOf(signature.slice(-1));
  if (spareBits === 0 || last < 0) return signature;
  return `${signature.slice(0, -1)}${ALPHABET[last | 1] ?? ''}`;
}

/** The RFC 9449 §6.1 example DPoP key thumbprint: a cnf that binds a token to a key. */
const EXAMPLE_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
/** A JOSE header extension no verifier here understands, listed as critical (RFC 7515 §4.1.11). */
const UNKNOWN_EXTENSION = 'urn:example:must-understand';

/**
 * Ready-made tokens, good and bad, signed with this server's real keys so that each fails for
 * exactly one reason. Minted on first use and again every ten minutes (sooner when the step-up
 * max age is shorter); the "revoked" specimen's jti goes on the denylist and the "used_refresh"
 * specimen (and "client_refresh") is marked used at each minting, so browsing writes at most three
 * keys per minting.
 */
export class SpecimenBook {
  private cached: { at: number; epoch: number | undefined; specimens: Specimens } | undefined;
  private skew:
    { second: number; bound: string; tokens: Record<SkewName | DpopProofName, string> } | undefined;
  private readonly remintAfterMs: number;
  /** The specimen DPoP key, and another one that no specimen token is bound to. */
  private readonly dpopKey: DpopKey;
  private readonly otherDpopKey: DpopKey;
  /** The thumbprint of the specimen key: its proofs never write to the replay cache. */
  readonly dpopJkt: string;

  constructor(private readonly options: SpecimenBookOptions) {
    this.remintAfterMs = Math.min(REMINT_AFTER_MS, (options.stepUpMaxAgeSeconds * 1000) / 2);
    this.dpopKey = derivedDpopKey(options.jwt.secret, 'specimen');
    this.otherDpopKey = derivedDpopKey(options.jwt.secret, 'another client');
    this.dpopJkt = this.dpopKey.jkt;
  }

  async get(): Promise<Specimens> {
    const now = this.options.clock.now();
    // After the store lost its data, specimens minted before are refused as store_state_lost,
    // and the revoked one's denylist entry is gone: mint them again.
    const epoch = this.options.epoch;
    const stale = this.cached !== undefined && epoch?.current !== this.cached.epoch;
    if (this.cached && !stale && now - this.cached.at < this.remintAfterMs) {
      return this.withSkew(this.cached.specimens, now, this.cached.epoch);
    }
    const since = await epoch?.read();
    const { specimens, revokedJti, usedRefreshJti, clientRefreshJti } = this.mint(since);
    if (this.options.sessions) Object.assign(specimens, await this.options.sessions());
    if (this.options.digest) Object.assign(specimens, this.options.digest(now));
    if (this.options.vapid) Object.assign(specimens, this.options.vapid(now));
    const ttlMs = (LIFETIME_SECONDS + this.options.jwt.clockToleranceSeconds + 60) * 1000;
    await this.options.store.set(revokedKey(revokedJti), 'specimen', ttlMs);
    await this.options.store.set(`rt:used:${usedRefreshJti}`, 'specimen', ttlMs);
    // Used up too: only a trigger without client authentication is documented for it, and with
    // authentication nobody's use can change what the next visitor sees.
    await this.options.store.set(`rt:used:${clientRefreshJti}`, 'specimen', ttlMs);
    // The replayed proof's jti, as if a request had used it (the specimen key's proofs are
    // otherwise never remembered): it is minted every second, but its jti stays this one.
    await this.options.store.set(
      proofKey(this.dpopJkt, replayedProofJti(specimens.dpop_bound)),
      'specimen',
      ttlMs + replayTtlMs(),
    );
    this.cached = { at: now, epoch: since, specimens };
    return this.withSkew(specimens, now, since);
  }

  /**
   * The specimens with clock-skew tokens minted this second: each lies one second inside the
   * JWT_CLOCK_TOLERANCE_SECONDS leeway (exp a second ago... accepted while the leeway lasts) or
   * beyond it, so they cannot be kept ten minutes like the others. Signing six tokens a second
   * at most, and only when a page or /scenarios asks.
   */
  private withSkew(specimens: Specimens, nowMs: number, since: number | undefined): Specimens {
    const second = Math.floor(nowMs / 1000);
    if (this.skew?.second !== second || this.skew.bound !== specimens.dpop_bound) {
      this.skew = {
        second,
        bound: specimens.dpop_bound,
        tokens: { ...this.mintSkew(second, since), ...this.mintProofs(second, specimens) },
      };
    }
    return { ...specimens, ...this.skew.tokens };
  }

  /**
   * The DPoP proofs, made this second: each good but for its one documented fault. Six
   * configurations fire each card twice with one set, so the good proof must pass twice: the
   * specimen key's proofs are looked up in the replay cache but never written to it.
   */
  private mintProofs(now: number, specimens: Specimens): Record<DpopProofName, string> {
    const origin = new URL(this.options.publicUrl).origin;
    const key = this.dpopKey;
    const bound = specimens.dpop_bound;
    const claims = {
      jti: `${SPECIMEN_JTI_PREFIX}${randomUUID()}`,
      htm: 'GET',
      htu: `${origin}/api/v1/data`,
      iat: now,
      ath: sha256Base64url(bound),
    };
    const proof = (c: Record<string, unknown> = {}, k: DpopKey = key) =>
      signProof(k, { ...claims, ...c });
    const good = proof();
    const dot = good.lastIndexOf('.');
    // Signed, then its payload changed: the signature no longer covers it.
    const tampered = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })}.${b64({ ...claims, htm: 'POST' })}${good.slice(dot)}`;
    const { ath: _ath, ...withoutAth } = claims;
    return {
      dpop_proof: good,
      dpop_proof_bad_signature: tampered,
      dpop_proof_private_key: signProof(
        key,
        claims,
        // The private member d in jwk: the key would be public now.
        { jwk: { ...key.jwk, d: 'c3BlY2ltZW4tcHJpdmF0ZS1tZW1iZXItbm90LXRoZS1rZXk' } },
      ),
      dpop_proof_wrong_htm: proof({ htm: 'POST' }),
      dpop_proof_wrong_htu: proof({ htu: 'https://api.example.com/api/v1/data' }),
      dpop_proof_stale: proof({ iat: now - SKEW_BEYOND_SECONDS }),
      dpop_proof_future: proof({ iat: now + SKEW_BEYOND_SECONDS }),
      dpop_proof_replayed: proof({ jti: replayedProofJti(bound) }),
      dpop_proof_ath_mismatch: proof({ ath: sha256Base64url(specimens.valid) }),
      dpop_proof_other_key: proof({}, this.otherDpopKey),
      dpop_proof_unbound: proof({ ath: sha256Base64url(specimens.valid) }),
      dpop_proof_nonce: proof({ htu: `${origin}/api/v1/dpop/nonce` }),
      dpop_proof_token: signProof(key, { ...withoutAth, htm: 'POST', htu: `${origin}/auth/token` }),
    };
  }

  private mintSkew(now: number, since: number | undefined): Record<SkewName, string> {
    const signing = this.options.keys.signing;
    const header = JSON.stringify({ alg: signing.alg, typ: 'at+jwt', kid: signing.kid });
    const { jwt } = this.options;
    const claims = {
      type: 'user',
      iss: jwt.issuer,
      sub: 'demo-user',
      aud: jwt.audience,
      client_id: SPECIMEN_CLIENT_ID,
      scope: 'data:read',
    };
    const tolerance = jwt.clockToleranceSeconds;
    const at = (c: Partial<AccessClaims>) =>
      jws(signing, header, {
        ...claims,
        exp: now + LIFETIME_SECONDS,
        iat: now,
        jti: specimenJti('skew'),
        ...c,
      });
    // Inside: one second short of the edge (with a leeway under two seconds there is no inside:
    // the registry does not fire those cards then). Beyond: exp one second past the edge, which
    // only grows; nbf and iat SKEW_BEYOND_SECONDS past it, since they drift back towards it.
    const inside = tolerance - 1;
    // Issued a minute ago, but never before the store's data began (that is store_state_lost).
    const issued = Math.max(now - 60, since === undefined ? 0 : Math.ceil(since / 1000));
    const beyond = tolerance + SKEW_BEYOND_SECONDS;
    return {
      exp_within_tolerance: at({ iat: issued, exp: now - 1 }),
      exp_beyond_tolerance: at({ iat: issued, exp: now - tolerance - 1 }),
      nbf_within_tolerance: at({ nbf: now + inside }),
      nbf_beyond_tolerance: at({ nbf: now + beyond }),
      iat_within_tolerance: at({ iat: now + inside }),
      iat_beyond_tolerance: at({ iat: now + beyond }),
    };
  }

  /** `since`: the store's epoch (src/store/epoch.ts), when the app keeps one. */
  private mint(since: number | undefined): {
    specimens: Specimens;
    revokedJti: string;
    usedRefreshJti: string;
    clientRefreshJti: string;
  } {
    const { keys, clock } = this.options;
    const now = Math.floor(clock.now() / 1000);
    // Every specimen is signed by the current signing key in its pinned algorithm, whatever
    // the configuration (HS256 from JWT_SECRET, or ES256/RS256 from JWT_PRIVATE_KEY), so that
    // each fails for its one documented reason and for no other.
    const signing = keys.signing;
    // The JWT_SECRET key, which every configuration holds: the specimens that need an HMAC.
    const hmac = keys.firstOf('HS256') ?? signing;
    const { token: valid, claims } = issueAccessToken(this.options, {
      sub: 'demo-user',
      clientId: SPECIMEN_CLIENT_ID,
      scope: 'data:read',
      expiresIn: LIFETIME_SECONDS,
      extra: { type: 'user' },
    });
    const headerOf = (key: Key, header: Record<string, unknown> = {}) =>
      JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header });
    const at = (
      c: Partial<AccessClaims> & Record<string, unknown>,
      header: Record<string, unknown> = {},
    ) => jws(signing, headerOf(signing, header), { ...claims, jti: specimenJti(), ...c });
    const { exp: _exp, ...withoutExp } = claims;
    const revokedJti = specimenJti('revoked');
    const usedRefreshJti = specimenJti('used-refresh');
    const clientRefreshJti = specimenJti('client-refresh');
    const retired = keys.findWhere((k) => k.kid.startsWith(RETIRED_DEMO_KID_PREFIX));
    const rotatedOut = keys.findWhere(isRotatedOut);

    const [vh, vp, vs] = valid.split('.');
    const tamperedPayload = b64({ ...claims, sub: 'admin' });

    const es256 = keys.firstOf('ES256');
    const confusionInput = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: es256?.kid ?? 'none' })}.${vp}`;
    const publicPem = es256 ? String(es256.verifyKey.export({ type: 'spki', format: 'pem' })) : '';
    const confusionSig = createHmac('sha256', publicPem).update(confusionInput).digest('base64url');

    /** A refresh token of the demo user's through the public client, with these claims. */
    const userRefresh = (c: Record<string, unknown>) =>
      keys.sign(
        {
          iss: claims.iss,
          sub: 'my_username',
          aud: claims.iss,
          iat: now,
          exp: now + LIFETIME_SECONDS,
          jti: specimenJti(),
          fid: `specimen-family-${randomUUID()}`,
          client_id: 'four-oh-one-public',
          scope: 'data:read',
          type: 'user',
          ...c,
        },
        { typ: 'rt+jwt' },
      );
    const specimens: Specimens = {
      valid,
      expired: at({ iat: now - 2 * LIFETIME_SECONDS, exp: now - LIFETIME_SECONDS }),
      not_yet_valid: at({ nbf: now + LIFETIME_SECONDS, exp: now + 2 * LIFETIME_SECONDS }),
      issued_in_future: at({ iat: now + LIFETIME_SECONDS, exp: now + 2 * LIFETIME_SECONDS }),
      no_exp: jws(signing, headerOf(signing), { ...withoutExp, jti: specimenJti() }),
      wrong_issuer: at({ iss: 'https://issuer.example' }),
      wrong_audience: at({ aud: 'another-api' }),
      wrong_type: at({}, { typ: 'rt+jwt' }),
      unknown_kid: at({}, { kid: 'retired-2019-key' }),
      bad_signature: `${vh}.${tamperedPayload}.${vs}`,
      alg_none: `${b64({ alg: 'none', typ: 'at+jwt' })}.${vp}.`,
      alg_confusion: `${confusionInput}.${confusionSig}`,
      alg_not_allowed: jsonwebtoken().sign({ ...claims, jti: specimenJti() }, hmac.signKey, {
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
      // An ES256 access token whose kid the JWKS no longer lists: its key was rotated out.
      rotated_out_key: rotatedOut
        ? keys.sign({ ...claims, jti: specimenJti() }, { typ: 'at+jwt' }, rotatedOut)
        : '',
      admin: at({ sub: 'admin', type: 'admin', scope: 'data:read admin', auth_time: now }),
      // The admin's token narrowed at the token endpoint (scope=data:read), and one with only
      // the admin scope (scope=admin): scopes are what a token was granted, not who holds it.
      admin_data_read_only: at({ sub: 'admin', type: 'admin', scope: 'data:read', auth_time: now }),
      admin_scope_only: at({ sub: 'admin', type: 'admin', scope: 'admin', auth_time: now }),
      fresh_login: at({ sub: 'my_username', auth_time: now }),
      stale_login: at({ sub: 'my_username', auth_time: now - 2 * LIFETIME_SECONDS }),
      session_idle_expired: '',
      session_absolute_expired: '',
      // Minted every second by withSkew().
      exp_within_tolerance: '',
      exp_beyond_tolerance: '',
      nbf_within_tolerance: '',
      nbf_beyond_tolerance: '',
      iat_within_tolerance: '',
      iat_beyond_tolerance: '',
      digest_wrong_password: '',
      digest_stale_nonce: '',
      vapid_valid: '',
      vapid_expired: '',
      vapid_too_far: '',
      vapid_wrong_audience: '',
      vapid_no_subject: '',
      vapid_other_key: '',
      crit_unknown: at({}, { crit: [UNKNOWN_EXTENSION], [UNKNOWN_EXTENSION]: true }),
      // JSON.parse keeps the last "alg"; a parser that keeps the first reads "none".
      duplicate_member: jws(
        signing,
        `{"alg":"none","typ":"at+jwt","kid":${JSON.stringify(signing.kid)},"alg":"${signing.alg}"}`,
        { ...claims, jti: specimenJti() },
      ),
      // With the HMAC key: its 32-byte MAC always leaves spare bits to set (an RSA-3072
      // signature, 512 characters exactly, has none).
      non_canonical_signature: (() => {
        const token = jws(hmac, headerOf(hmac), { ...claims, jti: specimenJti() });
        const dot = token.lastIndexOf('.');
        return `${token.slice(0, dot + 1)}${nonCanonical(token.slice(dot + 1))}`;
      })(),
      sender_constrained: at({ cnf: { jkt: EXAMPLE_JKT } }),
      // Bound to the specimen DPoP key: it opens /api/v1/* with `Authorization: DPoP` and a proof.
      dpop_bound: at({ cnf: { jkt: this.dpopJkt } }),
      // Minted every second by withSkew().
      ...(Object.fromEntries(DPOP_PROOF_NAMES.map((n) => [n, ''])) as Record<DpopProofName, ''>),
      // Valid in every way, but issued an hour before the store's data began: refused because
      // the server cannot know whether it was revoked (store_state_lost).
      issued_before_store_loss: at({
        iat: Math.floor((since ?? clock.now()) / 1000) - LIFETIME_SECONDS,
      }),
      // An OpenID Connect id_token as the authorization-code flow issues it (src/oauth/codes.ts):
      // for a client (aud), `typ: JWT`, ES256. Sent to an API, it must fail as no access token.
      id_token: es256
        ? keys.sign(
            {
              iss: claims.iss,
              sub: 'my_username',
              aud: 'four-oh-one-spa',
              azp: 'four-oh-one-spa',
              iat: now,
              exp: now + LIFETIME_SECONDS,
              auth_time: now,
              nonce: 'specimen-nonce',
            },
            { typ: 'JWT' },
            es256,
          )
        : '',
      used_refresh: userRefresh({ jti: usedRefreshJti }),
      // The public client's refresh token bound to the specimen DPoP key (RFC 9449 §5): refused
      // without a proof of that key before anything is looked up or written.
      dpop_bound_refresh: userRefresh({ cnf: { jkt: this.dpopJkt } }),
      // Expired, and so refused before anything is looked up or written: no state needed. Left
      // unused past its idle lifetime while its family still had an hour to live…
      refresh_idle_expired: userRefresh({
        iat: now - 2 * LIFETIME_SECONDS,
        exp: now - LIFETIME_SECONDS,
        fexp: now + LIFETIME_SECONDS,
      }),
      // …and one whose family reached its absolute end (rotation never extends it).
      refresh_absolute_expired: userRefresh({
        iat: now - 2 * LIFETIME_SECONDS,
        exp: now - LIFETIME_SECONDS,
        fexp: now - LIFETIME_SECONDS,
      }),
      client_refresh: keys.sign(
        {
          iss: claims.iss,
          sub: this.options.confidentialClientId ?? 'YOUR_VALID_API_KEY',
          aud: claims.iss,
          iat: now,
          exp: now + LIFETIME_SECONDS,
          jti: clientRefreshJti,
          fid: `specimen-family-${randomUUID()}`,
          client_id: this.options.confidentialClientId ?? 'YOUR_VALID_API_KEY',
          scope: 'data:read',
          type: 'client',
        },
        { typ: 'rt+jwt' },
      ),
    };
    return { specimens, revokedJti, usedRefreshJti, clientRefreshJti };
  }
}

/** The jti of the replayed proof specimen: one per minting of the token it goes with. */
const replayedProofJti = (bound: string) =>
  `${SPECIMEN_JTI_PREFIX}replayed-${sha256Base64url(bound).slice(0, 16)}`;

/**
 * Whether a trigger sends a clock-skew specimen (minted again every second): one served a few
 * seconds ago may already have crossed the edge it was minted to sit beside.
 */
export function mintedEachSecond(trigger: {
  headers?: Record<string, string | string[]>;
  body?: Record<string, unknown>;
}): boolean {
  const text = JSON.stringify([trigger.headers ?? {}, trigger.body ?? {}]);
  return /\{\{token:(?:[a-z_]+_tolerance|dpop_proof[a-z_]*)\}\}/.test(text);
}

/** Replaces every `{{token:NAME}}` in a header value with the specimen token NAME. */
export function fillTemplate(value: string, specimens: Specimens): string {
  return value.replace(/\{\{token:([a-z_]+)\}\}/g, (whole, name: string) =>
    name in specimens ? specimens[name as SpecimenName] : whole,
  );
}

/** A trigger's header fields with `{{token:NAME}}` filled; a list stays a list (one field per value). */
export function fillHeaders(
  headers: Record<string, string | string[]> | undefined,
  specimens: Specimens,
): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, v]) => [
      name,
      Array.isArray(v) ? v.map((x) => fillTemplate(x, specimens)) : fillTemplate(v, specimens),
    ]),
  );
}

/** A trigger's header fields as sent: one [name, value] per field line, specimens filled. */
export function headerLines(
  headers: Record<string, string | string[]> | undefined,
  specimens: Specimens,
): [string, string][] {
  return Object.entries(fillHeaders(headers, specimens)).flatMap(([name, v]) =>
    (Array.isArray(v) ? v : [v]).map((value): [string, string] => [name, value]),
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
