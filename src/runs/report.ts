import { RUN_MAX_REQUESTS, type Run } from './book';
import type { RunRecord } from './record';
import { judge, type Observation, type RuleResult } from './rules';

/** The run as its answers show it: where to send requests, and until when. */
export interface RunView {
  id: string;
  script: string;
  summary: string;
  expect: string;
  base_url: string;
  header: { name: 'X-Run-Id'; value: string };
  report_url: string;
  opened_at: string;
  expires_at: string;
  max_requests: number;
}

/** The run and how much of it was recorded: `arrived` requests, the first `recorded` kept. */
export type RunStatus = RunView & { arrived: number; recorded: number; truncated: boolean };

/** A run's report: every rule's verdict, the findings (the rules broken), the requests. */
export interface RunReport {
  run: RunStatus;
  /** True when no rule was broken: what a client's test suite asserts. */
  passed: boolean;
  findings: RuleResult[];
  observations: Observation[];
  rules: RuleResult[];
  requests: RunRecord[];
}

export function runView(run: Run, publicUrl: string): RunView {
  const base = `${publicUrl}/runs/${run.id}`;
  return {
    id: run.id,
    script: run.script.name,
    summary: run.script.summary,
    expect: run.script.expect,
    base_url: base,
    header: { name: 'X-Run-Id', value: run.id },
    report_url: `${base}/report`,
    opened_at: new Date(run.openedAt).toISOString(),
    expires_at: new Date(run.expiresAt).toISOString(),
    max_requests: RUN_MAX_REQUESTS,
  };
}

/** Judges a run's records (src/runs/rules.ts) into its report. */
export function buildReport(
  run: Run,
  publicUrl: string,
  records: RunRecord[],
  arrived: number,
): RunReport {
  const { rules, observations } = judge(records);
  const findings = rules.filter((r) => !r.passed);
  return {
    run: runStatus(run, publicUrl, records, arrived),
    passed: findings.length === 0,
    findings,
    observations,
    rules,
    requests: runLocal(records),
  };
}

/**
 * The records as a report shows them: `conn`, `last_accepted` and `proc` are the answering
 * process's own counts and tag, which would tell a visitor how many connections everyone else
 * opened in between (and which worker answered). Each number becomes its rank among the run's own
 * numbers of the same process, and each process a run-local name (`p1`, `p2`, … in order of first
 * answer): every comparison the rules make (a connection accepted before an answer, within one
 * process) reads the same, and nothing about other visitors' traffic remains.
 */
export function runLocal(records: RunRecord[]): RunRecord[] {
  const numbers = new Map<string, Set<number>>();
  for (const r of records) {
    if (r.proc === undefined) continue;
    let set = numbers.get(r.proc);
    if (set === undefined) numbers.set(r.proc, (set = new Set()));
    if (r.conn !== undefined) set.add(r.conn);
    if (r.last_accepted !== undefined) set.add(r.last_accepted);
  }
  const ranks = new Map<string, { name: string; rank: Map<number, number> }>();
  for (const [proc, set] of numbers) {
    const rank = new Map([...set].sort((a, b) => a - b).map((n, i) => [n, i + 1]));
    ranks.set(proc, { name: `p${ranks.size + 1}`, rank });
  }
  return records.map((r) => {
    const local = r.proc === undefined ? undefined : ranks.get(r.proc);
    if (local === undefined) return r;
    return {
      ...r,
      proc: local.name,
      ...(r.conn === undefined ? {} : { conn: local.rank.get(r.conn) }),
      ...(r.last_accepted === undefined ? {} : { last_accepted: local.rank.get(r.last_accepted) }),
    };
  });
}

export function runStatus(
  run: Run,
  publicUrl: string,
  records: RunRecord[],
  arrived: number,
): RunStatus {
  return {
    ...runView(run, publicUrl),
    arrived,
    recorded: records.length,
    truncated: arrived > RUN_MAX_REQUESTS,
  };
}
