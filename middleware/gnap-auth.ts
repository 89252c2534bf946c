import type { Request, RequestHandler } from 'express';
import {
  checkHttpsig,
  covers,
  GNAP_ACCESS_TYPE,
  gnapChallenge,
  gnapToken,
  keyObjectOf,
  nonceClaim,
  NONCE_REUSED,
  referenceFor,
  tokenKey,
  type AccessRight,
  type ClientKey,
  type GnapAction,
  type ProofRequest,
} from '../src/auth/gnap';
import { problem } from '../src/http/problems';
import type { Clock, Store } from '../src/store';

/** What the store keeps under a token's hash: the grant, bound to its key and its visitor. */
export interface GnapGrant {
  owner: string;
  key: ClientKey;
  access: AccessRight[];
  /** Seconds since the epoch. */
  exp: number;
}

export interface GnapAuthOptions {
  store: Store;
  clock: Clock;
  /** A token is honoured only for the visitor it was issued to. */
  owner: (req: Request) => string;
  publicUrl: string;
  /** The action this route needs on the demo API. */
  action: GnapAction;
}

/** The request's parts an `httpsig` proof covers, with the URIs the client may have signed. */
export function proofRequest(req: Request, publicUrl: string, nowMs: number): ProofRequest {
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const uris = [`${req.protocol}://${req.host ?? ''}${req.originalUrl}`];
  const viaPublic = `${new URL(publicUrl).origin}${req.originalUrl}`;
  if (viaPublic !== uris[0]) uris.push(viaPublic);
  return {
    method: req.method,
    targetUris: uris,
    authorization: header('authorization'),
    contentDigest: header('content-digest'),
    signatureInput: header('signature-input'),
    signature: header('signature'),
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    nowSeconds: nowMs / 1000,
  };
}

/**
 * Claims a verified signature's `nonce` for its key, charged to `owner` (src/auth/gnap.ts
 * nonceClaim): false when the nonce was used before; true when it is new, or there is none.
 */
export async function claimNonce(
  store: Store,
  proof: ProofRequest,
  key: ClientKey,
  owner: string,
): Promise<boolean> {
  const claim = nonceClaim(proof, key);
  return claim === undefined || store.setIfAbsent(claim.key, '1', claim.ttlMs, owner);
}

/**
 * A GNAP resource server (RFC 9635 §7.2, §7.3.1, §9.1): `Authorization: GNAP <token>`, the
 * token looked up by its hash in the store, and an `httpsig` proof made with the key the token
 * is bound to. No token, or one that is not valid here, gets 401 with the RS-first challenge
 * (`as_uri`, `referrer`, `access`); a token whose rights do not cover the action gets 403 with
 * the challenge naming the access reference that would. Nothing is written but the nonce of a
 * signature that has one (RFC 9635 §7.3.1: a nonce is used once), charged to the token's visitor.
 */
export function gnapAuth(options: GnapAuthOptions): RequestHandler {
  const { store, clock, owner, publicUrl, action } = options;
  if (!store || typeof clock?.now !== 'function' || typeof owner !== 'function') {
    throw new TypeError('gnapAuth: store, clock and owner are required');
  }
  const headers = { 'WWW-Authenticate': gnapChallenge(publicUrl, action) };
  const refuse = (
    code:
      | 'gnap_token_missing'
      | 'gnap_token_invalid'
      | 'gnap_proof_missing'
      | 'gnap_proof_invalid'
      | 'gnap_key_mismatch',
    detail: string,
  ) => problem(code, { detail, headers });

  return async function gnapAuthMiddleware(req, res, next) {
    const token = gnapToken(req.headers.authorization);
    if (token === undefined) {
      throw refuse(
        'gnap_token_missing',
        `Ask the AS at as_uri for access "${referenceFor(action)}", then send Authorization: GNAP <token>.`,
      );
    }
    if (token === null) {
      throw problem('gnap_malformed', {
        detail: 'Authorization: GNAP must be followed by one token (token68 characters).',
      });
    }
    const stored = await store.get(tokenKey(token));
    const grant = stored === undefined ? undefined : (JSON.parse(stored) as GnapGrant);
    const now = clock.now();
    if (grant === undefined || grant.owner !== owner(req) || grant.exp * 1000 <= now) {
      throw refuse(
        'gnap_token_invalid',
        'This token is not one this AS issued to you, or it expired: ask for a new grant.',
      );
    }
    const keyObject = keyObjectOf(grant.key);
    const proof = proofRequest(req, publicUrl, now);
    const failure =
      keyObject === undefined
        ? { kind: 'invalid' as const, detail: 'The bound key cannot be read.' }
        : checkHttpsig(proof, grant.key, keyObject);
    if (failure?.kind === 'missing') throw refuse('gnap_proof_missing', failure.detail);
    if (failure?.kind === 'wrong_key') throw refuse('gnap_key_mismatch', failure.detail);
    if (failure) throw refuse('gnap_proof_invalid', failure.detail);
    if (!(await claimNonce(store, proof, grant.key, grant.owner))) {
      throw refuse('gnap_proof_invalid', NONCE_REUSED);
    }
    if (!covers(grant.access, action)) {
      throw problem('gnap_access_insufficient', {
        detail: `This token's access does not include "${action}" on ${GNAP_ACCESS_TYPE}: ask for "${referenceFor(action)}".`,
        headers,
      });
    }
    res.locals.gnap = { kid: grant.key.jwk.kid, access: grant.access };
    next();
  };
}
