/**
 * HOBA's to-be-signed blob (RFC 7486 §2), shared by the server (src/auth/hoba.ts) and the
 * browser demo (src/site/browser/hoba-demo.ts): each field preceded by its length in octets, in
 * decimal, and a colon, in the order nonce, alg, origin, realm, kid, challenge. An absent realm is
 * the empty field "0:".
 */
export interface HobaTbsFields {
  /** The client's nonce, base64url. */
  nonce: string;
  /** The signature algorithm's number: "0" is RSA-SHA256 (RFC 7486 §9.3). */
  alg: string;
  /** scheme "://" host ":" port, the port always written (RFC 7486 §2). */
  origin: string;
  /** The challenge's realm, or "" when it had none. */
  realm: string;
  /** The key identifier, base64url. */
  kid: string;
  /** The server's challenge, base64url, as the 401 sent it. */
  challenge: string;
}

const octets = (text: string) => new TextEncoder().encode(text).length;

/** The HOBA-TBS string; its UTF-8 octets are what the client signs. */
export function hobaTbs(f: HobaTbsFields): string {
  return [f.nonce, f.alg, f.origin, f.realm, f.kid, f.challenge]
    .map((field) => `${octets(field)}:${field}`)
    .join('');
}

/**
 * A URL's origin as HOBA signs it: RFC 7486 §2 says there is no default port, so
 * http://localhost is "http://localhost:80".
 */
export function hobaOrigin(protocol: string, hostname: string, port: string): string {
  const scheme = protocol.replace(/:$/, '');
  return `${scheme}://${hostname}:${port || (scheme === 'https' ? '443' : '80')}`;
}
