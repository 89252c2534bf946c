import { createHmac } from 'node:crypto';
import { decodeJwt, isNumericDate } from '../site/shared/jwt';

/**
 * What a run keeps of one request: enough for the rules (src/runs/rules.ts) to judge what the
 * client did, never a credential. A credential is named by its fingerprint, a short keyed hash:
 * two requests with the same token show the same fingerprint, and nothing in a report can be
 * turned back into the token.
 */
export interface RunRecord {
  /** The request's number in the run, from 1, in the order requests arrived. */
  n: number;
  /** When the request arrived, ms since the epoch. */
  at: number;
  /** How long the answer took, ms (until it was written: `res.end`). */
  ms: number;
  method: string;
  /** The path as served (without the /runs/{id} prefix, without the query), at most 200 chars. */
  path: string;
  /** The Host the request named (where a client sent its credentials), at most 100 chars. */
  host: string;
  kind: RequestKind;
  /** Fingerprint of the Authorization field or, without one, of the session cookie. */
  credential?: string;
  /** Fingerprint of the refresh_token a refresh sent. */
  refresh_token?: string;
  /** Fingerprint of the access token a token answer issued (as a credential would show it). */
  issued?: string;
  /** The `exp` claim (seconds) of a Bearer JWT sent, read without verifying it. */
  token_exp?: number;
  status: number;
  /** The problem code answered, if any. */
  code?: string;
  /** Seconds the answer's Retry-After asked for. */
  retry_after?: number;
  /** Whether the run's script answered, not the route. */
  scripted?: boolean;
  /** What the script answered (src/runs/scripts.ts StepAnswer), when it did. */
  step?: string;
  /** Fingerprint of the DPoP-Nonce the answer gave (RFC 9449 §8, §9). */
  nonce_given?: string;
  /** Fingerprint of the nonce claim of the request's DPoP proof, read without verifying it. */
  proof_nonce?: string;
  /**
   * The number of the latest request of the run that had arrived when this one was answered: a
   * request numbered higher was sent after the client could read this answer.
   */
  last_arrived: number;
  /**
   * When this request was the first on its connection, the number this server process gave the
   * connection as it accepted it (src/http/connections.ts); compared with another answer's
   * `last_accepted` in the same process (`proc`).
   */
  conn?: number;
  /**
   * How many connections this process had accepted when this request was answered: a request
   * that is the first on a connection numbered up to this was sent before the client could read
   * this answer, even if it arrived after it.
   */
  last_accepted?: number;
  /**
   * Which server process answered (a random tag): the two numbers above compare only within one.
   * A report shows all three run-local (src/runs/report.ts runLocal): ranks among the run's own
   * numbers and `p1`, `p2`, …, so that no visitor learns how many connections others opened.
   */
  proc?: string;
}

/**
 * What a request was for: a protected resource (with a credential), a refresh (the
 * refresh_token grant), another grant or a login (a fresh credential), a session keepalive, or
 * anything else (the runs API is not recorded at all).
 */
export type RequestKind = 'resource' | 'refresh' | 'token' | 'login' | 'keepalive' | 'other';

export const REQUEST_KINDS: readonly RequestKind[] = [
  'resource',
  'refresh',
  'token',
  'login',
  'keepalive',
  'other',
];

/** The paths of protected resources a run's script may answer for (with a credential). */
const RESOURCE_PATH = /^\/(?:api\/v1\/|v1\/|admin(?:\/|$)|userinfo$|me$)/;

/** Whether a request is one for a protected resource: a resource path, with a credential. */
export function isResourceRequest(path: string, hasCredential: boolean): boolean {
  return hasCredential && RESOURCE_PATH.test(path);
}

/** The kind of a request, from its method, path, body (after parsing) and credentials. */
export function requestKind(
  method: string,
  path: string,
  body: unknown,
  hasCredential: boolean,
): RequestKind {
  if (method === 'POST' && path === '/auth/token') {
    const grant =
      typeof body === 'object' && body !== null
        ? (body as Record<string, unknown>).grant_type
        : undefined;
    return grant === 'refresh_token' ? 'refresh' : 'token';
  }
  if (method === 'POST' && (path === '/login' || path === '/login/mfa')) return 'login';
  if (path === '/keepalive') return 'keepalive';
  return isResourceRequest(path, hasCredential) ? 'resource' : 'other';
}

/** Fingerprints: 12 base64url characters (72 bits) of an HMAC under a key of the server's. */
export type Fingerprinter = (credential: string) => string;

export function fingerprinter(secret: Buffer): Fingerprinter {
  const key = createHmac('sha256', secret).update('four-oh-one run fingerprints').digest();
  // A Bearer credential is named by its token alone, so that the token a refresh issued and the
  // Authorization field that later carries it show the same fingerprint.
  return (credential) =>
    createHmac('sha256', key)
      .update(credential.replace(BEARER_PREFIX, ''))
      .digest('base64url')
      .slice(0, 12);
}

const BEARER_PREFIX = /^\s*bearer\s+/i;

/** The `exp` of a Bearer JWT, read without verifying it (the client could read it too). */
export function bearerExp(authorization: string | undefined): number | undefined {
  if (authorization === undefined || !/^bearer\s/i.test(authorization)) return undefined;
  const reading = decodeJwt(authorization);
  const exp = reading.ok ? reading.payload.exp : undefined;
  return isNumericDate(exp) ? exp : undefined;
}

/** Retry-After in seconds (delay-seconds only, as this server sends it), else undefined. */
export function retryAfterSeconds(value: unknown): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text === 'number') return text;
  if (typeof text !== 'string' || !/^\d{1,6}$/.test(text)) return undefined;
  return Number(text);
}

/** The `nonce` claim of a DPoP proof (one DPoP field), read without verifying it. */
export function proofNonce(dpop: unknown): string | undefined {
  if (typeof dpop !== 'string') return undefined;
  const reading = decodeJwt(dpop);
  const nonce = reading.ok ? reading.payload.nonce : undefined;
  return typeof nonce === 'string' && nonce.length <= 512 ? nonce : undefined;
}
