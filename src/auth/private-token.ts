import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { parseAuthParams } from './digest';
import { readScheme } from './scheme';

/**
 * Privacy Pass (RFC 9577, the PrivateToken scheme) with publicly verifiable tokens, type 0x0002:
 * blind RSA (RFC 9578 §6, RSABSSA-SHA384-PSS-Deterministic of RFC 9474). This module builds the
 * TokenChallenge and the challenge, reads a Token and checks it; it never throws on input.
 *
 * What is simplified: the demo issuer (`issueDemoToken`) signs the token input directly, as the
 * finalized output of the blind protocol would be, instead of running RFC 9578's blinded
 * TokenRequest/TokenResponse exchange; the redeemed token is byte for byte the same format.
 */

/** The token type of blind RSA (2048-bit) tokens (RFC 9578 §8.2.1). */
export const TOKEN_TYPE_BLIND_RSA = 0x0002;
/** Nk: the RSA modulus length in bytes; Nid: the key id length (SHA-256). */
const NK = 256;
const NID = 32;
const TOKEN_LENGTH = 2 + 32 + 32 + NID + NK;
/** How long a challenge stays current, and how long a token for it is accepted. */
export const PRIVATE_TOKEN_WINDOW_SECONDS = 300;
const MAX_CREDENTIALS = 2048;

/** The demo issuer's RSASSA-PSS key (SHA-384, 48-byte salt), published: it is a sandbox. */
export const DEMO_ISSUER_PRIVATE_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIE8AIBADBBBgkqhkiG9w0BAQowNKAPMA0GCWCGSAFlAwQCAgUAoRwwGgYJKoZI
hvcNAQEIMA0GCWCGSAFlAwQCAgUAogMCATAEggSmMIIEogIBAAKCAQEAlRHmGAfW
pleq6BQeOeIj6X7DP+xS+4VHLHQ/roN/CR2Ubno5IS274qqOEt/SbAyh+tg6xVGG
u5DJxJNcqa3emxxuqd7NgP6a++bfz1g2KmCY04yqvf088cxmbIE6GmEDKvS/MXvV
FUDcrRjkM8ih4sZR/2uk5u3/tg3zLvXPPQJp74uaTH8DqjOBo39NxoQ+7SmRJlJr
sBlt54zD6u9CAMB85BZAn5lX6jsHk4rS4c1DM6BEyZ4wKpZ9rHWiYs5auhmkuIu5
KwHzTeE3sGVd22/2i2kiB4q2HVQ9MsEjU6ym5WEbknpuYOK2AgpmEhooDN+nZcKe
Psc6J3aTWZO/sQIDAQABAoIBADjKdl3uUozRtlcvHurPZ/4TIIBwYJbZCin56a7r
AtEutzc1kiE9QqiScIjpQ0mNsIIXsaAttIYtnWip+XHdPwLZ3KETtDfyB4pzRQ3B
nfUcEuz5WK0D1p2J0PWCb+fP0LyjPFm2QxITQV8irgG6bE4wXtnPoSWnQzWQ7/YS
iI7FkUehwwVevcWihiIr4DSMj0FvV844GjuzNo6nGCi8JWHh08gC8Ah7fNF4/3Sg
OFX1hB2s1yovF82mL8JfxrLzewPgoEiWWq8gkwvKX6DOTWIJTzZIOnwEb3AKYIGv
HlMExwDTRjEJ6uN/zFp/AVPtXGtBrC4znxIbwWrryV13tCcCgYEAxnokh3Fg2qSS
VmvOlAj3/DXaO+0LR1KvguvkMKav0BuTbyrKrNiatoRSzuiB8KamiFQqnuTdHlJz
eV3FchPG554H6PsyjDhRIBguYzU3JniNY5s7HlfT4RuTnkZ94lOh6M8k83EinzWW
PzOr5113iiGKvvXZwC7UOKMX81BdJjMCgYEAwEYG1ZdHcu3j291yEEd/pAkcJVRt
/g4r40N/NHs/qgWLKYBxgk0k1M8FYJ/CZcjZQ+q7yZ2s6rsAhotnKJsrIa8tblsH
Gurvwhkss7BukcaxsZ1/XJCZ7aqV7OoKpSstOrhbl+IZbxIWxidUFaFThjZdVjso
hb4uQ8hTnDGJ9osCgYAPLcAla5JQpk1atpvxzk3IyAWMl7BJIBW0GX42CklfzPwV
gFxHo7kRREVg9X8afGQ4ANfRlwciDoQuP/Gdq82GYRuRwcQ33Qa3QaIqjCNPmeCW
QYTf6S+XA5jifdmauXKkb1MQGxLewiZfZwA6jXda5P3LZNnmTK6GNlLalMbK6QKB
gHlYeJ26gOQ+0MyFAKTXiu3qtfG1TEnHhdlDUve7RR23q/FAV+LlbvZDxWAK07RL
QxuC/Iss0OG/rYA8YJmW/Gyg0ypPlrddSH2WR8kL82xbGvA+tw+jTxJY05AW0SsW
idACZAQCNQ0NPIRIc9/G1iDhFJ0EbvmhYi9zMZllBm4rAoGAXeHW1xVUkp5x04Ss
qNrfevQRjdDXtV9zyl4MJnsh5fxeRiJ3jtX0ufkGvnLDnH0/wKdfVPdXtUDTUf3G
tOECtcWZKBajVjmiyYaqopuHeEXPB7H7HD8xWRNWPQyHxR9cNAcjY7PHGGrpZx4Z
o3flQsNQ1SIrlc1hNTzL16Tf96g=
-----END PRIVATE KEY-----`;
const privateKey = createPrivateKey(DEMO_ISSUER_PRIVATE_KEY_PEM);
const publicKey = createPublicKey(privateKey);
/** token-key: the SubjectPublicKeyInfo with the RSASSA-PSS OID (RFC 9578 §6.5), base64url. */
export const TOKEN_KEY = publicKey.export({ type: 'spki', format: 'der' });
export const TOKEN_KEY_B64 = TOKEN_KEY.toString('base64url');
/** token_key_id: SHA-256 of the encoded key (RFC 9578 §6.5). */
export const TOKEN_KEY_ID = createHash('sha256').update(TOKEN_KEY).digest();

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

/** A TokenChallenge (RFC 9577 §2.1.1), encoded. */
export function tokenChallenge(c: {
  issuerName: string;
  redemptionContext: Buffer;
  originInfo?: string;
}): Buffer {
  const issuer = Buffer.from(c.issuerName, 'utf8');
  const origin = Buffer.from(c.originInfo ?? '', 'utf8');
  return Buffer.concat([
    u16(TOKEN_TYPE_BLIND_RSA),
    u16(issuer.length),
    issuer,
    Buffer.from([c.redemptionContext.length]),
    c.redemptionContext,
    u16(origin.length),
    origin,
  ]);
}

/**
 * The challenges of an origin: the redemption context is an HMAC of the five-minute window, so
 * a challenge is the same for everyone within a window (RFC 9577 §2.1.1 allows a context tied to
 * a time window) and tokens for a past window are refused without any state.
 */
export function challengesFor(secret: Buffer, issuerName: string) {
  const key = createHmac('sha256', secret).update('four-oh-one privacypass').digest();
  const at = (window: number) =>
    tokenChallenge({
      issuerName,
      redemptionContext: createHmac('sha256', key).update(String(window)).digest(),
    });
  return {
    /** The challenge of the window `nowSeconds` falls in, and the previous window's. */
    current(nowSeconds: number): { challenge: Buffer; previous: Buffer; endsAt: number } {
      const window = Math.floor(nowSeconds / PRIVATE_TOKEN_WINDOW_SECONDS);
      return {
        challenge: at(window),
        previous: at(window - 1),
        endsAt: (window + 1) * PRIVATE_TOKEN_WINDOW_SECONDS,
      };
    },
  };
}

/** The WWW-Authenticate value (RFC 9577 §2.1): challenge, token-key and max-age. */
export function privateTokenChallenge(challenge: Buffer, maxAge: number): string {
  return `PrivateToken challenge="${challenge.toString('base64url')}", token-key="${TOKEN_KEY_B64}", max-age="${maxAge}"`;
}

export interface Token {
  tokenType: number;
  nonce: Buffer;
  challengeDigest: Buffer;
  tokenKeyId: Buffer;
  authenticator: Buffer;
}

export type PrivateTokenReading =
  | { kind: 'none' }
  | { kind: 'other'; scheme: string }
  | { kind: 'malformed'; reason: string }
  | { kind: 'token'; token: Token };

/** Reads `PrivateToken token="<base64url Token>"` (RFC 9577 §2.2). Never throws. */
export function readPrivateToken(header: string | undefined): PrivateTokenReading {
  const read = readScheme(header, 'PrivateToken', MAX_CREDENTIALS);
  if (read.kind !== 'credentials') return read;
  const params = parseAuthParams(read.rest);
  if (typeof params === 'string') return { kind: 'malformed', reason: params };
  const value = params.get('token');
  if (value === undefined) return { kind: 'malformed', reason: 'No token parameter.' };
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(value)) {
    return { kind: 'malformed', reason: 'The token is not base64url.' };
  }
  const raw = Buffer.from(value, 'base64url');
  if (raw.length < 2) return { kind: 'malformed', reason: 'The token is too short.' };
  const tokenType = raw.readUInt16BE(0);
  if (tokenType === TOKEN_TYPE_BLIND_RSA && raw.length !== TOKEN_LENGTH) {
    return {
      kind: 'malformed',
      reason: `A type 0x0002 token is ${TOKEN_LENGTH} bytes; this one is ${raw.length}.`,
    };
  }
  return {
    kind: 'token',
    token: {
      tokenType,
      nonce: raw.subarray(2, 34),
      challengeDigest: raw.subarray(34, 66),
      tokenKeyId: raw.subarray(66, 66 + NID),
      authenticator: raw.subarray(66 + NID),
    },
  };
}

/** token_input: the token without its authenticator (RFC 9578 §6.3). */
const tokenInput = (t: Omit<Token, 'authenticator'>) =>
  Buffer.concat([u16(t.tokenType), t.nonce, t.challengeDigest, t.tokenKeyId]);

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 };

/** Whether the authenticator is the issuer's RSASSA-PSS-SHA384 signature of the token input. */
export function authenticatorVerifies(token: Token): boolean {
  return verify('sha384', tokenInput(token), { key: publicKey, ...PSS }, token.authenticator);
}

/**
 * The demo issuer (simplified, see above): a token for `challenge`, with a fresh nonce (or the
 * one given), signed with the published issuer key. Base64url, as the Authorization carries it.
 */
export function issueDemoToken(
  challenge: Buffer,
  options: { nonce?: Buffer; keyId?: Buffer; tokenType?: number } = {},
): string {
  const input = {
    tokenType: options.tokenType ?? TOKEN_TYPE_BLIND_RSA,
    nonce: options.nonce ?? randomBytes(32),
    challengeDigest: createHash('sha256').update(challenge).digest(),
    tokenKeyId: options.keyId ?? TOKEN_KEY_ID,
  };
  const authenticator = sign('sha384', tokenInput(input), { key: privateKey, ...PSS });
  return Buffer.concat([tokenInput(input), authenticator]).toString('base64url');
}

/** Reads a TokenChallenge's type and issuer name, or undefined when it is not one. */
export function readTokenChallenge(
  raw: Buffer,
): { tokenType: number; issuerName: string } | undefined {
  if (raw.length < 4) return undefined;
  const issuerLength = raw.readUInt16BE(2);
  const contextAt = 4 + issuerLength;
  if (issuerLength === 0 || raw.length < contextAt + 1) return undefined;
  const contextLength = raw[contextAt]!;
  const originAt = contextAt + 1 + contextLength;
  if ((contextLength !== 0 && contextLength !== 32) || raw.length < originAt + 2) return undefined;
  if (raw.length !== originAt + 2 + raw.readUInt16BE(originAt)) return undefined;
  return {
    tokenType: raw.readUInt16BE(0),
    issuerName: raw.subarray(4, contextAt).toString('utf8'),
  };
}
