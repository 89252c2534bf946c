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
import { HEADER_KIND_NOTES, sortHeaders, type SortedHeader } from '../src/site/shared/headers';
import { culpritOf } from '../src/site/shared/jwt';
import { jwtView, tokenFromTrace } from '../src/site/jwt-view';
import { assetRouter } from '../src/site/assets';
import { STATUS_CODES } from 'node:http';

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
  // The page's script: the token's times in the reader's zone (its modules are the playground's).
  router.use(assetRouter(['/explain.js'], { otherMethods: methodNotAllowed('GET') }));

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
      ${answerCard(e)}
      <section class="card">
        <h2>What the server said</h2>
        <p>${e.detail ?? def.title}</p>
        <h2>Why</h2>
        <p>${prose(def.explanation)}</p>
        <h2>What the client should do</h2>
        <p>${prose(e.remedy)}</p>
      </section>
      ${tokenCard(e)}
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
    { script: '/explain.js' },
  );
}

/** One header line; one that matters is marked, and says why on hover. */
function headerLine(h: SortedHeader) {
  return h.kind === 'other'
    ? html`<li class="hdr" data-header="${h.name}">
        <span class="hdr-name">${h.name}</span>: <span class="hdr-value">${h.value}</span>
      </li>`
    : html`<li
        class="hdr matters ${h.kind}"
        data-header="${h.name}"
        data-kind="${h.kind}"
        title="${HEADER_KIND_NOTES[h.kind]}"
      >
        <span class="hdr-name">${h.name}</span>: <span class="hdr-value">${h.value}</span>
      </li>`;
}

/**
 * The answer as the client got it: the status line, then the headers that matter (the
 * challenge first), the others folded, as the playground's Run results show them.
 */
function answerCard(e: Explanation) {
  if (!e.headers) return '';
  const { important, other } = sortHeaders(e.headers);
  return html`<section class="card answer">
    <h2>The answer</h2>
    <p class="status-line">
      <code>HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}</code>
    </p>
    ${
      important.length > 0
        ? html`<ul class="hdrs important">
            ${important.map(headerLine)}
          </ul>`
        : html`<p class="muted">No challenge, CORS or retry header came with this answer.</p>`
    }
    <details class="other-headers">
      <summary>other headers (${other.length})</summary>
      <ul class="hdrs">
        ${other.map(headerLine)}
      </ul>
    </details>
  </section>`;
}

/** The token as the server read it (never the token: an explanation keeps none). */
function tokenCard(e: Explanation) {
  const reading = e.trace === null ? undefined : tokenFromTrace(e.trace);
  if (reading === undefined) return '';
  const culprit = culpritOf({ code: e.code, failedCheck: e.trace?.failed });
  return html`<section class="card">
    <h2>The token, decoded</h2>
    <p class="muted">
      What the server read of the token when it judged it: its header and its times, with the claim
      it refused marked. Times are shown in your time zone once the page has loaded.
    </p>
    ${jwtView(reading, {
      culprit,
      now: Math.floor(Date.now() / 1000),
      showToken: false,
      signatureNote:
        'An explanation never keeps the token, so neither its text nor its signature is shown here: the checks above say whether the signature verified.',
    })}
  </section>`;
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
