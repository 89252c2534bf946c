import {
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  sign as signWithKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type * as Jwt from 'jsonwebtoken';
import type { Config } from '../config';

/** The algorithms a key may be pinned to (RFC 8725 §3.1: one key, one algorithm). */
export type Algorithm = 'HS256' | 'ES256' | 'RS256';

export interface Key {
  kid: string;
  alg: Algorithm;
  /** What verifies: the secret for HS*, the public key otherwise. */
  verifyKey: KeyObject;
  /** What signs: the secret for HS*, the private key otherwise. */
  signKey: KeyObject;
  /** The public JWK for the JWKS; undefined for secrets, which are never published. */
  publicJwk: JsonWebKey | undefined;
  /** For a key retired by rotation: its tokens verify until this time (ms), then fail. */
  retiredAfter?: number;
}

/**
 * The server's keys, made once at startup as KeyObjects: passing a string secret to
 * `jsonwebtoken.verify` makes it build a key on every call (~40x slower).
 */
export class KeyRing {
  readonly signing: Key;
  private readonly byKid: Map<string, Key>;
  /** The first unretired key of each algorithm: what a token without `kid` is checked with. */
  private readonly currentByAlg: Map<string, Key>;

  constructor(keys: Key[], signingKid: string) {
    this.byKid = new Map(keys.map((k) => [k.kid, k]));
    const signing = this.byKid.get(signingKid);
    if (!signing) throw new Error(`KeyRing: no key with kid ${signingKid}`);
    this.signing = signing;
    this.currentByAlg = new Map([[signing.alg, signing]]);
    for (const key of keys) {
      if (key.retiredAfter === undefined && !this.currentByAlg.has(key.alg)) {
        this.currentByAlg.set(key.alg, key);
      }
    }
  }

  /**
   * The key a token names. A token without `kid` means the current key of its algorithm: the
   * signing key, or, when JWT_PRIVATE_KEY signs, the JWT_SECRET key for an HS256 token (so the
   * article's kid-less jwt.io token fails on its signature under every configuration). Safe
   * against algorithm confusion: the key found is still used only with the one algorithm it is
   * pinned to, never as a secret of another.
   */
  find(kid: string | undefined, alg?: string): Key | undefined {
    if (kid !== undefined) return this.byKid.get(kid);
    return (alg === undefined ? undefined : this.currentByAlg.get(alg)) ?? this.signing;
  }

  /** The first key matching a test; used by specimens that need a particular key. */
  findWhere(test: (key: Key) => boolean): Key | undefined {
    for (const key of this.byKid.values()) if (test(key)) return key;
    return undefined;
  }

  /** The first key of an algorithm. */
  firstOf(alg: Algorithm): Key | undefined {
    return this.findWhere((k) => k.alg === alg);
  }

  /** The public keys as a JWK Set (RFC 7517 §5). */
  jwks(): { keys: JsonWebKey[] } {
    const keys: JsonWebKey[] = [];
    for (const key of this.byKid.values()) if (key.publicJwk) keys.push(key.publicJwk);
    return { keys };
  }

  /** Signs claims with a key (the signing key by default), pinned to that key's algorithm. */
  sign(claims: object, header: { typ: string }, key: Key = this.signing): string {
    return jsonwebtoken().sign(claims, key.signKey, {
      algorithm: key.alg,
      header: { alg: key.alg, typ: header.typ, kid: key.kid },
    });
  }
}

/**
 * The base64url JWS signature of a signing input (RFC 7515 §5.1) with a key's one algorithm, for
 * tokens whose header text must be exactly as written (the specimens that test the parser).
 */
export function jwsSignature(key: Key, signingInput: string): string {
  switch (key.alg) {
    case 'HS256':
      return createHmac('sha256', key.signKey).update(signingInput).digest('base64url');
    case 'ES256':
      return signWithKey('sha256', Buffer.from(signingInput), {
        key: key.signKey,
        dsaEncoding: 'ieee-p1363', // RFC 7518 §3.4: R || S, not DER
      }).toString('base64url');
    case 'RS256':
      return signWithKey('sha256', Buffer.from(signingInput), key.signKey).toString('base64url');
  }
}

/** An HS256 key from a secret; its kid is a digest of the secret, the same on every instance. */
export function hmacKey(secret: Buffer): Key {
  const key = createSecretKey(secret);
  const kid = `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 16)}`;
  return { kid, alg: 'HS256', verifyKey: key, signKey: key, publicJwk: undefined };
}

/** An asymmetric key (EC P-256 -> ES256, RSA -> RS256), its kid the RFC 7638 thumbprint. */
export function asymmetricKey(privateKey: KeyObject): Key {
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  const alg: Algorithm = privateKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  // RFC 7638 §3.2: the required members, in lexicographic order.
  const members =
    jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  const thumbprint = createHash('sha256').update(JSON.stringify(members)).digest('base64url');
  return {
    kid: thumbprint,
    alg,
    verifyKey: publicKey,
    signKey: privateKey,
    publicJwk: { ...jwk, kid: thumbprint, alg, use: 'sig' },
  };
}

/**
 * The ES256 key published when none is configured, derived from JWT_SECRET: every instance and
 * every worker of one deployment publishes the same JWKS and accepts the same ES256 tokens
 * (a key made per process would differ from worker to worker behind one port). Its private
 * half is as secret as JWT_SECRET, which can sign tokens anyway.
 */
export function derivedEs256Key(secret: Buffer, label = 'four-oh-one es256 key'): Key {
  // A P-256 private key is a number from 1 to n-1; an HMAC output is one but with a chance of
  // about 2^-32, in which case the next counter is tried.
  for (let counter = 0; ; counter += 1) {
    const d = createHmac('sha256', secret).update(`${label} ${counter}`).digest();
    const ecdh = createECDH('prime256v1');
    try {
      ecdh.setPrivateKey(d);
    } catch {
      continue;
    }
    const point = ecdh.getPublicKey(); // uncompressed: 0x04 || x || y
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      d: d.toString('base64url'),
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    };
    return asymmetricKey(createPrivateKey({ key: jwk, format: 'jwk' }));
  }
}

/**
 * The key ring for a configuration.
 * - HS256 from JWT_SECRET signs access tokens (as in the article's Flask example), unless
 *   JWT_PRIVATE_KEY is set, in which case that key signs and HS256 tokens still verify.
 * - An ES256 key is always published in the JWKS: JWT_PRIVATE_KEY when it is EC P-256, else one
 *   derived from JWT_SECRET (the same in every process that shares the secret). It signs
 *   OpenID Connect id_tokens, and the algorithm-confusion scenario has a real public key to abuse.
 * - JWT_PREVIOUS_SECRET is a rotated-out secret whose tokens verify until its grace period ends.
 * - A built-in retired key, derived from JWT_SECRET so all instances agree, whose grace period is
 *   long over: it signs the `retired_key` specimen.
 * - A rotated-out ES256 key, derived the same way: once published, now gone from the JWKS
 *   (OpenID Connect Core §10.1.1), its grace period over; it signs the `rotated_out_key` specimen.
 */
export function createKeyRing(config: Pick<Config, 'jwt' | 'keys'>): KeyRing {
  const hmac = hmacKey(config.jwt.secret);
  const configured = config.keys.privateKeyPem
    ? asymmetricKey(createPrivateKey(config.keys.privateKeyPem))
    : undefined;
  const keys = [
    hmac,
    configured?.alg === 'ES256' ? configured : derivedEs256Key(config.jwt.secret),
  ];
  if (configured?.alg === 'RS256') keys.push(configured);
  if (config.keys.previousSecret) {
    keys.push({
      ...hmacKey(config.keys.previousSecret),
      retiredAfter: config.keys.previousSecretValidUntil ?? 0,
    });
  }
  keys.push(retiredDemoKey(config.jwt.secret), rotatedOutEs256Key(config.jwt.secret));
  return new KeyRing(keys, (configured ?? hmac).kid);
}

/** The kid prefix of the built-in retired key. */
export const RETIRED_DEMO_KID_PREFIX = 'retired-';
/**
 * When the built-in retired key's grace period ended: a real date in the past, so that the
 * token_key_retired detail names a plausible rotation (a 0 here read "ended at 1970-01-01").
 */
export const RETIRED_DEMO_KEY_GRACE_ENDED = Date.parse('2025-01-01T00:00:00Z');

function retiredDemoKey(secret: Buffer): Key {
  const derived = createHmac('sha256', secret).update('four-oh-one retired demo key').digest();
  const key = hmacKey(derived);
  return {
    ...key,
    kid: `${RETIRED_DEMO_KID_PREFIX}${key.kid}`,
    retiredAfter: RETIRED_DEMO_KEY_GRACE_ENDED,
  };
}

/**
 * An ES256 key rotated out of the JWKS: the ring still knows it (so its tokens answer
 * token_key_retired, not token_kid_unknown), but no longer publishes it. Found by
 * `isRotatedOut`: an asymmetric key that is retired.
 */
function rotatedOutEs256Key(secret: Buffer): Key {
  const key = derivedEs256Key(secret, 'four-oh-one rotated-out es256 key');
  return { ...key, publicJwk: undefined, retiredAfter: RETIRED_DEMO_KEY_GRACE_ENDED };
}

/** Whether a key is an asymmetric key rotated out: retired, and no longer in the JWKS. */
export const isRotatedOut = (key: Key) => key.alg === 'ES256' && key.retiredAfter !== undefined;

let loadedJsonwebtoken: typeof Jwt | undefined;

/**
 * jsonwebtoken, loaded on the first signature: only issuing and the specimens sign, and loading
 * it (and semver, lodash, ...) at startup delayed the first /healthz answer.
 */
export function jsonwebtoken(): typeof Jwt {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loadedJsonwebtoken ??= require('jsonwebtoken') as typeof Jwt;
  return loadedJsonwebtoken;
}
