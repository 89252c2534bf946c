import { rfc, type RfcRef } from '../scenarios/refs';
import type { RunRecord } from './record';

/**
 * The rules a run's report judges a client by: pure functions over the recorded requests, each
 * with a stable id. A rule either passes or names the requests that broke it (their numbers in
 * the run), the standard or practice it broke, and the fix.
 */
export type RuleId =
  | 'refused_credential_retried'
  | 'retry_storm'
  | 'retry_after_ignored'
  | 'refresh_token_reused'
  | 'refresh_not_single_flight'
  | 'forbidden_treated_as_unauthorized'
  | 'credential_sent_elsewhere'
  | 'expired_token_not_refreshed'
  | 'keepalive_after_absolute_expiry'
  | 'dpop_nonce_ignored'
  | 'challenge_list_misread'
  | 'challenge_not_read';

export type Severity = 'error' | 'warning';

export interface RuleResult {
  rule: RuleId;
  title: string;
  severity: Severity;
  passed: boolean;
  /** What happened, in a sentence, when the rule did not pass; what it checks, when it did. */
  summary: string;
  /** The numbers of the requests that show it (empty when the rule passed). */
  evidence: number[];
  rfc: RfcRef[];
  fix: string;
}

/** The patterns a report notes when done right. */
export const OBSERVATION_PATTERNS = [
  'recovered',
  'retry_after_honoured',
  'dpop_nonce_used',
  'challenge_read',
] as const;
export type ObservationPattern = (typeof OBSERVATION_PATTERNS)[number];

/** A pattern done right, noted in the report (it never fails a run). */
export interface Observation {
  pattern: ObservationPattern;
  summary: string;
  evidence: number[];
}

/** How many retries in how long are a storm. */
export const STORM_RETRIES = 5;
export const STORM_WINDOW_MS = 10_000;
/** How much sooner than Retry-After a retry may come (clocks and timers are not exact). */
export const RETRY_AFTER_SLACK_MS = 100;

interface RuleDef {
  title: string;
  severity: Severity;
  checks: string;
  rfc: RfcRef[];
  fix: string;
  judge(records: RunRecord[]): { evidence: number[]; summary: string } | undefined;
}

const OWASP_ABSOLUTE_TIMEOUT: RfcRef = {
  label: 'OWASP Session Management Cheat Sheet: Absolute Timeout',
  url: 'https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#absolute-timeout',
};
const BACKOFF: RfcRef = {
  label: 'AWS Builders’ Library: Timeouts, retries, and backoff with jitter',
  url: 'https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/',
};

/** When a record's answer was sent. */
const answeredAt = (r: RunRecord) => r.at + r.ms;
/**
 * Whether `later` was sent after the client could read `earlier`'s answer: it arrived after that
 * answer was written, and it is not the first request on a connection the same server process
 * had accepted by then (a client opens a connection to send a request; one opened before the
 * answer carried a request decided before it, however late that request arrived).
 */
const sentAfterAnswer = (earlier: RunRecord, later: RunRecord) =>
  later.n > earlier.last_arrived &&
  !(
    later.conn !== undefined &&
    earlier.last_accepted !== undefined &&
    later.proc === earlier.proc &&
    later.conn <= earlier.last_accepted
  );
const list = (ns: number[]) => ns.map((n) => `#${n}`).join(', ');

const RULES: Record<RuleId, RuleDef> = {
  refused_credential_retried: {
    title: 'A refused credential was sent again, unchanged, more than once',
    severity: 'error',
    checks: 'After a 401, the refused credential is sent again at most once.',
    rfc: [rfc(9110, '15.5.2'), rfc(6750, '3.1')],
    fix: 'On a 401, never resend the refused credential: refresh (or log in) once, retry once with the new credential, and give up if that is refused too.',
    judge(records) {
      const refused = new Map<string, RunRecord>();
      const resent = new Map<string, number[]>();
      for (const r of records) {
        if (r.kind !== 'resource' || r.credential === undefined) continue;
        const first = refused.get(r.credential);
        if (first && sentAfterAnswer(first, r)) {
          resent.set(r.credential, [...(resent.get(r.credential) ?? []), r.n]);
        } else if (!first && r.status === 401) {
          refused.set(r.credential, r);
        }
      }
      for (const [credential, ns] of resent) {
        if (ns.length < 2) continue;
        const first = refused.get(credential)!;
        return {
          evidence: [first.n, ...ns],
          summary: `The credential refused at #${first.n} (${first.code ?? '401'}) was sent ${ns.length} more times: ${list(ns)}.`,
        };
      }
      return undefined;
    },
  },

  retry_storm: {
    title: 'A retry storm',
    severity: 'error',
    checks: `At most ${STORM_RETRIES} retries of refused requests within ${STORM_WINDOW_MS / 1000} s.`,
    rfc: [rfc(9110, '10.2.3'), BACKOFF],
    fix: 'Cap retries (one after a refresh, a few with exponential backoff and jitter after a 429 or 503) and stop when the cap is reached.',
    judge(records) {
      // A retry repeats (method and path) a request that was refused before it was sent.
      const retries: RunRecord[] = [];
      const refused: RunRecord[] = [];
      for (const r of records) {
        const key = `${r.method} ${r.path}`;
        if (refused.some((f) => `${f.method} ${f.path}` === key && sentAfterAnswer(f, r))) {
          retries.push(r);
        }
        if (r.status >= 400) refused.push(r);
      }
      let worst: RunRecord[] = [];
      let start = 0;
      for (let end = 0; end < retries.length; end += 1) {
        while (retries[end]!.at - retries[start]!.at > STORM_WINDOW_MS) start += 1;
        if (end - start + 1 > worst.length) worst = retries.slice(start, end + 1);
      }
      if (worst.length <= STORM_RETRIES) return undefined;
      const seconds = (worst.at(-1)!.at - worst[0]!.at) / 1000;
      return {
        evidence: worst.map((r) => r.n),
        summary: `${worst.length} retries of refused requests in ${seconds.toFixed(1)} s (more than ${STORM_RETRIES} in ${STORM_WINDOW_MS / 1000} s).`,
      };
    },
  },

  retry_after_ignored: {
    title: 'Retry-After ignored on a 429 or 503',
    severity: 'error',
    checks: 'After a 429 or 503 with Retry-After, the same request waits that long.',
    rfc: [rfc(9110, '10.2.3'), rfc(6585, '4'), rfc(9110, '15.6.4')],
    fix: 'Read Retry-After (seconds or an HTTP date) on 429 and 503 and wait at least that long before the next attempt; keep the credential, it was not refused.',
    judge(records) {
      for (const r of records) {
        if ((r.status !== 429 && r.status !== 503) || r.retry_after === undefined) continue;
        const next = records.find(
          (s) => s.kind === r.kind && s.path === r.path && s.method === r.method && s.n > r.n,
        );
        if (!next || !sentAfterAnswer(r, next)) continue;
        const waited = next.at - answeredAt(r);
        if (waited < r.retry_after * 1000 - RETRY_AFTER_SLACK_MS) {
          return {
            evidence: [r.n, next.n],
            summary: `#${r.n} answered ${r.status} with Retry-After: ${r.retry_after}; #${next.n} came ${Math.max(0, waited)} ms later.`,
          };
        }
      }
      return undefined;
    },
  },

  refresh_token_reused: {
    title: 'A refresh token was used again after it had been exchanged',
    severity: 'error',
    checks: 'Each refresh token is exchanged once; the next refresh uses the one that answer gave.',
    rfc: [rfc(9700, '4.14.2'), rfc(6749, '6')],
    fix: 'Refresh tokens rotate: store the refresh_token of every refresh answer in place of the old one, atomically, before anything else uses it.',
    judge(records) {
      for (const [earlier, later] of refreshPairs(records)) {
        if (isConcurrent(records, earlier, later)) continue;
        return {
          evidence: [earlier.n, later.n],
          summary: `#${later.n} refreshed with the refresh token #${earlier.n} had already exchanged${later.code ? ` (answered ${later.code})` : ''}.`,
        };
      }
      return undefined;
    },
  },

  refresh_not_single_flight: {
    title: 'Concurrent refreshes (no single-flight)',
    severity: 'error',
    checks: 'When several requests see a 401 at once, one refresh serves them all.',
    rfc: [rfc(9700, '4.14.2'), rfc(6749, '6')],
    fix: 'Share one in-flight refresh: the first request that sees the 401 starts it, the others wait for its result (a promise, a lock) and retry with the new token.',
    judge(records) {
      const overlapping = new Set<number>();
      for (const [earlier, later] of refreshPairs(records, true)) {
        if (!isConcurrent(records, earlier, later)) continue;
        overlapping.add(earlier.n).add(later.n);
      }
      if (overlapping.size === 0) return undefined;
      const ns = [...overlapping].sort((a, b) => a - b);
      return {
        evidence: ns,
        summary: `${ns.length} refreshes with one refresh token at once: ${list(ns)}.`,
      };
    },
  },

  forbidden_treated_as_unauthorized: {
    title: 'A 403 treated as a 401',
    severity: 'error',
    checks: 'After a 403, the client does not refresh or log in again.',
    rfc: [rfc(9110, '15.5.4'), rfc(6750, '3.1')],
    fix: 'A 403 (insufficient_scope, a role refused) means the credential is valid but not enough: a new token with the same grant changes nothing. Ask for the scope the challenge names, or report the refusal.',
    judge(records) {
      for (const r of records) {
        if (r.status !== 403 || r.credential === undefined) continue;
        const next = records.find((s) => s.n > r.n && sentAfterAnswer(r, s));
        if (next && (next.kind === 'refresh' || next.kind === 'token' || next.kind === 'login')) {
          return {
            evidence: [r.n, next.n],
            summary: `#${r.n} answered 403 ${r.code ?? ''}; the next request, #${next.n}, was a ${next.kind === 'refresh' ? 'refresh' : 'new login'}.`,
          };
        }
      }
      return undefined;
    },
  },

  credential_sent_elsewhere: {
    title: 'Credentials sent outside the protected resource',
    severity: 'error',
    checks:
      'Credentials go only to the protected resource’s origin and paths, never along a redirect.',
    rfc: [rfc(9110, '15.4'), rfc(6750, '5.3')],
    fix: 'Attach Authorization per request to the resource’s own origin and paths; follow redirects manually (fetch: redirect: "manual"), or drop Authorization when a redirect leaves the resource.',
    judge(records) {
      const home = records[0]?.host;
      const stray = records.filter(
        (r) =>
          r.credential !== undefined &&
          r.kind !== 'refresh' &&
          r.kind !== 'token' &&
          (r.host !== home || r.path.startsWith(ELSEWHERE)),
      );
      if (stray.length === 0) return undefined;
      const first = stray[0]!;
      return {
        evidence: stray.map((r) => r.n),
        summary: `#${first.n} carried a credential to ${first.host !== home ? `another origin (${first.host})` : `${first.path}, outside the protected resource`}.`,
      };
    },
  },

  expired_token_not_refreshed: {
    title: 'A token used after its exp, without an attempt to refresh',
    severity: 'warning',
    checks: 'A token past its exp is refreshed (before or after the 401), not used on.',
    rfc: [rfc(6749, '5.1'), rfc(6749, '6'), rfc(7519, '4.1.4')],
    fix: 'Track expires_in (or the token’s exp): refresh shortly before it, and on a 401 token_expired refresh once and retry once.',
    judge(records) {
      const late = records.filter(
        (r) => r.kind === 'resource' && r.token_exp !== undefined && r.token_exp * 1000 <= r.at,
      );
      const unrefreshed = late.filter(
        (r) =>
          !records.some(
            (s) => s.n > r.n && (s.kind === 'refresh' || s.kind === 'token' || s.kind === 'login'),
          ),
      );
      if (unrefreshed.length === 0) return undefined;
      return {
        evidence: unrefreshed.map((r) => r.n),
        summary: `${list(unrefreshed.map((r) => r.n))} sent a token past its exp, and no refresh followed.`,
      };
    },
  },

  keepalive_after_absolute_expiry: {
    title: 'Keepalives after the session’s absolute timeout',
    severity: 'error',
    checks: 'After session_absolute_expired, the keepalive loop stops.',
    rfc: [OWASP_ABSOLUTE_TIMEOUT, rfc(9110, '15.5.2')],
    fix: 'session_absolute_expired is final: no keepalive can extend it. Stop the keepalive timer and send the user to log in.',
    judge(records) {
      const end = records.find((r) => r.code === 'session_absolute_expired');
      if (!end) return undefined;
      const after = records.filter(
        (r) => r.kind === 'keepalive' && r.n > end.n && sentAfterAnswer(end, r),
      );
      if (after.length === 0) return undefined;
      return {
        evidence: [end.n, ...after.map((r) => r.n)],
        summary: `#${end.n} answered session_absolute_expired; ${after.length} keepalive(s) followed: ${list(after.map((r) => r.n))}.`,
      };
    },
  },

  dpop_nonce_ignored: {
    title: 'The DPoP nonce the server asked for was not used',
    severity: 'error',
    checks: 'After a 401 use_dpop_nonce, the retry’s proof carries the DPoP-Nonce the server gave.',
    rfc: [rfc(9449, '9'), rfc(9449, '8')],
    fix: 'Read DPoP-Nonce from the 401 (and from every later answer), make a new proof with it as its nonce claim, and retry once with the same token: the token was not refused, the proof was.',
    judge(records) {
      const evidence: number[] = [];
      let first = '';
      for (const r of records) {
        if (r.status !== 401 || r.code !== 'dpop_nonce_required' || !r.nonce_given) continue;
        const retry = records.find(
          (s) => s.path === r.path && s.credential === r.credential && sentAfterAnswer(r, s),
        );
        const given = new Set(
          records.filter((g) => retry && sentAfterAnswer(g, retry)).map((g) => g.nonce_given),
        );
        if (retry && retry.proof_nonce !== undefined && given.has(retry.proof_nonce)) continue;
        evidence.push(r.n, ...(retry ? [retry.n] : []));
        first ||= retry
          ? `#${r.n} asked for a DPoP nonce; its retry #${retry.n} ${retry.proof_nonce === undefined ? 'sent a proof without one' : 'sent a nonce the server never gave'}.`
          : `#${r.n} asked for a DPoP nonce; the client never retried with it.`;
      }
      return evidence.length === 0
        ? undefined
        : { evidence: [...new Set(evidence)], summary: first };
    },
  },

  challenge_list_misread: {
    title: 'A 401 with two challenges was misread',
    severity: 'error',
    checks:
      'After a 401 whose WWW-Authenticate holds a DPoP challenge and then Bearer error="invalid_token", the client refreshes and retries.',
    rfc: [rfc(9110, '11.6.1'), rfc(6750, '3'), rfc(9449, '7.2')],
    fix: 'Parse WWW-Authenticate as a list of challenges (RFC 9110 §11.6.1: a scheme, then auth-params or a token68; commas separate both the challenges and their parameters), pick the scheme you authenticate with (Bearer), and branch on its error: invalid_token → refresh once, retry once. Never read only the first scheme, or test the header with startsWith("Bearer").',
    judge: (records) => challengeUnheeded(records, 'two_challenges'),
  },

  challenge_not_read: {
    title: 'The challenge was not read: the body was string-matched',
    severity: 'error',
    checks:
      'After a 401 whose only sign is its challenge (Bearer error="invalid_token", a gateway’s HTML body), the client refreshes and retries.',
    rfc: [rfc(6750, '3'), rfc(9110, '11.6.1')],
    fix: 'Decide from the status and WWW-Authenticate, never from the body’s words: a gateway, a proxy or the next version of the API words it differently. On a 401 with Bearer error="invalid_token", refresh once and retry once; read the body only to show a person.',
    judge: (records) => challengeUnheeded(records, 'gateway_body'),
  },
};

/** A request that gets a client a fresh credential. */
const renews = (r: RunRecord) => r.kind === 'refresh' || r.kind === 'token' || r.kind === 'login';

/**
 * The 401s scripted as `step` whose challenge said invalid_token, which the client did not act
 * on: no refresh or login came after it, or the refused credential was sent again before one.
 * A refresh shared by concurrent requests counts for each (it came after each was sent).
 */
function challengeUnheeded(
  records: RunRecord[],
  step: string,
): { evidence: number[]; summary: string } | undefined {
  const evidence: number[] = [];
  let first = '';
  for (const r of records) {
    if (r.step !== step || r.status !== 401) continue;
    const renewal = records.find((s) => s.n > r.n && renews(s));
    const resent = records.filter(
      (s) =>
        s.kind === 'resource' &&
        s.credential === r.credential &&
        sentAfterAnswer(r, s) &&
        (renewal === undefined || s.n < renewal.n),
    );
    if (renewal && resent.length === 0) continue;
    evidence.push(r.n, ...resent.map((s) => s.n));
    first ||=
      resent.length > 0
        ? `#${r.n}’s challenge said invalid_token; the client sent the refused token again (${list(resent.map((s) => s.n))}) ${renewal ? 'before refreshing' : 'and never refreshed'}.`
        : `#${r.n}’s challenge said invalid_token; the client gave up: no refresh or login followed.`;
  }
  return evidence.length === 0 ? undefined : { evidence: [...new Set(evidence)], summary: first };
}

/** The path prefix a scripted redirect sends a client to: outside every protected resource. */
export const ELSEWHERE = '/elsewhere';

/**
 * Pairs of refreshes with one refresh token where the earlier one exchanged it (answered 200):
 * the later one reused it. With `all`, every such pair; else each later refresh once.
 */
function refreshPairs(records: RunRecord[], all = false): [RunRecord, RunRecord][] {
  const pairs: [RunRecord, RunRecord][] = [];
  const refreshes = records.filter((r) => r.kind === 'refresh' && r.refresh_token !== undefined);
  for (const later of refreshes) {
    for (const earlier of refreshes) {
      if (earlier.n >= later.n || earlier.refresh_token !== later.refresh_token) continue;
      if (earlier.status !== 200 && sentAfterAnswer(earlier, later)) continue;
      pairs.push([earlier, later]);
      if (!all) break;
    }
  }
  return pairs;
}

/** A refresh this long after another one's answer is not part of the same burst. */
export const RACE_WINDOW_MS = 1000;

/**
 * Whether two refreshes with one refresh token raced rather than the later one reusing it: the
 * later one was sent before the earlier one was answered, or soon after it without the client
 * having seen the earlier refresh's new token refused (the reason a serial client refreshes
 * again). A client that reused its refresh token had used the new access token and seen it end.
 */
function isConcurrent(records: RunRecord[], earlier: RunRecord, later: RunRecord): boolean {
  if (!sentAfterAnswer(earlier, later)) return true;
  if (later.at - answeredAt(earlier) > RACE_WINDOW_MS) return false;
  return !records.some(
    (r) =>
      r.n > earlier.n &&
      r.status === 401 &&
      earlier.issued !== undefined &&
      r.credential === earlier.issued &&
      sentAfterAnswer(r, later),
  );
}

/** The patterns done right that a report notes. */
function observations(records: RunRecord[]): Observation[] {
  const notes: Observation[] = [];
  for (const r of records) {
    if (r.kind !== 'resource' || r.status !== 401) continue;
    const after = records.filter((s) => s.n > r.n && sentAfterAnswer(r, s));
    const [refresh, retry] = after;
    if (
      refresh?.kind === 'refresh' &&
      refresh.status === 200 &&
      retry?.kind === 'resource' &&
      retry.path === r.path &&
      retry.credential !== r.credential &&
      retry.status < 400
    ) {
      notes.push({
        pattern: 'recovered',
        summary: `Refreshed once (#${refresh.n}), retried once (#${retry.n}), recovered in ${answeredAt(retry) - answeredAt(r)} ms.`,
        evidence: [r.n, refresh.n, retry.n],
      });
    }
  }
  for (const r of records) {
    if ((r.status !== 429 && r.status !== 503) || r.retry_after === undefined) continue;
    const next = records.find((s) => s.n > r.n && s.method === r.method && s.path === r.path);
    if (!next || next.at - answeredAt(r) < r.retry_after * 1000 - RETRY_AFTER_SLACK_MS) continue;
    notes.push({
      pattern: 'retry_after_honoured',
      summary: `Waited ${next.at - answeredAt(r)} ms after #${r.n}'s Retry-After: ${r.retry_after} before retrying (#${next.n}).`,
      evidence: [r.n, next.n],
    });
  }
  for (const r of records) {
    if (r.status !== 401 || r.code !== 'dpop_nonce_required' || !r.nonce_given) continue;
    const retry = records.find(
      (s) => s.path === r.path && s.credential === r.credential && sentAfterAnswer(r, s),
    );
    if (!retry || retry.proof_nonce !== r.nonce_given || retry.status >= 400) continue;
    notes.push({
      pattern: 'dpop_nonce_used',
      summary: `Retried once (#${retry.n}) with the DPoP nonce #${r.n} gave, and was served.`,
      evidence: [r.n, retry.n],
    });
  }
  for (const r of records) {
    if ((r.step !== 'two_challenges' && r.step !== 'gateway_body') || r.status !== 401) continue;
    if (challengeUnheeded([r, ...records.filter((s) => s.n > r.n)], r.step)) continue;
    const renewal = records.find((s) => s.n > r.n && renews(s))!;
    notes.push({
      pattern: 'challenge_read',
      summary: `Read the Bearer challenge’s error="invalid_token" in #${r.n}’s 401 (${r.step === 'two_challenges' ? 'the second of two challenges' : 'a gateway’s body that names no code'}) and got a new token (#${renewal.n}).`,
      evidence: [r.n, renewal.n],
    });
  }
  return notes;
}

export const RULE_IDS = Object.keys(RULES) as RuleId[];

/** Every rule's verdict on a run's records (in request order), and the patterns done right. */
export function judge(records: RunRecord[]): { rules: RuleResult[]; observations: Observation[] } {
  const sorted = [...records].sort((a, b) => a.n - b.n);
  const rules = RULE_IDS.map((id): RuleResult => {
    const def = RULES[id];
    const verdict = def.judge(sorted);
    return {
      rule: id,
      title: def.title,
      severity: def.severity,
      passed: verdict === undefined,
      summary: verdict?.summary ?? def.checks,
      evidence: verdict?.evidence ?? [],
      rfc: def.rfc,
      fix: def.fix,
    };
  });
  return { rules, observations: observations(sorted) };
}
