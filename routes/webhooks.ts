import express, { Router } from 'express';
import { messageSignature } from '../middleware/message-signature';
import { webhookSignature, type WebhookSignatureOptions } from '../middleware/webhook-signature';
import { methodNotAllowed } from '../src/http/problems';

/** The largest delivery read; Stripe's events are well under it. */
const LIMIT = '64kb';

/**
 * A webhook receiver, as Stripe signs deliveries: POST /webhooks/stripe-style takes any body
 * (the signature is over its exact bytes, so it is read raw and never parsed before checking).
 */
export function webhooksRouter(options: WebhookSignatureOptions): Router {
  const router = Router();
  router
    .route('/webhooks/stripe-style')
    .post(
      express.raw({ type: () => true, limit: LIMIT, inflate: false }),
      webhookSignature(options),
      (req, res) => {
        res.json({ received: true, bytes: (req.body as Buffer).length });
      },
    )
    .all(methodNotAllowed('POST'));
  // RFC 9421 HTTP Message Signatures with the published demo HMAC key (src/auth/message-signature.ts).
  router
    .route('/signatures/rfc9421')
    .post(
      express.raw({ type: () => true, limit: LIMIT, inflate: false }),
      messageSignature({ clock: options.clock }),
      (req, res) => {
        res.json({ verified: true, bytes: (req.body as Buffer).length });
      },
    )
    .all(methodNotAllowed('POST'));
  return router;
}
