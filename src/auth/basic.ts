import { readScheme } from './scheme';

/** The Basic scheme (RFC 7617): its one decoder, for resources and for OAuth clients alike. */

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
  const read = readScheme(header, 'Basic', MAX_BASIC_HEADER);
  if (read.kind !== 'credentials') return read;
  const { rest } = read;
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
