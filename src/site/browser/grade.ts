/**
 * The playground's runs panel (routes/playground.ts `gradePanel`), imported by /playground.js:
 * opens a run with the chosen script (POST /runs from this page: same-origin, so the server's
 * origin check lets it through), drives it with one of two clients written here as a developer
 * would write them, and shows the run's report. test/e2e/grade-browser.test.ts runs it in Chromium.
 *
 * Both clients send no cookie (credentials: 'omit') and keep their tokens in memory only: a run
 * leaves nothing in this browser.
 */

import { correctRunClient, tokenRequest as post, type RunTokens } from '../shared/run-clients.js';

type Tokens = RunTokens;

/** The page's requests send no cookie and take nothing from the cache. */
const PAGE_INIT = { credentials: 'omit', cache: 'no-store' } as const;

/** The parts of GET /runs/{id}/report this page shows (schema RunReport in /openapi.json). */
interface RuleResult {
  rule: string;
  title: string;
  severity: string;
  summary: string;
  evidence: number[];
  rfc: { label: string; url: string }[];
  fix: string;
}
interface RunReport {
  run: { id: string; script: string; expect: string };
  passed: boolean;
  findings: RuleResult[];
  observations: { pattern: string; summary: string }[];
  requests: {
    n: number;
    method: string;
    path: string;
    kind: string;
    status: number;
    code?: string;
  }[];
}

/** What a client does: GET the protected resource in the run, and the status it ends with. */
type Client = (path: string) => Promise<number>;

const RESOURCE = '/api/v1/data';
const tokenRequest = (base: string, fields: Record<string, string>) =>
  post(base, fields, PAGE_INIT);

async function login(base: string): Promise<Tokens> {
  const res = await tokenRequest(base, {
    grant_type: 'password',
    username: 'my_username',
    password: 'my_password',
  });
  if (res.status !== 200) throw new Error(`the login answered ${res.status}`);
  return (await res.json()) as Tokens;
}

/** The correct client: the one the run reports' tests drive too (src/site/shared/run-clients.ts). */
const correctClient = (base: string, tokens: Tokens): Client =>
  correctRunClient(base, tokens, PAGE_INIT);

/**
 * The buggy client, with the classic bugs: on a 401, 429 or 503 it sends the same request again
 * at once, the refused token unchanged, up to ten times; on a 403 it refreshes as for a 401;
 * it lets fetch follow a redirect, Authorization and all.
 */
function buggyClient(base: string, tokens: Tokens): Client {
  let current = tokens;
  const send = (path: string) =>
    fetch(`${base}${path}`, {
      ...PAGE_INIT,
      headers: { Authorization: `Bearer ${current.access_token}` },
    });
  return async (path) => {
    let res = await send(path);
    for (let i = 1; i < 10 && [401, 429, 503].includes(res.status); i += 1) res = await send(path);
    if (res.status === 403) {
      const refreshed = await tokenRequest(base, {
        grant_type: 'refresh_token',
        refresh_token: current.refresh_token,
      });
      if (refreshed.status !== 200) return refreshed.status;
      current = (await refreshed.json()) as Tokens;
      res = await send(path);
    }
    return res.status;
  };
}

const CLIENTS = { correct: correctClient, buggy: buggyClient };
type ClientName = keyof typeof CLIENTS;

function el(tag: string, className?: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function link(href: string, text: string): HTMLAnchorElement {
  const a = el('a', '', text) as HTMLAnchorElement;
  a.href = href;
  return a;
}

/** A finding as the report page shows it: severity, title, rule, evidence, fix, references. */
function findingItem(f: RuleResult): HTMLElement {
  const item = el('li', 'bad');
  item.dataset.rule = f.rule;
  item.dataset.evidence = f.evidence.join(' ');
  item.append(el('span', '', '\u2717'), `${f.severity}: `, el('strong', '', f.title), ' ');
  item.appendChild(el('code', '', f.rule));
  item.appendChild(
    el('p', '', `${f.summary} Evidence: requests ${f.evidence.map((n) => `#${n}`).join(', ')}.`),
  );
  item.appendChild(el('p', 'fix', `Fix: ${f.fix}`));
  const refs = el('p', 'muted');
  f.rfc.forEach((r, i) => {
    if (i > 0) refs.append(', ');
    refs.appendChild(link(r.url, r.label));
  });
  item.appendChild(refs);
  return item;
}

function showReport(box: HTMLElement, report: RunReport, client: ClientName): void {
  box.textContent = '';
  const head = el('p', 'line');
  const verdict = el(
    'span',
    report.passed ? 'verdict-ok' : 'verdict-bad',
    report.passed
      ? '\u2713 passed: no rule broken'
      : `\u2717 ${report.findings.length} rule(s) broken`,
  );
  verdict.dataset.passed = String(report.passed);
  head.append(verdict, ` \u00b7 the ${client} client, script `);
  head.appendChild(el('code', '', report.run.script));
  head.append(' \u00b7 ');
  head.appendChild(link(`/runs/${encodeURIComponent(report.run.id)}/report`, 'the report page'));
  box.appendChild(head);
  if (report.findings.length > 0) {
    const list = el('ul', 'checks findings');
    report.findings.forEach((f) => list.appendChild(findingItem(f)));
    box.appendChild(list);
  }
  if (report.observations.length > 0) {
    box.appendChild(el('p', 'label', 'Done right'));
    const list = el('ul', 'observations');
    for (const o of report.observations) {
      const item = el('li', '', o.summary);
      item.dataset.pattern = o.pattern;
      list.appendChild(item);
    }
    box.appendChild(list);
  }
  box.appendChild(el('p', 'label', `Requests (${report.requests.length})`));
  const requests = el('ol', 'requests');
  for (const r of report.requests) {
    const item = el('li', '', `${r.status} ${r.method} ${r.path} \u00b7 ${r.kind}`);
    (item as HTMLLIElement).value = r.n;
    if (r.code) item.append(' \u00b7 ', el('code', '', r.code));
    requests.appendChild(item);
  }
  box.appendChild(requests);
}

/** A refusal's detail, from a problem+json answer. */
async function refusal(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { code?: string; detail?: string };
    return `${res.status} ${body.code ?? ''}: ${body.detail ?? ''}`;
  } catch {
    return `${res.status}`;
  }
}

async function gradeOnce(script: string, client: ClientName, box: HTMLElement): Promise<void> {
  box.textContent = 'Opening a run\u2026';
  const opened = await fetch('/runs', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ script }),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (opened.status !== 201) throw new Error(`POST /runs answered ${await refusal(opened)}`);
  const run = (await opened.json()) as { id: string };
  box.dataset.runId = run.id;
  const base = `/runs/${encodeURIComponent(run.id)}`;
  box.textContent = `Run ${run.id}: the ${client} client is calling ${RESOURCE}\u2026`;
  const call = CLIENTS[client](base, await login(base));
  await call(RESOURCE);
  const res = await fetch(`${base}/report`, {
    headers: { Accept: 'application/json' },
    credentials: 'omit',
    cache: 'no-store',
  });
  if (res.status !== 200) throw new Error(`the report answered ${await refusal(res)}`);
  showReport(box, (await res.json()) as RunReport, client);
}

/** Wires the panel, if the page has it: its form runs in the page instead of posting. */
export function wireGrade(): void {
  const form = document.getElementById('grade-form');
  const box = document.getElementById('grade-result');
  const button = document.getElementById('grade-run');
  if (!(form instanceof HTMLFormElement) || !box || !(button instanceof HTMLButtonElement)) return;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const script = String(data.get('script') ?? 'none');
    const client = data.get('client') === 'buggy' ? 'buggy' : 'correct';
    button.disabled = true;
    box.hidden = false;
    box.dataset.state = 'running';
    delete box.dataset.runId;
    gradeOnce(script, client, box).then(
      () => {
        box.dataset.state = 'done';
        button.disabled = false;
      },
      (err: unknown) => {
        box.textContent = `The run failed: ${err instanceof Error ? err.message : String(err)}`;
        box.dataset.state = 'failed';
        button.disabled = false;
      },
    );
  });
  button.disabled = false;
  form.dataset.ready = 'true';
}
