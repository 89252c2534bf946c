import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { generateKeyPairSync } from './key-pairs';

/**
 * A HOBA client (RFC 7486) written from §2, §3 and §6.1 with node:crypto, for the tests:
 * independent of src/, so that it checks the server's blob, challenge parsing and registration.
 * No HOBA client exists in npm or Debian.
 */
export interface HobaKey {
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** kidtype 0: base64url SHA-256 of the DER SubjectPublicKeyInfo. */
  kid: string;
  pem: string;
}

/** An RSA key pair (2048 bits unless asked) and its kidtype-0 kid. */
export function hobaKey(modulusLength = 2048): HobaKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    publicKey,
    privateKey,
    kid: createHash('sha256').update(der).digest('base64url'),
    pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The parameters of a `WWW-Authenticate: HOBA …` value (RFC 7486 §3). */
export function hobaChallengeParams(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const rest = /^HOBA (.*)$/.exec(header ?? '')?.[1] ?? '';
  for (const m of rest.matchAll(/([a-z-]+)="([^"]*)"/g)) out[m[1] as string] = m[2] as string;
  return out;
}

/** The origin RFC 7486 §2 signs for a URL: scheme "://" host ":" port, the port always written. */
export function originOf(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.protocol}//${u.hostname}:${port}`;
}

export interface SignOptions {
  origin: string;
  /** Overrides what is signed, to make the mistakes the server must name. */
  realm?: string;
  /** Signs with this key instead, under the key's kid. */
  signer?: KeyObject;
  nonce?: string;
}

/** `Authorization: HOBA result="kid.challenge.nonce.sig"` for a 401's challenge header. */
export function hobaAuthorization(
  key: HobaKey,
  header: string | undefined,
  o: SignOptions,
): string {
  const params = hobaChallengeParams(header);
  const challenge = params.challenge ?? '';
  const nonce = o.nonce ?? randomBytes(16).toString('base64url');
  const realm = o.realm ?? params.realm ?? '';
  // §2: each field preceded by its length in octets and ":", in this order.
  const tbs = [nonce, '0', o.origin, realm, key.kid, challenge]
    .map((f) => `${Buffer.byteLength(f)}:${f}`)
    .join('');
  const sig = sign('sha256', Buffer.from(tbs), o.signer ?? key.privateKey).toString('base64url');
  return `HOBA result="${key.kid}.${challenge}.${nonce}.${sig}"`;
}

/** RFC 7486 §6.1's registration form for a key. */
export function registrationForm(key: HobaKey, did = 'jest'): Record<string, string> {
  return { kidtype: '0', kid: key.kid, didtype: '0', did, alg: '0', pub: key.pem };
}
