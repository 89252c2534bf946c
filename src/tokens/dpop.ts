import {
  constants,
  createHash,
  createHmac,
  createPublicKey,
  timingSafeEqual,
  verify as verifySignature,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { Clock, Store } from '../store';
import { canonicalBase64url, decodeJsonPart, isNumericDate, namesAMemberTwice } from './verify';

/**
 * DPoP (RFC 9449): a proof JWT the client signs with its own key for each request, binding the
 * request (method and URL), its time and, at a resource, the access token to that key. This
 * module checks a proof exactly as RFC 9449 §4.3 lists the checks, computes the key's RFC 7638
 * thumbprint (the `cnf.jkt` a token is bound to), makes and checks server nonces (§8, §9) and
 * keeps the replay cache (§11.1). It speaks no dialect: callers map a failure to a problem code.
 */

/** The proof algorithms accepted (RFC 9449 §4.3 step 5: asymmetric, registered, pinned here). */
export const DPOP_ALGS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const;
export type DpopAlg = (typeof DPOP_ALGS)[number];

/** The longest DPoP header read: an RSA-4096 proof with `ath` and `nonce` is about 2.2 KB. */
export const MAX_PROOF_BYTES = 4096;

/**
 * How far a proof's iat may lie from the server's clock, either way (RFC 9449 §11.1: "a
 * reasonable window"). A jti is remembered as long as a proof carrying it could be accepted.
 */
export const DPOP_IAT_WINDOW_SECONDS = 60;

/** How long a server nonce stays good: it is issued for a minute and accepted one more. */
export const NONCE_PERIOD_SECONDS = 60;

/** The checks of a proof, in the order they run (RFC 9449 §4.3); a refusal names the one failed. */
export const DPOP_CHECKS = [
  'one DPoP header',
  'at most 4 KiB',
  'a JWT: three base64url parts of JSON, no member twice',
  'typ is dpop+jwt',
  'alg is one this server accepts (not none, not symmetric)',
  'jwk is a public key of that alg',
  'signature verifies with the jwk',
  'jti, htm, htu and iat present',
  'htm is the request method',
  'htu is the request URL',
  'nonce is one this server gave',
  'iat within the window',
  'ath is the hash of the access token',
] as const;
export type DpopCheck = (typeof DPOP_CHECKS)[number];

/** Why a proof was refused: each becomes its own problem code where it is answered. */
export type ProofFailure =
  'missing' | 'invalid' | 'signature' | 'htm' | 'htu' | 'stale' | 'future' | 'nonce' | 'ath';

export type ProofVerdict =
  | { ok: true; jkt: string; jti: string; iat: number; alg: DpopAlg }
  | { ok: false; failure: ProofFailure; detail: string; check: DpopCheck };

/** What a proof is checked against: the request it came with, and what the server demands. */
export interface ProofContext {
  /** The DPoP header fields as sent (one per field line). */
  proofs: readonly string[];
  /** The request method, as sent. */
  method: string;
  /** The request's URL as this server is reached (PUBLIC_URL and the path), without query. */
  url: string;
  /** The server time in seconds. */
  now: number;
  /** At a resource: the access token the proof must hash (`ath`). */
  accessToken?: string;
  /** When a nonce is demanded: whether the proof's nonce is one this server gave. */
  nonce?: (value: string) => boolean;
  windowSeconds?: number;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const MAX_JTI = 128;

const failed = (failure: ProofFailure, detail: string, check: DpopCheck): ProofVerdict => ({
  ok: false,
  failure,
  detail,
  check,
});

/** base64url(SHA-256(text)): the `ath` of an access token, and the RFC 7638 thumbprint's form. */
export function sha256Base64url(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/**
 * The RFC 7638 thumbprint of a public JWK: SHA-256 of its required members, in lexicographic
 * order, without whitespace. Undefined for a key of a type this server does not take.
 */
export function jwkThumbprint(jwk: Record<string, unknown>): string | undefined {
  const text = (names: string[]) =>
    names.every((n) => typeof jwk[n] === 'string')
      ? JSON.stringify(Object.fromEntries(names.map((n) => [n, jwk[n]])))
      : undefined;
  const members =
    jwk.kty === 'EC'
      ? text(['crv', 'kty', 'x', 'y'])
      : jwk.kty === 'RSA'
        ? text(['e', 'kty', 'n'])
        : jwk.kty === 'OKP'
          ? text(['crv', 'kty', 'x'])
          : undefined;
  return members === undefined ? undefined : sha256Base64url(members);
}

/** The key a proof's jwk names, if it is a public key fit for `alg`; else why not. */
function publicKeyFor(alg: DpopAlg, jwk: unknown): KeyObject | string {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    return 'The jwk header must be a JSON Web Key object.';
  }
  const k = jwk as Record<string, unknown>;
  const secret = PRIVATE_MEMBERS.find((m) => k[m] !== undefined);
  if (secret !== undefined) {
    return `The jwk header holds the private member "${secret}": a proof carries the public key only (RFC 9449 §4.3 step 7). That key is now public; make a new one.`;
  }
  const fits =
    alg === 'ES256'
      ? k.kty === 'EC' && k.crv === 'P-256'
      : alg === 'EdDSA'
        ? k.kty === 'OKP' && k.crv === 'Ed25519'
        : k.kty === 'RSA';
  if (!fits) {
    return `The jwk is not a key for ${alg} (${alg === 'ES256' ? 'kty EC, crv P-256' : alg === 'EdDSA' ? 'kty OKP, crv Ed25519' : 'kty RSA'}).`;
  }
  try {
    const key = createPublicKey({ key: k as JsonWebKey, format: 'jwk' });
    if (alg.endsWith('S256') && alg !== 'ES256') {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < 2048) return `The RSA key has ${bits} bits; at least 2048 are needed.`;
    }
    return key;
  } catch {
    return 'The jwk is not a valid public key.';
  }
}

function signatureValid(alg: DpopAlg, key: KeyObject, input: string, sig: Buffer): boolean {
  const data = Buffer.from(input);
  try {
    switch (alg) {
      case 'ES256':
        return (
          sig.length === 64 &&
          verifySignature('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
        );
      case 'EdDSA':
        return verifySignature(null, data, key, sig);
      case 'RS256':
        return verifySignature('sha256', data, key, sig);
      case 'PS256':
        return verifySignature(
          'sha256',
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          sig,
        );
    }
  } catch {
    return false;
  }
}

/**
 * A URL as RFC 9449 §4.3 compares htu: without query and fragment, after RFC 3986 syntax- and
 * scheme-based normalization (the WHATWG parser lowercases the scheme and host, drops a default
 * port and resolves dot segments). Undefined when it is no absolute http(s) URL.
 */
export function htuOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return undefined;
  }
}

/** Checks one request's DPoP proof, in RFC 9449 §4.3 order. Never throws, whatever the input. */
export function verifyProof(ctx: ProofContext): ProofVerdict {
  const window = ctx.windowSeconds ?? DPOP_IAT_WINDOW_SECONDS;
  if (ctx.proofs.length === 0) {
    return failed(
      'missing',
      'The request has no DPoP header: send a proof with it.',
      'one DPoP header',
    );
  }
  if (ctx.proofs.length > 1) {
    return failed(
      'invalid',
      `The request has ${ctx.proofs.length} DPoP fields; it may have exactly one (RFC 9449 §4.3 step 1).`,
      'one DPoP header',
    );
  }
  const proof = (ctx.proofs[0] as string).trim();
  if (proof.length > MAX_PROOF_BYTES) {
    return failed(
      'invalid',
      `The DPoP proof is ${proof.length} bytes; this server reads at most ${MAX_PROOF_BYTES}.`,
      'at most 4 KiB',
    );
  }
  const parts = proof.split('.');
  const [h = '', p = '', s = ''] = parts;
  const header = parts.length === 3 && BASE64URL.test(h) ? decodeJsonPart(h) : undefined;
  const payload = parts.length === 3 && BASE64URL.test(p) ? decodeJsonPart(p) : undefined;
  if (
    !header ||
    !payload ||
    !BASE64URL.test(s) ||
    !canonicalBase64url(s) ||
    namesAMemberTwice(header) ||
    namesAMemberTwice(payload)
  ) {
    return failed(
      'invalid',
      'The DPoP header is not one well-formed JWT: three base64url parts, a header and payload of JSON objects naming no member twice, and a canonically encoded signature.',
      'a JWT: three base64url parts of JSON, no member twice',
    );
  }
  const hd = header.value;
  const claims = payload.value;
  if (hd.typ !== 'dpop+jwt') {
    return failed('invalid', 'The proof header typ must be "dpop+jwt".', 'typ is dpop+jwt');
  }
  const alg = hd.alg;
  if (typeof alg !== 'string' || !(DPOP_ALGS as readonly string[]).includes(alg)) {
    return failed(
      'invalid',
      `The proof alg must be one of ${DPOP_ALGS.join(', ')} (asymmetric; never none or an HMAC).`,
      'alg is one this server accepts (not none, not symmetric)',
    );
  }
  if (hd.crit !== undefined) {
    return failed(
      'invalid',
      'The proof header lists critical extensions (crit); this server understands none.',
      'typ is dpop+jwt',
    );
  }
  const key = publicKeyFor(alg as DpopAlg, hd.jwk);
  if (typeof key === 'string') return failed('invalid', key, 'jwk is a public key of that alg');
  const jkt = jwkThumbprint(hd.jwk as Record<string, unknown>);
  if (jkt === undefined) {
    return failed(
      'invalid',
      'The jwk lacks the members of its key type.',
      'jwk is a public key of that alg',
    );
  }
  if (!signatureValid(alg as DpopAlg, key, `${h}.${p}`, Buffer.from(s, 'base64url'))) {
    return failed(
      'signature',
      'The proof signature does not verify with the public key in its jwk header.',
      'signature verifies with the jwk',
    );
  }
  const { jti, htm, htu, iat } = claims;
  if (
    typeof jti !== 'string' ||
    jti.length === 0 ||
    jti.length > MAX_JTI ||
    typeof htm !== 'string' ||
    typeof htu !== 'string' ||
    !isNumericDate(iat)
  ) {
    return failed(
      'invalid',
      `The proof needs jti (1 to ${MAX_JTI} characters), htm, htu (strings) and iat (a NumericDate).`,
      'jti, htm, htu and iat present',
    );
  }
  if (htm !== ctx.method) {
    return failed(
      'htm',
      `The proof was made for ${htm.slice(0, 16)} requests (htm); this request is ${ctx.method}.`,
      'htm is the request method',
    );
  }
  if (htuOf(htu) !== htuOf(ctx.url)) {
    return failed(
      'htu',
      `The proof was made for another URL (htu); this request's URL is ${ctx.url}, query and fragment aside.`,
      'htu is the request URL',
    );
  }
  if (ctx.nonce && !(typeof claims.nonce === 'string' && ctx.nonce(claims.nonce))) {
    return failed(
      'nonce',
      claims.nonce === undefined
        ? 'This server demands a nonce in the proof: make a new proof with the DPoP-Nonce this answer carries.'
        : 'The proof’s nonce is not one this server gave, or it expired: make a new proof with the DPoP-Nonce this answer carries.',
      'nonce is one this server gave',
    );
  }
  const skew = iat - ctx.now;
  if (skew < -window) {
    return failed(
      'stale',
      `The proof was made at ${new Date(iat * 1000).toISOString()}, ${-skew} s ago; proofs are accepted for ${window} s. Make a new proof for each request.`,
      'iat within the window',
    );
  }
  if (skew > window) {
    return failed(
      'future',
      `The proof says it was made at ${new Date(iat * 1000).toISOString()}, ${skew} s ahead of the server clock (window ${window} s): check the client's clock.`,
      'iat within the window',
    );
  }
  if (ctx.accessToken !== undefined) {
    const ath = claims.ath;
    if (typeof ath !== 'string' || ath !== sha256Base64url(ctx.accessToken)) {
      return failed(
        'ath',
        ath === undefined
          ? 'The proof has no ath claim: at a resource it must carry base64url(SHA-256(access token)).'
          : 'The proof’s ath is not base64url(SHA-256) of the access token sent with it: the proof was made for another token.',
        'ath is the hash of the access token',
      );
    }
  }
  return { ok: true, jkt, jti, iat, alg: alg as DpopAlg };
}

/**
 * Stateless server nonces (RFC 9449 §8, §9): the period number and an HMAC of it under a server
 * key. Nothing is stored, so demanding a nonce costs no state; a nonce is good for the period it
 * was issued in and the next one.
 */
export interface DpopNonces {
  issue(): string;
  check(value: string): boolean;
}

export function dpopNonces(secret: Buffer, clock: Clock): DpopNonces {
  const key = createHmac('sha256', secret).update('four-oh-one dpop nonce').digest();
  const period = () => Math.floor(clock.now() / 1000 / NONCE_PERIOD_SECONDS);
  const mac = (n: number) => createHmac('sha256', key).update(String(n)).digest().subarray(0, 16);
  const cached = { period: -1, value: '' };
  return {
    issue() {
      const n = period();
      if (cached.period !== n) {
        cached.period = n;
        cached.value = `${n.toString(36)}.${mac(n).toString('base64url')}`;
      }
      return cached.value;
    },
    check(value) {
      const m = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(value);
      if (!m) return false;
      const n = parseInt(m[1] as string, 36);
      const now = period();
      if (n !== now && n !== now - 1) return false;
      const given = Buffer.from(m[2] as string, 'base64url');
      return given.length === 16 && timingSafeEqual(given, mac(n));
    },
  };
}

/**
 * The replay cache (RFC 9449 §11.1): a proof's jti is remembered, per key, for as long as a proof
 * made at its iat could be accepted. Keyed by the thumbprint and the jti, so writing an entry
 * needs a proof signed by that key: no one can spend another client's jti without holding a proof
 * of theirs, which is the replay this refuses. Charged to the visitor that sent the proof.
 */
export const proofKey = (jkt: string, jti: string) => `dpop:jti:${jkt}:${jti}`;

/** How long a jti is remembered: the proof's whole acceptance window, both ways, and a second. */
export const replayTtlMs = (windowSeconds = DPOP_IAT_WINDOW_SECONDS) =>
  (2 * windowSeconds + 1) * 1000;

/** True when this proof's jti was not seen before (and now is); false for a replay. */
export function claimProof(
  store: Store,
  proof: { jkt: string; jti: string },
  owner?: string,
): Promise<boolean> {
  return store.setIfAbsent(proofKey(proof.jkt, proof.jti), '1', replayTtlMs(), owner);
}

/** The proofs a request carries: one per DPoP field line (Node would join repeated ones). */
export function proofFields(rawHeaders: readonly string[]): string[] {
  const fields: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'dpop') fields.push(rawHeaders[i + 1] ?? '');
  }
  return fields;
}
