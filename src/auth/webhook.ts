import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures in the shape Stripe uses (GitHub's X-Hub-Signature-256 is the same HMAC
 * without the timestamp): `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`, the HMAC
 * keyed with the endpoint's signing secret over `<t>.<the exact body bytes>`. The timestamp is
 * signed, so an old delivery cannot be given a fresh one; a window bounds how old it may be, and
 * a replay cache bounds how often one delivery is taken within that window.
 */

/** The published demo signing secret: anyone may sign with it, which is the point of a sandbox. */
export const DEMO_WEBHOOK_SECRET = 'whsec_four-oh-one-demo';

/** How far a signed timestamp may be from the server's clock, either way (Stripe's default). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The longest header read: a timestamp and a few signatures, never an unbounded list. */
const MAX_HEADER_LENGTH = 1024;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

export interface WebhookSignatureHeader {
  timestamp: number;
  /** The `v1` signatures, lower-case hex (a secret being rolled sends two). */
  signatures: string[];
}

/** The header's timestamp and v1 signatures, or undefined when it is not in that shape. */
export function parseWebhookSignature(header: string): WebhookSignatureHeader | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 1) return undefined;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (name === 'v1') {
      if (!HEX_SHA256.test(value)) return undefined;
      signatures.push(value);
    }
    // Other schemes (Stripe's v0 for test mode) are ignored, as Stripe's libraries do.
  }
  if (timestamp === undefined || signatures.length === 0 || signatures.length > 8) return undefined;
  return { timestamp, signatures };
}

/** The v1 signature of a body sent at `timestamp` (unix seconds), as hex. */
export function signWebhook(secret: string, timestamp: number, body: Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest('hex');
}

/** Whether one of the signatures is the body's, compared in constant time (equal lengths). */
export function webhookSignatureMatches(
  secret: string,
  parsed: WebhookSignatureHeader,
  body: Buffer,
): boolean {
  const expected = Buffer.from(signWebhook(secret, parsed.timestamp, body), 'hex');
  let match = false;
  for (const s of parsed.signatures) {
    // Every signature is compared, so the time taken does not say which one matched.
    if (timingSafeEqual(Buffer.from(s, 'hex'), expected)) match = true;
  }
  return match;
}

/** The replay cache's key for a delivery: its timestamp and signatures (never the secret). */
export const webhookReplayKey = (parsed: WebhookSignatureHeader): string =>
  `webhook:seen:${parsed.timestamp}:${parsed.signatures.slice().sort().join(':')}`;
