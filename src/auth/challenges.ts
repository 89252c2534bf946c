import { problemCatalog, type ProblemCode } from '../scenarios/catalog';
import { isToken } from './scheme';
import { DPOP_ALGS } from '../tokens/dpop';

/**
 * The challenges this server sends (RFC 9110 §11.6.1), every one built here: the realm, the
 * quoting and each scheme's parameters live in one place.
 */

/** The realm every challenge names. */
export const REALM = 'four-oh-one';

/** Quotes a value as an RFC 9110 §5.6.4 quoted-string, dropping characters it cannot carry. */
export function quote(value: string): string {
  // qdtext allows HTAB, SP, VCHAR and obs-text; control characters cannot be sent at all.
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');
  return `"${clean.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A parameter value sent as a bare token, unquoted (RFC 7616 §3.3 wants `algorithm` so). */
export interface TokenValue {
  token: string;
}

/**
 * Builds one challenge: `Scheme name="value", ...`. Parameters whose value is undefined are left
 * out; names must be tokens. Values are quoted, which every parser accepts, unless given as a
 * TokenValue.
 */
export function challenge(
  scheme: string,
  params: Record<string, string | TokenValue | undefined> = {},
): string {
  if (!isToken(scheme)) throw new TypeError(`challenge scheme is not a token: ${scheme}`);
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (!isToken(name)) throw new TypeError(`challenge parameter is not a token: ${name}`);
    if (typeof value === 'string') parts.push(`${name}=${quote(value)}`);
    else if (isToken(value.token)) parts.push(`${name}=${value.token}`);
    else throw new TypeError(`challenge parameter ${name} is not a token: ${value.token}`);
  }
  return parts.length > 0 ? `${scheme} ${parts.join(', ')}` : scheme;
}

/** Several challenges in one header field, comma-separated (RFC 9110 §11.6.1). */
export function challenges(...list: string[]): string {
  return list.join(', ');
}

/** RFC 6750 §3: `error_description` may hold only %x20-21 / %x23-5B / %x5D-7E. */
export function rfc6750Text(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

// --- Bearer (RFC 6750 §3) ----------------------------------------------------------------------

export interface BearerChallengeOptions {
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | string;
  errorDescription?: string;
  scope?: string;
  /** RFC 9728 §5.1: where a client finds the protected resource metadata. */
  resourceMetadata?: string;
  [param: string]: string | undefined;
}

/** A Bearer challenge per RFC 6750 §3; without `error` when the request carried no credentials. */
export function bearerChallenge(options: BearerChallengeOptions = {}): string {
  const { error, errorDescription, scope, resourceMetadata, ...rest } = options;
  return challenge('Bearer', {
    realm: REALM,
    scope,
    error,
    error_description: errorDescription === undefined ? undefined : rfc6750Text(errorDescription),
    ...rest,
    resource_metadata: resourceMetadata,
  });
}

/** The Bearer challenges a protected resource sends, built once per resource (RFC 6750 §3). */
export interface BearerChallenges {
  /** For a request with no (usable) credentials: no `error` parameter. */
  noCredentials: string;
  /** For a broken Authorization header: `error="invalid_request"` described by `code`'s title. */
  invalidRequest(code?: ProblemCode): string;
  /** For a refused token: `error="invalid_token"` described by the problem's title. */
  invalidToken(code: ProblemCode): string;
}

/**
 * `alongside`: another challenge every one of these is sent with, in the same field (RFC 9110
 * §11.6.1), e.g. DPOP_OFFER where the resource takes DPoP too (RFC 9449 §7.2, Figures 17, 18).
 */
export function bearerChallenges(resourceMetadata?: string, alongside?: string): BearerChallenges {
  const beside = (value: string) =>
    alongside === undefined ? value : challenges(value, alongside);
  const built = new Map<string, string>();
  const described = (error: string, code: ProblemCode) => {
    const key = `${error} ${code}`;
    let value = built.get(key);
    if (value === undefined) {
      value = beside(
        bearerChallenge({ error, errorDescription: problemCatalog[code].title, resourceMetadata }),
      );
      built.set(key, value);
    }
    return value;
  };
  return {
    noCredentials: beside(bearerChallenge({ resourceMetadata })),
    invalidRequest: (code = 'authorization_malformed') => described('invalid_request', code),
    invalidToken: (code) => described('invalid_token', code),
  };
}

// --- DPoP (RFC 9449 §7.1) ----------------------------------------------------------------------

/** The proof algorithms a DPoP challenge advertises (RFC 9449 §7.1 `algs`), space-separated. */
export const DPOP_ALGS_PARAM = DPOP_ALGS.join(' ');

/**
 * The DPoP challenge a resource that takes DPoP sends beside each Bearer one (RFC 9449 §7.2,
 * Figures 17 and 18): only `algs`; the error, if any, is the Bearer challenge's.
 */
export const DPOP_OFFER = challenge('DPoP', { algs: DPOP_ALGS_PARAM });

/**
 * A DPoP challenge: `algs` always; `error` (`invalid_token`, `invalid_dpop_proof`,
 * `use_dpop_nonce`) described by the problem's title when the request was refused.
 */
export function dpopChallenge(
  options: { error?: string; code?: ProblemCode; resourceMetadata?: string } = {},
): string {
  return challenge('DPoP', {
    realm: REALM,
    error: options.error,
    error_description:
      options.code === undefined ? undefined : rfc6750Text(problemCatalog[options.code].title),
    algs: DPOP_ALGS_PARAM,
    resource_metadata: options.resourceMetadata,
  });
}

// --- The other schemes -------------------------------------------------------------------------

/** The Basic challenge (RFC 7617 §2.1), with the only charset RFC 7617 allows. */
export function basicChallenge(realm: string = REALM): string {
  return challenge('Basic', { realm, charset: 'UTF-8' });
}

/**
 * One Digest challenge (RFC 7616 §3.3): realm, qop, nonce and opaque quoted, algorithm, charset
 * and stale not, as the RFC writes them.
 */
export function digestChallenge(p: {
  realm: string;
  qop: string;
  algorithm: string;
  nonce: string;
  opaque: string;
  stale: boolean;
}): string {
  return challenge('Digest', {
    realm: p.realm,
    qop: p.qop,
    algorithm: { token: p.algorithm },
    nonce: p.nonce,
    opaque: p.opaque,
    charset: { token: 'UTF-8' },
    stale: p.stale ? { token: 'true' } : undefined,
  });
}

/** The cookie-session challenge (after draft-broyer-http-cookie-auth; no registered scheme exists). */
export function cookieChallenge(cookieName: string): string {
  return challenge('Cookie', { realm: REALM, 'form-action': '/login', 'cookie-name': cookieName });
}

/**
 * The challenge for a key in a header of its own. No HTTP authentication scheme is registered
 * for that, so, like the Cookie challenge of the sessions, this one is this server's own: it
 * names the header a client must send.
 */
export function apiKeyChallenge(header = 'X-API-Key', realm: string = REALM): string {
  return challenge('ApiKey', { realm, header });
}
