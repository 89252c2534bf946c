import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import {
  authenticatorVerifies,
  challengesFor,
  PRIVATE_TOKEN_WINDOW_SECONDS,
  privateTokenChallenge,
  readPrivateToken,
  TOKEN_KEY_ID,
  TOKEN_TYPE_BLIND_RSA,
} from '../src/auth/private-token';
import { problem } from '../src/http/problems';
import type { VisitorTag } from '../src/http/visitors';
import type { ProblemCode } from '../src/scenarios/catalog';
import type { Clock, Store } from '../src/store';

export interface PrivateTokenAuthOptions {
  /** Keys the challenges' redemption contexts (src/auth/private-token.ts `challengesFor`). */
  secret: Buffer;
  /** The issuer_name every challenge names: this server's host, where the demo issuer is. */
  issuerName: string;
  store: Store;
  clock: Clock;
  /** Who redeems: each spent nonce is charged to the visitor's store quota. */
  owner: (req: Request) => VisitorTag;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/**
 * Guards a resource with Privacy Pass (RFC 9577): every refusal carries the current challenge
 * (with token-key and max-age, the seconds left in its window). The token is read, then its type,
 * key id and signature (the issuer's RSASSA-PSS key), then its challenge digest against this
 * window's and the last one's, and last the spent-token cache: a nonce is kept until a token for
 * its challenge could no longer be accepted, so the cache stays bounded. Nothing is stored for a
 * token that fails a check.
 */
export function privateTokenAuth(options: PrivateTokenAuthOptions): RequestHandler {
  const challenges = challengesFor(options.secret, options.issuerName);
  return async function privateTokenAuthMiddleware(req, _res, next) {
    const now = Math.floor(options.clock.now() / 1000);
    const { challenge, previous, endsAt } = challenges.current(now);
    const headers = { 'WWW-Authenticate': privateTokenChallenge(challenge, endsAt - now) };
    const refuse = (code: ProblemCode, detail: string) => next(problem(code, { headers, detail }));
    const read = readPrivateToken(req.headers.authorization);
    if (read.kind === 'none' || read.kind === 'other') {
      return refuse(
        'private_token_missing',
        'Redeem a token for this challenge: Authorization: PrivateToken token="<base64url Token>".',
      );
    }
    if (read.kind === 'malformed') return refuse('private_token_malformed', read.reason);
    const { token } = read;
    if (token.tokenType !== TOKEN_TYPE_BLIND_RSA) {
      return refuse(
        'private_token_type_unsupported',
        `Token type 0x${token.tokenType.toString(16).padStart(4, '0')}; this origin takes 0x0002 (blind RSA).`,
      );
    }
    if (!same(token.tokenKeyId, TOKEN_KEY_ID)) {
      return refuse('private_token_key_unknown', 'token_key_id is not SHA-256 of the token-key.');
    }
    if (!authenticatorVerifies(token)) {
      return refuse(
        'private_token_invalid',
        'The authenticator is not the issuer’s RSASSA-PSS signature of the token input.',
      );
    }
    const current = same(token.challengeDigest, sha256(challenge));
    if (!current && !same(token.challengeDigest, sha256(previous))) {
      return refuse(
        'private_token_challenge_mismatch',
        'challenge_digest is not SHA-256 of this origin’s current (or last) challenge.',
      );
    }
    try {
      // Kept until a token for this challenge would be refused as for another challenge anyway.
      const lastsUntil =
        (current ? endsAt : endsAt - PRIVATE_TOKEN_WINDOW_SECONDS) + PRIVATE_TOKEN_WINDOW_SECONDS;
      const key = `pt:spent:${token.nonce.toString('base64url')}`;
      const ttl = Math.max(1, lastsUntil - now) * 1000;
      if (!(await options.store.setIfAbsent(key, '1', ttl, options.owner(req)))) {
        return refuse('private_token_spent', 'This token (its nonce) was redeemed already.');
      }
    } catch (err) {
      return next(err);
    }
    next();
  };
}
