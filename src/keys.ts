import {
  createHash,
  createSecretKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from './config';

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
}

/**
 * The server's keys, made once at startup as KeyObjects: passing a string secret to
 * `jsonwebtoken.verify` makes it build a key on every call (~40x slower).
 */
export class KeyRing {
  readonly signing: Key;
  private readonly byKid: Map<string, Key>;

  constructor(keys: Key[], signingKid: string) {
    this.byKid = new Map(keys.map((k) => [k.kid, k]));
    const signing = this.byKid.get(signingKid);
    if (!signing) throw new Error(`KeyRing: no key with kid ${signingKid}`);
    this.signing = signing;
  }

  /** The key a token names; a token without `kid` means the current signing key. */
  find(kid: string | undefined): Key | undefined {
    return kid === undefined ? this.signing : this.byKid.get(kid);
  }

  /** Keys of one algorithm; used by specimens that need the asymmetric key. */
  firstOf(alg: Algorithm): Key | undefined {
    for (const key of this.byKid.values()) if (key.alg === alg) return key;
    return undefined;
  }

  /** The public keys as a JWK Set (RFC 7517 §5). */
  jwks(): { keys: JsonWebKey[] } {
    const keys: JsonWebKey[] = [];
    for (const key of this.byKid.values()) if (key.publicJwk) keys.push(key.publicJwk);
    return { keys };
  }

  /** Signs claims with a key (the signing key by default), pinned to that key's algorithm. */
  sign(claims: object, header: { typ: string }, key: Key = this.signing): string {
    return jwt.sign(claims, key.signKey, {
      algorithm: key.alg,
      header: { alg: key.alg, typ: header.typ, kid: key.kid },
    });
  }
}

/** An HS256 key from a secret; its kid is a digest of the secret, the same on every instance. */
export function hmacKey(secret: Buffer): Key {
  const key = createSecretKey(secret);
  const kid = `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 16)}`;
  return { kid, alg: 'HS256', verifyKey: key, signKey: key, publicJwk: undefined };
}

/** A fresh ES256 key pair, its kid the RFC 7638 thumbprint of its public JWK. */
export function generateEs256Key(): Key {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const thumbprint = createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url');
  return {
    kid: thumbprint,
    alg: 'ES256',
    verifyKey: publicKey,
    signKey: privateKey,
    publicJwk: { ...jwk, kid: thumbprint, alg: 'ES256', use: 'sig' },
  };
}

/**
 * The key ring for a configuration: HS256 from JWT_SECRET signs access tokens (as in the
 * article's Flask example); an ES256 key is published in the JWKS, so that the algorithm
 * confusion scenario has a real public key to abuse.
 */
export function createKeyRing(config: Pick<Config, 'jwt'>): KeyRing {
  const hmac = hmacKey(config.jwt.secret);
  return new KeyRing([hmac, generateEs256Key()], hmac.kid);
}
