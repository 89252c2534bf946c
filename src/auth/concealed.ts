import {
  createHash,
  createPrivateKey,
  createPublicKey,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * The Concealed HTTP authentication scheme (RFC 9729): `Authorization: Concealed k=…, a=…, p=…,
 * s=…, v=…`, proved with a TLS keying material exporter (RFC 5705, RFC 8446 §7.5). There is no
 * challenge: a client sends it unprompted, and a server that hides a resource answers a missing
 * or failed credential exactly as it answers a path that does not exist (RFC 9729 §6.4).
 */

/** RFC 9729 §3: the exporter label, and the 48 bytes it yields (32 signed, 16 sent as v). */
export const CONCEALED_LABEL = 'EXPORTER-HTTP-Concealed-Authentication';
export const CONCEALED_EXPORTER_LENGTH = 48;
/** RFC 9729 §3.3: what precedes the signature input, as TLS 1.3's CertificateVerify. */
const SIGNED_PREFIX = Buffer.concat([
  Buffer.alloc(64, 0x20),
  Buffer.from('HTTP Concealed Authentication', 'ascii'),
  Buffer.from([0]),
]);
/** The one TLS SignatureScheme this server verifies (IANA TLS SignatureScheme registry). */
export const ED25519_SCHEME = 0x0807;

/** The demo key (RFC 9729 §5's example key ID), published: anyone may sign with it here. */
export const CONCEALED_DEMO_KEY_ID = 'basement';
/** The demo private key's seed (RFC 8032 §5.1.5), hex: SHA-256 of a fixed phrase. */
export const CONCEALED_DEMO_SEED_HEX = createHash('sha256')
  .update('four-oh-one concealed demo key')
  .digest('hex');

/** The demo key pair, from its published seed (PKCS #8 of an Ed25519 seed, RFC 8410). */
export function concealedDemoKey(): { privateKey: KeyObject; publicKey: KeyObject; raw: Buffer } {
  const pkcs8 = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from(CONCEALED_DEMO_SEED_HEX, 'hex'),
  ]);
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, raw: rawEd25519(publicKey) };
}

/** The 32 bytes of an Ed25519 public key (RFC 8032 encoding): the last 32 of its SPKI. */
export function rawEd25519(publicKey: KeyObject): Buffer {
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
}

export interface ConcealedCredentials {
  keyId: Buffer;
  publicKey: Buffer;
  proof: Buffer;
  scheme: number;
  verification: Buffer;
  /** Empty unless the client sent realm= (RFC 9729 §3.1). */
  realm: string;
}

const BYTES = /^[A-Za-z0-9_-]*$/;
const INTEGER = /^(?:0|[1-9][0-9]{0,4})$/;
const MAX_HEADER = 2048;

/**
 * The parameters of `Authorization: Concealed …` (RFC 9729 §4): k, a, p, v base64url without
 * padding, s an integer up to 65535, each exactly once; realm optional. A string saying what is
 * wrong when they cannot be read (RFC 9729 §6.1: the frontend then ignores the whole field).
 */
export function readConcealed(rest: string): ConcealedCredentials | string {
  if (rest.length > MAX_HEADER) return `The credentials are longer than ${MAX_HEADER} characters.`;
  const params = new Map<string, string>();
  const text = rest.trim();
  if (text === '') return 'No parameters follow Concealed: k, a, p, s and v are required.';
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z]+)\s*=\s*("[^"\\]*"|[^\s",]*)\s*$/.exec(part);
    if (!m) return 'The parameters must be name=value pairs separated by commas.';
    const name = m[1]!.toLowerCase();
    if (params.has(name)) return `${name} is given twice.`;
    params.set(name, m[2]!);
  }
  for (const name of ['k', 'a', 'p', 's', 'v']) {
    if (!params.has(name))
      return `${name}= is missing (RFC 9729 §4: k, a, p, s and v are required).`;
  }
  const bytes: Record<string, Buffer> = {};
  for (const name of ['k', 'a', 'p', 'v']) {
    const value = params.get(name)!;
    if (!BYTES.test(value)) {
      return `${name}= must be base64url without padding or quotes (RFC 9729 §4).`;
    }
    bytes[name] = Buffer.from(value, 'base64url');
  }
  const s = params.get('s')!;
  if (!INTEGER.test(s) || Number(s) > 65535) {
    return 's= must be an integer from 0 to 65535 without leading zeros (RFC 9729 §4.4).';
  }
  const realmRaw = params.get('realm');
  const realm = realmRaw === undefined ? '' : realmRaw.replace(/^"(.*)"$/, '$1');
  if (bytes.v!.length !== 16) return 'v= must be 16 bytes, the exporter output’s last 16.';
  return {
    keyId: bytes.k!,
    publicKey: bytes.a!,
    proof: bytes.p!,
    scheme: Number(s),
    verification: bytes.v!,
    realm,
  };
}

/** A QUIC variable-length integer (RFC 9000 §16), in the fewest bytes. */
function varint(n: number): Buffer {
  if (n < 0x40) return Buffer.from([n]);
  if (n < 0x4000) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(0x80000000 + n);
  return b;
}

const prefixed = (b: Buffer) => Buffer.concat([varint(b.length), b]);
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

/** The key exporter context of RFC 9729 §3.1, for a request to scheme://host:port. */
export function exporterContext(
  c: Pick<ConcealedCredentials, 'scheme' | 'keyId' | 'publicKey' | 'realm'>,
  origin: { scheme: string; host: string; port: number },
): Buffer {
  return Buffer.concat([
    u16(c.scheme),
    prefixed(c.keyId),
    prefixed(c.publicKey),
    prefixed(Buffer.from(origin.scheme, 'ascii')),
    prefixed(Buffer.from(origin.host, 'ascii')),
    u16(origin.port),
    prefixed(Buffer.from(c.realm, 'utf8')),
  ]);
}

/** What the signature covers (RFC 9729 §3.3): the fixed prefix, then the signature input. */
export const signedContent = (signatureInput: Buffer): Buffer =>
  Buffer.concat([SIGNED_PREFIX, signatureInput]);

/** Whether v= is the exporter output's last 16 bytes, in constant time. */
export function verificationMatches(exported: Buffer, given: Buffer): boolean {
  const expected = exported.subarray(32, 48);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Whether p= is the Ed25519 signature of the exporter output's first 32 bytes. */
export function proofVerifies(exported: Buffer, publicKey: KeyObject, proof: Buffer): boolean {
  try {
    return verify(null, signedContent(exported.subarray(0, 32)), publicKey, proof);
  } catch {
    return false;
  }
}
