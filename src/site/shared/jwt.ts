/**
 * A JWT decoder for display only, as jwt.io shows one: the header, the payload and the
 * signature, each claim with what it means, its time read in words, and which claim a refusal
 * was about. It never verifies a signature (the server does: src/tokens/verify.ts), never
 * sends or keeps a token, and never throws: anything that is not a readable JWS compact
 * serialization comes back as `{ ok: false, reason }`.
 *
 * The playground's cards and /explain render with it on the server (src/site/jwt-view.ts); the
 * browser scripts import it for the times (src/site/browser/local-times.ts). Both tsconfigs
 * compile it, so it uses neither Node's globals nor the browser's, only the language's.
 */

/** A JWT split and decoded: its three parts as sent, and what the first two say. */
export interface DecodedJwt {
  ok: true;
  /** The three base64url parts, as they were in the token. */
  parts: [header: string, payload: string, signature: string];
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** The signature's base64url text; "" for an unsigned token. Never checked here. */
  signature: string;
}

export type JwtReading = DecodedJwt | { ok: false; reason: string };

/** The longest text this decoder reads: the server reads at most 8 KiB (MAX_TOKEN_BYTES). */
export const MAX_DECODED_CHARS = 16_384;

const BASE64URL_PART = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SEXTET: Record<string, number> = {};
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charAt(i)] = i;

/** The bytes of an unpadded base64url text, or undefined if it is none (RFC 4648 §5). */
export function base64urlBytes(text: string): Uint8Array | undefined {
  if (!BASE64URL_PART.test(text) || text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let buffer = 0;
  let at = 0;
  for (const c of text) {
    buffer = (buffer << 6) | (SEXTET[c] ?? 0);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

/** UTF-8 bytes as text, or undefined if they are not UTF-8 (RFC 7519 §7.2: JSON is UTF-8). */
function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function jsonObject(part: string): Record<string, unknown> | string {
  const bytes = base64urlBytes(part);
  if (bytes === undefined) return 'not base64url';
  const text = utf8(bytes);
  if (text === undefined) return 'not UTF-8 text';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'JSON, but not an object';
  }
  return value as Record<string, unknown>;
}

/**
 * Reads a JWT: a token, or an `Authorization: Bearer …` value. Never throws, whatever it is
 * given; a reading that fails says why in a few words ("not a JWT: …").
 */
export function decodeJwt(input: unknown): JwtReading {
  if (typeof input !== 'string') return { ok: false, reason: 'not a JWT: no text' };
  const token = input.trim().replace(/^bearer\s+/i, '');
  if (token.length > MAX_DECODED_CHARS) return { ok: false, reason: 'not a JWT: too long' };
  const parts = token.split('.');
  if (parts.length === 5) {
    return { ok: false, reason: 'an encrypted JWT (JWE): only its key holder can read it' };
  }
  if (parts.length !== 3) {
    return { ok: false, reason: 'not a JWT: a JWT is three base64url parts joined by dots' };
  }
  const [h = '', p = '', s = ''] = parts;
  const header = jsonObject(h);
  if (typeof header === 'string')
    return { ok: false, reason: `not a JWT: its header is ${header}` };
  const payload = jsonObject(p);
  if (typeof payload === 'string') {
    return { ok: false, reason: `not a JWT: its payload is ${payload}` };
  }
  if (!BASE64URL_PART.test(s))
    return { ok: false, reason: 'not a JWT: its signature is not base64url' };
  return { ok: true, parts: [h, p, s], header, payload, signature: s };
}

// --- What each member means --------------------------------------------------------------------

/** The claims whose value is a NumericDate (seconds since 1970, RFC 7519 §2). */
export const TIME_CLAIMS = ['exp', 'nbf', 'iat', 'auth_time'] as const;
export type TimeClaim = (typeof TIME_CLAIMS)[number];
export const isTimeClaim = (name: string): name is TimeClaim =>
  (TIME_CLAIMS as readonly string[]).includes(name);

/** What the header members mean (RFC 7515 §4.1, RFC 9068 §2.1). */
export const HEADER_NOTES: Readonly<Record<string, string>> = {
  alg: 'the signing algorithm; a verifier must take it from its key, never from the token (RFC 7515 §4.1.1, RFC 8725 §3.1)',
  typ: 'the token’s type: an access token says at+jwt (RFC 9068 §2.1), this server’s refresh tokens rt+jwt',
  kid: 'which of the issuer’s keys signed it; the verifier looks the key up by it (RFC 7515 §4.1.4)',
  crit: 'extensions the verifier must understand, or refuse the token (RFC 7515 §4.1.11)',
  cty: 'the content type of the payload; "JWT" for a nested token (RFC 7519 §5.2)',
  jku: 'a URL of a key set; a verifier must never fetch keys a token points to (RFC 8725 §3.10)',
  jwk: 'a public key carried in the token itself; never a reason to trust it',
  x5u: 'a URL of a certificate; never fetched by a careful verifier',
};

/** What the payload's claims mean (RFC 7519 §4.1, RFC 9068 §2.2, and this server's own). */
export const PAYLOAD_NOTES: Readonly<Record<string, string>> = {
  iss: 'issuer: who minted the token; the resource trusts one issuer (RFC 7519 §4.1.1)',
  sub: 'subject: whom the token speaks for (RFC 7519 §4.1.2)',
  aud: 'audience: the resource the token is meant for; any other must refuse it (RFC 7519 §4.1.3)',
  exp: 'expiry: after it, with a little clock tolerance, the token is refused (RFC 7519 §4.1.4)',
  nbf: 'not before: the token is refused until then (RFC 7519 §4.1.5)',
  iat: 'issued at: when the token was minted (RFC 7519 §4.1.6)',
  jti: 'the token’s id: what revocation lists name (RFC 7519 §4.1.7)',
  scope: 'what the token may do, space-separated (RFC 8693 §4.2, RFC 9068 §2.2.3)',
  client_id: 'the OAuth client the token was issued to (RFC 9068 §2.2)',
  auth_time: 'when the user last signed in; step-up asks for a recent one (RFC 9470)',
  acr: 'how strongly the user signed in (RFC 9470)',
  amr: 'how the user signed in: pwd, otp, … (RFC 8176)',
  cnf: 'confirmation: the key the token is bound to (DPoP, mTLS); a Bearer presentation cannot prove it (RFC 7800)',
  name: 'a display name (OpenID Connect); jwt.io’s sample carries one',
  type: 'this server’s identity type (user, admin, client): what the article’s admin check reads',
  vis: 'this server’s visitor tag: whose sandbox the token belongs to (revoke-all is per visitor)',
  rev: 'this server’s revoke-all mark (ms) the token was issued after; an older token is revoked',
  fid: 'this server’s refresh-token family: a reused refresh token revokes the whole family',
  token_use: 'which token this is (access or refresh), as introspection names it',
};

/** The note of a member, or undefined for one nobody registered. */
export function claimNote(part: 'header' | 'payload', name: string): string | undefined {
  const notes = part === 'header' ? HEADER_NOTES : PAYLOAD_NOTES;
  return Object.prototype.hasOwnProperty.call(notes, name) ? notes[name] : undefined;
}

// --- Which member a refusal was about ----------------------------------------------------------

/** Where in a token a refusal points: a member of the header or payload, or the signature. */
export type Culprit =
  { part: 'header' | 'payload'; claim: string } | { part: 'signature' } | { part: 'token' };

const BY_CODE: Readonly<Record<string, Culprit>> = {
  token_expired: { part: 'payload', claim: 'exp' },
  token_not_yet_valid: { part: 'payload', claim: 'nbf' },
  token_issued_in_future: { part: 'payload', claim: 'iat' },
  token_issuer_invalid: { part: 'payload', claim: 'iss' },
  token_audience_invalid: { part: 'payload', claim: 'aud' },
  token_revoked: { part: 'payload', claim: 'jti' },
  token_sender_constrained: { part: 'payload', claim: 'cnf' },
  insufficient_scope: { part: 'payload', claim: 'scope' },
  role_insufficient: { part: 'payload', claim: 'type' },
  insufficient_user_authentication: { part: 'payload', claim: 'auth_time' },
  token_type_invalid: { part: 'header', claim: 'typ' },
  token_kid_unknown: { part: 'header', claim: 'kid' },
  token_key_retired: { part: 'header', claim: 'kid' },
  token_algorithm_rejected: { part: 'header', claim: 'alg' },
  token_crit_unsupported: { part: 'header', claim: 'crit' },
  token_signature_invalid: { part: 'signature' },
  token_malformed: { part: 'token' },
};

/** The checks of src/tokens/verify.ts (a trace's `failed`) that are about one member. */
const BY_CHECK: Readonly<Record<string, Culprit>> = {
  'exp: not expired': { part: 'payload', claim: 'exp' },
  'nbf: already valid': { part: 'payload', claim: 'nbf' },
  'iat: not in the future': { part: 'payload', claim: 'iat' },
  'iss: this issuer': { part: 'payload', claim: 'iss' },
  'aud: this audience': { part: 'payload', claim: 'aud' },
  'not revoked': { part: 'payload', claim: 'jti' },
  'not bound to a key (no cnf)': { part: 'payload', claim: 'cnf' },
  'scope grants this resource': { part: 'payload', claim: 'scope' },
  'role (type) allows this resource': { part: 'payload', claim: 'type' },
  'login recent enough (auth_time within max_age)': { part: 'payload', claim: 'auth_time' },
  'typ is at+jwt': { part: 'header', claim: 'typ' },
  'kid is a string': { part: 'header', claim: 'kid' },
  'kid names a key of this server': { part: 'header', claim: 'kid' },
  'key not retired': { part: 'header', claim: 'kid' },
  'signed (alg is not "none")': { part: 'header', claim: 'alg' },
  'alg is the one its key is pinned to': { part: 'header', claim: 'alg' },
  'crit: no extension this server does not understand': { part: 'header', claim: 'crit' },
  'signature in canonical base64url': { part: 'signature' },
  'signature verifies': { part: 'signature' },
};

/**
 * What a refusal was about: by the check that failed when a trace names one (precise: a
 * scripted token_expired of /api/v1/flaky is about no claim), else by the problem code.
 */
export function culpritOf(refusal: { code?: string; failedCheck?: string }): Culprit | undefined {
  if (refusal.failedCheck !== undefined) {
    return Object.prototype.hasOwnProperty.call(BY_CHECK, refusal.failedCheck)
      ? BY_CHECK[refusal.failedCheck]
      : undefined;
  }
  if (refusal.code === undefined) return undefined;
  return Object.prototype.hasOwnProperty.call(BY_CODE, refusal.code)
    ? BY_CODE[refusal.code]
    : undefined;
}

// --- Times, in words ---------------------------------------------------------------------------

/** Whether a value is a NumericDate a Date can hold (the server reads 1970 to 9999). */
export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 253402300799;
}

/** A span of seconds in a few characters: "12 s", "3 min", "5 h", "2 days", "8 years". */
export function span(seconds: number): string {
  const s = Math.floor(Math.abs(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h`;
  if (s < 2 * 365 * 86400) return `${Math.floor(s / 86400)} days`;
  return `${Math.floor(s / (365.25 * 86400))} years`;
}

/**
 * A time claim read against a clock, in words: "expired 3 min ago", "expires in 57 min",
 * "not valid for another 5 min", "issued 2 h ago". `now` and `at` in seconds.
 */
export function relativeTime(claim: string, at: number, now: number): string {
  const d = at - now;
  const past = d <= 0;
  const t = span(d);
  switch (claim) {
    case 'exp':
      return past ? `expired ${t} ago` : `expires in ${t}`;
    case 'nbf':
      return past ? `valid since ${t} ago` : `not valid for another ${t}`;
    case 'iat':
      return past ? `issued ${t} ago` : `says it was issued ${t} from now (in the future)`;
    case 'auth_time':
      return past ? `signed in ${t} ago` : `says the sign-in is ${t} from now (in the future)`;
    default:
      return past ? `${t} ago` : `in ${t}`;
  }
}

/**
 * A NumericDate as ISO 8601 UTC without milliseconds, e.g. 2026-12-01T16:00:00Z; a number no
 * Date can hold is shown as the number it is.
 */
export function isoOf(seconds: number): string {
  if (!isNumericDate(seconds)) return String(seconds);
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
