import type { RequestHandler, Response } from 'express';
import { checkVapid, readVapid } from '../src/auth/vapid';
import { problem } from '../src/http/problems';
import type { Clock } from '../src/store';

export interface VapidAuthOptions {
  /**
   * The `applicationServerKey` the subscription was created with (RFC 8292 §4.1), or where an
   * earlier middleware put it (a visitor's own subscription, read from the store).
   */
  subscriptionKey: string | ((res: Response) => string);
  /** The push service's origin: what `aud` must be (PUBLIC_URL's origin). */
  audience: string;
  clock: Clock;
}

/**
 * Guards a push resource restricted to one application server key (RFC 8292 §4.2): 401 without
 * vapid credentials (and no WWW-Authenticate: RFC 8292 §3 forbids a vapid challenge), 400 when
 * they do not parse, 403 for each way they are invalid. Reads headers only; stores nothing.
 * Sets `res.locals.vapidForm` to the form the credentials came in.
 */
export function vapidAuth(options: VapidAuthOptions): RequestHandler {
  const audience = new URL(options.audience).origin;
  return function vapidAuthMiddleware(req, res, next) {
    const read = readVapid(req.headers.authorization, req.headers['crypto-key']);
    switch (read.kind) {
      case 'none':
        return next(
          problem('vapid_credentials_missing', {
            detail:
              'This subscription is restricted to an application server key: send Authorization: vapid t=<JWT>, k=<public key>.',
          }),
        );
      case 'other':
        return next(
          problem('vapid_credentials_missing', {
            detail: `The ${read.scheme} scheme is not VAPID: send Authorization: vapid t=<JWT>, k=<public key>.`,
          }),
        );
      case 'malformed':
        return next(problem('vapid_credentials_malformed', { detail: read.reason }));
      case 'incomplete':
        return next(
          problem('vapid_credentials_incomplete', {
            detail:
              read.missing === 't'
                ? 'The vapid credentials have no t (the JWT).'
                : 'The credentials name no key: k (vapid), or p256ecdsa in Crypto-Key (WebPush).',
          }),
        );
    }
    const nowSeconds = Math.floor(options.clock.now() / 1000);
    const result = checkVapid(read, {
      subscriptionKey:
        typeof options.subscriptionKey === 'string'
          ? options.subscriptionKey
          : options.subscriptionKey(res),
      audience,
      nowSeconds,
    });
    if (!('failed' in result)) {
      res.locals.vapidForm = read.form;
      return next();
    }
    switch (result.failed) {
      case 'malformed':
        return next(problem('vapid_credentials_malformed', { detail: result.reason }));
      case 'key_mismatch':
        return next(
          problem('vapid_key_mismatch', {
            detail: 'k is not the applicationServerKey this subscription was created with.',
          }),
        );
      case 'signature':
        return next(problem('vapid_signature_invalid', { detail: result.reason }));
      case 'audience':
        return next(
          problem('vapid_audience_mismatch', {
            detail: `aud is ${JSON.stringify(result.aud)}; this push service is ${audience}.`.slice(
              0,
              300,
            ),
          }),
        );
      case 'expired':
        return next(
          problem('vapid_token_expired', {
            detail: Number.isFinite(result.exp)
              ? `exp ${result.exp} is past; the push service's clock reads ${nowSeconds}.`
              : 'The JWT has no numeric exp claim.',
          }),
        );
      case 'too_far':
        return next(
          problem('vapid_expiry_too_far', {
            detail: `exp ${result.exp} is ${result.exp - nowSeconds} seconds ahead; at most 86400 are allowed.`,
          }),
        );
      case 'subject':
        return next(
          problem('vapid_subject_invalid', {
            detail:
              result.sub === undefined
                ? 'The JWT has no sub claim.'
                : 'sub is not a mailto: address or an https: URL.',
          }),
        );
    }
  };
}
