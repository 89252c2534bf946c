import { Router } from 'express';
import { methodNotAllowed } from '../src/http/problems';
import { scripts as runScripts } from '../src/runs/scripts';
import { problemCatalog } from '../src/scenarios/catalog';
import { defaultScenarios, families, type Family, type Scenario } from '../src/scenarios';
import { assetRouter } from '../src/site/assets';
import { diagramForFamily } from '../src/site/diagrams';
import { html, type Html } from '../src/site/html';
import { triggerTokensView } from '../src/site/jwt-view';
import { layout, prose } from '../src/site/layout';
import { statusClass } from '../src/site/shared/status-class';
import { fetchFor, forbiddenHeaders, pythonFor } from '../src/teaching/snippets';
import type { SpecimenBook, Specimens } from '../src/tokens/specimens';
import { curlFor } from '../src/teaching/snippets';

export interface PlaygroundDeps {
  specimens: SpecimenBook;
  /** PUBLIC_URL: the host the snippets name. */
  baseUrl: string;
  /** The registry under this configuration (src/scenarios/registry.ts `registryFor`). */
  registry?: Scenario[];
  /** The CORS demo page, for the scenarios only a cross-origin page can show; none when off. */
  corsDemoUrl?: string;
}

/** Why a scenario cannot be sent from this page, or undefined when it can. */
function cannotRun(s: Scenario, corsDemoUrl: string | undefined): Html | undefined {
  if (s.trigger.fired === false) {
    return html`This answer needs a state no single request can make: ${s.trigger.setup ?? ''}`;
  }
  const forbidden = forbiddenHeaders(s.trigger);
  if (forbidden.some((h) => /^(origin|access-control-request-)/i.test(h))) {
    return html`The browser sets <code>Origin</code> (and a preflight’s
      <code>Access-Control-Request-*</code>) itself, so a page cannot pretend to be another site.
      ${
        corsDemoUrl
          ? html`See it for real from another origin on the
              <a href="${corsDemoUrl}">CORS demo page</a>, or run a snippet.`
          : html`Run a snippet, or start the server with a CORS_DEMO_PORT for the demo page.`
      }`;
  }
  if (forbidden.length > 0) {
    return html`A page’s script may not set <code>${forbidden.join(', ')}</code>: the browser sends
      its own. Run the curl or Python snippet instead.`;
  }
  const repeated = Object.entries(s.trigger.headers ?? {}).filter(([, v]) => Array.isArray(v));
  if (repeated.length > 0) {
    return html`A page’s script cannot send
      <code>${repeated.map(([k]) => k).join(', ')}</code> twice: <code>fetch</code> joins a repeated
      header into one field. Run the curl snippet, which sends both.`;
  }
  if (s.trigger.body !== undefined && (s.trigger.method === 'GET' || s.trigger.method === 'HEAD')) {
    return html`<code>fetch</code> refuses a body with ${s.trigger.method}. Run the curl or Python
      snippet, which send it.`;
  }
  if (s.expect.status === 407) {
    return html`Browsers do not hand a 407 from a server that is not their proxy to a script:
    Chromium fails the request (ERR_UNEXPECTED_PROXY_AUTH). Run the curl or Python snippet.`;
  }
  if (s.expect.status >= 300 && s.expect.status < 400) {
    return html`A page’s script never sees a redirect: <code>fetch</code> follows it (or, with
      <code>redirect: 'manual'</code>, hides it). The snippets show the ${s.expect.status}.`;
  }
  return undefined;
}

/**
 * The scripts the page's clients can drive: those that script a protected resource or a
 * refresh. The session's keepalive loop and DPoP proofs are left to the snippets and examples.
 */
const BROWSER_SCRIPTS = runScripts.filter(
  (s) => s.name !== 'session-absolute' && s.name !== 'dpop-nonce',
);

/**
 * The runs family's panel: open a run from this page (a form of this site: POST /runs refuses
 * one from another site's page), drive it with a client in this browser, read the report. The
 * form works without the script too: it posts and the browser shows the run's JSON.
 */
function gradePanel(): Html {
  return html`<div class="card grade" id="grade">
    <h3>Grade a client from this page</h3>
    <p>
      Open a run with a script, let one of this page’s clients call
      <code>/runs/{id}/api/v1/data</code> through it (logging in with the password grant first), and
      read the report: the rules it broke, the requests that show it, the fix.
    </p>
    <form id="grade-form" method="post" action="/runs">
      <label
        >Script
        <select name="script" id="grade-script">
          ${BROWSER_SCRIPTS.map(
            (s) =>
              html`<option value="${s.name}" ${s.name === 'expiry' ? html`selected` : ''}>
                ${s.name}
              </option>`,
          )}
        </select></label
      >
      <label
        >Client
        <select name="client" id="grade-client">
          <option value="correct">
            correct: refreshes once, retries once, honours Retry-After
          </option>
          <option value="buggy">buggy: resends a refused token, retries at once</option>
        </select></label
      >
      <button type="submit" id="grade-run" disabled>Open a run and drive it</button>
    </form>
    <dl class="facts">
      ${BROWSER_SCRIPTS.map(
        (s) =>
          html`<dt><code>${s.name}</code></dt>
            <dd>${s.summary} <em>A correct client:</em> ${s.expect}</dd>`,
      )}
    </dl>
    <div class="grade-result" id="grade-result" hidden aria-live="polite"></div>
  </div>`;
}

function searchText(s: Scenario): string {
  return [
    s.id,
    s.title,
    s.family,
    s.expect.status,
    s.expect.code ?? '',
    s.trigger.method,
    s.trigger.path,
  ]
    .join(' ')
    .toLowerCase();
}

/**
 * One scenario's card: a `<details>` whose summary is always in the page and whose body (the
 * explanation, the decoded token, the Run button, the snippets) is a `<template>`, which the
 * page's script puts in place when the card is first opened (src/site/browser/playground.ts).
 * Inert until then: 350 bodies are 23,000 of the page's 25,000 elements, which a browser would
 * otherwise build, style and keep while they sit in closed cards.
 */
function scenarioCard(s: Scenario, deps: PlaygroundDeps, specimens: Specimens): Html {
  const code = s.expect.code;
  const def = code ? problemCatalog[code] : undefined;
  const challenge = s.expect.challenge;
  const why = cannotRun(s, deps.corsDemoUrl);
  const tokens = triggerTokensView(s.trigger, specimens, code, Math.floor(Date.now() / 1000));
  const snippets = [
    ['curl', 'curl', curlFor(deps.baseUrl, s.trigger, specimens)],
    ['python', 'Python', pythonFor(deps.baseUrl, s.trigger, specimens, s.expect.status)],
    ['javascript', 'JavaScript', fetchFor(deps.baseUrl, s.trigger, specimens, s.expect.status)],
  ] as const;
  return html`<details
    class="scenario"
    id="${s.id}"
    data-status="${s.expect.status}"
    data-code="${code ?? ''}"
    data-search="${searchText(s)}"
  >
    <summary>
      <span class="pill ${statusClass(s.expect.status)}">${s.expect.status}</span>
      <span class="title">${s.title}</span>
      <span class="where">${code ?? 'success'} · ${s.trigger.method} ${s.trigger.path}</span>
    </summary>
    <template class="card-body"
      ><div class="body">
        <div class="learn">
          <h3>Why</h3>
          <p>${prose(s.explanation)}</p>
          ${
            s.articleNote
              ? html`<h3>Where the article differs</h3>
                  <p class="note">${prose(s.articleNote)}</p>`
              : ''
          }
          ${
            def
              ? html`<h3>What the client should do</h3>
                  <p>${prose(def.remedy)}</p>`
              : ''
          }
          <h3>The documented answer</h3>
          <p>
            <span class="pill ${statusClass(s.expect.status)}">${s.expect.status}</span>
            ${code ? html`<a class="chip" href="/problems/${code}">${code}</a> ${def?.title}` : 'no error'}
          </p>
          ${challenge ? html`<p><code>WWW-Authenticate: ${challenge}</code></p>` : ''}
          ${
            tokens.value
              ? html`<h3>The token it sends</h3>
                  ${tokens}`
              : ''
          }
          <h3>References</h3>
          <ul class="refs">
            ${s.rfc.map((r) => html`<li><a href="${r.url}">${r.label}</a></li>`)}
          </ul>
        </div>
        <div class="try">
          <h3>Try it</h3>
          <div class="actions">
            ${
              why
                ? html`<button class="run" type="button" disabled>Run</button>
                    <span class="cannot">${why}</span>`
                : html`<button class="run" type="button" data-run="${s.id}" disabled>Run</button>
                    <span class="muted">${s.trigger.method} ${s.trigger.path} from this page</span>`
            }
          </div>
          <div class="result" hidden aria-live="polite"></div>
          <div class="tabs" role="tablist">
            ${snippets.map(
              ([lang, label], i) =>
                html`<button
                  type="button"
                  role="tab"
                  data-lang="${lang}"
                  aria-selected="${i === 0 ? 'true' : 'false'}"
                >
                  ${label}
                </button>`,
            )}
          </div>
          ${snippets.map(
            ([lang, , text], i) =>
              html`<div class="snippet" data-lang="${lang}" ${i === 0 ? '' : html`hidden`}>
                <button class="copy" type="button">Copy</button>
                <pre tabindex="0"><code>${text}</code></pre>
              </div>`,
          )}
        </div>
      </div></template
    >
  </details>`;
}

function renderPlayground(deps: PlaygroundDeps, specimens: Specimens): string {
  const registry = deps.registry ?? defaultScenarios();
  const byFamily = Object.entries(families)
    .map(([id, f]) => ({ id: id as Family, ...f, list: registry.filter((s) => s.family === id) }))
    .filter((f) => f.list.length > 0);
  const statuses = [
    ['all', 'All'],
    ['2xx', '2xx'],
    ['400', '400'],
    ['401', '401'],
    ['403', '403'],
    ['404', '404/405'],
    ['other', 'Other'],
  ];
  return layout(
    'Playground',
    html`<section class="intro">
        <div>
          <h1>Every way a request ends in 401</h1>
          <p class="muted">
            ${registry.length} scenarios from the registry, by family. Open one to read why the
            server answers so, press <strong>Run</strong> to send it from this page, and copy it as
            curl, Python or JavaScript for your own client. Every refusal links to
            <code>/explain/&lt;request id&gt;</code>: the checks it passed and the one it failed.
          </p>
          <noscript
            ><p class="note">
              This page needs JavaScript to open a card and run it. Each scenario is also described,
              with its curl, on the page of the problem it ends in:
              <a href="/problems">Problems</a>.
            </p></noscript
          >
        </div>
      </section>
      <div class="toolbar">
        <input
          type="search"
          id="filter"
          placeholder="Filter by title, code, status or path…"
          aria-label="Filter scenarios"
        />
        <div class="filters" role="group" aria-label="Status">
          ${statuses.map(
            ([value, label]) =>
              html`<button
                type="button"
                data-status-filter="${value}"
                aria-pressed="${value === 'all' ? 'true' : 'false'}"
              >
                ${label}
              </button>`,
          )}
        </div>
        <span class="count" id="count">${registry.length} scenarios</span>
      </div>
      <div class="layout">
        <aside class="sidebar">
          <ol>
            ${byFamily.map(
              (f) =>
                html`<li>
                  <a href="#family-${f.id}"
                    ><span>${f.id}</span><span class="n">${f.list.length}</span></a
                  >
                </li>`,
            )}
          </ol>
        </aside>
        <div>
          ${byFamily.map(
            (f) =>
              html`<section class="family" id="family-${f.id}">
                <h2>${f.title}</h2>
                <p>${prose(f.summary)}</p>
                ${diagramForFamily(f.id, registry)} ${f.id === 'runs' ? gradePanel() : ''}
                ${f.list.map((s) => scenarioCard(s, deps, specimens))}
              </section>`,
          )}
          <p class="empty" id="empty" hidden>No scenario matches.</p>
        </div>
      </div>`,
    { script: '/playground.js' },
  );
}

/**
 * `GET /playground`: every registry scenario by family, each with its explanation, remedy, RFCs,
 * a Run button that fires its trigger from the browser, and curl, Python and JavaScript
 * snippets. Rendered per request with fresh specimen tokens; its script and stylesheet are
 * files served beside it (src/site/assets.ts), so helmet's strict CSP (script-src 'self') holds.
 */
export function playgroundRouter(deps: PlaygroundDeps): Router {
  const router = Router();
  router
    .route('/playground')
    .get(async function playground(_req, res) {
      const specimens = await deps.specimens.get();
      res.setHeader('Cache-Control', 'no-store');
      res.type('html').send(renderPlayground(deps, specimens));
    })
    .all(methodNotAllowed('GET'));
  // Its script, stylesheet and icon (the icon because browsers ask every origin for it, and a
  // 404 would be an error in every page's console).
  router.use(
    assetRouter(
      [
        '/playground.js',
        '/grade.js',
        '/shared/run-clients.js',
        '/shared/status-class.js',
        '/shared/headers.js',
        '/shared/jwt.js',
        '/local-times.js',
        '/playground.css',
        '/favicon.ico',
      ],
      { otherMethods: methodNotAllowed('GET') },
    ),
  );
  return router;
}
