import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  contentDigest,
  parseSignatureInput,
  signatureBase,
  signatureFor,
} from './message-signature';

/**
 * GNAP (RFC 9635), the parts a resource server and a minimal authorization server need: the
 * RS-first challenge (§9.1), the grant request's `access_token` and `client.key` (§2.1, §2.3,
 * §7.1), the access rights of this server's one API (§8), and the `httpsig` key proof (§7.3.1,
 * over RFC 9421) that binds every request, the grant request included, to the client's key.
 */

/** The one API type this server protects (RFC 9635 §8: `type` names the API). */
export const GNAP_ACCESS_TYPE = 'four-oh-one-demo';
export const GNAP_ACTIONS = ['read', 'write'] as const;
export type GnapAction = (typeof GNAP_ACTIONS)[number];
/** Opaque access references (RFC 9635 §8.1) this AS understands, each one right. */
export const GNAP_REFERENCES: Readonly<Record<string, GnapAction>> = {
  'four-oh-one-read': 'read',
  'four-oh-one-write': 'write',
};
export const referenceFor = (action: GnapAction) => `four-oh-one-${action}`;
/** How long an access token lives (`expires_in` of the grant response, RFC 9635 §3.2.1). */
export const GNAP_TOKEN_TTL_SECONDS = 300;
/** How far `created` may be from the server's clock. */
export const GNAP_SIGNATURE_MAX_AGE_SECONDS = 300;
/** An access token as this AS issues it: 32 random bytes, base64url. */
export const GNAP_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** What RFC 9635 §7.2 lets a token be: token68 characters, within reason. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]{1,512}=*$/;

/** One access right, normalised: this server's type and the actions it grants. */
export interface AccessRight {
  type: string;
  actions: GnapAction[];
}

/** The public key a client presents (RFC 9635 §7.1), its private members never kept. */
export interface ClientKey {
  jwk: { kty: string; crv: string; x: string; y?: string; kid: string; alg: string };
  /** The RFC 9421 algorithm the JWK's `alg` stands for. */
  sigAlg: 'ed25519' | 'ecdsa-p256-sha256';
}

/** The GNAP error codes this AS answers with (RFC 9635 §3.6). */
export type GnapErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_flag';

export type GrantReading =
  | { ok: true; access: AccessRight[]; key: ClientKey }
  | { ok: false; error: GnapErrorCode; detail: string };

/**
 * The RS-first challenge (RFC 9635 §9.1): where the grant endpoint is (`as_uri`), which RS sent
 * the client (`referrer`), and an access reference that covers what the client just tried.
 * Values are quoted strings (RFC 9110 §11.2: a URI is not a token).
 */
export function gnapChallenge(publicUrl: string, action: GnapAction): string {
  return `GNAP as_uri="${publicUrl}/gnap/grant", referrer="${publicUrl}/gnap/resource", access="${referenceFor(action)}"`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const B64URL = (length: number) => new RegExp(`^[A-Za-z0-9_-]{${length}}$`);
const KID = /^[\x21-\x7e]{1,128}$/;

const fail = (error: GnapErrorCode, detail: string): GrantReading => ({ ok: false, error, detail });

/** One entry of `access` (RFC 9635 §8): a known reference, or an object of this server's type. */
function readRight(item: unknown): AccessRight | string {
  if (typeof item === 'string') {
    const action = GNAP_REFERENCES[item];
    return action ? { type: GNAP_ACCESS_TYPE, actions: [action] } : 'an unknown access reference';
  }
  if (!isObject(item)) return 'an entry that is neither a string nor an object';
  if (item.type !== GNAP_ACCESS_TYPE) return `a type other than "${GNAP_ACCESS_TYPE}"`;
  const actions = item.actions;
  if (
    !Array.isArray(actions) ||
    actions.length === 0 ||
    actions.length > GNAP_ACTIONS.length ||
    !actions.every((a) => GNAP_ACTIONS.includes(a as GnapAction))
  ) {
    return `actions other than a non-empty list of ${GNAP_ACTIONS.map((a) => `"${a}"`).join(' and ')}`;
  }
  return { type: GNAP_ACCESS_TYPE, actions: [...new Set(actions as GnapAction[])] };
}

/** `client.key.jwk` (RFC 9635 §7.1: `alg` and `kid` required), as an Ed25519 or P-256 key. */
function readJwk(jwk: unknown): ClientKey | string {
  if (!isObject(jwk)) return 'client.key.jwk must be a JWK object.';
  if ('d' in jwk) return 'client.key.jwk holds a private key (d): send only the public key.';
  if (typeof jwk.kid !== 'string' || !KID.test(jwk.kid)) {
    return 'client.key.jwk needs a kid (RFC 9635 §7.1), up to 128 visible characters.';
  }
  const kid = jwk.kid;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    if (typeof jwk.x !== 'string' || !B64URL(43).test(jwk.x)) return 'x is not an Ed25519 key.';
    if (jwk.alg !== 'EdDSA') return 'An Ed25519 JWK needs "alg": "EdDSA" (RFC 9635 §7.1).';
    return { jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg: 'EdDSA' }, sigAlg: 'ed25519' };
  }
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    const { x, y } = jwk;
    if (
      typeof x !== 'string' ||
      typeof y !== 'string' ||
      !B64URL(43).test(x) ||
      !B64URL(43).test(y)
    ) {
      return 'x and y are not a P-256 point.';
    }
    if (jwk.alg !== 'ES256') return 'A P-256 JWK needs "alg": "ES256" (RFC 9635 §7.1).';
    return {
      jwk: { kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256' },
      sigAlg: 'ecdsa-p256-sha256',
    };
  }
  return 'This AS takes Ed25519 (OKP, EdDSA) and P-256 (EC, ES256) keys.';
}

/** The KeyObject of a client key, or undefined when its coordinates are not a key. */
export function keyObjectOf(key: ClientKey): KeyObject | undefined {
  try {
    return createPublicKey({ key: key.jwk, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/**
 * Reads a grant request (RFC 9635 §2) for one key-bound access token, granted at once: this AS
 * needs no interaction, so `interact`, `subject` and `user` are read past, never refused.
 */
export function readGrantRequest(body: unknown): GrantReading {
  if (!isObject(body)) return fail('invalid_request', 'The grant request must be a JSON object.');
  const token = body.access_token;
  if (Array.isArray(token)) {
    return fail('invalid_request', 'This AS issues one access token per grant: send an object.');
  }
  if (!isObject(token)) return fail('invalid_request', 'access_token (RFC 9635 §2.1) is missing.');
  const flags = token.flags;
  if (flags !== undefined) {
    if (!Array.isArray(flags) || !flags.every((f) => typeof f === 'string')) {
      return fail('invalid_request', 'access_token.flags must be a list of strings.');
    }
    if (flags.length > 0) {
      return fail(
        'invalid_flag',
        flags.includes('bearer')
          ? 'This AS issues key-bound tokens only: the "bearer" flag is refused (RFC 9635 §2.1.1).'
          : 'This AS honours no access token flags.',
      );
    }
  }
  const list = token.access;
  if (!Array.isArray(list) || list.length === 0 || list.length > 8) {
    return fail('invalid_request', 'access_token.access must list 1 to 8 access rights (§8).');
  }
  const access: AccessRight[] = [];
  for (const item of list) {
    const right = readRight(item);
    if (typeof right === 'string') {
      return fail('invalid_request', `access_token.access holds ${right}.`);
    }
    access.push(right);
  }
  const client = body.client;
  if (typeof client === 'string') {
    return fail(
      'invalid_client',
      'No client instance is registered here: send client.key with a jwk and "proof": "httpsig".',
    );
  }
  if (!isObject(client) || !isObject(client.key)) {
    return fail('invalid_request', 'client.key (RFC 9635 §2.3, §7.1) is missing.');
  }
  const proof = client.key.proof;
  const method = isObject(proof) ? proof.method : proof;
  if (method !== 'httpsig') {
    return fail('invalid_request', 'This AS takes the "httpsig" proof method only (§7.3.1).');
  }
  const key = readJwk(client.key.jwk);
  if (typeof key === 'string') return fail('invalid_request', key);
  if (keyObjectOf(key) === undefined) {
    return fail('invalid_request', 'client.key.jwk is not a point on its curve.');
  }
  return { ok: true, access, key };
}

/** Whether the granted rights cover an action on this server's API. */
export function covers(access: readonly AccessRight[], action: GnapAction): boolean {
  return access.some((r) => r.type === GNAP_ACCESS_TYPE && r.actions.includes(action));
}

/** Why a key proof failed, each with its own answer. */
export type ProofFailure =
  | { kind: 'missing'; detail: string }
  | { kind: 'wrong_key'; detail: string }
  | { kind: 'invalid'; detail: string };

export interface ProofRequest {
  method: string;
  /** The URIs the client may have signed (as it addressed this server, and as PUBLIC_URL). */
  targetUris: readonly string[];
  authorization?: string;
  contentDigest?: string;
  signatureInput?: string;
  signature?: string;
  /** The body's bytes; content-digest must cover them when there are any. */
  body: Buffer;
  nowSeconds: number;
}

/**
 * Checks an `httpsig` key proof (RFC 9635 §7.3.1): an RFC 9421 signature tagged "gnap", with
 * `created`, covering `@method`, `@target-uri`, `authorization` when a token is presented and
 * `content-digest` when there is a body, whose keyid is the key's kid, made by that key.
 * Undefined when it holds.
 */
export function checkHttpsig(
  req: ProofRequest,
  key: ClientKey,
  keyObject: KeyObject,
): ProofFailure | undefined {
  if (req.signatureInput === undefined && req.signature === undefined) {
    return {
      kind: 'missing',
      detail: 'Sign the request (RFC 9421) with the key the token is bound to: tag="gnap".',
    };
  }
  const input =
    req.signatureInput === undefined ? undefined : parseSignatureInput(req.signatureInput);
  const given =
    input && req.signature !== undefined ? signatureFor(req.signature, input.label) : undefined;
  if (input === undefined || given === undefined) {
    return {
      kind: 'invalid',
      detail: 'Signature-Input and Signature must be RFC 9421 dictionaries with the same label.',
    };
  }
  if (input.keyid !== key.jwk.kid) {
    return {
      kind: 'wrong_key',
      detail: `The signature names keyid "${String(input.keyid).slice(0, 64)}"; the key is "${key.jwk.kid}".`,
    };
  }
  const needed = ['@method', '@target-uri'];
  if (req.authorization !== undefined) needed.push('authorization');
  if (req.body.length > 0) needed.push('content-digest');
  const uncovered = needed.filter((c) => !input.components.includes(c));
  const extra = input.components.filter((c) => !needed.includes(c));
  if (input.tag !== 'gnap' || uncovered.length > 0 || extra.length > 0) {
    return {
      kind: 'invalid',
      detail:
        input.tag !== 'gnap'
          ? 'The signature must carry tag="gnap" (RFC 9635 §7.3.1).'
          : `The signature must cover exactly ${needed.join(', ')}.`,
    };
  }
  if (input.alg !== undefined && input.alg !== key.sigAlg) {
    return { kind: 'invalid', detail: `alg must be the key's own, "${key.sigAlg}".` };
  }
  if (req.body.length > 0 && req.contentDigest !== contentDigest(req.body)) {
    return { kind: 'invalid', detail: 'Content-Digest is not the SHA-256 of the body sent.' };
  }
  const signed = req.targetUris.some((uri) => {
    const base = signatureBase(input, {
      '@method': req.method,
      '@target-uri': uri,
      authorization: req.authorization ?? '',
      'content-digest': req.contentDigest ?? '',
    });
    return verifyWith(key, keyObject, Buffer.from(base, 'utf8'), given);
  });
  if (!signed) {
    return { kind: 'invalid', detail: `The signature does not verify under key "${key.jwk.kid}".` };
  }
  if (
    input.created === undefined ||
    Math.abs(req.nowSeconds - input.created) > GNAP_SIGNATURE_MAX_AGE_SECONDS
  ) {
    return {
      kind: 'invalid',
      detail: `created must be within ${GNAP_SIGNATURE_MAX_AGE_SECONDS} seconds of the server's clock (${Math.floor(req.nowSeconds)}).`,
    };
  }
  return undefined;
}

/**
 * Where the store remembers a signature's `nonce`, and for how long, when the signature has one
 * (call it once checkHttpsig has passed). RFC 9635 §7.3.1: the signer SHOULD include a nonce, and
 * when it does the verifier MUST determine that the nonce is unique within a short time. A nonce
 * is remembered per key (another client's key may pick the same one) until the signature's
 * `created` falls out of the window, after which the signature is refused for its age anyway.
 */
export function nonceClaim(
  req: ProofRequest,
  key: ClientKey,
): { key: string; ttlMs: number } | undefined {
  const input =
    req.signatureInput === undefined ? undefined : parseSignatureInput(req.signatureInput);
  if (input?.nonce === undefined || input.created === undefined) return undefined;
  const until = input.created + GNAP_SIGNATURE_MAX_AGE_SECONDS;
  const ttlMs = Math.max(1000, Math.ceil((until - req.nowSeconds) * 1000) + 1000);
  const { crv, x, y = '' } = key.jwk;
  const hash = createHash('sha256').update(`${crv}.${x}.${y}.${input.nonce}`).digest('base64url');
  return { key: `gnap:nonce:${hash}`, ttlMs };
}

/** The detail of a refusal for a nonce used before. */
export const NONCE_REUSED =
  "This signature's nonce was already used with this key: make a new nonce for every request (RFC 9635 §7.3.1).";

function verifyWith(key: ClientKey, keyObject: KeyObject, data: Buffer, sig: Buffer): boolean {
  try {
    return key.sigAlg === 'ed25519'
      ? verify(null, data, keyObject, sig)
      : verify('sha256', data, { key: keyObject, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

/**
 * The token an `Authorization: GNAP <token>` carries (RFC 9635 §7.2): `undefined` for another
 * scheme or none, `null` when the value cannot be a token.
 */
export function gnapToken(header: string | undefined): string | undefined | null {
  const m = /^(\S+)(?: +(.*))?$/.exec(header ?? '');
  if (!m || m[1]!.toLowerCase() !== 'gnap') return undefined;
  const value = (m[2] ?? '').trim();
  return TOKEN68.test(value) ? value : null;
}

/** Where a token's grant is kept: its SHA-256, so the store never holds a usable token. */
export const tokenKey = (token: string) =>
  `gnap:token:${createHash('sha256').update(token).digest('base64url')}`;
