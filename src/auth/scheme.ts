/**
 * Reading the scheme of an Authorization header (RFC 9110 §11.6.2): the one place that says what
 * a token is, which scheme a header names, and how an unknown scheme may be shown back.
 */

/** RFC 9110 §5.6.2 tchar: what may stand in a token (a scheme, a parameter or a header name). */
export const TCHAR = "!#$%&'*+.^_`|~0-9A-Za-z-";
const TOKEN = new RegExp(`^[${TCHAR}]+$`);

/** Whether a string is an RFC 9110 §5.6.2 token. */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/** The auth-scheme an Authorization value starts with, as sent: '' when there is none. */
export function schemeOf(header: string | undefined): string {
  return /^\S*/.exec(header ?? '')?.[0] ?? '';
}

/**
 * How an Authorization value reads to a resource that takes one scheme: no credentials, another
 * scheme (named as it may be shown back: a token of at most 32 characters), credentials too long
 * to read, or the credentials that follow this scheme.
 */
export type SchemeReading =
  | { kind: 'none' }
  | { kind: 'other'; scheme: string }
  | { kind: 'malformed'; reason: string }
  | { kind: 'credentials'; rest: string };

/**
 * Reads an Authorization value for the scheme `scheme` (matched case-insensitively, RFC 9110
 * §11.1). Past `maxLength` characters the value is refused unread. Never throws.
 */
export function readScheme(
  header: string | undefined,
  scheme: string,
  maxLength = Infinity,
): SchemeReading {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const sent = schemeOf(header);
  if (sent.toLowerCase() !== scheme.toLowerCase()) {
    return { kind: 'other', scheme: isToken(sent) ? sent.slice(0, 32) : '(unreadable)' };
  }
  if (header.length > maxLength) {
    return {
      kind: 'malformed',
      reason: `The ${scheme} credentials are longer than ${maxLength} characters.`,
    };
  }
  return { kind: 'credentials', rest: header.slice(sent.length) };
}
