import type { RunReport } from '../runs/report';
import type { RuleResult } from '../runs/rules';
import { html } from './html';
import { layout } from './layout';
import { statusClass } from './shared/status-class';

/** The rule's verdict as a line of the checks list: ✓ passed, ✗ broken with its evidence. */
function ruleLine(rule: RuleResult) {
  const refs = html`${rule.rfc.map(
    (r, i) => html`${i > 0 ? ', ' : ''}<a href="${r.url}">${r.label}</a>`,
  )}`;
  return rule.passed
    ? html`<li class="ok">
        <span aria-hidden="true">✓</span><strong>${rule.title}</strong> <code>${rule.rule}</code> ·
        ${rule.summary}
      </li>`
    : html`<li class="bad">
        <span aria-hidden="true">✗</span>${rule.severity}: <strong>${rule.title}</strong>
        <code>${rule.rule}</code>
        <p>${rule.summary} Evidence: requests ${rule.evidence.map((n) => `#${n}`).join(', ')}.</p>
        <p>Fix: ${rule.fix}</p>
        <p class="muted">${refs}</p>
      </li>`;
}

/** `GET /runs/:id/report` for a browser: the verdict, the findings, every rule, the requests. */
export function renderRunReport(report: RunReport): string {
  const { run } = report;
  return layout(
    `Run ${run.id}: ${report.passed ? 'passed' : `${report.findings.length} finding(s)`}`,
    html`<header class="page-head">
        <nav class="crumbs">
          <a href="/playground#grade">playground</a> ·
          <a href="/runs/${run.id}/report">JSON</a> (ask with <code>Accept: application/json</code>)
        </nav>
        <h1>Run <code>${run.id}</code>: ${report.passed ? 'passed' : 'findings'}</h1>
        <p>Script <code>${run.script}</code>: ${run.summary} A correct client: ${run.expect}</p>
      </header>
      <section class="card" aria-labelledby="run-where">
        <h2 id="run-where">Where to send requests</h2>
        <dl class="facts">
          <dt>Base URL</dt>
          <dd><code>${run.base_url}</code></dd>
          <dt>or the header</dt>
          <dd><code>${run.header.name}: ${run.header.value}</code></dd>
          <dt>Open until</dt>
          <dd>${run.expires_at}</dd>
          <dt>Requests</dt>
          <dd>
            ${run.arrived} arrived, ${run.recorded}
            recorded${run.truncated ? ` (at most ${run.max_requests})` : ''}
          </dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="run-rules">
        <h2 id="run-rules">
          ${report.passed ? 'Every rule passed' : `${report.findings.length} rule(s) broken`}
        </h2>
        <ul class="checks">
          ${report.findings.map(ruleLine)}${report.rules.filter((r) => r.passed).map(ruleLine)}
        </ul>
        ${
          report.observations.length > 0
            ? html`<h3>Done right</h3>
                <ul>
                  ${report.observations.map((o) => html`<li>${o.summary}</li>`)}
                </ul>`
            : ''
        }
      </section>
      <section class="card" aria-labelledby="run-requests">
        <h2 id="run-requests">Requests</h2>
        ${
          report.requests.length === 0
            ? html`<p>No request recorded yet: send some with the base URL or the header above.</p>`
            : html`<ol class="checks">
                ${report.requests.map(
                  (r) =>
                    html`<li value="${r.n}">
                      <span class="pill ${statusClass(r.status)}">${r.status}</span>
                      <code>${r.method} ${r.path}</code>
                      ${r.kind}${r.code ? html` · <code>${r.code}</code>` : ''}${r.credential ? html` · credential <code>${r.credential}</code>` : ''}${r.refresh_token ? html` · refresh token <code>${r.refresh_token}</code>` : ''}${r.retry_after !== undefined ? ` · Retry-After ${r.retry_after}` : ''}${r.scripted ? ' · scripted' : ''}
                      · ${r.ms} ms
                    </li>`,
                )}
              </ol>`
        }
      </section>`,
  );
}
