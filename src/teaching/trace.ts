/**
 * The shape of a decision trace: how a credential was judged, step by step. Its own module, so
 * that the token verifier (src/tokens/verify.ts) and the teaching surface (src/teaching/explain.ts) both name it
 * without depending on each other.
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
  /**
   * Checks that do not apply to this credential, neither passed nor failed: for a token without
   * a kid, "kid is a string" and "kid names a key" (its key is the current key of its alg).
   */
  not_applicable?: string[];
  /** The times involved, ISO 8601 UTC, with the server clock and the tolerance applied. */
  times?: Record<string, string | number>;
  /** What the credential said about itself: key id, algorithm, type. Never the credential. */
  facts?: Record<string, string | number>;
}

/**
 * A request's trace as a guard leaves it in `res.locals.trace`: the trace, or how to build it
 * when someone reads it. A refusal's trace is read by the access log line and an explanation
 * only: with the log silent and the address's explanations spent, building it (its times, the
 * token's facts) was a tenth of what an expired token's refusal added (bench/RESULTS.md, tenth
 * round). A builder must not depend on anything that changes after the guard ran.
 */
export type TraceLater = DecisionTrace | (() => DecisionTrace | undefined);

/** The trace in `locals`, built now if it was left as a builder, and kept there built. */
export function traceNow(locals: { trace?: TraceLater }): DecisionTrace | undefined {
  const { trace } = locals;
  if (typeof trace !== 'function') return trace;
  const built = trace();
  locals.trace = built;
  return built;
}
