import type { RequestHandler } from 'express';
import { HobaMalformed, readRegistration, type HobaRegistration } from '../src/auth/hoba';
import { problem } from '../src/http/problems';
import { hobaKeyName, hobaVerifier, type HobaOptions, type StoredHobaKey } from './hoba-auth';

export interface HobaRegisterOptions extends HobaOptions {
  /** How long a registration lasts; an hour unless a test says otherwise. */
  ttlMs?: number;
  /** How many registrations one visitor may make in that time. */
  maxKeys?: number;
}

/**
 * RFC 7486 §6.1 registration at POST /.well-known/hoba/register: the form names the key (kidtype,
 * kid, didtype, did, alg, pub), and the request is signed with that very key over a challenge of
 * ours, so nobody registers a key they do not hold. The key is kept under the visitor and the
 * kid, charged to the visitor, for an hour, at most `maxKeys` of them; the answer says
 * `Hobareg: regok`. Sets `res.locals.hobaRegistered`.
 */
export function hobaRegister(options: HobaRegisterOptions): RequestHandler {
  const ttl = options.ttlMs ?? 3_600_000;
  const maxKeys = options.maxKeys ?? 5;
  if (!(ttl > 0) || !(maxKeys > 0)) throw new TypeError('hobaRegister: ttlMs and maxKeys > 0');
  const verifier = hobaVerifier(options);
  return async function hobaRegisterMiddleware(req, res, next) {
    // Without credentials, the 401 and its challenge come first: that is how a client starts.
    if (!req.headers.authorization) {
      throw verifier.refuse(
        req,
        'hoba_credentials_missing',
        'Sign this challenge with the key you register, and post the form again with Authorization: HOBA result="kid.challenge.nonce.sig".',
      );
    }
    let registration: HobaRegistration;
    try {
      registration = readRegistration((req.body ?? {}) as Record<string, unknown>);
    } catch (e) {
      if (e instanceof HobaMalformed)
        throw problem('hoba_registration_invalid', { detail: e.message });
      throw e;
    }
    await verifier.verify(req, async (kid) => {
      if (kid !== registration.kid) {
        throw problem('hoba_registration_invalid', {
          detail:
            'The result’s kid is not the kid this form registers: sign with the key you register.',
        });
      }
      return registration.key;
    });
    const owner = options.owner(req);
    if ((await options.store.increment(`hoba:keys:${owner}`, ttl, owner)) > maxKeys) {
      throw problem('visitor_quota_exceeded', {
        detail: `You registered ${maxKeys} HOBA keys within the hour, the most one visitor may.`,
        headers: { 'Retry-After': String(Math.ceil(ttl / 1000)) },
      });
    }
    const entry: StoredHobaKey = {
      pem: registration.pem,
      did: registration.did,
      kidtype: registration.kidtype,
    };
    await options.store.set(
      hobaKeyName(owner, registration.kid),
      JSON.stringify(entry),
      ttl,
      owner,
    );
    res.setHeader('Hobareg', 'regok');
    res.locals.hobaRegistered = {
      kid: registration.kid,
      kidtype: registration.kidtype,
      did: registration.did,
      expiresIn: Math.round(ttl / 1000),
    };
    next();
  };
}
