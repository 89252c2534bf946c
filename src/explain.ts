import { problemCatalog, type ProblemCode } from './scenarios';
import type { Store } from './store';
import { ACCESS_CHECKS, JWS_CHECKS, type AccessClaims, type Evidence } from './tokens';

/**
 * Decision traces: how a credential was judged, step by step, for `GET /explain/:request_id`
 * and the request's log line. A trace names checks, times and the key id; it never holds a
 * token, a signature, a cookie, a password or a secret, so it may be shown to anyone who has
 * the request id.
 */

/** How a guard judged the credentials of one request. */
export interface DecisionTrace {
  /** What judged them, e.g. "bearer access token (RFC 6750, RFC 9068)". */
  guard: string;
  /** The checks that passed, in the order they ran. */
  passed: string[];
  /** The check that failed; absent when every check passed and a later step refused. */
  failed?: string;
  /** The checks that never ran because an earlier one failed. */
  not_reached: string[];
  /** The times involved, ISO 8601 UTC, with the server clock and the tolerance applied. */
  times?: Record<string, string | number>;
  /** What the credential said about itself: key id, algorithm, type. Never the credential. */
  facts?: Record<string, string | number>;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augmenting Express's own namespace
  namespace Express {
    interface Locals {
      /** How the request's credentials were judged; read by the log line and /explain. */
      trace?: DecisionTrace;
    }
  }
}

/** A trace over an ordered list of checks: those before `failed` passed, those after never ran. */
export function traceOf(
  guard: string,
  checks: readonly string[],
  failed: string | undefined,
  extra: Pick<DecisionTrace, 'times' | 'facts'> = {},
): DecisionTrace {
  // A check not on the list (a guard that names its own) is shown failing first.
  const at = failed === undefined ? checks.length : Math.max(0, checks.indexOf(failed));
  return {
    guard,
    passed: checks.slice(0, at),
    ...(failed === undefined ? {} : { failed }),
    not_reached: failed === undefined ? [] : checks.slice(at).filter((c) => c !== failed),
    ...(extra.times ? { times: extra.times } : {}),
    ...(extra.facts ? { facts: extra.facts } : {}),
  };
}

/** Seconds since the epoch as ISO 8601 without milliseconds. */
export const isoSeconds = (seconds: number) =>
  new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/** A value from an untrusted header, made short and printable for a trace. */
export function shortFact(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x1f\x7f]/g, '').slice(0, 64);
}

// --- The guards' checks, in the order they run -------------------------------------------------

/** The Authorization header checks every Bearer guard runs first (RFC 6750 §2.1). */
export const HEADER_CHECKS = [
  'credentials sent',
  'scheme is Bearer',
  'exactly one token after "Bearer "',
] as const;

export const BEARER_GUARD = 'Bearer access token (RFC 6750, RFC 9068)';
export const BEARER_CHECKS: readonly string[] = [...HEADER_CHECKS, ...JWS_CHECKS, ...ACCESS_CHECKS];

/** The trace of a Bearer refusal at the header or at a token check; undefined if it named none. */
export function bearerTrace(
  failed: string | undefined,
  evidence: Evidence = {},
  guard = BEARER_GUARD,
  checks = BEARER_CHECKS,
): DecisionTrace | undefined {
  return failed === undefined ? undefined : traceOf(guard, checks, failed, evidence);
}

/**
 * The trace of a token that passed every check, for a refusal that came after it (a role, a
 * step-up, a scripted failure): built only then, from the claims bearerAuth kept.
 */
export function acceptedBearerTrace(
  auth: { claims: AccessClaims; kid: string },
  nowMs: number,
  toleranceSeconds: number,
): DecisionTrace {
  const { claims } = auth;
  const times: Record<string, string | number> = {
    exp: isoSeconds(claims.exp),
    iat: isoSeconds(claims.iat),
  };
  if (typeof claims.nbf === 'number') times.nbf = isoSeconds(claims.nbf);
  if (typeof claims.auth_time === 'number') times.auth_time = isoSeconds(claims.auth_time);
  times.server_time = isoSeconds(Math.floor(nowMs / 1000));
  times.tolerance_seconds = toleranceSeconds;
  return traceOf(BEARER_GUARD, BEARER_CHECKS, undefined, { times, facts: { kid: auth.kid } });
}

export const SESSION_GUARD = 'cookie session (after draft-broyer-http-cookie-auth)';
export const SESSION_CHECKS = [
  'session cookie sent',
  'session known (signed cookie, stored record)',
  'within both the idle and the absolute timeout',
] as const;

// --- The stored explanation ---------------------------------------------------------------------

/** How long an explanation is kept: long enough to look up a failure just seen, no longer. */
export const EXPLANATION_TTL_MS = 15 * 60 * 1000;
/**
 * At most this many explanations are written per minute per process, so a flood of refused
 * requests can hold at most 15 x 600 entries per process in the store, never crowd out
 * sessions and revocations, and never make a refused request slower. Over it, the log line
 * still carries the trace.
 */
export const EXPLANATIONS_PER_MINUTE = 600;

export const explanationKey = (requestId: string) => `explain:${requestId}`;

/** What `GET /explain/:request_id` answers: the refusal, the trace, and where to read why. */
export interface Explanation {
  request_id: string;
  /** When the answer was sent, ISO 8601. */
  at: string;
  method: string;
  path: string;
  status: number;
  code: ProblemCode;
  title: string;
  /** The problem's detail, as the response said it. */
  detail?: string;
  /** The decision trace; null when the refusal came from no credential check (a 404, a body). */
  trace: DecisionTrace | null;
  /** The problem's documentation: why, and what to do. */
  type: string;
  remedy: string;
}

export function buildExplanation(fields: {
  requestId: string;
  at: number;
  method: string;
  path: string;
  status: number;
  code: ProblemCode;
  detail?: string;
  trace?: DecisionTrace;
}): Explanation {
  const def = problemCatalog[fields.code];
  return {
    request_id: fields.requestId,
    at: new Date(fields.at).toISOString(),
    method: fields.method,
    path: fields.path.slice(0, 256),
    status: fields.status,
    code: fields.code,
    title: def.title,
    ...(fields.detail === undefined ? {} : { detail: fields.detail }),
    trace: fields.trace ?? null,
    type: `/problems/${fields.code}`,
    remedy: def.remedy,
  };
}

/**
 * The explanations of recent refused requests, in the shared store (so any instance behind a
 * load balancer can answer for any other), each expiring after EXPLANATION_TTL_MS.
 */
export class ExplanationBook {
  private window = { start: -Infinity, written: 0 };

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly perMinute = EXPLANATIONS_PER_MINUTE,
  ) {}

  /** Whether one more explanation may be written in the current minute; counts it if so. */
  private admit(): boolean {
    const now = this.now();
    if (now - this.window.start >= 60_000) this.window = { start: now, written: 0 };
    if (this.window.written >= this.perMinute) return false;
    this.window.written += 1;
    return true;
  }

  /** Stores an explanation; false when the budget is spent. Store errors reach the caller. */
  async record(explanation: Explanation): Promise<boolean> {
    if (!this.admit()) return false;
    await this.store.set(
      explanationKey(explanation.request_id),
      JSON.stringify(explanation),
      EXPLANATION_TTL_MS,
    );
    return true;
  }

  async find(requestId: string): Promise<Explanation | undefined> {
    const raw = await this.store.get(explanationKey(requestId));
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as Explanation;
    } catch {
      return undefined;
    }
  }
}
