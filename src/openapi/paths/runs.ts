/** Runs: grading a client (routes/runs.ts), and the report's stable schema. */
import { REQUEST_KINDS } from '../../runs/record';
import { OBSERVATION_PATTERNS, RULE_IDS } from '../../runs/rules';
import { SCRIPT_NAMES, STEP_ANSWERS } from '../../runs/scripts';
import { BODY_ERRORS, bool, closed, html, int, iso, ref, str, STORE, uri } from '../schemas';
import type { RouteDoc, Schema } from '../types';

const ints = { type: 'array', items: int };
const refs = {
  type: 'array',
  items: closed({ label: str, url: uri }, ['label', 'url']),
};

const runView = {
  id: {
    ...str,
    description: 'The run id: 16 random characters, a dot, its end in base-36 seconds.',
  },
  script: { enum: SCRIPT_NAMES },
  summary: { ...str, description: 'What the script does.' },
  expect: { ...str, description: 'What a correct client does under it.' },
  base_url: {
    ...uri,
    description:
      'Put it in front of any path of this server: the request is served as usual and recorded.',
  },
  header: closed({ name: { const: 'X-Run-Id' }, value: str }, ['name', 'value']),
  report_url: uri,
  opened_at: iso,
  expires_at: iso,
  max_requests: { ...int, description: 'Requests past this many are served but not recorded.' },
};
const RUN_VIEW_REQUIRED = Object.keys(runView);

/** The components the runs' answers use; stable: a client's test suite asserts on them. */
export const RUN_SCHEMAS: Record<string, Schema> = {
  Run: closed(runView, RUN_VIEW_REQUIRED),
  RunStatus: closed(
    {
      ...runView,
      arrived: { ...int, description: 'Requests that arrived in the run.' },
      recorded: { ...int, description: 'Requests recorded (at most max_requests).' },
      truncated: { ...bool, description: 'Whether more arrived than were recorded.' },
    },
    [...RUN_VIEW_REQUIRED, 'arrived', 'recorded', 'truncated'],
  ),
  RunRecord: closed(
    {
      n: { ...int, description: 'The request’s number in the run, from 1, in order of arrival.' },
      at: { ...int, description: 'When it arrived, ms since the epoch.' },
      ms: { ...int, description: 'How long its answer took.' },
      method: str,
      path: { ...str, description: 'Without the run prefix and the query.' },
      host: str,
      kind: { enum: REQUEST_KINDS },
      credential: {
        ...str,
        description:
          'A keyed fingerprint of Authorization (else X-API-Key, else Cookie): never the credential.',
      },
      refresh_token: { ...str, description: 'A keyed fingerprint of the refresh_token sent.' },
      issued: {
        ...str,
        description:
          'A keyed fingerprint of the access token a token answer issued (as `credential` names it when used).',
      },
      token_exp: {
        ...int,
        description: 'The exp of a Bearer JWT sent, read without verifying it.',
      },
      status: int,
      code: { ...str, description: 'The problem code answered.' },
      retry_after: { ...int, description: 'Seconds of the answer’s Retry-After.' },
      scripted: { const: true, description: 'Answered by the run’s script, not the route.' },
      step: {
        enum: STEP_ANSWERS,
        description:
          'What the script answered: token_expired, two_challenges (a DPoP and a Bearer challenge in one 401), gateway_body (the Bearer challenge and an HTML body), use_dpop_nonce, …',
      },
      nonce_given: {
        ...str,
        description: 'A keyed fingerprint of the DPoP-Nonce the answer gave (RFC 9449 §8, §9).',
      },
      proof_nonce: {
        ...str,
        description:
          'A keyed fingerprint of the nonce claim of the request’s DPoP proof, read without verifying it.',
      },
      last_arrived: {
        ...int,
        description:
          'The latest request number that had arrived when this one was answered: higher numbers were sent after it, unless first on a connection accepted by then (`conn`, `last_accepted`).',
      },
      conn: {
        ...int,
        description:
          'When the request was the first on its connection: the rank, among this run’s numbers from the same process, of the number that process gave the connection as it accepted it (ranks, so that no one learns how many connections others opened).',
      },
      last_accepted: {
        ...int,
        description:
          'How many connections the answering process had accepted when it answered, as a rank among this run’s numbers from that process: a request first on a connection ranked up to this one was sent before its client could read this answer.',
      },
      proc: {
        ...str,
        description:
          'Which server process answered, named within the run (`p1`, `p2`, … in order of first answer): `conn` and `last_accepted` compare only within one.',
      },
    },
    ['n', 'at', 'ms', 'method', 'path', 'host', 'kind', 'status', 'last_arrived'],
  ),
  RuleResult: closed(
    {
      rule: { enum: RULE_IDS },
      title: str,
      severity: { enum: ['error', 'warning'] },
      passed: bool,
      summary: {
        ...str,
        description: 'What happened when the rule was broken; what it checks otherwise.',
      },
      evidence: { ...ints, description: 'The request numbers that show it (empty when passed).' },
      rfc: refs,
      fix: str,
    },
    ['rule', 'title', 'severity', 'passed', 'summary', 'evidence', 'rfc', 'fix'],
  ),
  RunReport: closed(
    {
      run: ref('RunStatus'),
      passed: { ...bool, description: 'True when `findings` is empty.' },
      findings: { type: 'array', items: ref('RuleResult'), description: 'The rules broken.' },
      observations: {
        type: 'array',
        description: 'Patterns done right (never a failure).',
        items: closed(
          {
            pattern: { enum: [...OBSERVATION_PATTERNS] },
            summary: str,
            evidence: ints,
          },
          ['pattern', 'summary', 'evidence'],
        ),
      },
      rules: { type: 'array', items: ref('RuleResult'), description: 'Every rule, passed or not.' },
      requests: { type: 'array', items: ref('RunRecord') },
    },
    ['run', 'passed', 'findings', 'observations', 'rules', 'requests'],
  ),
};

const RUN_ERRORS = ['run_not_found', 'run_expired', ...STORE] as const;

export const runsRoutes: RouteDoc[] = [
  {
    method: 'post',
    path: '/runs',
    tag: 'runs',
    summary: 'Open a run: a base URL and a header that record your client’s requests',
    description:
      'No credentials needed; 5 runs per address per 30 minutes, each lives 30 minutes and records up to 200 requests. Send requests with `base_url` in front of any path, or with the `X-Run-Id` header; read `report_url`. A browser’s POST from another site’s page (Origin, Sec-Fetch-Site) is refused 403 csrf_origin_refused before anything is read or counted.',
    body: {
      schema: closed({
        script: { enum: SCRIPT_NAMES, description: 'none unless told (GET /runs/scripts).' },
      }),
      form: true,
    },
    params: {
      script: {
        description: 'The script, as the body’s `script` may also say.',
        schema: { enum: SCRIPT_NAMES },
      },
    },
    success: [
      {
        status: 201,
        description: 'The run.',
        schema: ref('Run'),
        headers: { Location: 'The run, /runs/{id}.' },
      },
    ],
    errors: [
      'parameter_invalid',
      'run_limit_reached',
      'csrf_origin_refused',
      ...BODY_ERRORS,
      ...STORE,
    ],
  },
  {
    method: 'get',
    path: '/runs/scripts',
    tag: 'runs',
    summary: 'The scripts a run can follow',
    success: [
      {
        status: 200,
        description: 'Each script: what it does and what a correct client does.',
        schema: closed(
          {
            scripts: {
              type: 'array',
              items: closed({ name: { enum: SCRIPT_NAMES }, summary: str, expect: str }, [
                'name',
                'summary',
                'expect',
              ]),
            },
          },
          ['scripts'],
        ),
      },
    ],
  },
  {
    method: 'get',
    path: '/runs/{id}',
    tag: 'runs',
    summary: 'A run and its recorded requests',
    params: { id: 'The run id POST /runs answered (from the same address).' },
    success: [
      {
        status: 200,
        description: 'The run and its requests, not judged.',
        schema: closed(
          { run: ref('RunStatus'), requests: { type: 'array', items: ref('RunRecord') } },
          ['run', 'requests'],
        ),
      },
    ],
    errors: [...RUN_ERRORS],
  },
  {
    method: 'get',
    path: '/runs/{id}/report',
    tag: 'runs',
    summary: 'The run’s report: what your client did wrong with each refusal',
    description:
      'Every rule with `passed`, its evidence (request numbers), the standard and the fix; `findings` lists the broken ones, so a test suite asserts `findings` is empty. HTML for a browser (Accept: text/html).',
    params: { id: 'The run id POST /runs answered (from the same address).' },
    success: [
      { status: 200, description: 'The report.', schema: ref('RunReport'), alternatives: html },
    ],
    errors: [...RUN_ERRORS],
  },
];
