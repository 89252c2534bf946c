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
    requests: records,
  };
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
