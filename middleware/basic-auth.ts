import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { BASIC_CHECKS, BASIC_GUARD, traceOf } from '../src/explain';
import { challenge, problem, REALM } from '../src/problems';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The user-id a Basic request authenticated as, set by middleware/basic-auth.ts. */
    basicUser?: string;
  }
}

/** What an Authorization header holds, as far as a Basic resource cares. */
export type ParsedBasic =
  | { kind: 'none' }
  | { kind: 'other'; scheme: string }
  | { kind: 'malformed'; reason: string }
  | { kind: 'basic'; user: string; password: string };

/**
 * The longest Authorization value read as Basic credentials. Real user-ids and passwords are far
 * shorter; past this the header is refused before any decoding work.
 */
export const MAX_BASIC_HEADER = 4096;

/** RFC 9110 §5.6.2: what an auth-scheme name may be. */
const SCHEME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 7617 §2: `Basic` 1*SP token68, where the token68 is base64 (RFC 4648 §4), padded or not. */
const BASIC_CREDENTIALS = /^ +([A-Za-z0-9+/]+={0,2}) *$/;
/** RFC 7617 §2: neither the user-id nor the password may hold control characters. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The credential bytes as text: UTF-8, which the challenge's `charset="UTF-8"` asks for
 * (RFC 7617 §2.1), else ISO-8859-1, which clients that ignore the charset send (Python requests
 * encodes str credentials as latin-1; RFC 7617 Appendix B).
 */
export function decodeCredentialBytes(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Classifies an Authorization header value for a Basic resource. Never throws, whatever the input. */
export function parseBasic(header: string | undefined): ParsedBasic {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const scheme = /^\S*/.exec(header)?.[0] ?? '';
  if (scheme.toLowerCase() !== 'basic') {
    return { kind: 'other', scheme: SCHEME.test(scheme) ? scheme.slice(0, 32) : '(unreadable)' };
  }
  if (header.length > MAX_BASIC_HEADER) {
    return {
      kind: 'malformed',
      reason: `The Basic credentials are longer than ${MAX_BASIC_HEADER} characters.`,
    };
  }
  const rest = header.slice(scheme.length);
  if (rest.trim() === '') {
    return { kind: 'malformed', reason: 'The Basic scheme is followed by no credentials.' };
  }
  const b64 = BASIC_CREDENTIALS.exec(rest)?.[1];
  if (b64 === undefined || !base64Length(b64)) {
    return {
      kind: 'malformed',
      reason:
        'The Basic credentials must be one base64 string (RFC 4648 §4) of "user-id:password", after one space.',
    };
  }
  const decoded = decodeCredentialBytes(Buffer.from(b64, 'base64'));
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return {
      kind: 'malformed',
      reason: 'The decoded Basic credentials hold no ":" between user-id and password.',
    };
  }
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (CONTROL.test(user) || CONTROL.test(password)) {
    return {
      kind: 'malformed',
      reason: 'The user-id or password holds control characters, which RFC 7617 §2 forbids.',
    };
  }
  return { kind: 'basic', user, password };
}

/** Unpadded base64 is accepted; padded must fill whole quanta, and 4n+1 characters never decode. */
function base64Length(b64: string): boolean {
  const unpadded = b64.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return false;
  return b64 === unpadded || b64.length % 4 === 0;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Equal in constant time: both sides are hashed first, so not even the length leaks. For
 * verifiers that compare credentials they hold in the clear (httpbin-style routes).
 */
export function textEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

export interface BasicAuthOptions {
  /** Whether the credentials are right; may read the request (httpbin's routes name them in the path). */
  verify: (user: string, password: string, req: Request) => boolean | Promise<boolean>;
  /** The protection space named in the challenge; defaults to this server's realm. */
  realm?: string;
  /**
   * Answer every refusal as this server's plain 404, without a challenge, so that the resource
   * cannot be told apart from one that does not exist (httpbin's hidden-basic-auth).
   */
  hidden?: boolean;
}

/** The Basic challenge (RFC 7617 §2.1), with the only charset RFC 7617 allows. */
export function basicChallenge(realm: string = REALM): string {
  return challenge('Basic', { realm, charset: 'UTF-8' });
}

/**
 * Requires HTTP Basic credentials (RFC 7617) that `verify` accepts, puts the user-id in
 * `res.locals.basicUser`, and refuses everything else: 401 with a Basic challenge for missing or
 * wrong credentials, 400 for a header that is not Basic syntax (or 404 for all, when hidden).
 */
export function basicAuth(options: BasicAuthOptions): RequestHandler {
  if (typeof options?.verify !== 'function') {
    throw new TypeError('basicAuth: verify must be a function');
  }
  const realm = options.realm ?? REALM;
  if (typeof realm !== 'string' || realm === '') {
    throw new TypeError('basicAuth: realm must be a non-empty string');
  }
  const { verify, hidden = false } = options;
  const headers = { 'WWW-Authenticate': basicChallenge(realm) };

  return async function basicAuthMiddleware(req, res, next) {
    const parsed = parseBasic(req.headers.authorization);
    const ok = parsed.kind === 'basic' && (await verify(parsed.user, parsed.password, req));
    if (ok) {
      res.locals.basicUser = parsed.user;
      next();
      return;
    }
    if (hidden) {
      // Word for word what an unknown path gets (src/problems.ts notFound), and no trace of its
      // own, so that /explain tells it apart no more than the answer does.
      throw problem('not_found', { detail: `No route serves ${req.method} ${req.path}.` });
    }
    const fail = (check: (typeof BASIC_CHECKS)[number], facts?: Record<string, string>) => {
      res.locals.trace = traceOf(BASIC_GUARD, BASIC_CHECKS, check, facts ? { facts } : {});
    };
    switch (parsed.kind) {
      case 'none':
        fail('credentials sent');
        throw problem('basic_credentials_missing', {
          detail: 'Send "Authorization: Basic <base64 of user-id:password>".',
          headers,
        });
      case 'other':
        fail('scheme is Basic', { scheme: parsed.scheme });
        throw problem('basic_credentials_missing', {
          detail: `This resource accepts the Basic scheme, not ${parsed.scheme}.`,
          headers,
        });
      case 'malformed':
        fail('one base64 "user-id:password"');
        throw problem('basic_malformed', { detail: parsed.reason });
      case 'basic':
        fail('user-id and password match');
        throw problem('basic_credentials_invalid', {
          detail: 'The user-id or the password is wrong.',
          headers,
        });
    }
  };
}
