import type { RequestHandler } from 'express';
import {
  parseWebhookSignature,
  WEBHOOK_TOLERANCE_SECONDS,
  webhookReplayKey,
  webhookSignatureMatches,
} from '../src/auth/webhook';
import { problem } from '../src/http/problems';
import type { VisitorTag } from '../src/http/visitors';
import type { Clock, Store } from '../src/store';

export interface WebhookSignatureOptions {
  secret: string;
  store: Store;
  clock: Clock;
  /** Who sent it: each remembered signature is charged to the visitor's store quota. */
  owner: (req: Parameters<RequestHandler>[0]) => VisitorTag;
}

/**
 * Verifies a Stripe-style `Stripe-Signature` over the raw body (`req.body` must be the Buffer
 * express.raw() read): the signature first, then the timestamp window, then the replay cache.
 * Each refusal is 400 with its own code: no WWW-Authenticate scheme exists for it, so no 401.
 * Nothing is stored unless the signature and timestamp are right, so no anonymous state.
 */
export function webhookSignature(options: WebhookSignatureOptions): RequestHandler {
  const { secret, store, clock, owner } = options;
  return async function webhookSignatureMiddleware(req, _res, next) {
    const header = req.headers['stripe-signature'];
    if (header === undefined)
      return next(
        problem('webhook_signature_missing', {
          detail: 'Send Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">.',
        }),
      );
    // Two Stripe-Signature fields are one malformed header, not a choice between them.
    const parsed = typeof header === 'string' ? parseWebhookSignature(header) : undefined;
    if (parsed === undefined)
      return next(
        problem('webhook_signature_malformed', {
          detail:
            'Stripe-Signature must hold one t=<unix seconds> and at least one v1=<64 hex digits>.',
        }),
      );
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!webhookSignatureMatches(secret, parsed, body)) {
      return next(
        problem('webhook_signature_invalid', {
          detail: 'No v1 signature is the HMAC-SHA256 of "<t>.<body>" over the exact bytes sent.',
        }),
      );
    }
    const now = clock.now();
    const windowEndsMs = (parsed.timestamp + WEBHOOK_TOLERANCE_SECONDS) * 1000;
    if (Math.abs(now / 1000 - parsed.timestamp) > WEBHOOK_TOLERANCE_SECONDS) {
      return next(
        problem('webhook_signature_expired', {
          detail: `The timestamp t=${parsed.timestamp} is more than ${WEBHOOK_TOLERANCE_SECONDS} seconds from the server's clock (${Math.floor(now / 1000)}).`,
        }),
      );
    }
    try {
      // Kept until the timestamp leaves the window, then it would be refused as expired anyway.
      const key = webhookReplayKey(parsed);
      const ttl = Math.max(1, windowEndsMs - now);
      if (!(await store.setIfAbsent(key, '1', ttl, owner(req)))) {
        return next(
          problem('webhook_signature_replayed', {
            detail: 'This signature was accepted once already; sign again with a new timestamp.',
          }),
        );
      }
    } catch (err) {
      return next(err);
    }
    next();
  };
}
