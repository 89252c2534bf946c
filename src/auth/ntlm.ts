import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * NTLM ([MS-NLMP]) as HTTP carries it under `WWW-Authenticate: NTLM` and `Negotiate` (RFC 4559):
 * the three messages (NEGOTIATE, CHALLENGE, AUTHENTICATE, "type 1/2/3"), read and built here,
 * and the NTLMv2 check of an AUTHENTICATE message. LM and NTLMv1 responses are recognised only to
 * be refused. Kerberos and SPNEGO tokens are recognised only to be named: there is no KDC.
 * Pure functions; the handshake's state lives with the connection (middleware/ntlm-auth.ts).
 */

/** "NTLMSSP\0", the first eight bytes of every NTLM message. */
const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

/** The synthetic Windows domain and server this demo pretends to be (no real one is involved). */
export const NTLM_DOMAIN = 'FOUR-OH-ONE';
export const NTLM_DNS_DOMAIN = 'four-oh-one.test';
export const NTLM_SERVER = 'SANDBOX';
export const NTLM_DNS_SERVER = 'sandbox.four-oh-one.test';

/** Negotiate flags ([MS-NLMP] §2.2.2.5) this server uses or looks at. */
export const FLAGS = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  NTLM: 0x00000200,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  N128: 0x20000000,
  N56: 0x80000000,
} as const;

/** What the CHALLENGE message offers: Unicode, NTLM with target info (so NTLMv2), no signing keys. */
const CHALLENGE_FLAGS =
  FLAGS.UNICODE |
  FLAGS.REQUEST_TARGET |
  FLAGS.NTLM |
  FLAGS.ALWAYS_SIGN |
  FLAGS.TARGET_TYPE_DOMAIN |
  FLAGS.EXTENDED_SESSIONSECURITY |
  FLAGS.TARGET_INFO |
  FLAGS.VERSION |
  FLAGS.N128 |
  FLAGS.N56;

/** AV_PAIR ids ([MS-NLMP] §2.2.2.1). */
const AV = { EOL: 0, NB_COMPUTER: 1, NB_DOMAIN: 2, DNS_COMPUTER: 3, DNS_DOMAIN: 4, TIMESTAMP: 7 };

/** A message that is not what it claims to be, with what is wrong, for a 400's detail. */
export class NtlmMalformed extends Error {
  override name = 'NtlmMalformed';
}

// --- MD4 (RFC 1320) ---------------------------------------------------------------------------

/**
 * MD4, which the NT hash is made of. OpenSSL 3 moved it to the legacy provider, so Node 17+
 * throws on `createHash('md4')`; it is 40 lines, and only ever hashes a demo password.
 */
export function md4(input: Buffer): Buffer {
  const bitLength = input.length * 8;
  const padded = Buffer.alloc(Math.ceil((input.length + 9) / 64) * 64);
  input.copy(padded);
  padded[input.length] = 0x80;
  padded.writeUInt32LE(bitLength >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bitLength / 2 ** 32), padded.length - 4);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const rotl = (x: number, s: number) => (x << s) | (x >>> (32 - s));
  const f = (x: number, y: number, z: number) => (x & y) | (~x & z);
  const g = (x: number, y: number, z: number) => (x & y) | (x & z) | (y & z);
  const hh = (x: number, y: number, z: number) => x ^ y ^ z;
  const rounds: [typeof f, number, number[], number[]][] = [
    [f, 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [3, 7, 11, 19]],
    [g, 0x5a827999, [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15], [3, 5, 9, 13]],
    [hh, 0x6ed9eba1, [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], [3, 9, 11, 15]],
  ];
  const x = new Array<number>(16);
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(block + i * 4);
    const v = Int32Array.from(h);
    for (const [fn, k, order, shifts] of rounds) {
      for (let i = 0; i < 16; i++) {
        // a, b, c, d rotate: step i works on v[(4 - i % 4) % 4] with the next three.
        const a = (4 - (i % 4)) % 4;
        const b = (a + 1) % 4;
        const c = (a + 2) % 4;
        const d = (a + 3) % 4;
        const sum = (v[a]! + fn(v[b]!, v[c]!, v[d]!) + x[order[i]!]! + k) | 0;
        v[a] = rotl(sum, shifts[i % 4]!);
      }
    }
    for (let i = 0; i < 4; i++) h[i] = (h[i]! + v[i]!) | 0;
  }
  const out = Buffer.alloc(16);
  h.forEach((word, i) => out.writeInt32LE(word, i * 4));
  return out;
}

const utf16 = (text: string) => Buffer.from(text, 'utf16le');
const hmacMd5 = (key: Buffer, ...data: Buffer[]) => {
  const mac = createHmac('md5', key);
  for (const d of data) mac.update(d);
  return mac.digest();
};

/** The NT hash of a password: MD4 of its UTF-16LE bytes ([MS-NLMP] §3.3.1). */
export function ntHash(password: string): Buffer {
  return md4(utf16(password));
}

/** NTOWFv2 ([MS-NLMP] §3.3.2): HMAC-MD5 keyed with the NT hash over UPPER(user) ‖ domain. */
export function ntowfV2(hash: Buffer, user: string, domain: string): Buffer {
  return hmacMd5(hash, utf16(user.toUpperCase() + domain));
}

// --- Reading messages -------------------------------------------------------------------------

/** The three message types, and which one a token is. */
export type NtlmMessageType = 1 | 2 | 3;

/** What a Negotiate/NTLM token is, before it is read as one message. */
export type TokenKind =
  | { kind: 'ntlm'; type: NtlmMessageType; bytes: Buffer }
  /** A GSS-API token: SPNEGO (1.3.6.1.5.5.2) or Kerberos V5 (1.2.840.113554.1.2.2). */
  | { kind: 'gss'; mechanism: 'kerberos' | 'spnego'; offersKerberos: boolean };

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** DER of the OIDs a GSS-API token names ([RFC 2743 §3.1], RFC 4178, RFC 4121). */
const OID_SPNEGO = Buffer.from('06062b0601050502', 'hex');
const OID_KERBEROS = Buffer.from('06092a864886f712010202', 'hex');
/** The pre-standard Kerberos OID Microsoft clients also list (1.2.840.48018.1.2.2). */
const OID_MS_KERBEROS = Buffer.from('06092a864882f712010202', 'hex');

/**
 * Reads a token's base64 and says what it is. Throws NtlmMalformed for anything that is neither
 * an NTLM message nor a GSS-API token (RFC 2743 §3.1: 0x60, a length, then the mechanism's OID).
 */
export function classifyToken(token: string): TokenKind {
  if (token.length % 4 !== 0 || !B64.test(token)) {
    throw new NtlmMalformed('The token is not base64 (RFC 4648 §4, padded).');
  }
  const bytes = Buffer.from(token, 'base64');
  if (bytes[0] === 0x60) {
    const at = bytes.indexOf(0x06, 1);
    const oid = (b: Buffer) => at >= 0 && at <= 5 && bytes.subarray(at, at + b.length).equals(b);
    if (oid(OID_KERBEROS) || oid(OID_MS_KERBEROS)) {
      return { kind: 'gss', mechanism: 'kerberos', offersKerberos: true };
    }
    if (oid(OID_SPNEGO)) {
      const offersKerberos =
        bytes.includes(OID_KERBEROS.subarray(2)) || bytes.includes(OID_MS_KERBEROS.subarray(2));
      return { kind: 'gss', mechanism: 'spnego', offersKerberos };
    }
  }
  if (bytes.length < 12 || !bytes.subarray(0, 8).equals(SIGNATURE)) {
    throw new NtlmMalformed(
      'The token is neither an NTLM message (it must start with "NTLMSSP\\0") nor a GSS-API token.',
    );
  }
  const type = bytes.readUInt32LE(8);
  if (type !== 1 && type !== 2 && type !== 3) {
    throw new NtlmMalformed(`NTLM message type ${type} does not exist (1, 2 or 3).`);
  }
  return { kind: 'ntlm', type, bytes };
}

/** A security buffer ([MS-NLMP] §2.2.2.10: length, max length, offset) inside a message. */
function field(bytes: Buffer, at: number, name: string): Buffer {
  if (bytes.length < at + 8) throw new NtlmMalformed(`The message ends before its ${name} field.`);
  const length = bytes.readUInt16LE(at);
  const offset = bytes.readUInt32LE(at + 4);
  if (length === 0) return Buffer.alloc(0);
  if (offset + length > bytes.length) {
    throw new NtlmMalformed(`The ${name} field points past the end of the message.`);
  }
  return bytes.subarray(offset, offset + length);
}

/** The NEGOTIATE message's flags ([MS-NLMP] §2.2.1.1); the rest of it is not needed. */
export function readNegotiate(bytes: Buffer): { flags: number } {
  if (bytes.length < 16) throw new NtlmMalformed('A NEGOTIATE message is at least 16 bytes.');
  return { flags: bytes.readUInt32LE(12) };
}

/** Which kind of response an AUTHENTICATE message carries ([MS-NLMP] §3.3). */
export type ResponseKind = 'ntlmv2' | 'ntlmv1' | 'lm' | 'anonymous';

export interface Authenticate {
  flags: number;
  user: string;
  domain: string;
  workstation: string;
  /** The NtChallengeResponse: NTProofStr ‖ the client's blob, for NTLMv2. */
  nt: Buffer;
  response: ResponseKind;
}

/** Reads an AUTHENTICATE message ([MS-NLMP] §2.2.1.3); throws NtlmMalformed. */
export function readAuthenticate(bytes: Buffer): Authenticate {
  if (bytes.length < 64) throw new NtlmMalformed('An AUTHENTICATE message is at least 64 bytes.');
  const lm = field(bytes, 12, 'LmChallengeResponse');
  const nt = field(bytes, 20, 'NtChallengeResponse');
  const flags = bytes.readUInt32LE(60);
  const text = (b: Buffer, name: string) => {
    if (!(flags & FLAGS.UNICODE)) return b.toString('latin1');
    if (b.length % 2 !== 0) throw new NtlmMalformed(`The ${name} is not UTF-16LE.`);
    return b.toString('utf16le');
  };
  const domain = text(field(bytes, 28, 'DomainName'), 'DomainName');
  const user = text(field(bytes, 36, 'UserName'), 'UserName');
  const workstation = text(field(bytes, 44, 'Workstation'), 'Workstation');
  let response: ResponseKind;
  if (nt.length > 24) {
    // NTProofStr (16), then the blob: 0x01 0x01, six reserved bytes, time, client challenge (8).
    if (nt.length < 16 + 28 || nt[16] !== 1 || nt[17] !== 1) {
      throw new NtlmMalformed('The NTLMv2 response is too short or its blob is not version 1.');
    }
    response = 'ntlmv2';
  } else if (nt.length === 24) response = 'ntlmv1';
  else if (nt.length === 0 && lm.length === 24) response = 'lm';
  else if (nt.length === 0 && lm.length <= 1) response = 'anonymous';
  else throw new NtlmMalformed('The challenge responses have lengths no NTLM version uses.');
  return { flags, user, domain, workstation, nt, response };
}

/** The AV pairs of a target info ([MS-NLMP] §2.2.2.1), up to MsvAvEOL; throws if broken. */
export function readAvPairs(info: Buffer): Map<number, Buffer> {
  const pairs = new Map<number, Buffer>();
  let at = 0;
  while (at + 4 <= info.length) {
    const id = info.readUInt16LE(at);
    const length = info.readUInt16LE(at + 2);
    if (id === AV.EOL) return pairs;
    if (at + 4 + length > info.length) throw new NtlmMalformed('An AV pair runs past its list.');
    if (!pairs.has(id)) pairs.set(id, info.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  throw new NtlmMalformed('The AV pairs have no MsvAvEOL.');
}

/** The MsvAvTimestamp the client copied from the CHALLENGE into its NTLMv2 blob, if any. */
export function blobTimestamp(nt: Buffer): Buffer | undefined {
  return readAvPairs(nt.subarray(16 + 28)).get(AV.TIMESTAMP);
}

// --- Building messages ------------------------------------------------------------------------

const avPair = (id: number, value: Buffer) => {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value]);
};

/** A FILETIME: 100-nanosecond intervals since 1601-01-01, little-endian. */
export function fileTime(ms: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE((BigInt(Math.floor(ms)) + 11_644_473_600_000n) * 10_000n);
  return out;
}

/** This server's target info: the synthetic domain and server, and the challenge's time. */
export function targetInfo(timestamp: Buffer): Buffer {
  return Buffer.concat([
    avPair(AV.NB_DOMAIN, utf16(NTLM_DOMAIN)),
    avPair(AV.NB_COMPUTER, utf16(NTLM_SERVER)),
    avPair(AV.DNS_DOMAIN, utf16(NTLM_DNS_DOMAIN)),
    avPair(AV.DNS_COMPUTER, utf16(NTLM_DNS_SERVER)),
    avPair(AV.TIMESTAMP, timestamp),
    avPair(AV.EOL, Buffer.alloc(0)),
  ]);
}

/** Lays out a message: a fixed header with security buffers, then their payloads in order. */
function message(header: Buffer, fields: [at: number, value: Buffer][]): Buffer {
  let offset = header.length;
  for (const [at, value] of fields) {
    header.writeUInt16LE(value.length, at);
    header.writeUInt16LE(value.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += value.length;
  }
  return Buffer.concat([header, ...fields.map(([, value]) => value)]);
}

/** The CHALLENGE message ([MS-NLMP] §2.2.1.2): the server challenge and the target info. */
export function challengeMessage(serverChallenge: Buffer, timestamp: Buffer): Buffer {
  const header = Buffer.alloc(56);
  SIGNATURE.copy(header);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(CHALLENGE_FLAGS >>> 0, 20);
  serverChallenge.copy(header, 24);
  // Version: 10.0 build 20348, NTLM revision 15 (what a Windows Server 2022 sends).
  Buffer.from([10, 0, 0x4c, 0x4f, 0, 0, 0, 15]).copy(header, 48);
  return message(header, [
    [12, utf16(NTLM_DOMAIN)],
    [40, targetInfo(timestamp)],
  ]);
}

// --- Judging an AUTHENTICATE message ----------------------------------------------------------

/**
 * Whether an NTLMv2 response proves the password whose NT hash is `hash`: NTProofStr =
 * HMAC-MD5(NTOWFv2, ServerChallenge ‖ blob) ([MS-NLMP] §3.3.2), compared in constant time.
 */
export function ntlmV2Verifies(
  hash: Buffer,
  user: string,
  domain: string,
  serverChallenge: Buffer,
  nt: Buffer,
): boolean {
  const expected = hmacMd5(ntowfV2(hash, user, domain), serverChallenge, nt.subarray(16));
  return timingSafeEqual(expected, nt.subarray(0, 16));
}

// --- A client, for the tests, the cards and the README ----------------------------------------

/** A NEGOTIATE message as curl sends it: Unicode, NTLM, extended session security. */
export function negotiateMessage(): Buffer {
  const header = Buffer.alloc(32);
  SIGNATURE.copy(header);
  header.writeUInt32LE(1, 8);
  const flags =
    FLAGS.UNICODE |
    FLAGS.OEM |
    FLAGS.REQUEST_TARGET |
    FLAGS.NTLM |
    FLAGS.ALWAYS_SIGN |
    FLAGS.EXTENDED_SESSIONSECURITY;
  header.writeUInt32LE(flags, 12);
  return message(header, [
    [16, Buffer.alloc(0)],
    [24, Buffer.alloc(0)],
  ]);
}

export interface AuthenticateInput {
  user: string;
  password: string;
  domain?: string;
  workstation?: string;
  /** The CHALLENGE message answered. */
  challenge: Buffer;
  /** The blob's time and client challenge; now and random bytes in a real client. */
  time?: Buffer;
  clientChallenge?: Buffer;
  /** 'ntlmv1': a 24-byte response, as a client set to LM/NTLMv1 compatibility sends. */
  version?: 'ntlmv2' | 'ntlmv1';
}

/** An AUTHENTICATE message answering `challenge` ([MS-NLMP] §3.1.5.1.2). */
export function authenticateMessage(input: AuthenticateInput): Buffer {
  const domain = input.domain ?? '';
  const serverChallenge = input.challenge.subarray(24, 32);
  const info = field(input.challenge, 40, 'TargetInfo');
  let nt: Buffer;
  let lm: Buffer;
  if (input.version === 'ntlmv1') {
    // Only its length matters here: the server refuses any 24-byte response unread.
    nt = hmacMd5(ntHash(input.password), serverChallenge).subarray(0, 16);
    nt = Buffer.concat([nt, nt]).subarray(0, 24);
    lm = Buffer.alloc(24);
  } else {
    const blob = Buffer.concat([
      Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
      input.time ?? Buffer.alloc(8),
      input.clientChallenge ?? Buffer.alloc(8, 0xaa),
      Buffer.alloc(4),
      info,
      Buffer.alloc(4),
    ]);
    const key = ntowfV2(ntHash(input.password), input.user, domain);
    nt = Buffer.concat([hmacMd5(key, serverChallenge, blob), blob]);
    lm = Buffer.alloc(24);
  }
  const header = Buffer.alloc(72);
  SIGNATURE.copy(header);
  header.writeUInt32LE(3, 8);
  header.writeUInt32LE(FLAGS.UNICODE | FLAGS.NTLM | FLAGS.EXTENDED_SESSIONSECURITY, 60);
  return message(header, [
    [12, lm],
    [20, nt],
    [28, utf16(domain)],
    [36, utf16(input.user)],
    [44, utf16(input.workstation ?? 'WORKSTATION')],
    [52, Buffer.alloc(0)],
  ]);
}
