import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { REALM } from '../src/auth/challenges';
import {
  HOBA_ALG,
  hobaChallenge,
  HobaChallenges,
  readHobaAuthorization,
  verifyHoba,
  type HobaResult,
} from '../src/auth/hoba';
import { problem } from '../src/http/problems';
import type { ProblemCode } from '../src/scenarios/catalog';
import { hobaOrigin } from '../src/site/shared/hoba';
import type { Clock, Store } from '../src/store';

export interface HobaOptions {
  store: Store;
  clock: Clock;
  /** Who is asking: keys and challenges belong to one visitor, and are charged to it. */
  owner: (req: Request) => string;
  /** Keys the challenges' MACs. */
  secret: Buffer;
  /** The origin clients know this server by, besides the one their request names. */
  publicUrl: string;
}

/** A registered key as the store keeps it, under `hobaKeyName(owner, kid)`. */
export interface StoredHobaKey {
  pem: string;
  did: string;
  kidtype: string;
}

export const hobaKeyName = (owner: string, kid: string) => `hoba:key:${owner}:${kid}`;

/**
 * Checks a HOBA result for a request (RFC 7486 §3), the part the resource and the registration
 * share: the challenge is one this server gave this visitor within its max-age, the key is the
 * one `keyFor` names, the signature covers this origin and realm, and the challenge is then
 * spent. Every refusal is a problem whose 401 carries a fresh challenge.
 */
export function hobaVerifier(options: HobaOptions) {
  const challenges = new HobaChallenges(options.secret);
  const publicOrigin = new URL(options.publicUrl);
  const ownOrigin = hobaOrigin(publicOrigin.protocol, publicOrigin.hostname, publicOrigin.port);

  /** A 401 (or 400) with its code; every 401 offers a new challenge. */
  const refuse = (req: Request, code: ProblemCode, detail: string, status = 401) =>
    problem(code, {
      detail,
      ...(status === 401
        ? {
            headers: {
              'WWW-Authenticate': hobaChallenge(
                challenges.mint(options.owner(req), options.clock.now()),
              ),
            },
          }
        : {}),
    });

  /** The origins a client may have signed: the one its request names, and the public one. */
  const originsOf = (req: Request): string[] => {
    const out = [ownOrigin];
    try {
      const url = new URL(`${req.protocol}://${req.host ?? ''}`);
      const asked = hobaOrigin(url.protocol, url.hostname, url.port);
      if (asked !== ownOrigin) out.unshift(asked);
    } catch {
      // A Host header no URL can hold: only the public origin is possible.
    }
    return out;
  };

  /** The classic slips, tried only after a failed signature, to name the mistake. */
  const diagnose = (key: KeyObject, r: HobaResult, origins: string[]): string | undefined => {
    const fields = { nonce: r.nonce, alg: HOBA_ALG, kid: r.kid, challenge: r.challenge };
    for (const origin of origins) {
      const url = new URL(origin);
      const near = [
        `${url.protocol}//${url.hostname}`,
        url.host,
        `${url.protocol === 'https:' ? 'http' : 'https'}://${url.host}`,
      ];
      for (const wrong of near) {
        if (verifyHoba(key, { ...fields, origin: wrong, realm: REALM }, r.sig)) {
          return `origin|The signature covers the origin "${wrong}"; this server is "${origin}" (scheme, host and port, the port always written: RFC 7486 §2).`;
        }
      }
      for (const realm of ['', `"${REALM}"`]) {
        if (verifyHoba(key, { ...fields, origin, realm }, r.sig)) {
          return `realm|The signature covers the realm "${realm}"; the challenge's realm is "${REALM}", unquoted, after its length (RFC 7486 §2).`;
        }
      }
    }
    return undefined;
  };

  return {
    refuse,
    /** A fresh challenge for this visitor, for a 401 of the caller's own. */
    challengeFor: (req: Request) =>
      hobaChallenge(challenges.mint(options.owner(req), options.clock.now())),
    /**
     * Verifies the request's HOBA result. `keyFor(kid)` gives the key to check it with (the
     * registered one, or the one being registered), or undefined for an unknown kid.
     */
    async verify(
      req: Request,
      keyFor: (kid: string) => Promise<KeyObject | undefined>,
    ): Promise<HobaResult> {
      const read = readHobaAuthorization(req.headers.authorization);
      if (read.kind === 'none') {
        throw refuse(
          req,
          'hoba_credentials_missing',
          'Sign the challenge with your registered key: Authorization: HOBA result="kid.challenge.nonce.sig".',
        );
      }
      if (read.kind === 'malformed') {
        throw refuse(req, 'hoba_malformed', read.reason, 400);
      }
      const owner = options.owner(req);
      const now = options.clock.now();
      const issued = challenges.check(owner, read.challenge, now);
      if (issued.kind === 'unknown') {
        throw refuse(
          req,
          'hoba_challenge_unknown',
          'This challenge was not issued to you by this server: sign the one in this 401.',
        );
      }
      if (issued.kind === 'expired') {
        throw refuse(
          req,
          'hoba_challenge_expired',
          'This challenge is older than its max-age (60 seconds): sign the one in this 401.',
        );
      }
      const key = await keyFor(read.kid);
      if (key === undefined) {
        throw refuse(
          req,
          'hoba_kid_unknown',
          'No key is registered under this kid for you (registrations last an hour): register it at POST /.well-known/hoba/register.',
        );
      }
      const origins = originsOf(req);
      const fields = { nonce: read.nonce, alg: HOBA_ALG, kid: read.kid, challenge: read.challenge };
      const good = origins.some((origin) =>
        verifyHoba(key, { ...fields, origin, realm: REALM }, read.sig),
      );
      if (!good) {
        const slip = diagnose(key, read, origins);
        if (slip?.startsWith('origin|')) {
          throw refuse(req, 'hoba_origin_mismatch', slip.slice(7));
        }
        if (slip?.startsWith('realm|')) throw refuse(req, 'hoba_realm_mismatch', slip.slice(6));
        throw refuse(
          req,
          'hoba_signature_invalid',
          'The signature does not verify with the registered key over nonce, alg, origin, realm, kid and challenge.',
        );
      }
      // Spent once it verified: a second use of the same result finds the mark.
      const spent = `hoba:used:${read.challenge}`;
      if (!(await options.store.setIfAbsent(spent, '1', issued.leftMs, owner))) {
        throw refuse(
          req,
          'hoba_challenge_used',
          'This challenge was answered already: each is good for one request. Sign the one in this 401.',
        );
      }
      return read;
    },
  };
}

/**
 * RFC 7486 HOBA on a resource: `Authorization: HOBA result="kid.challenge.nonce.sig"` signed by a
 * key the visitor registered (middleware/hoba-register.ts). Sets `res.locals.hoba`.
 */
export function hobaAuth(options: HobaOptions): RequestHandler {
  const verifier = hobaVerifier(options);
  return async function hobaAuthMiddleware(req, res, next) {
    const owner = options.owner(req);
    let did = '';
    const result = await verifier.verify(req, async (kid) => {
      const stored = await options.store.get(hobaKeyName(owner, kid));
      if (stored === undefined) return undefined;
      const entry = JSON.parse(stored) as StoredHobaKey;
      did = entry.did;
      return createPublicKey({ key: entry.pem, format: 'pem' });
    });
    res.locals.hoba = { kid: result.kid, did };
    next();
  };
}
