import {
  createHash,
  createHmac,
  createPublicKey,
  randomBytes,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import { hobaTbs, type HobaTbsFields } from '../site/shared/hoba';
import { challenge, REALM } from './challenges';
import { parseAuthParams } from './digest';
import { readScheme } from './scheme';

/**
 * HTTP Origin-Bound Authentication (RFC 7486): the client proves it holds a private key it
 * registered earlier by signing a blob that binds the server's challenge to the origin and realm.
 * Only RSA-SHA256 (alg 0) is taken; RSA-SHA1 (alg 1) is refused (RFC 7486 §9.3 registers both).
 */

/** Something this module could not read; its message says what, for a 400. */
export class HobaMalformed extends Error {}

/** RFC 7486 §9.3: 0 is RSA-SHA256. The only algorithm taken here. */
export const HOBA_ALG = '0';
/** How long a challenge may be answered (the challenge's max-age, RFC 7486 §3). */
export const HOBA_MAX_AGE_SECONDS = 60;
const B64URL = /^[A-Za-z0-9_-]+$/;
/** The longest credentials read at all: a 4096-bit signature is 683 base64url characters. */
const MAX_CREDENTIALS = 1200;

/** RFC 7486 §3's challenge: `HOBA challenge="…", max-age="60", realm="four-oh-one"`. */
export function hobaChallenge(value: string): string {
  return challenge('HOBA', {
    challenge: value,
    'max-age': String(HOBA_MAX_AGE_SECONDS),
    realm: REALM,
  });
}

/** The four parts of `result="kid.challenge.nonce.sig"` (RFC 7486 §3), each base64url. */
export interface HobaResult {
  kid: string;
  challenge: string;
  nonce: string;
  sig: Buffer;
}

/** What an Authorization value says to a HOBA resource. Never throws. */
export type HobaReading =
  { kind: 'none' } | { kind: 'malformed'; reason: string } | ({ kind: 'result' } & HobaResult);

/** Reads `Authorization: HOBA result="kid.challenge.nonce.sig"`. */
export function readHobaAuthorization(header: string | undefined): HobaReading {
  const read = readScheme(header, 'HOBA', MAX_CREDENTIALS);
  if (read.kind === 'none' || read.kind === 'other') return { kind: 'none' };
  if (read.kind === 'malformed') return read;
  const params = parseAuthParams(read.rest);
  if (typeof params === 'string') return { kind: 'malformed', reason: params };
  const result = params.get('result');
  if (result === undefined)
    return { kind: 'malformed', reason: 'The result parameter is missing.' };
  const parts = result.split('.');
  if (parts.length !== 4 || parts.some((p) => !B64URL.test(p))) {
    return {
      kind: 'malformed',
      reason: 'result must be kid.challenge.nonce.sig, four base64url parts joined by dots.',
    };
  }
  const [kid, challengeValue, nonce, sig] = parts as [string, string, string, string];
  if (kid.length > 128 || challengeValue.length > 128 || nonce.length > 128) {
    return { kind: 'malformed', reason: 'kid, challenge and nonce are at most 128 characters.' };
  }
  return {
    kind: 'result',
    kid,
    challenge: challengeValue,
    nonce,
    sig: Buffer.from(sig, 'base64url'),
  };
}

/** Whether `sig` is an RSASSA-PKCS1-v1_5 SHA-256 signature of the HOBA-TBS blob by `key`. */
export function verifyHoba(key: KeyObject, fields: HobaTbsFields, sig: Buffer): boolean {
  return verify('sha256', Buffer.from(hobaTbs(fields), 'utf8'), key, sig);
}

// --- Challenges --------------------------------------------------------------------------------

/**
 * Challenges that need no state until they are used: 16 random octets, the expiry in seconds
 * (4 octets) and a MAC over both and the visitor they were given to (16 octets), base64url:
 * 48 characters, indistinguishable from random to the client (RFC 7486 §2 asks for 32 octets or
 * more). A 401 thus writes nothing; only a verified result marks its challenge used.
 */
export class HobaChallenges {
  constructor(private readonly secret: Buffer) {}

  private mac(owner: string, head: Buffer): Buffer {
    return createHmac('sha256', this.secret)
      .update('hoba-challenge|')
      .update(owner)
      .update('|')
      .update(head)
      .digest()
      .subarray(0, 16);
  }

  /** A fresh challenge for `owner`, answerable until `nowMs` plus the max-age. */
  mint(owner: string, nowMs: number): string {
    const head = Buffer.alloc(20);
    randomBytes(16).copy(head);
    head.writeUInt32BE(Math.floor(nowMs / 1000) + HOBA_MAX_AGE_SECONDS, 16);
    return Buffer.concat([head, this.mac(owner, head)]).toString('base64url');
  }

  /**
   * Whether `value` is a challenge this server gave `owner`: `unknown` (never issued, or issued
   * to another visitor), `expired`, or `ok` with the milliseconds it has left.
   */
  check(
    owner: string,
    value: string,
    nowMs: number,
  ): { kind: 'unknown' } | { kind: 'expired' } | { kind: 'ok'; leftMs: number } {
    const raw = Buffer.from(value, 'base64url');
    if (raw.length !== 36 || raw.toString('base64url') !== value) return { kind: 'unknown' };
    const head = raw.subarray(0, 20);
    if (!timingSafeEqual(raw.subarray(20), this.mac(owner, head))) return { kind: 'unknown' };
    const leftMs = head.readUInt32BE(16) * 1000 - nowMs;
    return leftMs <= 0 ? { kind: 'expired' } : { kind: 'ok', leftMs };
  }
}

// --- Registration (RFC 7486 §6.1) --------------------------------------------------------------

/** kidtype 0: the kid is a hash of the public key (RFC 7486 §9.4, after RFC 6698). */
export function kidOfKey(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
}

export interface HobaRegistration {
  kidtype: '0' | '1' | '2';
  kid: string;
  didtype: '0';
  did: string;
  alg: typeof HOBA_ALG;
  /** The PEM as sent, which is what the store keeps. */
  pem: string;
  key: KeyObject;
}

const PEM = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\r?\n?$/;

/**
 * Reads a registration form (RFC 7486 §6.1: kidtype, kid, didtype, did, alg, pub). Takes an RSA
 * key of 2048 to 4096 bits in PEM SubjectPublicKeyInfo, alg 0, kidtype 0 (whose kid must then be
 * the key's SHA-256), 1 or 2, and didtype 0 (an unformatted device name).
 */
export function readRegistration(form: Record<string, unknown>): HobaRegistration {
  const field = (name: string, max: number): string => {
    const value = form[name];
    if (typeof value !== 'string' || value === '') {
      throw new HobaMalformed(`The form field ${name} is missing.`);
    }
    if (value.length > max) throw new HobaMalformed(`${name} is longer than ${max} characters.`);
    return value;
  };
  const kidtype = field('kidtype', 1);
  if (kidtype !== '0' && kidtype !== '1' && kidtype !== '2') {
    throw new HobaMalformed('kidtype must be 0 (hashed public key), 1 (URI) or 2 (string).');
  }
  const kid = field('kid', 128);
  if (!B64URL.test(kid)) throw new HobaMalformed('kid must be base64url (RFC 7486 §2).');
  const didtype = field('didtype', 1);
  if (didtype !== '0') throw new HobaMalformed('didtype must be 0 (an unformatted string).');
  const did = field('did', 64);
  if (!/^[\x20-\x7e]+$/.test(did)) throw new HobaMalformed('did must be printable ASCII.');
  const alg = field('alg', 2);
  if (alg !== HOBA_ALG) {
    throw new HobaMalformed(
      alg === '1'
        ? 'alg 1 (RSA-SHA1) is not taken here: register an RSA-SHA256 key (alg 0).'
        : 'alg must be 0 (RSA-SHA256).',
    );
  }
  const pem = field('pub', 1000);
  if (!PEM.test(pem)) {
    throw new HobaMalformed('pub must be a PEM SubjectPublicKeyInfo (BEGIN PUBLIC KEY).');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new HobaMalformed('pub does not hold a readable public key.');
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048 || bits > 4096) {
    throw new HobaMalformed('pub must be an RSA key of 2048 to 4096 bits (alg 0 is RSA-SHA256).');
  }
  if (kidtype === '0' && kid !== kidOfKey(key)) {
    throw new HobaMalformed(
      'With kidtype 0 the kid is the base64url SHA-256 of the key (its DER SubjectPublicKeyInfo).',
    );
  }
  return { kidtype, kid, didtype, did, alg, pem, key };
}
