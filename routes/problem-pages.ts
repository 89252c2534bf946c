import { STATUS_CODES } from 'node:http';
import { EXPLANATION_ID_HEADER } from '../src/http/problems';
import { EXAMPLE_REQUEST_ID, errorMedia, scenarioExample } from '../src/openapi/examples';
import { problemCatalog, scenariosFor, type ProblemCode, type Scenario } from '../src/scenarios';
import { diagramForProblem } from '../src/site/diagrams';
import { html, type Html } from '../src/site/html';
import { triggerTokensView } from '../src/site/jwt-view';
import { layout, prose } from '../src/site/layout';
import { statusClass } from '../src/site/shared/status-class';
import { curlFor } from '../src/teaching/snippets';
import { fillBody, headerLines, type Specimens } from '../src/tokens/specimens';

/**
 * The problem pages a browser gets (routes/catalog.ts answers JSON to everyone else): `GET
 * /problems`, every code by status, and `GET /problems/:code`, a code's example answer, why,
 * the remedy, and the scenarios that produce it, each runnable.
 */

/** What each status means, as the index's headings say it. */
const STATUS_MEANING: Record<number, string> = {
  400: 'the request itself is broken',
  401: 'the credentials are missing or not accepted: authenticate, then retry',
  403: 'the server knows who you are and refuses anyway',
  404: 'nothing here, or hidden from you',
  405: 'the path does not serve this method',
  407: 'a proxy wants credentials',
  413: 'the body is too large',
  415: 'the body is in a format the endpoint does not read',
  429: 'too many requests: wait as Retry-After says',
  503: 'the server cannot answer now: try again later',
};

const statusLine = (status: number) => `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`;

/** `GET /problems` for a browser: every code, grouped by its status, 401 first. */
export function problemsIndexPage(registry: Scenario[], baseUrl: string): string {
  const codes = Object.entries(problemCatalog) as [
    ProblemCode,
    (typeof problemCatalog)[ProblemCode],
  ][];
  const statuses = [...new Set(codes.map(([, p]) => p.status))].sort((a, b) =>
    a === 401 ? -1 : b === 401 ? 1 : a - b,
  );
  const count = (code: ProblemCode) => registry.filter((s) => s.expect.code === code).length;
  return layout(
    'Problems',
    html`<h1>Problems</h1>
      <p class="lede">
        Every error this server answers has a stable <code>code</code>, and its problem body’s
        <code>type</code> links here. ${codes.length} codes; each page shows an example answer, why
        the server gives it, what the client should do, and the scenarios that produce it. Programs
        get this list as JSON (<code>curl ${baseUrl}/problems</code>).
      </p>
      ${statuses.map(
        (status) =>
          html`<section class="problem-group" id="status-${status}">
            <h2>
              <span class="pill ${statusClass(status)}">${status}</span>
              ${STATUS_CODES[status] ?? ''}<span class="muted"
                >${STATUS_MEANING[status] ? html` — ${STATUS_MEANING[status]}` : ''}</span
              >
            </h2>
            <ul class="problem-list">
              ${codes
                .filter(([, p]) => p.status === status)
                .map(([code, p]) => {
                  const n = count(code);
                  return html`<li>
                    <a href="/problems/${code}"><code>${code}</code></a>
                    <span>${p.title}</span>
                    <span class="muted"
                      >${n === 0 ? '' : `${n} ${n === 1 ? 'scenario' : 'scenarios'}`}</span
                    >
                  </li>`;
                })}
            </ul>
          </section>`,
      )}`,
  );
}

/** A trigger as the request line and field lines it sends, specimens filled. */
function requestText(s: Scenario, specimens: Specimens): string {
  const lines = [`${s.trigger.method} ${s.trigger.path} HTTP/1.1`];
  for (const [name, value] of headerLines(s.trigger.headers, specimens)) {
    lines.push(`${name}: ${value}`);
  }
  if (s.trigger.body !== undefined) {
    const body = fillBody(s.trigger.body, specimens);
    lines.push(
      '',
      s.trigger.contentType === 'form'
        ? new URLSearchParams(
            Object.entries(body).map(([k, v]): [string, string] => [k, String(v)]),
          ).toString()
        : JSON.stringify(body, null, 2),
    );
  }
  return lines.join('\n');
}

/** The answer a scenario gets, as the server writes it (the security headers left out). */
function responseText(s: Scenario): Html {
  const example = scenarioExample(s);
  const path = s.trigger.path.split('?')[0] ?? s.trigger.path;
  const lines = [statusLine(s.expect.status), `Content-Type: ${errorMedia(path)}`];
  if (s.expect.challenge !== null) lines.push(`WWW-Authenticate: ${s.expect.challenge}`);
  for (const [name, value] of Object.entries(s.expect.headers ?? {})) {
    lines.push(`${name}: ${value}`);
  }
  lines.push(`X-Request-Id: ${EXAMPLE_REQUEST_ID}`);
  if ((example.value as { explanation?: string }).explanation) {
    lines.push(`${EXPLANATION_ID_HEADER}: ${EXAMPLE_REQUEST_ID}`);
  }
  lines.push('', JSON.stringify(example.value, null, 2));
  // The challenge is what a client reads first: it says how to authenticate.
  return html`${lines.map(
    (line, i) =>
      html`${i === 0 ? '' : '\n'}${
        /^WWW-Authenticate:/.test(line) ? html`<strong class="challenge">${line}</strong>` : line
      }`,
  )}`;
}

/** The scenario the example answer is taken from: one that is fired, with a challenge if any. */
function exampleScenario(related: Scenario[]): Scenario | undefined {
  const fired = related.filter((s) => s.trigger.fired !== false);
  return fired.find((s) => s.expect.challenge !== null) ?? fired[0] ?? related[0];
}

function scenarioSection(s: Scenario, baseUrl: string, specimens: Specimens): Html {
  return html`<section class="card problem-scenario" id="scenario-${s.id}">
    <h3>${s.title}</h3>
    <p>${prose(s.explanation)}</p>
    ${
      s.articleNote
        ? html`<p class="note">
            <strong>Where the article differs:</strong> ${prose(s.articleNote)}
          </p>`
        : ''
    }
    ${
      s.trigger.fired === false
        ? html`<p class="muted">No single request makes this answer: ${s.trigger.setup ?? ''}</p>`
        : ''
    }
    <p>
      <a class="run-link" href="/playground#${s.id}"
        >Run it in the playground: <code>${s.id}</code></a
      >
    </p>
    <pre class="wire"><code>${requestText(s, specimens)}</code></pre>
    ${triggerTokensView(s.trigger, specimens, s.expect.code, Math.floor(Date.now() / 1000))}
    <p class="muted">As curl:</p>
    <pre class="wire"><code>${curlFor(baseUrl, s.trigger, specimens)}</code></pre>
  </section>`;
}

/** The exchanges (src/site/diagrams.ts) in which this code is an answer, if any. */
function diagramSection(code: ProblemCode, registry: Scenario[]): Html {
  const diagrams = diagramForProblem(code, registry);
  return diagrams.value === ''
    ? html``
    : html`<h2>The exchange</h2>
        ${diagrams}`;
}

/** `GET /problems/:code` for a browser. */
export function problemPage(
  code: ProblemCode,
  registry: Scenario[],
  baseUrl: string,
  specimens: Specimens,
): string {
  const related = scenariosFor(code, registry);
  const def = problemCatalog[code];
  const example = exampleScenario(related);
  return layout(
    def.title,
    html`<p class="crumbs"><a href="/problems">Problems</a> / <code>${code}</code></p>
      <h1>${def.title}</h1>
      <p>
        <span class="pill ${statusClass(def.status)}">${def.status}</span>
        <code>${code}</code>
        <span class="muted">${STATUS_CODES[def.status] ?? ''}</span>
      </p>
      <h2>Why</h2>
      <p>${prose(def.explanation)}</p>
      <h2>What the client should do</h2>
      <p class="remedy">${prose(def.remedy)}</p>
      ${
        example
          ? html`<h2>An example answer</h2>
              <p class="muted">
                What <code>${example.trigger.method} ${example.trigger.path}</code> gets (scenario
                <a href="#scenario-${example.id}">${example.title}</a>), without the security
                headers every answer carries; the request id is made up.
              </p>
              <pre class="wire" id="example-response"><code>${responseText(example)}</code></pre>`
          : ''
      }
      ${diagramSection(code, registry)}
      <h2>References</h2>
      <ul>
        ${def.rfc.map((r) => html`<li><a href="${r.url}">${r.label}</a></li>`)}
      </ul>
      ${
        related.length === 0
          ? ''
          : html`<h2>The scenarios that produce it</h2>
              ${related.map((s) => scenarioSection(s, baseUrl, specimens))}`
      }`,
  );
}
