import { createHash, createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';

/**
 * A visitor is a client address, as Express trusts it (TRUST_PROXY), IPv6 grouped by /56 as
 * express-rate-limit advises. Everything a visitor can write is charged to it, and the lessons
 * whose state could change what others see (revoke-all, the scripted failures) are kept per
 * visitor. Visitors behind one NAT are one visitor; locally, a learner is one visitor.
 */
export function clientAddress(req: Request): string {
  const ip = req.ip ?? '';
  if (isIP(ip) !== 0) return ipKeyGenerator(ip);
  // With TRUST_PROXY=true, Express takes any X-Forwarded-For text as the address; text that is
  // no address is named by its hash, so every key built from it stays short.
  return `?${createHash('sha256').update(ip).digest('base64url').slice(0, 16)}`;
}

/**
 * A visitor's tag: an HMAC of its address, so that store keys and token claims name a visitor
 * without recording an address. Stable across instances that share the secret.
 */
export type VisitorTag = string;

export interface Visitors {
  /** The tag of the request's client address (computed once per request). */
  of(req: Request): VisitorTag;
}

/** Longest tag: 16 base64url characters (96 bits) of the HMAC. */
const TAG_LENGTH = 16;
const TAG = /^[A-Za-z0-9_-]{16}$/;

/** Whether a string can be a tag (a claim in a token is checked before it names a store key). */
export const isVisitorTag = (value: unknown): value is VisitorTag =>
  typeof value === 'string' && TAG.test(value);

export function createVisitors(secret: Buffer): Visitors {
  const key = createHmac('sha256', secret).update('four-oh-one visitor tags').digest();
  const tags = new WeakMap<Request, VisitorTag>();
  return {
    of(req) {
      let tag = tags.get(req);
      if (tag === undefined) {
        tag = createHmac('sha256', key)
          .update(clientAddress(req))
          .digest('base64url')
          .slice(0, TAG_LENGTH);
        tags.set(req, tag);
      }
      return tag;
    },
  };
}
