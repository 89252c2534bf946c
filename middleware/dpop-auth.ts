import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { B64TOKEN } from '../src/auth/bearer';
import { dpopChallenge } from '../src/auth/challenges';
import { readScheme } from '../src/auth/scheme';
import { problem } from '../src/http/problems';
import type { ProblemCode } from '../src/scenarios/catalog';
import type { Clock, Store } from '../src/store';
import { traceOf } from '../src/teaching/explain';
import {
  claimProof,
  DPOP_CHECKS,
  proofFields,
  proofKey,
  verifyProof,
  type DpopNonces,
  type ProofFailure,
} from '../src/tokens/dpop';
import { boundJkt, type Binding, type Verdict } from '../src/tokens/verify';

export interface DpopAuthOptions {
  /** The Bearer guard (middleware/bearer-auth.ts): every request not using the DPoP scheme. */
  bearer: RequestHandler;
  /** Verifies an access token (src/tokens/verify.ts), here with the `dpop` binding. */
  verify: (token: string, binding?: Binding) => Promise<Verdict>;
  /** PUBLIC_URL: a proof's htu is compared with it and the request path. */
  publicUrl: string;
  clock: Clock;
  /** The replay cache (RFC 9449 §11.1). */
  store: Store;
  /** Whose store quota a remembered jti is charged to (src/http/visitors.ts). */
  owner: (req: Request) => string;
  /** Server nonces: with `requireNonce`, every proof must carry one (RFC 9449 §9). */
  nonces: DpopNonces;
  requireNonce?: boolean;
  /**
   * Keys whose proofs are checked against the replay cache but never written to it: the
   * specimen key, whose proofs /scenarios serves to everyone (src/tokens/specimens.ts), so that
   * firing a card never changes what the next visitor gets.
   */
  readOnlyKey?: (jkt: string) => boolean;
  resourceMetadata?: string;
}

/** The resource's answer to each way a proof fails (RFC 9449 §7.1: invalid_dpop_proof). */
const PROOF_CODES: Record<ProofFailure, ProblemCode> = {
  missing: 'dpop_proof_missing',
  invalid: 'dpop_proof_invalid',
  signature: 'dpop_proof_signature_invalid',
  htm: 'dpop_proof_htm_mismatch',
  htu: 'dpop_proof_htu_mismatch',
  stale: 'dpop_proof_stale',
  future: 'dpop_proof_future',
  nonce: 'dpop_nonce_required',
  ath: 'dpop_proof_ath_mismatch',
};

const GUARD = 'DPoP-bound access token (RFC 9449 §4.3, §7.1)';
const KEY_CHECK = 'proof key is the token’s key (cnf.jkt)';
const REPLAY_CHECK = 'jti not used before (replay cache)';
const CHECKS = [...DPOP_CHECKS, 'access token valid', KEY_CHECK, REPLAY_CHECK];

/**
 * Accepts `Authorization: DPoP <token>` with a `DPoP` proof (RFC 9449 §7): the proof's checks in
 * RFC 9449 §4.3 order, then the token (bound to a DPoP key), then the key binding, and last the
 * replay cache, so that only a request that passed everything writes its jti. Every other
 * scheme goes to the Bearer guard, unchanged.
 */
export function dpopAuth(options: DpopAuthOptions): RequestHandler {
  if (typeof options?.verify !== 'function' || typeof options.bearer !== 'function') {
    throw new TypeError('dpopAuth: verify and bearer must be functions');
  }
  const { bearer, verify, clock, store, nonces, resourceMetadata } = options;
  const origin = new URL(options.publicUrl).origin;
  const challengeFor = (error: string, code: ProblemCode) =>
    dpopChallenge({ error, code, resourceMetadata });

  // Every other scheme goes to the Bearer guard as it is: its answers that need no promise (no
  // token, another scheme: the hot refusals of issue 17) keep needing none (bench/RESULTS.md).
  return function dpopAuthMiddleware(req, res, next) {
    const read = readScheme(req.headers.authorization, 'DPoP');
    if (read.kind !== 'credentials') return bearer(req, res, next);
    return dpop(read.rest, req, res, next);
  };

  async function dpop(rest: string, req: Request, res: Response, next: NextFunction) {
    const refuse = (code: ProblemCode, error: string, detail: string, check: string) => {
      res.locals.trace = traceOf(GUARD, CHECKS, check);
      const headers: Record<string, string> = { 'WWW-Authenticate': challengeFor(error, code) };
      if (code === 'dpop_nonce_required') headers['DPoP-Nonce'] = nonces.issue();
      return problem(code, { detail, headers });
    };
    const token = rest.replace(/^ +/, '');
    if (!B64TOKEN.test(token) || !/^ +\S/.test(rest)) {
      throw refuse(
        'authorization_malformed',
        'invalid_request',
        'The DPoP scheme must be followed by one space and one token of b64token characters (RFC 9449 §7.1).',
        'exactly one token after "DPoP "',
      );
    }
    const proof = verifyProof({
      proofs: proofFields(req.rawHeaders),
      method: req.method,
      url: `${origin}${sentPath(req, res)}`,
      now: Math.floor(clock.now() / 1000),
      accessToken: token,
      ...(options.requireNonce ? { nonce: nonces.check } : {}),
    });
    if (!proof.ok) {
      const code = PROOF_CODES[proof.failure];
      const error = proof.failure === 'nonce' ? 'use_dpop_nonce' : 'invalid_dpop_proof';
      throw refuse(code, error, proof.detail, proof.check);
    }
    const verdict = await verify(token, 'dpop');
    if (!verdict.ok)
      throw refuse(verdict.code, 'invalid_token', verdict.detail, 'access token valid');
    if (boundJkt(verdict.claims) !== proof.jkt) {
      throw refuse(
        'dpop_key_mismatch',
        'invalid_token',
        'The proof is signed by another key than the one this token is bound to (cnf.jkt).',
        KEY_CHECK,
      );
    }
    const readOnly = options.readOnlyKey?.(proof.jkt) ?? false;
    const fresh = readOnly
      ? (await store.get(proofKey(proof.jkt, proof.jti))) === undefined
      : await claimProof(store, proof, options.owner(req));
    if (!fresh) {
      throw refuse(
        'dpop_proof_replayed',
        'invalid_dpop_proof',
        'A proof with this jti and key was already used: make a new proof for every request.',
        REPLAY_CHECK,
      );
    }
    res.locals.auth = { claims: verdict.claims, kid: verdict.kid, kidless: verdict.kidless };
    res.locals.dpop = { jkt: proof.jkt };
    next();
  }
}

/**
 * The path the client sent, which its proof's htu names (RFC 9449 §4.3): under a run's base URL
 * (middleware/run-tag.ts) with the `/runs/{id}` prefix that routing took off.
 */
export function sentPath(req: Request, res: Response): string {
  const run = res.locals.run;
  return run?.via === 'path' ? `/runs/${run.id}${req.path}` : req.path;
}
