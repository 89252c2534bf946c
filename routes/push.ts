import { randomUUID } from 'node:crypto';
import express, { Router, type RequestHandler } from 'express';
import { vapidAuth } from '../middleware/vapid-auth';
import {
  DEMO_PUSH_PATH,
  DEMO_SUBSCRIPTION_AUTH,
  DEMO_SUBSCRIPTION_P256DH,
  DEMO_SUBSCRIPTION_P256DH_PRIVATE,
  DEMO_VAPID_PRIVATE_KEY,
  DEMO_VAPID_PUBLIC_KEY,
} from '../src/auth/vapid';
import { methodNotAllowed, problem } from '../src/http/problems';
import type { Clock } from '../src/store';

/** RFC 8030 §7.2: a push service must take 4096 bytes of (encrypted) payload; more is 413. */
const PAYLOAD_LIMIT = 4096;
const TTL = /^\d{1,10}$/;

export interface PushRouterOptions {
  publicUrl: string;
  clock: Clock;
}

/**
 * A Web Push service (RFC 8030) with one demo subscription restricted to the published demo
 * application server key (RFC 8292 §4): GET /push/subscription shows it as a page's
 * `PushSubscription.toJSON()` would, with the keys a client needs; POST /push/demo takes a push
 * message with VAPID credentials. No user agent is attached: a message is verified and dropped.
 */
export function pushRouter(options: PushRouterOptions): Router {
  const router = Router();
  const endpoint = `${options.publicUrl}${DEMO_PUSH_PATH}`;
  const subscription = {
    endpoint,
    expirationTime: null,
    keys: { p256dh: DEMO_SUBSCRIPTION_P256DH, auth: DEMO_SUBSCRIPTION_AUTH },
    applicationServerKey: DEMO_VAPID_PUBLIC_KEY,
    demo: {
      vapid: { publicKey: DEMO_VAPID_PUBLIC_KEY, privateKey: DEMO_VAPID_PRIVATE_KEY },
      p256dhPrivateKey: DEMO_SUBSCRIPTION_P256DH_PRIVATE,
      note: 'Every key here is published: a sandbox subscription anyone may push to. A real page keeps the VAPID private key on its server and never sees the user agent’s.',
    },
  };
  router
    .route('/push/subscription')
    .get((_req, res) => {
      res.json(subscription);
    })
    .all(methodNotAllowed('GET'));
  router
    .route(DEMO_PUSH_PATH)
    .post(
      vapidAuth({
        subscriptionKey: DEMO_VAPID_PUBLIC_KEY,
        audience: options.publicUrl,
        clock: options.clock,
      }),
      pushMessageHeaders,
      express.raw({ type: () => true, limit: PAYLOAD_LIMIT, inflate: false }),
      (req, res) => {
        const bytes = Buffer.isBuffer(req.body) ? req.body.length : 0;
        // Nothing is kept, so the TTL honoured is 0 (RFC 8030 §5.2), and the message resource
        // the Location names is already gone.
        res
          .status(201)
          .location(`/push/messages/${randomUUID()}`)
          .setHeader('TTL', '0')
          .json({ accepted: true, bytes, credentials: res.locals.vapidForm, delivered: false });
      },
    )
    .all(methodNotAllowed('POST'));
  return router;
}

/**
 * The message's own headers, once the credentials are right: TTL is mandatory (RFC 8030 §5.2),
 * and a body must be aes128gcm ciphertext (RFC 8291 §4; the drafts' aesgcm with the drafts'
 * WebPush credentials). The ciphertext is relayed, never decoded, so Content-Encoding is taken
 * off before the body is read.
 */
const pushMessageHeaders: RequestHandler = function pushMessageHeaders(req, res, next) {
  const ttl = req.headers.ttl;
  if (typeof ttl !== 'string' || !TTL.test(ttl.trim())) {
    return next(
      problem('push_ttl_missing', {
        detail: 'Send TTL: <seconds the push service may keep the message>, e.g. TTL: 60.',
      }),
    );
  }
  const length = Number(req.headers['content-length'] ?? '0');
  const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  const allowed = res.locals.vapidForm === 'WebPush' ? ['aes128gcm', 'aesgcm'] : ['aes128gcm'];
  if (hasBody && !allowed.includes(encoding)) {
    return next(
      problem('push_encoding_unsupported', {
        detail:
          encoding === ''
            ? 'The body has no Content-Encoding: encrypt it (RFC 8291) and send Content-Encoding: aes128gcm.'
            : `Content-Encoding ${encoding.slice(0, 40)} is not ${allowed.join(' or ')}.`,
      }),
    );
  }
  delete req.headers['content-encoding'];
  next();
};
