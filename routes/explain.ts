import { Router, type Request } from 'express';
import { SANE_REQUEST_ID } from '../middleware/request-id';
import {
  EXPLANATION_TTL_MS,
  type Explanation,
  type ExplanationBook,
} from '../src/teaching/explain';
import { html } from '../src/site/html';
import { methodNotAllowed, problem } from '../src/http/problems';
import { problemCatalog } from '../src/scenarios/catalog';
import { layout, prose } from '../src/site/layout';
import { statusClass } from '../src/site/shared/status-class';

const wantsHtml = (req: Request) => req.accepts(['application/json', 'text/html']) === 'text/html';

/**
 * `GET /explain/:id`: why a recent request was refused, step by step. The id is the one the
 * refusal named in its `X-Explanation-Id` header and its problem's `explanation` member; when the
 * server chose the request id (the client sent no X-Request-Id) it is also that request id, as
 * in an OpenAI-style "(request id: …)". JSON for clients, HTML for browsers.
 */
export function explainRouter(deps: { book: ExplanationBook }): Router {
  const router = Router();
  const minutes = Math.round(EXPLANATION_TTL_MS / 60_000);

  router
    .route('/explain/:request_id')
    .get(async function explain(req, res) {
      const id = String(req.params.request_id);
      const found = SANE_REQUEST_ID.test(id) ? await deps.book.find(id) : undefined;
      if (!found) {
        throw problem('not_found', {
          detail: `No explanation is kept for that request id: it is unknown, older than ${minutes} minutes, or its answer was not a refusal.`,
        });
      }
      res.setHeader('Cache-Control', 'no-store');
      res.vary('Accept');
      if (wantsHtml(req)) res.type('html').send(renderExplanation(id, found));
      else res.json(found);
    })
    .all(methodNotAllowed('GET'));

  return router;
}

function renderExplanation(id: string, e: Explanation): string {
  const def = problemCatalog[e.code];
  const t = e.trace;
  return layout(
    `Why ${e.status} ${e.code}`,
    html`<header class="page-head">
        <nav class="crumbs">
          <a href="/playground">playground</a> · <a href="/docs">API docs</a> ·
          <a href="${e.type}">${e.code}</a>
        </nav>
        <h1><span class="pill ${statusClass(e.status)}">${e.status}</span> ${e.title}</h1>
        <p class="muted">
          <code>${e.method} ${e.path}</code> at ${e.at} · request id <code>${e.request_id}</code>
        </p>
      </header>
      <section class="card">
        <h2>What the server said</h2>
        <p>${e.detail ?? def.title}</p>
        <h2>Why</h2>
        <p>${prose(def.explanation)}</p>
        <h2>What the client should do</h2>
        <p>${prose(e.remedy)}</p>
      </section>
      <section class="card">
        <h2>The decision</h2>
        ${
          t === null
            ? html`<p class="muted">
                No credential check recorded its steps for this answer: the problem above is the
                whole decision.
              </p>`
            : html`<p class="muted">Judged as: ${t.guard}</p>
                <ol class="checks">
                  ${t.passed.map((c) => html`<li class="ok"><span aria-hidden="true">✓</span> ${c}</li>`)}
                  ${
                    t.failed === undefined
                      ? html`<li class="then">
                          <span aria-hidden="true">→</span> every check passed; refused afterwards
                          as
                          <code>${e.code}</code>
                        </li>`
                      : html`<li class="bad">
                          <span aria-hidden="true">✗</span> ${t.failed} <code>${e.code}</code>
                        </li>`
                  }
                  ${t.not_reached.map(
                    (c) => html`<li class="skip"><span aria-hidden="true">·</span> ${c}</li>`,
                  )}
                  ${(t.not_applicable ?? []).map(
                    (c) =>
                      html`<li class="skip">
                        <span aria-hidden="true">–</span> ${c} <em>(does not apply)</em>
                      </li>`,
                  )}
                </ol>
                ${facts('Times', t.times)} ${facts('The credential', t.facts)}`
        }
      </section>
      <p class="muted">
        The same trace is in the server's log line for this request. This page is kept
        ${Math.round(EXPLANATION_TTL_MS / 60_000)} minutes; JSON:
        <code>curl -H 'Accept: application/json' …/explain/${id}</code>.
      </p>`,
  );
}

function facts(title: string, values: Record<string, string | number> | undefined) {
  if (!values || Object.keys(values).length === 0) return '';
  return html`<h3>${title}</h3>
    <dl class="facts">
      ${Object.entries(values).map(
        ([k, v]) =>
          html`<dt>${k}</dt>
            <dd><code>${String(v)}</code></dd>`,
      )}
    </dl>`;
}
