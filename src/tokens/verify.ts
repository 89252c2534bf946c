import { createHmac, randomUUID, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import type { Config } from '../config';
import type { Key, KeyRing } from './keys';
import type { ProblemCode } from '../scenarios/catalog';
import type { Clock, Store } from '../store';
import { EPOCH_KEY, issuedBeforeEpoch, type StoreEpoch } from '../store/epoch';
import type { DecisionTrace } from '../teaching/trace';
import { isVisitorTag } from '../http/visitors';
import { isoSeconds as iso } from './times';

/** The claims of an RFC 9068 access token, as this server issues them. */
export interface AccessClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope?: string;
  nbf?: number;
  [claim: string]: unknown;
}

/** The checks `verifySignedJwt` runs, in order; a refusal names the one that failed. */
export const JWS_CHECKS = [
  'at most 8 KiB',
  'three base64url parts',
  'header and payload are JSON objects',
  'no member named twice',
  'crit: no extension this server does not understand',
  'signed (alg is not "none")',
  'kid is a string',
  'kid names a key of this server',
  'alg is the one its key is pinned to',
  'signature in canonical base64url',
  'signature verifies',
  'key not retired',
] as const;

/** The checks an access token meets after the JWS checks, in order (RFC 9068 §4). */
export const ACCESS_CHECKS = [
  'typ is at+jwt',
  'required claims present',
  'not bound to a key (no cnf)',
  'exp: not expired',
  'nbf: already valid',
  'iat: not in the future',
  'iss: this issuer',
  'aud: this audience',
  'not revoked',
] as const;

/** Replaces "not bound to a key" when the token comes with a DPoP proof (RFC 9449 §7.1). */
export const DPOP_BOUND_CHECK = 'bound to a DPoP key (cnf.jkt)';

export type TokenCheck =
  (typeof JWS_CHECKS)[number] | (typeof ACCESS_CHECKS)[number] | typeof DPOP_BOUND_CHECK;

/**
 * How a token was presented: alone as a Bearer token (the default: a key-bound token is
 * refused), with a DPoP proof (the token must be bound to a DPoP key), or either (introspection).
 */
export type Binding = 'bearer' | 'dpop' | 'any';

/** The DPoP key thumbprint a token is bound to (`cnf.jkt`), if any. */
export function boundJkt(claims: Record<string, unknown>): string | undefined {
  const cnf = claims.cnf;
  if (typeof cnf !== 'object' || cnf === null) return undefined;
  const jkt = (cnf as Record<string, unknown>).jkt;
  return typeof jkt === 'string' ? jkt : undefined;
}

/** What a refusal can show of the token for a decision trace: times and header facts only. */
export type Evidence = Pick<DecisionTrace, 'times' | 'facts'>;

/**
 * The `kid` a trace shows for a token whose header names none: such a token is checked with the
 * current key of its alg, so the kid checks did not apply to it (src/teaching/explain.ts).
 */
export const NO_KID = '(none)';

/** The outcome of verifying an access token: its claims, or why it was refused. */
export type Verdict =
  | { ok: true; claims: AccessClaims; kid: string; kidless?: boolean }
  | {
      ok: false;
      code: ProblemCode;
      detail: string;
      jti?: string;
      /** The check that failed, and what the token showed of itself (for /explain). */
      check?: TokenCheck;
      evidence?: Evidence;
    };

/** What a refusal's times are worked out from, once the claims that hold them are checked. */
interface Times {
  claims: AccessClaims;
  /** The server's time, in seconds. */
  now: number;
  tolerance: number;
}

/**
 * A refusal of a token whose signature verified: its evidence (the header's facts, the times)
 * is worked out when first read, by the trace of the log line or of an explanation, and kept.
 * Nothing it reads changes after the verifier returned (the claims and header are frozen).
 */
class TokenRefusal {
  readonly ok = false as const;
  #evidence: Evidence | undefined;
  readonly #signed: Extract<SignedJwt, { ok: true }>;
  readonly #claim: Record<string, string> | undefined;
  readonly #times: Times | undefined;
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly jti: string | undefined,
    readonly check: TokenCheck,
    signed: Extract<SignedJwt, { ok: true }>,
    claim: Record<string, string> | undefined,
    times: Times | undefined,
  ) {
    this.#signed = signed;
    this.#claim = claim;
    this.#times = times;
  }
  get evidence(): Evidence {
    if (this.#evidence !== undefined) return this.#evidence;
    const { header, key } = this.#signed;
    const t = this.#times;
    this.#evidence = {
      // The key that verified it: under kid, or beside "(none)" when the token named no kid.
      facts: {
        ...headerFacts(header),
        ...(header.kid === undefined ? { key: key.kid } : { kid: key.kid }),
        ...this.#claim,
      },
      ...(t === undefined
        ? {}
        : {
            times: {
              exp: iso(t.claims.exp),
              ...(t.claims.nbf === undefined ? {} : { nbf: iso(t.claims.nbf) }),
              iat: iso(t.claims.iat),
              server_time: iso(t.now),
              tolerance_seconds: t.tolerance,
            },
          }),
    };
    return this.#evidence;
  }
}

/** How many signature-verified access tokens the verifier remembers, and the longest it keeps. */
const VERIFIED_CACHE_SIZE = 1024;
const VERIFIED_CACHE_MAX_TOKEN = 2048;

/** The longest token this server will even look at. */
export const MAX_TOKEN_BYTES = 8192;

/** The header `typ` values RFC 9068 §4 accepts, compared case-insensitively. */
const ACCESS_TYPES = new Set(['at+jwt', 'application/at+jwt']);
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Store keys of the denylist. Each entry lives until the tokens it covers would expire anyway. */
export const revokedKey = (jti: string) => `revoked:jti:${jti}`;
/**
 * "Log out everywhere", per visitor: the stored value is a mark (ms); every token of the subject
 * issued to that visitor before the mark (its `rev` claim, the mark it was issued after, is
 * lower) is revoked. Keyed by the visitor the tokens were issued to, so in a sandbox where
 * everyone shares the demo accounts, a visitor logs out only its own tokens.
 */
export const subjectRevokedKey = (sub: string, vis: unknown) =>
  `revoked:sub:${isVisitorTag(vis) ? vis : '-'}:${sub}`;
/** Whether a token with this `rev` claim (or none) is covered by a revoke-all mark. */
export const revokedByMark = (mark: string | undefined, rev: unknown) =>
  mark !== undefined && Number(mark) > (typeof rev === 'number' ? rev : 0);

/**
 * Every bad specimen's jti starts so, and every access-token specimen names this client: they
 * are shared by everyone reading /scenarios, so they can be read with but never change state
 * (revoked, counted as one client's retries, used for revoke-all).
 */
export const SPECIMEN_JTI_PREFIX = 'specimen-';
export const SPECIMEN_CLIENT_ID = 'four-oh-one-specimens';
export const isSpecimen = (claims: Record<string, unknown>) =>
  (typeof claims.jti === 'string' && claims.jti.startsWith(SPECIMEN_JTI_PREFIX)) ||
  claims.client_id === SPECIMEN_CLIENT_ID;
/** Every token of a refresh-token family is revoked (a reused refresh token, RFC 9700 §4.14.2). */
export const familyRevokedKey = (fid: string) => `revoked:fid:${fid}`;

export interface TokenOptions {
  keys: KeyRing;
  jwt: Config['jwt'];
  clock: Clock;
  store: Store;
  /** Detects a store that lost its data; tokens issued before the loss are refused. */
  epoch?: StoreEpoch;
}

const refuse = (code: ProblemCode, detail: string, check: TokenCheck, evidence?: Evidence) => ({
  ok: false as const,
  code,
  detail,
  check,
  ...(evidence ? { evidence } : {}),
});

/** An untrusted text made short and printable for a trace. */
// eslint-disable-next-line no-control-regex
const printable = (value: string) => value.replace(/[\x00-\x1f\x7f]/g, '').slice(0, 64);

/** The header's alg, kid and typ, shortened: what a trace may show of an untrusted token. */
function headerFacts(header: Record<string, unknown>): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const name of ['alg', 'kid', 'typ'] as const) {
    const value = header[name];
    if (typeof value === 'string') facts[name] = printable(value);
  }
  if (header.kid === undefined) facts.kid = NO_KID;
  return facts;
}

/** A JWT part decoded: its JSON text, and the object JSON.parse made of it. */
export interface JsonPart {
  text: string;
  value: Record<string, unknown>;
}

/** A JWT part decoded, or undefined when it is not base64url of a JSON object. */
export function decodeJsonPart(part: string): JsonPart | undefined {
  try {
    const text = Buffer.from(part, 'base64url').toString('utf8');
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? { text, value: value as Record<string, unknown> }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a JSON text names a member twice in one object. JSON.parse keeps the last, other
 * parsers the first (RFC 8259 §4), so `{"alg":"none","alg":"HS256"}` means different things to
 * different verifiers; RFC 7515 §4 and RFC 7519 §4 let a parser refuse it, and this one does.
 * Counts the member names written in the text against those the parse kept: two linear passes
 * over a few hundred bytes, with no parser of its own (bench/RESULTS.md, the signature check).
 */
export function namesAMemberTwice(part: JsonPart): boolean {
  return namesWritten(part.text) !== namesKept(part.value);
}

/** How many member names a valid JSON text writes, at any depth: strings followed by a colon. */
function namesWritten(text: string): number {
  let count = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    let close = text.indexOf('"', open + 1);
    // A quote preceded by an odd number of backslashes is escaped, inside the string.
    for (;;) {
      let backslashes = 0;
      while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) break;
      close = text.indexOf('"', close + 1);
    }
    let next = close + 1;
    for (let c = text.charCodeAt(next); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;) {
      c = text.charCodeAt(++next);
    }
    if (text.charCodeAt(next) === 0x3a) count++;
    open = text.indexOf('"', next);
  }
  return count;
}

/** How many member names a parsed JSON value holds, at any depth. */
function namesKept(value: unknown): number {
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value)
      if (typeof item === 'object' && item !== null) count += namesKept(item);
    return count;
  }
  // for-in, not Object.keys: no array made per object (JSON.parse objects have no inherited
  // enumerable members, and an own "__proto__" member is listed like any other).
  for (const name in value as Record<string, unknown>) {
    count++;
    const member = (value as Record<string, unknown>)[name];
    if (typeof member === 'object' && member !== null) count += namesKept(member);
  }
  return count;
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether a base64url text (of the alphabet only) is the one spelling an encoder writes of its
 * bytes (RFC 4648 §3.5): of a length 4n+2 or 4n+3 whose last character leaves its 4 or 2 spare
 * low bits zero. Decoders ignore those bits, so otherwise several texts decode to one value;
 * a length 4n+1 is no encoding at all (decoders drop the last character).
 */
export function canonicalBase64url(text: string): boolean {
  const tail = text.length % 4;
  if (tail === 0) return true;
  if (tail === 1) return false;
  const last = BASE64URL_ALPHABET.indexOf(text.charAt(text.length - 1));
  return (last & (tail === 2 ? 0x0f : 0x03)) === 0;
}

/** RFC 7515 §4.1.11: `crit` must be a non-empty array of extension names, and understood. */
function critRefusal(crit: unknown): { code: ProblemCode; detail: string } {
  const names = Array.isArray(crit) && crit.length > 0 && crit.every((n) => typeof n === 'string');
  return names
    ? {
        code: 'token_crit_unsupported',
        detail: `The header lists ${crit.length === 1 ? 'an extension' : `${crit.length} extensions`} as critical (crit); this server understands no JWS extension, so it must refuse the token (RFC 7515 §4.1.11).`,
      }
    : {
        code: 'token_malformed',
        detail: 'The crit header must be a non-empty array of extension names (RFC 7515 §4.1.11).',
      };
}

/**
 * Checks a JWS signature with the key's one algorithm (RFC 7515 §5.2, RFC 7518 §3). Done with
 * node:crypto on the parts already decoded above rather than `jsonwebtoken.verify`, which would
 * decode the token a second time: measured, that second pass cost the auth path ~8% of its
 * throughput (bench/RESULTS.md). The algorithm still comes from the key, never from the token.
 */
function signatureValid(key: Key, signingInput: string, sig: Buffer): boolean {
  try {
    switch (key.alg) {
      case 'HS256': {
        const mac = createHmac('sha256', key.verifyKey).update(signingInput).digest();
        return sig.length === mac.length && timingSafeEqual(sig, mac);
      }
      case 'ES256':
        return verifySignature(
          'sha256',
          Buffer.from(signingInput),
          { key: key.verifyKey, dsaEncoding: 'ieee-p1363' },
          sig,
        );
      case 'RS256':
        return verifySignature('sha256', Buffer.from(signingInput), key.verifyKey, sig);
    }
  } catch {
    return false;
  }
}

/**
 * The latest NumericDate (RFC 7519 §2) this server reads: 9999-12-31T23:59:59Z. A signed claim
 * like exp 1e300 or iat -9e15 names no time a token could mean, and a Date made of it throws
 * (the JS Date range is ±8.64e12 s), so such tokens are refused before any time is compared or
 * shown, however validly signed.
 */
export const MAX_NUMERIC_DATE = 253_402_300_799;

/** Whether a claim is a NumericDate this server can compare and print: 1970 to the end of 9999. */
export function isNumericDate(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_NUMERIC_DATE
  );
}

/** Names of required RFC 9068 claims that are missing, of the wrong type, or out of range. */
function missingClaims(c: Record<string, unknown>): string[] {
  const bad: string[] = [];
  for (const name of ['iss', 'sub', 'jti', 'client_id'] as const) {
    if (typeof c[name] !== 'string') bad.push(name);
  }
  for (const name of ['exp', 'iat'] as const) {
    if (!isNumericDate(c[name])) bad.push(name);
  }
  const aud = c.aud;
  if (!(
    typeof aud === 'string' ||
    (Array.isArray(aud) && aud.every((a) => typeof a === 'string'))
  )) {
    bad.push('aud');
  }
  // Optional, but when present read as times: by the nbf check, and auth_time by step-up.
  for (const name of ['nbf', 'auth_time'] as const) {
    if (c[name] !== undefined && !isNumericDate(c[name])) bad.push(name);
  }
  return bad;
}

/** A JWT whose signature verified with a current key: its header and claims can be believed. */
export type SignedJwt =
  | { ok: true; header: Record<string, unknown>; claims: Record<string, unknown>; key: Key }
  | { ok: false; code: ProblemCode; detail: string; check: TokenCheck; evidence?: Evidence };

/**
 * Checks the shape and signature of any JWT this server signed (access or refresh): size, three
 * base64url parts of JSON, a key chosen by kid and pinned to one algorithm, the signature, and
 * the key's rotation grace period. Claims are not judged here.
 */
export function verifySignedJwt(token: string, keys: KeyRing, clock: Clock): SignedJwt {
  if (token.length > MAX_TOKEN_BYTES) {
    return refuse(
      'token_malformed',
      `The token is ${token.length} bytes; this server reads at most ${MAX_TOKEN_BYTES}.`,
      'at most 8 KiB',
      { facts: { bytes: token.length } },
    );
  }
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) {
    return refuse(
      'token_malformed',
      'A JWT is three base64url parts separated by dots; this token is not.',
      'three base64url parts',
    );
  }
  const [headerPart = '', payloadPart = '', signature = ''] = parts;
  const headerJson = decodeJsonPart(headerPart);
  const claimsJson = decodeJsonPart(payloadPart);
  if (!headerJson || !claimsJson) {
    return refuse(
      'token_malformed',
      `The JWT ${headerJson ? 'payload' : 'header'} does not decode to a JSON object.`,
      'header and payload are JSON objects',
    );
  }
  const duplicated = namesAMemberTwice(headerJson)
    ? 'header'
    : namesAMemberTwice(claimsJson)
      ? 'payload'
      : undefined;
  if (duplicated) {
    return refuse(
      'token_malformed',
      `The JWT ${duplicated} names a member twice; parsers disagree on which one counts, so the token means nothing certain (RFC 7515 §4, RFC 7519 §4).`,
      'no member named twice',
    );
  }
  const header = headerJson.value;
  const claims = claimsJson.value;
  // Evidence is for refusals only: built when one happens, never on the hot path of a valid token.
  const evidence = () => ({ facts: headerFacts(header) });
  if (header.crit !== undefined) {
    const { code, detail } = critRefusal(header.crit);
    return refuse(code, detail, 'crit: no extension this server does not understand', evidence());
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || alg.toLowerCase() === 'none') {
    return refuse(
      'token_algorithm_rejected',
      'The token is unsigned (alg "none" or no alg); every token here must be signed.',
      'signed (alg is not "none")',
      evidence(),
    );
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    return refuse(
      'token_malformed',
      'The kid header must be a string.',
      'kid is a string',
      evidence(),
    );
  }
  const key = keys.find(header.kid, alg);
  if (!key) {
    return refuse(
      'token_kid_unknown',
      'No key on this server has the kid this token names.',
      'kid names a key of this server',
      evidence(),
    );
  }
  if (alg !== key.alg) {
    return refuse(
      'token_algorithm_rejected',
      `The token says ${alg.slice(0, 16)}, but its key is pinned to ${key.alg}.`,
      'alg is the one its key is pinned to',
      { facts: { ...evidence().facts, key_alg: key.alg } },
    );
  }
  // One signature, several spellings: only the one a signer writes is accepted.
  if (!canonicalBase64url(signature)) {
    return refuse(
      'token_malformed',
      'The signature is not canonical base64url: its last character sets bits that encode nothing (RFC 4648 §3.5), so it is not the spelling a signer writes.',
      'signature in canonical base64url',
      evidence(),
    );
  }
  if (!signatureValid(key, `${headerPart}.${payloadPart}`, Buffer.from(signature, 'base64url'))) {
    return refuse(
      'token_signature_invalid',
      `The signature does not verify with key ${key.kid}.`,
      'signature verifies',
      evidence(),
    );
  }
  if (key.retiredAfter !== undefined && clock.now() > key.retiredAfter) {
    return refuse(
      'token_key_retired',
      `Key ${key.kid} was rotated out and its grace period ended at ${iso(Math.floor(key.retiredAfter / 1000))}.`,
      'key not retired',
      {
        facts: evidence().facts,
        times: {
          key_retired_after: iso(Math.floor(key.retiredAfter / 1000)),
          server_time: iso(Math.floor(clock.now() / 1000)),
        },
      },
    );
  }
  return { ok: true, header, claims, key };
}

/**
 * Makes the access-token verifier. The order of checks matters: nothing in a token is believed
 * before its signature is verified with a key chosen by kid and pinned to one algorithm, and the
 * store is asked about revocation only for tokens that passed everything else. A refusal of a
 * token whose signature verified carries its jti, so callers can count retries of it.
 */
export function createTokenVerifier(
  options: TokenOptions,
): (token: string, binding?: Binding) => Promise<Verdict> {
  const { keys, clock, store, epoch } = options;
  const { issuer, audience, clockToleranceSeconds: tolerance } = options.jwt;

  // Tokens whose signature verified, by their exact text: a client sends the same token many
  // times, and a signature that verified once verifies forever, so decoding and the HMAC are
  // done once per token (bench/RESULTS.md). Only tokens this server signed get in; the map is
  // bounded and drops its oldest entry. Everything time- or state-dependent (key retirement,
  // claims against the clock, revocation) still runs on every request.
  const verified = new Map<string, Extract<SignedJwt, { ok: true }>>();
  // Likewise the tokens whose signature did not verify: with the same keys (the ring never
  // changes while the process runs) it never will, and a client retrying a forged or corrupted
  // token made the server decode it and compute the HMAC every time. Nothing else is judged of
  // such a token, so nothing time- or state-dependent is skipped. Bounded the same way.
  const forged = new Map<string, Extract<SignedJwt, { ok: false }>>();

  function checkSignature(token: string): SignedJwt {
    const hit = verified.get(token);
    if (hit && (hit.key.retiredAfter === undefined || clock.now() <= hit.key.retiredAfter)) {
      return hit;
    }
    const refused = forged.get(token);
    if (refused) return refused;
    const signed = verifySignedJwt(token, keys, clock);
    if (
      !signed.ok &&
      signed.code === 'token_signature_invalid' &&
      token.length <= VERIFIED_CACHE_MAX_TOKEN
    ) {
      if (forged.size >= VERIFIED_CACHE_SIZE) {
        const oldest = forged.keys().next().value;
        if (oldest !== undefined) forged.delete(oldest);
      }
      // Shared by every later request with this token: nobody may change it.
      if (signed.evidence?.facts) Object.freeze(signed.evidence.facts);
      if (signed.evidence) Object.freeze(signed.evidence);
      forged.set(token, Object.freeze(signed));
    }
    if (signed.ok && token.length <= VERIFIED_CACHE_MAX_TOKEN) {
      if (verified.size >= VERIFIED_CACHE_SIZE) {
        const oldest = verified.keys().next().value;
        if (oldest !== undefined) verified.delete(oldest);
      }
      // Shared by every later request with this token: nobody may change it.
      Object.freeze(signed.header);
      Object.freeze(signed.claims);
      verified.set(token, signed);
    }
    return signed;
  }

  return async function verifyAccessToken(
    token: string,
    binding: Binding = 'bearer',
  ): Promise<Verdict> {
    const signed = checkSignature(token);
    if (!signed.ok) return signed;
    const { header, claims, key } = signed;
    const jti = typeof claims.jti === 'string' ? claims.jti.slice(0, 128) : undefined;
    // Times join the evidence once the claims that hold them are known to be there. Evidence
    // is built only for a refusal, never for a valid token (bench/RESULTS.md: the hot path), and
    // only when a trace asks for it (TokenRefusal); nothing is allocated for it before.
    // Set once the claims are checked; refuse() reads it when it is called, hence no const.
    // eslint-disable-next-line prefer-const
    let now: number | undefined;
    const refuse = (
      code: ProblemCode,
      detail: string,
      check: TokenCheck,
      /** The claim the refusal is about, when it is no time: iss or aud, shortened. */
      claim?: Record<string, string>,
    ): Verdict =>
      new TokenRefusal(
        code,
        detail,
        jti,
        check,
        signed,
        claim,
        now === undefined
          ? undefined
          : {
              claims: claims as AccessClaims,
              now,
              tolerance,
            },
      );

    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
    if (typ === undefined || !ACCESS_TYPES.has(typ)) {
      return refuse(
        'token_type_invalid',
        'The token header typ is not "at+jwt", so it is not an access token.',
        'typ is at+jwt',
      );
    }
    const bad = missingClaims(claims);
    if (bad.length > 0) {
      return refuse(
        'token_claims_invalid',
        `Claims missing, of the wrong type, or not a time between 1970 and 9999: ${bad.join(', ')}.`,
        'required claims present',
      );
    }
    // RFC 9449 §7.2, RFC 8705 §3: a token bound to a key (DPoP, mTLS) is worthless without proof
    // of that key, which a plain Bearer presentation does not carry: accepting it would make a
    // stolen sender-constrained token a bearer token again.
    if (binding === 'dpop' && boundJkt(claims) === undefined) {
      return refuse(
        'dpop_token_unbound',
        'The token was sent with the DPoP scheme but is bound to no DPoP key (no cnf.jkt): send it as "Authorization: Bearer <token>", or get a DPoP-bound token by sending a DPoP proof to the token endpoint.',
        DPOP_BOUND_CHECK,
      );
    }
    if (binding === 'bearer' && claims.cnf !== undefined) {
      return refuse(
        'token_sender_constrained',
        'The token carries a cnf claim: it is bound to a key and must be presented with proof of it (DPoP or a TLS client certificate), which this Bearer resource does not check.',
        'not bound to a key (no cnf)',
      );
    }
    const c = claims as AccessClaims;
    now = Math.floor(clock.now() / 1000);
    if (c.exp + tolerance <= now) {
      return refuse(
        'token_expired',
        `The token expired at ${iso(c.exp)}; server time is ${iso(now)} (tolerance ${tolerance}s).`,
        'exp: not expired',
      );
    }
    if (c.nbf !== undefined && c.nbf - tolerance > now) {
      return refuse(
        'token_not_yet_valid',
        `The token is not valid before ${iso(c.nbf)}; server time is ${iso(now)} (tolerance ${tolerance}s).`,
        'nbf: already valid',
      );
    }
    if (c.iat - tolerance > now) {
      return refuse(
        'token_issued_in_future',
        `The token says it was issued at ${iso(c.iat)}; server time is ${iso(now)} (tolerance ${tolerance}s).`,
        'iat: not in the future',
      );
    }
    if (c.iss !== issuer) {
      return refuse(
        'token_issuer_invalid',
        `This resource trusts tokens issued by ${issuer} only.`,
        'iss: this issuer',
        { iss: printable(c.iss) },
      );
    }
    const audiences = Array.isArray(c.aud) ? c.aud : [c.aud];
    if (!audiences.includes(audience)) {
      return refuse(
        'token_audience_invalid',
        `This resource accepts tokens for the audience "${audience}" only.`,
        'aud: this audience',
        { aud: printable(audiences.join(', ')) },
      );
    }
    // The store's epoch rides along with the revocation keys: no extra round trip.
    const [byJti, bySubject, byFamily, epochValue] = await store.getMany([
      revokedKey(c.jti),
      subjectRevokedKey(c.sub, c.vis),
      familyRevokedKey(typeof c.fid === 'string' ? c.fid : '-'),
      ...(epoch ? [EPOCH_KEY] : []),
    ]);
    if (epoch) {
      const since = epoch.observe(epochValue);
      const sinceMs = typeof since === 'number' ? since : await since;
      if (issuedBeforeEpoch(c.iat, sinceMs)) {
        return refuse(
          'store_state_lost',
          `The token was issued before ${new Date(sinceMs).toISOString()}, when this server's store lost its data (revocations included), so it can no longer tell whether the token was revoked.`,
          'not revoked',
        );
      }
    }
    if (byJti !== undefined) {
      return refuse(
        'token_revoked',
        'This token was revoked; it will not work again.',
        'not revoked',
      );
    }
    if (revokedByMark(bySubject, c.rev)) {
      return refuse(
        'token_revoked',
        `Every token of this subject issued to you up to ${new Date(Number(bySubject)).toISOString()} was revoked (POST /auth/revoke-all).`,
        'not revoked',
      );
    }
    if (byFamily !== undefined) {
      return refuse(
        'token_revoked',
        'A refresh token of the family this token came from was reused, so the whole family was revoked.',
        'not revoked',
      );
    }
    return {
      ok: true,
      claims: c,
      kid: key.kid,
      ...(header.kid === undefined ? { kidless: true } : {}),
    };
  };
}

export interface IssueOptions {
  sub: string;
  clientId: string;
  scope?: string;
  /** Lifetime in seconds. */
  expiresIn: number;
  /** Extra claims, e.g. the article's identity `type`. */
  extra?: Record<string, unknown>;
  /** iat in seconds; defaults to the clock's now. */
  issuedAt?: number;
  /** The token's id; random unless given (a retried refresh re-signs the same token). */
  jti?: string;
}

/** Issues an RFC 9068 access token signed with the current signing key. */
export function issueAccessToken(
  options: Omit<TokenOptions, 'store'>,
  issue: IssueOptions,
): { token: string; claims: AccessClaims } {
  const now = issue.issuedAt ?? Math.floor(options.clock.now() / 1000);
  const claims: AccessClaims = {
    ...issue.extra,
    iss: options.jwt.issuer,
    sub: issue.sub,
    aud: options.jwt.audience,
    exp: now + issue.expiresIn,
    iat: now,
    jti: issue.jti ?? randomUUID(),
    client_id: issue.clientId,
    ...(issue.scope === undefined ? {} : { scope: issue.scope }),
  };
  return { token: options.keys.sign(claims, { typ: 'at+jwt' }), claims };
}
