import { createHash, hash, timingSafeEqual } from 'node:crypto';

/**
 * Node's one-shot digest (20.12 and later): no Hash object per call, which cost a wrong key's
 * refusal on /v1 a few thousand instructions (bench/RESULTS.md, tenth round).
 */
// Undefined before Node 20.12, whatever @types/node says.
const oneShot = typeof hash === 'function' ? hash : undefined;

/** SHA-256 of a string's UTF-8 bytes. */
export function sha256(value: string): Buffer {
  return oneShot
    ? oneShot('sha256', value, 'buffer')
    : createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Whether a secret given by a client is the one whose SHA-256 is `expected`, in constant time:
 * digests have one length, so neither the secret nor its length leaks by timing.
 */
export function secretsEqual(given: string, expected: Buffer): boolean {
  return timingSafeEqual(sha256(given), expected);
}

/**
 * Equal in constant time: both sides are hashed first, so not even the length leaks. For
 * verifiers that compare credentials they hold in the clear (httpbin-style routes, Digest).
 */
export function textEqual(given: string, expected: string): boolean {
  return secretsEqual(given, sha256(expected));
}
