import { parseBasic } from '../auth/basic';
import { parseBearer } from '../auth/bearer';
import { parseAuthParams } from '../auth/digest';
import { schemeOf } from '../auth/scheme';
import { decodeJsonPart } from '../tokens/verify';

/**
 * What the echo routes (routes/echo.ts, httpbin's /headers and /anything) show of a request: its
 * headers, query and body as the server received them, except the secrets. httpbin echoes those
 * too; this server never echoes a token, password, key or cookie value in full, so that a
 * response copied into a bug report, a screenshot or a proxy's log gives nothing away. It shows
 * what a learner needs instead: the user name of Basic credentials and the password's length,
 * a JWT's decoded header and payload (never its signature, never the raw token), and the
 * length of anything else secret. Nothing here is stored or logged.
 */

/** Said in every echo, so that nobody takes a masked value for what was sent. */
export const ECHO_NOTE =
  'Secrets are not echoed: passwords, tokens, keys and cookie values are shown by length only, Basic credentials by user name, a Bearer JWT by its decoded header and payload (never its signature). Nothing is stored; the log line of this request holds only its method, path, status and address.';

/** Header fields that carry credentials: shown as "[not echoed: …]" with their reading below. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization']);

/** Names of headers, query parameters and body members whose values are secrets. */
const SECRET_NAME =
  /pass(word|wd|phrase)?$|secret|token|api[-_]?key|private[-_]?key|^key$|credential|session|cookie|signature|^x-amz-security/i;

/**
 * A value that is a credential whatever its name: a scheme and its credentials, or a JWT
 * (base64url of `{"`, then two more parts), as a header, query parameter or member may carry.
 */
const SECRET_VALUE = /\b(?:Bearer|Basic|Digest)\s+\S|eyJ[\w-]{6,}\.[\w-]+\./i;

/** How a secret value of `length` characters is shown. */
export function notEchoed(length: number): string {
  return `[not echoed: ${length} characters]`;
}

/** The reading of an Authorization (or Proxy-Authorization) value, without its secret. */
export type CredentialsView =
  | { scheme: 'Basic'; user: string; password: string }
  | {
      scheme: 'Bearer';
      jwt?: { header: Record<string, unknown>; payload: Record<string, unknown> };
      signature?: string;
      token?: string;
      note: string;
    }
  | { scheme: 'Digest'; params: Record<string, string> }
  | { scheme: string; credentials?: string; problem?: string };

/** The Digest parameters that are no secret (the `response` is a hash of the password). */
const DIGEST_PUBLIC = new Set([
  'username',
  'realm',
  'uri',
  'algorithm',
  'qop',
  'nc',
  'nonce',
  'cnonce',
  'opaque',
]);

/**
 * Schemes whose name is shown back: the IANA HTTP Authentication Scheme Registry, a few common
 * unregistered ones, and this server's own (ApiKey, Cookie). Anything else may be part of a
 * secret (a raw key sent with no scheme at all), so it is not named.
 */
const KNOWN_SCHEMES = new Map(
  [
    'Basic',
    'Bearer',
    'Concealed',
    'Digest',
    'DPoP',
    'GNAP',
    'HOBA',
    'Mutual',
    'Negotiate',
    'NTLM',
    'OAuth',
    'PrivateToken',
    'SCRAM-SHA-1',
    'SCRAM-SHA-256',
    'vapid',
    'AWS4-HMAC-SHA256',
    'Token',
    'ApiKey',
    'Cookie',
  ].map((name) => [name.toLowerCase(), name]),
);

/** Reads an Authorization value as a learner should see it. Never throws, whatever the input. */
export function credentialsView(value: string): CredentialsView {
  const sent = schemeOf(value);
  const known = KNOWN_SCHEMES.get(sent.toLowerCase());
  if (known === undefined) {
    return {
      scheme: '(not a scheme this server knows: not echoed)',
      credentials: notEchoed(value.length),
    };
  }
  const scheme = known;
  const rest = value.slice(sent.length).trim();
  switch (sent.toLowerCase()) {
    case 'basic': {
      const basic = parseBasic(value);
      return basic.kind === 'basic'
        ? { scheme: 'Basic', user: basic.user, password: notEchoed(basic.password.length) }
        : { scheme, credentials: notEchoed(rest.length), problem: readable(basic) };
    }
    case 'bearer': {
      const bearer = parseBearer(value);
      if (bearer.kind !== 'bearer') {
        return { scheme, credentials: notEchoed(rest.length), problem: readable(bearer) };
      }
      const [h = '', p = '', s, ...more] = bearer.token.split('.');
      const header = decodeJsonPart(h)?.value;
      const payload = decodeJsonPart(p)?.value;
      if (header && payload && s !== undefined && more.length === 0) {
        return {
          scheme: 'Bearer',
          jwt: { header, payload },
          signature: notEchoed(s.length),
          note: 'Decoded, not verified: GET /api/v1/data verifies a token and says why it refuses one.',
        };
      }
      return {
        scheme: 'Bearer',
        token: notEchoed(bearer.token.length),
        note: 'Not a JWT (three base64url parts of JSON): an opaque token, or an API key.',
      };
    }
    case 'digest': {
      const params = parseAuthParams(rest);
      if (typeof params === 'string') {
        return { scheme, credentials: notEchoed(rest.length), problem: params };
      }
      const shown: Record<string, string> = {};
      for (const [name, v] of params)
        shown[name] = DIGEST_PUBLIC.has(name) ? v : notEchoed(v.length);
      return { scheme: 'Digest', params: shown };
    }
    default:
      return rest === '' ? { scheme } : { scheme, credentials: notEchoed(rest.length) };
  }
}

function readable(parsed: { kind: string; reason?: string }): string {
  return parsed.reason ?? 'No credentials follow the scheme.';
}

/**
 * The header fields as sent (their names' case, their order, a repeated field as a list), with
 * secret values replaced; credentials are read into `credentials` by header name.
 */
export function headersView(rawHeaders: readonly string[]): {
  headers: Record<string, string | string[]>;
  credentials: Record<string, CredentialsView | CredentialsView[]>;
} {
  const headers: Record<string, string | string[]> = {};
  const credentials: Record<string, CredentialsView | CredentialsView[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    const lower = name.toLowerCase();
    let shown = value;
    if (CREDENTIAL_HEADERS.has(lower)) {
      shown = `[not echoed: see credentials.${lower}]`;
      append(credentials, lower, credentialsView(value));
    } else if (lower === 'cookie') {
      shown = cookieView(value);
    } else if (SECRET_NAME.test(lower) || SECRET_VALUE.test(value)) {
      shown = notEchoed(value.length);
    }
    append(headers, name, shown);
  }
  return { headers, credentials };
}

function append<T>(into: Record<string, T | T[]>, name: string, value: T): void {
  const had = Object.hasOwn(into, name) ? into[name] : undefined;
  if (had === undefined) into[name] = value;
  else into[name] = Array.isArray(had) ? [...had, value] : [had, value];
}

/** A Cookie header with its names kept and its values' lengths only. */
function cookieView(value: string): string {
  return value
    .split(';')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0
        ? pair.trim()
        : `${pair.slice(0, eq).trim()}=${notEchoed(pair.slice(eq + 1).trim().length)}`;
    })
    .join('; ');
}

/** A query or a parsed body with the values of secret-named members replaced, at any depth. */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (depth > 32) return '[not echoed: nested too deeply]';
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v, depth + 1));
  if (typeof value === 'string' && SECRET_VALUE.test(value)) return notEchoed(value.length);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    out[name] = SECRET_NAME.test(name) ? secretShown(v) : withoutSecrets(v, depth + 1);
  }
  return out;
}

function secretShown(v: unknown): string {
  if (typeof v === 'string') return notEchoed(v.length);
  return '[not echoed]';
}
