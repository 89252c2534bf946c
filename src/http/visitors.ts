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
  // Once per request: the guards, the visitor tag and the explanation budget all ask, and
  // req.ip parses X-Forwarded-For against TRUST_PROXY each time it is read. Kept on the request
  // itself (a WeakMap entry per request cost more than the reading, bench/RESULTS.md).
  const held = req as Request & { [ADDRESS]?: string };
  let address = held[ADDRESS];
  if (address === undefined) {
    address = addressOf(ipOf(req));
    held[ADDRESS] = address;
  }
  return address;
}

/**
 * `req.ip`, read cheaply when it can be: Express runs proxy-addr over X-Forwarded-For on every
 * read (a parse, arrays, the trust function), and without that header its answer is the
 * socket's address whatever TRUST_PROXY says (proxy-addr's list is the socket's address alone).
 * The explanation claim of every refusal and the refused-token count ask (bench/RESULTS.md).
 */
function ipOf(req: Request): string {
  if (req.headers?.['x-forwarded-for'] === undefined) {
    const socketAddress = req.socket?.remoteAddress;
    if (socketAddress !== undefined) return socketAddress;
  }
  return req.ip ?? '';
}

const ADDRESS = Symbol('four-oh-one client address');

/** Recent addresses' keys, so that a busy client's requests do not each parse its address. */
const RECENT_ADDRESSES = 4096;
const recentAddresses = new Map<string, string>();

function addressOf(ip: string): string {
  let address = recentAddresses.get(ip);
  if (address === undefined) {
    address = keyOf(ip);
    // Bounded: past RECENT_ADDRESSES, the oldest is forgotten (and worked out again if seen).
    // Long text (X-Forwarded-For that is no address, with TRUST_PROXY=true) is not kept.
    if (ip.length <= 64) {
      if (recentAddresses.size >= RECENT_ADDRESSES) {
        recentAddresses.delete(recentAddresses.keys().next().value as string);
      }
      recentAddresses.set(ip, address);
    }
  }
  return address;
}

function keyOf(ip: string): string {
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

/** Recent addresses' tags kept, so that a busy client's requests do not each compute an HMAC. */
const RECENT_TAGS = 4096;

export function createVisitors(secret: Buffer): Visitors {
  const key = createHmac('sha256', secret).update('four-oh-one visitor tags').digest();
  // Bounded: past RECENT_TAGS addresses, the oldest is forgotten (and computed again if seen).
  const recent = new Map<string, VisitorTag>();
  return {
    of(req) {
      const address = clientAddress(req);
      let tag = recent.get(address);
      if (tag === undefined) {
        tag = createHmac('sha256', key).update(address).digest('base64url').slice(0, TAG_LENGTH);
        if (recent.size >= RECENT_TAGS) recent.delete(recent.keys().next().value as string);
        recent.set(address, tag);
      }
      return tag;
    },
  };
}
