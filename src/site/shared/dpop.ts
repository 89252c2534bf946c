/**
 * A DPoP client (RFC 9449): proofs signed with a key the caller holds, the key's thumbprint,
 * and one fetch that adds the proof and answers a server's nonce once. The CORS demo origin's
 * single-page app (src/site/browser/oauth-demo.ts) uses it with a non-extractable WebCrypto
 * key; test/site/dpop.test.ts checks each proof against jsonwebtoken and RFC 9449's examples.
 *
 * Both tsconfigs compile it, so it reaches no crypto of its own: the caller hands it a signer
 * and a SHA-256 (WebCrypto's `crypto.subtle` in a browser and in Node alike, see `webCryptoKey`).
 */

/** A P-256 public key as a JWK: what goes into a proof's header (RFC 7518 §6.2.1). */
export interface EcPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** SHA-256 of some bytes. */
export type Sha256 = (data: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>;

/** The key a client proves: its public half, and a signer that never shows the private one. */
export interface DpopKey {
  publicJwk: EcPublicJwk;
  /** ES256 over the JWS signing input: the 64 bytes r‖s (RFC 7518 §3.4), as WebCrypto gives. */
  sign(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
}

/** What a proof says, decoded: the header and the claims (RFC 9449 §4.2). */
export interface DpopProof {
  /** The compact JWS, the `DPoP` header's value. */
  proof: string;
  header: { typ: 'dpop+jwt'; alg: 'ES256'; jwk: EcPublicJwk };
  payload: {
    jti: string;
    htm: string;
    htu: string;
    iat: number;
    ath?: string;
    nonce?: string;
  };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const sextet = (n: number) => ALPHABET.charAt(n & 63);

/** Bytes as unpadded base64url (RFC 4648 §5), the JOSE encoding. */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const left = bytes.length - i;
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += sextet(n >> 18) + sextet(n >> 12);
    if (left > 1) out += sextet(n >> 6);
    if (left > 2) out += sextet(n);
  }
  return out;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const part = (value: unknown) => base64url(utf8(JSON.stringify(value)));

/**
 * The key's JWK SHA-256 thumbprint (RFC 7638 §3): the required members in lexicographic order,
 * no whitespace. A DPoP-bound token names it as `cnf.jkt` (RFC 9449 §6.1).
 */
export async function jwkThumbprint(jwk: EcPublicJwk, sha256: Sha256): Promise<string> {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return base64url(await sha256(utf8(canonical)));
}

/** `ath`: the access token's SHA-256, base64url, over its ASCII text (RFC 9449 §4.2). */
export async function accessTokenHash(token: string, sha256: Sha256): Promise<string> {
  return base64url(await sha256(utf8(token)));
}

/**
 * `htu`: the request's target URI without its query and fragment (RFC 9449 §4.2), and without
 * user information, which a proof must never carry to the server in the clear.
 */
export function htuOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

export interface ProofRequest {
  /** The request's method, as sent (`htm`). */
  method: string;
  /** The request's URL; its query and fragment are left out of `htu`. */
  url: string;
  /** The DPoP-bound access token the request presents: the proof then carries its `ath`. */
  accessToken?: string;
  /** The latest `DPoP-Nonce` this server gave (RFC 9449 §8, §9). */
  nonce?: string;
  /** Defaults: 16 random bytes, base64url, and now. Tests pin them. */
  jti?: string;
  iat?: number;
}

/** A fresh jti: 16 random bytes, base64url (RFC 9449 §4.2: enough entropy to never repeat). */
function randomJti(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return base64url(bytes);
}

/** A signed DPoP proof for one request (RFC 9449 §4.2). */
export async function createProof(
  key: DpopKey,
  request: ProofRequest,
  sha256: Sha256,
): Promise<DpopProof> {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: { ...key.publicJwk } } as const;
  const payload: DpopProof['payload'] = {
    jti: request.jti ?? randomJti(),
    htm: request.method.toUpperCase(),
    htu: htuOf(request.url),
    iat: request.iat ?? Math.floor(Date.now() / 1000),
  };
  if (request.accessToken !== undefined) {
    payload.ath = await accessTokenHash(request.accessToken, sha256);
  }
  if (request.nonce !== undefined) payload.nonce = request.nonce;
  const input = `${part(header)}.${part(payload)}`;
  const signature = await key.sign(utf8(input));
  return { proof: `${input}.${base64url(signature)}`, header, payload };
}

// --- WebCrypto ---------------------------------------------------------------------------------

/** The part of WebCrypto's SubtleCrypto this module uses, for a browser's and Node's alike. */
export interface SubtleLike<K> {
  sign(
    algorithm: { name: 'ECDSA'; hash: 'SHA-256' },
    key: K,
    data: Uint8Array<ArrayBuffer>,
  ): Promise<ArrayBuffer>;
  digest(algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
  exportKey(format: 'jwk', key: K): Promise<{ kty?: string; crv?: string; x?: string; y?: string }>;
}

/** WebCrypto's SHA-256 as a `Sha256`. */
export function webCryptoSha256<K>(subtle: SubtleLike<K>): Sha256 {
  return async (data) => new Uint8Array(await subtle.digest('SHA-256', data));
}

/**
 * A `DpopKey` over a WebCrypto ECDSA P-256 key pair. The private key may be (and in a browser
 * should be) non-extractable: only the public key is exported, to a JWK with just the members a
 * proof needs.
 */
export async function webCryptoKey<K>(
  subtle: SubtleLike<K>,
  pair: { privateKey: K; publicKey: K },
): Promise<DpopKey> {
  const { kty, crv, x, y } = await subtle.exportKey('jwk', pair.publicKey);
  if (kty !== 'EC' || crv !== 'P-256' || !x || !y) throw new Error('not a P-256 public key');
  return {
    publicJwk: { kty, crv, x, y },
    sign: async (data) =>
      new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, data)),
  };
}

// --- Nonces ------------------------------------------------------------------------------------

/** The parts of an answer that say whether a server wants a nonce. */
export interface AnswerLike {
  status: number;
  headers: { get(name: string): string | null };
}

/**
 * The nonce a server asks the next proof to carry, when this answer is its refusal for want of
 * one: the token endpoint's 400 `{"error":"use_dpop_nonce"}` (RFC 9449 §8), a resource's 401
 * with `WWW-Authenticate: DPoP error="use_dpop_nonce"` (§9), each with `DPoP-Nonce`. `error` is
 * the body's `error` member, when the caller read the body.
 */
export function nonceAskedFor(answer: AnswerLike, error?: unknown): string | undefined {
  const nonce = answer.headers.get('dpop-nonce');
  if (nonce === null || nonce === '') return undefined;
  if (answer.status === 400 && error === 'use_dpop_nonce') return nonce;
  const challenge = answer.headers.get('www-authenticate') ?? '';
  if (answer.status === 401 && /error="use_dpop_nonce"/.test(challenge)) return nonce;
  return undefined;
}

/** What fetch gives, as far as this module reads it. */
export interface ResponseLike extends AnswerLike {
  clone(): { json(): Promise<unknown> };
}

/** One request as sent with its proof, and the server's answer. */
export interface DpopAttempt<R> {
  proof: DpopProof;
  response: R;
}

/**
 * A client's DPoP state: its key, and the latest nonce each origin gave (RFC 9449 §8: a server
 * may send a fresh one with any answer, and the next proof to it carries it).
 */
export class DpopClient {
  readonly nonces = new Map<string, string>();

  constructor(
    readonly key: DpopKey,
    readonly sha256: Sha256,
  ) {}

  /** The key's thumbprint, the `cnf.jkt` a token bound to it carries. */
  thumbprint(): Promise<string> {
    return jwkThumbprint(this.key.publicJwk, this.sha256);
  }

  /** A proof for one request to `url`, with this origin's latest nonce. */
  proofFor(method: string, url: string, accessToken?: string): Promise<DpopProof> {
    const nonce = this.nonces.get(new URL(url).origin);
    return createProof(
      this.key,
      {
        method,
        url,
        ...(accessToken !== undefined ? { accessToken } : {}),
        ...(nonce !== undefined ? { nonce } : {}),
      },
      this.sha256,
    );
  }

  /**
   * Sends a request with a `DPoP` proof (and `Authorization: DPoP <token>` when a token is
   * given); when the server answers that it wants a nonce, sends it once more with a new proof
   * carrying that nonce. Every attempt comes back, so that a page can show each proof.
   */
  async fetch<R extends ResponseLike>(
    send: (
      url: string,
      init: { method: string; headers: Record<string, string>; body?: string | URLSearchParams },
    ) => Promise<R>,
    url: string,
    init: {
      method: string;
      body?: string | URLSearchParams;
      accessToken?: string;
      headers?: Record<string, string>;
    },
  ): Promise<DpopAttempt<R>[]> {
    const attempts: DpopAttempt<R>[] = [];
    for (;;) {
      const proof = await this.proofFor(init.method, url, init.accessToken);
      const headers: Record<string, string> = { ...init.headers, DPoP: proof.proof };
      if (init.accessToken !== undefined) headers.Authorization = `DPoP ${init.accessToken}`;
      const response = await send(url, {
        method: init.method,
        headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      attempts.push({ proof, response });
      const error = response.status === 400 ? await errorMember(response) : undefined;
      const asked = nonceAskedFor(response, error);
      const given = response.headers.get('dpop-nonce');
      if (given) this.nonces.set(new URL(url).origin, given);
      if (asked === undefined || attempts.length > 1) return attempts;
    }
  }
}

/** The `error` member of a JSON body, without consuming the caller's copy. */
async function errorMember(response: ResponseLike): Promise<unknown> {
  try {
    const body = await response.clone().json();
    return typeof body === 'object' && body !== null
      ? (body as { error?: unknown }).error
      : undefined;
  } catch {
    return undefined;
  }
}
