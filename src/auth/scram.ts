import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

/**
 * SCRAM over HTTP (RFC 7804), with the messages and keys of RFC 5802 (SCRAM-SHA-1) and RFC 7677
 * (SCRAM-SHA-256): reading the client's messages, building the server's, and the proof check.
 * Pure functions; the exchange's state (keyed by `sid`) lives in the store (middleware/scram-auth.ts).
 */

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-1';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-1'];
const HASH: Record<ScramMechanism, 'sha256' | 'sha1'> = {
  'SCRAM-SHA-256': 'sha256',
  'SCRAM-SHA-1': 'sha1',
};

/** What a SCRAM message that cannot be read says is wrong, for a 400's detail. */
export class ScramMalformed extends Error {
  override name = 'ScramMalformed';
}

/** The iteration count (RFC 7677 §4: at least 4096 for SHA-256). */
export const SCRAM_ITERATIONS = 4096;

/** A user's stored credentials (RFC 5802 §3): never the password itself. */
export interface ScramCredentials {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (m: ScramMechanism, key: Buffer, text: string | Buffer) =>
  createHmac(HASH[m], key).update(text).digest();
const hash = (m: ScramMechanism, data: Buffer) => createHash(HASH[m]).update(data).digest();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ (b[i] ?? 0)));

/** SaltedPassword = Hi(password, salt, i), which is PBKDF2 with HMAC-H (RFC 5802 §2.2). */
export function saltedPassword(
  m: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
): Buffer {
  const length = HASH[m] === 'sha256' ? 32 : 20;
  return pbkdf2Sync(password, salt, iterations, length, HASH[m]);
}

/** StoredKey and ServerKey of a password (RFC 5802 §3), computed once at startup. */
export function scramCredentials(
  m: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations = SCRAM_ITERATIONS,
): ScramCredentials {
  const salted = saltedPassword(m, password, salt, iterations);
  return {
    salt,
    iterations,
    storedKey: hash(m, hmac(m, salted, 'Client Key')),
    serverKey: hmac(m, salted, 'Server Key'),
  };
}

/** `saslname` (RFC 5802 §5.1): `=2C` for ",", `=3D` for "="; any other "=" is an error. */
function saslName(value: string): string {
  if (/=(?!2C|3D)/.test(value)) throw new ScramMalformed('A user name has a bad "=" escape.');
  return value.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** A message's `a=value` attributes, in order (RFC 5802 §5.1). */
function attributes(message: string): [string, string][] {
  return message.split(',').map((part) => {
    const m = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!m) throw new ScramMalformed(`"${part.slice(0, 20)}" is not an attribute=value.`);
    return [m[1] as string, m[2] as string];
  });
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export interface ClientFirst {
  /** The GS2 header's channel-binding flag: n (none), y (client could, thinks we cannot), p=… */
  binding: 'n' | 'y' | { p: string };
  user: string;
  nonce: string;
  /** client-first-message-bare: what the AuthMessage starts with. */
  bare: string;
  /** The GS2 header, which c= must repeat (base64) in the client-final message. */
  gs2: string;
}

/**
 * Reads base64 `data` as text. RFC 7804 §5's own example ends its messages with a newline (an
 * erratum copied by some clients): one trailing LF is dropped.
 */
export function decodeData(data: string): string {
  if (data === '' || data.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) {
    throw new ScramMalformed('data is not padded base64.');
  }
  const text = Buffer.from(data, 'base64').toString('utf8');
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** client-first-message = gs2-header client-first-message-bare (RFC 5802 §7). */
export function readClientFirst(text: string): ClientFirst {
  const m = /^(n|y|p=[A-Za-z0-9.-]+),(a=[^,]*)?,(.*)$/s.exec(text);
  if (!m) throw new ScramMalformed('The client-first message does not start with a GS2 header.');
  const flag = m[1] as string;
  const bare = m[3] as string;
  const attrs = attributes(bare);
  const [n, r] = attrs;
  if (n?.[0] !== 'n' || r?.[0] !== 'r') {
    throw new ScramMalformed('The client-first message needs n=<user>,r=<nonce>.');
  }
  if (!PRINTABLE_NONCE.test(r[1]) || r[1].length > 128) {
    throw new ScramMalformed('The client nonce is not 1-128 printable characters without ",".');
  }
  return {
    binding: flag.startsWith('p=') ? { p: flag.slice(2) } : (flag as 'n' | 'y'),
    user: saslName(n[1]),
    nonce: r[1],
    bare,
    gs2: text.slice(0, text.length - bare.length),
  };
}

/** server-first-message = r=<nonce>,s=<salt>,i=<iterations> (RFC 5802 §7). */
export function serverFirst(nonce: string, credentials: ScramCredentials): string {
  return `r=${nonce},s=${credentials.salt.toString('base64')},i=${credentials.iterations}`;
}

export interface ClientFinal {
  channelBinding: string;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, for the AuthMessage. */
  withoutProof: string;
}

/** client-final-message = c=…,r=…[,extensions],p=… (RFC 5802 §7). */
export function readClientFinal(text: string): ClientFinal {
  const at = text.lastIndexOf(',p=');
  if (at < 0) throw new ScramMalformed('The client-final message has no proof (p=).');
  const withoutProof = text.slice(0, at);
  const attrs = attributes(withoutProof);
  const [c, r] = attrs;
  if (c?.[0] !== 'c' || r?.[0] !== 'r') {
    throw new ScramMalformed('The client-final message needs c=…,r=… before p=.');
  }
  const proof = text.slice(at + 3);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(proof)) throw new ScramMalformed('p= is not base64.');
  return { channelBinding: c[1], nonce: r[1], proof: Buffer.from(proof, 'base64'), withoutProof };
}

/**
 * Checks a ClientProof (RFC 5802 §3): ClientKey = proof XOR HMAC(StoredKey, AuthMessage), and
 * H(ClientKey) must be StoredKey (constant time). On success, the ServerSignature for `v=`.
 */
export function verifyProof(
  m: ScramMechanism,
  credentials: ScramCredentials,
  authMessage: string,
  proof: Buffer,
): Buffer | undefined {
  const signature = hmac(m, credentials.storedKey, authMessage);
  if (proof.length !== signature.length) return undefined;
  const clientKey = xor(proof, signature);
  if (!timingSafeEqual(hash(m, clientKey), credentials.storedKey)) return undefined;
  return hmac(m, credentials.serverKey, authMessage);
}

/** The client's side of the proof, for the tests and the README (RFC 5802 §3). */
export function clientProof(
  m: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
  authMessage: string,
): { proof: Buffer; serverSignature: Buffer } {
  const salted = saltedPassword(m, password, salt, iterations);
  const clientKey = hmac(m, salted, 'Client Key');
  const storedKey = hash(m, clientKey);
  return {
    proof: xor(clientKey, hmac(m, storedKey, authMessage)),
    serverSignature: hmac(m, hmac(m, salted, 'Server Key'), authMessage),
  };
}

/**
 * An RFC 7804 credentials value after the scheme: `sid=…, data=…` (either may be absent). The
 * values are tokens, quoted strings, or bare base64 (which has "/" and "=", not token characters,
 * yet is what clients send).
 */
export function readScramParams(rest: string): { sid?: string; data?: string } {
  const out: Record<string, string> = {};
  let input = rest.trim();
  while (input !== '') {
    const m = /^([A-Za-z0-9-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,\s*|$)/.exec(input);
    if (!m) throw new ScramMalformed('The credentials are not sid=…, data=… parameters.');
    const name = (m[1] as string).toLowerCase();
    if (name in out) throw new ScramMalformed(`${name} is given twice.`);
    const raw = m[2] as string;
    out[name] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    input = input.slice(m[0].length);
  }
  return { sid: out.sid, data: out.data };
}
