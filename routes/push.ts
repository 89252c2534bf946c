import { randomBytes, randomUUID } from 'node:crypto';
import express, { Router, type Request, type RequestHandler } from 'express';
import { vapidAuth } from '../middleware/vapid-auth';
import {
  DEMO_PUSH_PATH,
  DEMO_SUBSCRIPTION_AUTH,
  DEMO_SUBSCRIPTION_P256DH,
  DEMO_SUBSCRIPTION_P256DH_PRIVATE,
  DEMO_VAPID_PRIVATE_KEY,
  DEMO_VAPID_PUBLIC_KEY,
  p256PublicKey,
} from '../src/auth/vapid';
import { methodNotAllowed, problem } from '../src/http/problems';
import type { VisitorTag } from '../src/http/visitors';
import type { Clock, Store } from '../src/store';

/** RFC 8030 §7.2: a push service must take 4096 bytes of (encrypted) payload; more is 413. */
const PAYLOAD_LIMIT = 4096;
const TTL = /^\d{1,10}$/;

export interface PushRouterOptions {
  publicUrl: string;
  clock: Clock;
  /** Where a visitor's own subscriptions live, each charged to the visitor who made it. */
  store: Store;
  owner: (req: Request) => VisitorTag;
}

/** How long a visitor's own subscription lives (its expirationTime). */
export const PUSH_SUBSCRIPTION_TTL_MS = 60 * 60_000;
/** A subscription's id in its endpoint: 16 random bytes, base64url. */
const SUBSCRIPTION_ID = /^[A-Za-z0-9_-]{22}$/;
const subscriptionKey = (id: string) => `push:sub:${id}`;

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
  const readMessage = express.raw({ type: () => true, limit: PAYLOAD_LIMIT, inflate: false });
  router
    .route(DEMO_PUSH_PATH)
    .post(
      vapidAuth({
        subscriptionKey: DEMO_VAPID_PUBLIC_KEY,
        audience: options.publicUrl,
        clock: options.clock,
      }),
      pushMessageHeaders,
      readMessage,
      acceptMessage,
    )
    .all(methodNotAllowed('POST'));

  // A visitor's own subscription, restricted to the application server key it names: what a
  // page's pushManager.subscribe({ applicationServerKey }) makes at a real push service.
  const { store, clock, owner } = options;
  router
    .route('/push/subscriptions')
    .post(express.json({ limit: '1kb', type: () => true }), async (req, res) => {
      const given = (req.body as Record<string, unknown> | undefined)?.applicationServerKey;
      if (typeof given !== 'string' || p256PublicKey(given) === undefined) {
        throw problem('parameter_invalid', {
          detail:
            'Send {"applicationServerKey": "<your VAPID public key: an uncompressed P-256 point, 65 bytes, base64url>"} as JSON.',
        });
      }
      const id = randomBytes(16).toString('base64url');
      await store.set(subscriptionKey(id), given, PUSH_SUBSCRIPTION_TTL_MS, owner(req));
      res
        .status(201)
        .location(`/push/s/${id}`)
        .setHeader('Cache-Control', 'no-store')
        .json({
          endpoint: `${options.publicUrl}/push/s/${id}`,
          expirationTime: clock.now() + PUSH_SUBSCRIPTION_TTL_MS,
          keys: { p256dh: DEMO_SUBSCRIPTION_P256DH, auth: DEMO_SUBSCRIPTION_AUTH },
          applicationServerKey: given,
        });
    })
    .all(methodNotAllowed('POST'));

  /** The subscription of the path, or 410 (RFC 8030 §7.3): expired, unsubscribed, or never made. */
  const findSubscription: RequestHandler = async function findSubscription(req, res, next) {
    const id = String(req.params.id);
    const key = SUBSCRIPTION_ID.test(id) ? await store.get(subscriptionKey(id)) : undefined;
    if (key === undefined) {
      throw problem('push_subscription_gone', {
        detail:
          'No subscription lives at this endpoint: it expired (an hour after POST /push/subscriptions), was deleted, or never was. Subscribe again.',
      });
    }
    res.locals.pushKey = key;
    next();
  };
  router
    .route('/push/s/:id')
    .post(
      findSubscription,
      vapidAuth({
        subscriptionKey: (res) => String(res.locals.pushKey),
        audience: options.publicUrl,
        clock,
      }),
      pushMessageHeaders,
      readMessage,
      acceptMessage,
    )
    .delete(findSubscription, async (req, res) => {
      await store.delete(subscriptionKey(String(req.params.id)));
      res.status(204).end();
    })
    .all(methodNotAllowed('POST', 'DELETE'));
  return router;
}

/**
 * A push message whose credentials and headers are right. Nothing is kept, so the TTL honoured
 * is 0 (RFC 8030 §5.2), and the message resource the Location names is already gone.
 */
const acceptMessage: RequestHandler = function acceptMessage(req, res) {
  const bytes = Buffer.isBuffer(req.body) ? req.body.length : 0;
  res
    .status(201)
    .location(`/push/messages/${randomUUID()}`)
    .setHeader('TTL', '0')
    .json({ accepted: true, bytes, credentials: res.locals.vapidForm, delivered: false });
};

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
