import { createHash, createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import { challenge, REALM } from './challenges';

/**
 * OAuth 1.0a request signing (RFC 5849 §3), as a resource server checks it: the protocol
 * parameters read from the `OAuth` Authorization header (§3.5.1), the form body (§3.5.2) or the
 * query (§3.5.3); the signature base string (§3.4.1) built from the method, the base string URI
 * and every parameter of the request, normalized and percent-encoded as RFC 3986 says (§3.6);
 * HMAC-SHA1 (§3.4.2), RSA-SHA1 (§3.4.3), HMAC-SHA256 (the common extension) and PLAINTEXT
 * (§3.4.4, over TLS only). Values are handled as bytes throughout, so that what a client encoded
 * is what is signed, whatever it holds.
 */

/** The published demo client credentials (RFC 5849 §1.1: consumer key and secret). */
export const DEMO_OAUTH1_CONSUMER_KEY = 'four-oh-one-consumer';
export const DEMO_OAUTH1_CONSUMER_SECRET = 'four-oh-one-consumer-secret';
/** The published demo token credentials: a resource owner's grant to the demo client. */
export const DEMO_OAUTH1_TOKEN = 'four-oh-one-token';
export const DEMO_OAUTH1_TOKEN_SECRET = 'four-oh-one-token-secret';
/** A token the resource owner revoked: its secret is published too, so it can be signed with. */
export const DEMO_OAUTH1_REVOKED_TOKEN = 'four-oh-one-revoked-token';
export const DEMO_OAUTH1_REVOKED_TOKEN_SECRET = 'four-oh-one-revoked-token-secret';
/** Whose grant the demo token is. */
export const DEMO_OAUTH1_USER = 'user';

/**
 * The demo client's RSA public key (RFC 5849 §3.4.3: established with the server beforehand).
 * Its private key is published in examples/oauth1/rsa-demo-private-key.pem.
 */
export const DEMO_OAUTH1_RSA_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzcXX+wPTAjrO2VFyB+kX
CTS+4EwC6XknfKiSWoD86g8mNGno9dETMvK2ttggfL/3rnqp+89ZbMndjF1aiD65
GO9FqpOPZIeLfzAiegv7rxraEdaz0nvcGXBYkbeo1YCJFDtuAQAs4FUXk7G5XiDh
yFcmOywwdIVoizdrSOLR5V8KKdkilo/Z83VI3cB6+dVEFIoVO7BNJOA+MOMR4OeU
+eUaNt6mnIZYaYbUfkK1v9j/cawZw3a0TaFhFHycAXfo+1s2U1zCUsCg/L5sQ98H
V2OsI8YH2cP2laYgbjd68mKKjHlDQR1grk7+Zjfu4TaFu29dr9HQ3+CbK440b18L
UwIDAQAB
-----END PUBLIC KEY-----
`;
const RSA_PUBLIC_KEY = createPublicKey(DEMO_OAUTH1_RSA_PUBLIC_KEY);

/** How far oauth_timestamp may be from the server's clock, either way (RFC 5849 §3.3 leaves it). */
export const OAUTH1_TIMESTAMP_WINDOW_SECONDS = 300;

/** The signature methods this server verifies; PLAINTEXT only over TLS (RFC 5849 §3.4.4). */
export const OAUTH1_SIGNATURE_METHODS = [
  'HMAC-SHA1',
  'HMAC-SHA256',
  'RSA-SHA1',
  'PLAINTEXT',
] as const;
export type Oauth1SignatureMethod = (typeof OAUTH1_SIGNATURE_METHODS)[number];

/** The challenge of every 401 (RFC 5849 §3.5.1: the `OAuth` scheme and its realm). */
export const OAUTH1_CHALLENGE = challenge('OAuth', { realm: REALM });

/** The longest Authorization value read, and the longest nonce remembered. */
export const OAUTH1_MAX_HEADER_LENGTH = 4096;
export const OAUTH1_MAX_NONCE_LENGTH = 128;

// --- Percent-encoding (RFC 5849 §3.6) and the encodings clients use by mistake --------------------

/** Turns bytes into text, leaving the bytes `keep` accepts as they are; `+` for space if asked. */
type Encoder = (bytes: Buffer) => string;

function encoder(keep: RegExp, plusForSpace: boolean): Encoder {
  return (bytes) => {
    let out = '';
    for (const byte of bytes) {
      const c = String.fromCharCode(byte);
      if (byte < 0x80 && keep.test(c)) out += c;
      else if (plusForSpace && byte === 0x20) out += '+';
      else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
  };
}

/** RFC 5849 §3.6: everything but ALPHA, DIGIT, `-`, `.`, `_`, `~` as %XX, hex in upper case. */
export const rfc3986Encode: Encoder = encoder(/[A-Za-z0-9\-._~]/, false);

/**
 * The wrong encodings a signing client most often uses instead, each by name: JavaScript's
 * encodeURIComponent (leaves `!*'()` bare), and application/x-www-form-urlencoded as PHP's
 * urlencode, Java's URLEncoder and Python's quote_plus write it (`+` for a space, `~` as %7E).
 */
export const WRONG_ENCODINGS: readonly { name: string; encode: Encoder }[] = [
  {
    name: "encodeURIComponent (leaves !*'() unencoded)",
    encode: encoder(/[A-Za-z0-9\-._~!*'()]/, false),
  },
  {
    name: 'application/x-www-form-urlencoded (+ for a space, ~ as %7E)',
    encode: encoder(/[A-Za-z0-9\-._*]/, true),
  },
];

/** Text as the bytes a client would encode: its UTF-8. */
export const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/**
 * Percent-decodes `text` to bytes; `+` is a space when `plusIsSpace` (the query and the form body,
 * RFC 5849 §3.4.1.3.1). Undefined when a `%` is not followed by two hex digits.
 */
export function percentDecode(text: string, plusIsSpace: boolean): Buffer | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === 0x2b && plusIsSpace) bytes.push(0x20);
    else if (c < 0x80) bytes.push(c);
    else bytes.push(...utf8(text[i]!));
  }
  return Buffer.from(bytes);
}

// --- Reading the parameters (RFC 5849 §3.4.1.3.1, §3.5) -------------------------------------------

/** One request parameter, decoded to bytes, with where it came from. */
export interface Oauth1Param {
  name: Buffer;
  value: Buffer;
  source: 'header' | 'body' | 'query';
}

/**
 * The parameters of an `OAuth` Authorization value (RFC 5849 §3.5.1): `name="value"` pairs,
 * comma-separated, each name and value percent-encoded; `realm` is not a parameter of the
 * signature. Undefined when the value is not in that shape. `rest` is what follows the scheme.
 */
export function parseOauthHeader(rest: string): Oauth1Param[] | undefined {
  const params: Oauth1Param[] = [];
  const pair = /^[ \t]*([A-Za-z0-9\-._~%]+)[ \t]*=[ \t]*"([^"\\]*)"[ \t]*(?:,|$)/;
  let text = rest.trim();
  if (text === '') return undefined;
  while (text !== '') {
    const m = pair.exec(text);
    if (!m) return undefined;
    text = text.slice(m[0].length).trimStart();
    const name = percentDecode(m[1]!, false);
    const value = percentDecode(m[2]!, false);
    if (name === undefined || value === undefined) return undefined;
    if (name.toString('latin1') === 'realm') continue;
    params.push({ name, value, source: 'header' });
  }
  return params;
}

/**
 * The name/value pairs of a query or a form body, as application/x-www-form-urlencoded is decoded
 * (`+` a space), empty pieces skipped. Undefined when a `%` escape is broken.
 */
export function parseForm(text: string, source: 'body' | 'query'): Oauth1Param[] | undefined {
  const params: Oauth1Param[] = [];
  for (const piece of text.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = percentDecode(eq < 0 ? piece : piece.slice(0, eq), true);
    const value = percentDecode(eq < 0 ? '' : piece.slice(eq + 1), true);
    if (name === undefined || value === undefined) return undefined;
    params.push({ name, value, source });
  }
  return params;
}

// --- The signature base string (RFC 5849 §3.4.1) --------------------------------------------------

/**
 * The base string URI (RFC 5849 §3.4.1.2): scheme and host in lower case, the port only when it
 * is not the scheme's default, the path (`/` when empty), no query and no fragment.
 */
export function baseStringUri(scheme: string, host: string, path: string): string {
  const s = scheme.toLowerCase();
  let h = host.toLowerCase();
  const port = /:(\d+)$/.exec(h);
  if (port && ((s === 'http' && port[1] === '80') || (s === 'https' && port[1] === '443'))) {
    h = h.slice(0, -port[0].length);
  }
  return `${s}://${h}${path === '' ? '/' : path}`;
}

/**
 * The normalized parameters (RFC 5849 §3.4.1.3.2): every parameter but oauth_signature, names
 * and values encoded, sorted by name then value (byte order), joined `name=value` with `&`.
 */
export function normalizeParameters(
  params: readonly Oauth1Param[],
  encode = rfc3986Encode,
): string {
  return params
    .filter((p) => p.name.toString('latin1') !== 'oauth_signature')
    .map((p) => [encode(p.name), encode(p.value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
}

/** The signature base string (RFC 5849 §3.4.1.1): method, base string URI, parameters, encoded. */
export function signatureBaseString(
  method: string,
  uri: string,
  params: readonly Oauth1Param[],
  encode = rfc3986Encode,
): string {
  return [
    encode(utf8(method.toUpperCase())),
    encode(utf8(uri)),
    encode(utf8(normalizeParameters(params, encode))),
  ].join('&');
}

// --- Signatures (RFC 5849 §3.4.2–3.4.4) -----------------------------------------------------------

/** The HMAC key and the PLAINTEXT signature (§3.4.2, §3.4.4): both secrets encoded, `&` between. */
export const signingKey = (consumerSecret: string, tokenSecret: string, encode = rfc3986Encode) =>
  `${encode(utf8(consumerSecret))}&${encode(utf8(tokenSecret))}`;

/** The signature of a base string with an HMAC method, as base64 (what oauth_signature carries). */
export function hmacSignature(
  method: 'HMAC-SHA1' | 'HMAC-SHA256',
  base: string,
  key: string,
): string {
  return createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key)
    .update(base, 'utf8')
    .digest('base64');
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest();

/** Equal in constant time: both hashed first, so neither the value nor its length leaks. */
function sameText(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** Whether `signature` (as sent, decoded) signs `base` with `method` and these secrets. */
export function signatureMatches(
  method: Oauth1SignatureMethod,
  base: string,
  signature: string,
  secrets: { consumer: string; token: string },
  encode = rfc3986Encode,
): boolean {
  const key = signingKey(secrets.consumer, secrets.token, encode);
  switch (method) {
    case 'HMAC-SHA1':
    case 'HMAC-SHA256':
      return sameText(signature, hmacSignature(method, base, key));
    case 'PLAINTEXT':
      return sameText(signature, key);
    case 'RSA-SHA1': {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
      // A public key's check needs no constant time: nothing secret is compared.
      return verify('sha1', utf8(base), RSA_PUBLIC_KEY, Buffer.from(signature, 'base64'));
    }
  }
}

/** The replay cache's key of a request (RFC 5849 §3.3): never the nonce's own unbounded text. */
export function nonceKey(
  visitor: string,
  p: { consumerKey: string; token: string; timestamp: string; nonce: string },
): string {
  const digest = sha256(JSON.stringify([p.consumerKey, p.token, p.timestamp, p.nonce]));
  return `oauth1:nonce:${visitor}:${digest.toString('base64url')}`;
}

// --- Checking a request (RFC 5849 §3.2) -----------------------------------------------------------

/**
 * Token credentials (RFC 5849 §1.1) or temporary credentials (§2.1) as a check needs them: the
 * secret to sign with, whether the grant was revoked, and which of the two kinds it is.
 */
export interface Oauth1TokenRecord {
  secret: string;
  revoked: boolean;
  kind: 'token' | 'temporary';
  /** Whose grant token credentials are. */
  user?: string;
}

/** The published demo token credentials, by token. */
const DEMO_TOKENS: ReadonlyMap<string, Oauth1TokenRecord> = new Map([
  [
    DEMO_OAUTH1_TOKEN,
    { secret: DEMO_OAUTH1_TOKEN_SECRET, revoked: false, kind: 'token', user: DEMO_OAUTH1_USER },
  ],
  [
    DEMO_OAUTH1_REVOKED_TOKEN,
    {
      secret: DEMO_OAUTH1_REVOKED_TOKEN_SECRET,
      revoked: true,
      kind: 'token',
      user: DEMO_OAUTH1_USER,
    },
  ],
]);

/**
 * What a request may be signed with at each endpoint: the client credentials alone at the
 * temporary credential request (RFC 5849 §2.1), the temporary credentials at the token request
 * (§2.3), token credentials (or none: two-legged) at a protected resource (§3).
 */
export type Oauth1Expects = 'client' | 'temporary' | 'token';

/** What a signed request is checked against: the request as received, and the server's clock. */
export interface Oauth1Request {
  method: string;
  /** The Authorization value, if one was sent once. */
  authorization: string | undefined;
  /** The query as sent (after `?`), or ''. */
  query: string;
  /** The body when it is application/x-www-form-urlencoded (RFC 5849 §3.4.1.3.1), else undefined. */
  formBody: string | undefined;
  /** The base string URIs this request may have been signed for (as received; PUBLIC_URL's). */
  uris: readonly string[];
  /** Whether the request came over TLS (PLAINTEXT needs it). */
  secure: boolean;
  nowSeconds: number;
  /** Which credentials this endpoint takes; a protected resource's ('token') when left out. */
  expects?: Oauth1Expects;
  /** The credentials an issued oauth_token names, looked up before the check (the demo ones are known). */
  issued?: Oauth1TokenRecord | undefined;
}

/** The refusals, each with its catalog code (src/scenarios/catalog.ts) and a detail. */
export type Oauth1Refusal = {
  code:
    | 'oauth1_credentials_missing'
    | 'oauth1_request_malformed'
    | 'oauth1_parameter_duplicated'
    | 'oauth1_parameter_missing'
    | 'oauth1_signature_method_unsupported'
    | 'oauth1_consumer_unknown'
    | 'oauth1_token_unknown'
    | 'oauth1_token_revoked'
    | 'oauth1_token_temporary'
    | 'oauth1_timestamp_invalid'
    | 'oauth1_signature_encoding'
    | 'oauth1_signature_invalid';
  detail: string;
};

/** A request whose signature verified; the nonce is still to be remembered (RFC 5849 §3.3). */
export interface Oauth1Verified {
  consumerKey: string;
  /** The token, or '' for a request signed with the client credentials alone. */
  token: string;
  /** Whose grant the token credentials are; undefined for temporary ones and two-legged requests. */
  user: string | undefined;
  method: Oauth1SignatureMethod;
  timestamp: string | undefined;
  nonce: string | undefined;
  /** Where the protocol parameters came from. */
  transmission: Oauth1Param['source'];
  /** The other protocol parameters an endpoint reads (oauth_callback, oauth_verifier), as text. */
  protocol: ReadonlyMap<string, string>;
}

/** The parameters of a readable request: all of them, and the protocol ones by name. */
interface Oauth1Read {
  params: Oauth1Param[];
  protocol: Map<string, Oauth1Param>;
}

const refuse = (code: Oauth1Refusal['code'], detail: string): Oauth1Refusal => ({ code, detail });

const REQUIRED = ['oauth_consumer_key', 'oauth_signature_method', 'oauth_signature'] as const;
const REQUIRED_UNLESS_PLAINTEXT = ['oauth_timestamp', 'oauth_nonce'] as const;

/**
 * Checks a request's OAuth 1.0a signature, in this order: parameters readable and present once
 * (400s), a signature method served, the consumer and token known (401s), the timestamp within
 * the window, then the signature over every base string URI the request may have been signed for.
 * A signature that matches only a base string built with a wrong percent-encoding is its own
 * refusal. Never throws, and stores nothing: the caller remembers the nonce.
 */
function readRequest(req: Oauth1Request): Oauth1Read | Oauth1Refusal {
  let header: Oauth1Param[] = [];
  const auth = req.authorization;
  const scheme = /^\S*/.exec(auth ?? '')![0];
  if (auth !== undefined && scheme.toLowerCase() === 'oauth') {
    if (auth.length > OAUTH1_MAX_HEADER_LENGTH) {
      return refuse(
        'oauth1_request_malformed',
        `The OAuth credentials are longer than ${OAUTH1_MAX_HEADER_LENGTH} characters.`,
      );
    }
    const parsed = parseOauthHeader(auth.slice(scheme.length));
    if (parsed === undefined) {
      return refuse(
        'oauth1_request_malformed',
        'The Authorization value must be OAuth followed by name="value" pairs, comma-separated, each percent-encoded (RFC 5849 §3.5.1).',
      );
    }
    header = parsed;
  }
  const query = parseForm(req.query, 'query');
  const body = req.formBody === undefined ? [] : parseForm(req.formBody, 'body');
  if (query === undefined || body === undefined) {
    return refuse(
      'oauth1_request_malformed',
      'A % in the query or the form body is not followed by two hex digits.',
    );
  }
  const params = [...header, ...body, ...query];
  const protocol = new Map<string, Oauth1Param>();
  const duplicated = new Set<string>();
  for (const p of params) {
    const name = p.name.toString('latin1');
    if (!name.startsWith('oauth_')) continue;
    if (protocol.has(name)) duplicated.add(name);
    else protocol.set(name, p);
  }
  if (protocol.size === 0) {
    return refuse(
      'oauth1_credentials_missing',
      'Sign the request with OAuth 1.0a and send Authorization: OAuth oauth_consumer_key="…", …, oauth_signature="…" (RFC 5849 §3.5.1).',
    );
  }
  if (duplicated.size > 0) {
    return refuse(
      'oauth1_parameter_duplicated',
      `Sent more than once: ${[...duplicated].sort().join(', ')}. Send each protocol parameter once, in one place (RFC 5849 §3.5).`,
    );
  }
  return { params, protocol };
}

/** The oauth_token a request names ('' for none), or undefined when its parameters are unreadable. */
export function requestedOauth1Token(req: Oauth1Request): string | undefined {
  const read = readRequest(req);
  if ('code' in read) return undefined;
  return read.protocol.get('oauth_token')?.value.toString('utf8') ?? '';
}

export function checkOauth1Request(req: Oauth1Request): Oauth1Verified | Oauth1Refusal {
  const read = readRequest(req);
  if ('code' in read) return read;
  const { params, protocol } = read;
  const text = (name: string) => protocol.get(name)?.value.toString('utf8');
  const method = text('oauth_signature_method') ?? '';
  const missing = [
    ...REQUIRED,
    ...(method === 'PLAINTEXT' ? [] : REQUIRED_UNLESS_PLAINTEXT),
  ].filter((name) => !protocol.has(name));
  if (missing.length > 0) {
    return refuse('oauth1_parameter_missing', `Missing: ${missing.join(', ')} (RFC 5849 §3.1).`);
  }
  const version = text('oauth_version');
  if (version !== undefined && version !== '1.0') {
    return refuse(
      'oauth1_request_malformed',
      'oauth_version, when sent, must be "1.0" (RFC 5849 §3.1).',
    );
  }
  const timestamp = text('oauth_timestamp');
  if (timestamp !== undefined && !/^\d{1,12}$/.test(timestamp)) {
    return refuse(
      'oauth1_request_malformed',
      'oauth_timestamp must be a whole number of seconds since 1970 (RFC 5849 §3.3).',
    );
  }
  const nonce = text('oauth_nonce');
  if (nonce !== undefined && (nonce === '' || nonce.length > OAUTH1_MAX_NONCE_LENGTH)) {
    return refuse(
      'oauth1_request_malformed',
      `oauth_nonce must be 1 to ${OAUTH1_MAX_NONCE_LENGTH} characters.`,
    );
  }
  if (
    !(OAUTH1_SIGNATURE_METHODS as readonly string[]).includes(method) ||
    (method === 'PLAINTEXT' && !req.secure)
  ) {
    return refuse(
      'oauth1_signature_method_unsupported',
      method === 'PLAINTEXT'
        ? 'PLAINTEXT sends the secrets themselves, so it is taken over https only (RFC 5849 §3.4.4). Sign with HMAC-SHA1, HMAC-SHA256 or RSA-SHA1.'
        : 'This server verifies HMAC-SHA1, HMAC-SHA256, RSA-SHA1, and PLAINTEXT over https.',
    );
  }
  const signatureMethod = method as Oauth1SignatureMethod;
  const consumerKey = text('oauth_consumer_key')!;
  if (consumerKey !== DEMO_OAUTH1_CONSUMER_KEY) {
    return refuse(
      'oauth1_consumer_unknown',
      `No client is registered with this oauth_consumer_key; the demo client's is ${DEMO_OAUTH1_CONSUMER_KEY}.`,
    );
  }
  const token = text('oauth_token') ?? '';
  const expects = req.expects ?? 'token';
  if (expects === 'client' && token !== '') {
    return refuse(
      'oauth1_request_malformed',
      'A temporary credential request is signed with the client credentials alone: leave oauth_token out (RFC 5849 §2.1).',
    );
  }
  if (expects === 'temporary' && token === '') {
    return refuse(
      'oauth1_parameter_missing',
      'Missing: oauth_token, the temporary credentials the authorization was for (RFC 5849 §2.3).',
    );
  }
  const known: Oauth1TokenRecord | undefined =
    token === ''
      ? { secret: '', revoked: false, kind: 'token' }
      : (DEMO_TOKENS.get(token) ?? req.issued);
  if (known === undefined) {
    return refuse(
      'oauth1_token_unknown',
      expects === 'temporary'
        ? 'This server issued no such temporary credentials, or they expired (10 minutes) or were exchanged already: start again at /oauth1/request_token.'
        : `This server issued no such oauth_token, or it expired; the demo token is ${DEMO_OAUTH1_TOKEN}.`,
    );
  }
  if (expects === 'temporary' && known.kind !== 'temporary') {
    return refuse(
      'oauth1_token_unknown',
      'This oauth_token is token credentials, issued already: the token request takes the temporary credentials of /oauth1/request_token (RFC 5849 §2.3).',
    );
  }
  if (expects === 'token' && known.kind === 'temporary') {
    return refuse(
      'oauth1_token_temporary',
      'These are temporary credentials (RFC 5849 §2.1): exchange them at /oauth1/access_token, with the oauth_verifier the authorization gave, for token credentials (§2.3).',
    );
  }
  if (known.revoked) {
    return refuse(
      'oauth1_token_revoked',
      'The resource owner revoked this token; its signature is not even checked.',
    );
  }
  if (
    timestamp !== undefined &&
    Math.abs(req.nowSeconds - Number(timestamp)) > OAUTH1_TIMESTAMP_WINDOW_SECONDS
  ) {
    return refuse(
      'oauth1_timestamp_invalid',
      `oauth_timestamp ${timestamp} is more than ${OAUTH1_TIMESTAMP_WINDOW_SECONDS} seconds from the server's clock (${Math.floor(req.nowSeconds)}).`,
    );
  }
  const signature = text('oauth_signature')!;
  const secrets = { consumer: DEMO_OAUTH1_CONSUMER_SECRET, token: known.secret };
  const matches = (encode: Encoder) =>
    req.uris.some((uri) =>
      signatureMatches(
        signatureMethod,
        signatureBaseString(req.method, uri, params, encode),
        signature,
        secrets,
        encode,
      ),
    );
  const verified: Oauth1Verified = {
    consumerKey,
    token,
    user: known.kind === 'token' ? known.user : undefined,
    method: signatureMethod,
    timestamp,
    nonce,
    transmission: protocol.get('oauth_signature')!.source,
    protocol: new Map([...protocol].map(([name, p]) => [name, p.value.toString('utf8')])),
  };
  if (matches(rfc3986Encode)) return verified;
  // Only a request holding a character the encodings disagree on can have been signed otherwise.
  for (const wrong of WRONG_ENCODINGS) {
    if (matches(wrong.encode)) {
      return refuse(
        'oauth1_signature_encoding',
        `The signature is right for a base string percent-encoded with ${wrong.name}, not RFC 3986 as RFC 5849 §3.6 requires.`,
      );
    }
  }
  return refuse(
    'oauth1_signature_invalid',
    `The oauth_signature is not the ${signatureMethod} signature of the signature base string (RFC 5849 §3.4.1) for ${req.uris[0] ?? 'this URI'}.`,
  );
}
