import { Router, type Request } from 'express';
import { html } from '../src/site/html';
import { methodNotAllowed, problem } from '../src/http/problems';
import { isProblemCode, problemCatalog } from '../src/scenarios/catalog';
import { families, scenarios, scenariosFor, type Scenario, type Trigger } from '../src/scenarios';
import { layout } from '../src/site/layout';
import { statusClass } from '../src/site/shared/status-class';
import {
  fillBody,
  fillHeaders,
  headerLines,
  type SpecimenBook,
  type Specimens,
} from '../src/tokens/specimens';

/** Single-quotes a string for a POSIX shell. */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A curl command line that fires a trigger. */
export function curlFor(baseUrl: string, trigger: Trigger, specimens: Specimens): string {
  const parts = ['curl -i'];
  if (trigger.method === 'HEAD') parts.push('--head');
  // A body makes curl POST unless told otherwise: a GET with a body says so.
  else if (trigger.method !== 'GET' || trigger.body !== undefined) {
    parts.push(`-X ${trigger.method}`);
  }
  parts.push(shellQuote(baseUrl + trigger.path));
  // One -H per field line: curl sends a header given twice twice.
  for (const [name, value] of headerLines(trigger.headers, specimens)) {
    parts.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  if (trigger.body !== undefined) {
    const body = fillBody(trigger.body, specimens);
    if (trigger.contentType === 'form') {
      for (const [k, v] of Object.entries(body))
        parts.push(`--data-urlencode ${shellQuote(`${k}=${String(v)}`)}`);
    } else {
      parts.push(`-H 'Content-Type: application/json' -d ${shellQuote(JSON.stringify(body))}`);
    }
  }
  return parts.join(' ');
}

function describeScenario(s: Scenario, baseUrl: string, specimens: Specimens) {
  const headers = fillHeaders(s.trigger.headers, specimens);
  return {
    id: s.id,
    family: s.family,
    title: s.title,
    trigger: {
      method: s.trigger.method,
      path: s.trigger.path,
      headers,
      ...(s.trigger.body === undefined
        ? {}
        : {
            body: fillBody(s.trigger.body, specimens),
            content_type: s.trigger.contentType ?? 'json',
          }),
      curl: curlFor(baseUrl, s.trigger, specimens),
      // A documented answer no stateless replay can produce: how to see it instead.
      ...(s.trigger.fired === false ? { fired: false, setup: s.trigger.setup } : {}),
    },
    expect: s.expect,
    docs: s.expect.code ? `/problems/${s.expect.code}` : undefined,
    explanation: s.explanation,
    article_note: s.articleNote,
    rfc: s.rfc,
  };
}

const wantsHtml = (req: Request) => req.accepts(['application/json', 'text/html']) === 'text/html';

/** The registry, served: `GET /scenarios` (JSON) and `GET /problems/:code` (JSON or HTML). */
export function catalogRouter(deps: {
  specimens: SpecimenBook;
  baseUrl: string;
  /** The registry under this configuration (src/scenarios `registryFor`). */
  registry?: Scenario[];
}): Router {
  const router = Router();
  const { baseUrl } = deps;
  const registry = deps.registry ?? scenarios;

  router
    .route('/scenarios')
    .get(async function listScenarios(_req, res) {
      const specimens = await deps.specimens.get();
      res.json({
        families: Object.entries(families).map(([id, f]) => ({ id, ...f })),
        scenarios: registry.map((s) => describeScenario(s, baseUrl, specimens)),
      });
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/problems')
    .get(function listProblems(_req, res) {
      res.json({
        problems: Object.entries(problemCatalog).map(([code, p]) => ({
          code,
          status: p.status,
          title: p.title,
          type: `/problems/${code}`,
        })),
      });
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/problems/:code')
    .get(function showProblem(req, res) {
      const code = req.params.code ?? '';
      if (!isProblemCode(code)) {
        throw problem('not_found', {
          detail: 'No problem type has that code; GET /problems lists them.',
        });
      }
      const def = problemCatalog[code];
      const related = scenariosFor(code, registry);
      res.vary('Accept');
      if (!wantsHtml(req)) {
        res.json({
          type: `/problems/${code}`,
          code,
          ...def,
          scenarios: related.map((s) => ({ id: s.id, title: s.title, trigger: s.trigger })),
        });
        return;
      }
      res.type('html').send(
        layout(
          def.title,
          html`<p class="muted">
              <a href="/playground">playground</a> · <a href="/scenarios">scenarios</a> ·
              <a href="/problems">problems</a>
            </p>
            <h1>${def.title}</h1>
            <p>
              <span class="pill ${statusClass(def.status)}">${def.status}</span>
              <code>${code}</code>
            </p>
            <h2>Why</h2>
            <p>${def.explanation}</p>
            <h2>What the client should do</h2>
            <p>${def.remedy}</p>
            <h2>References</h2>
            <ul>
              ${def.rfc.map((r) => html`<li><a href="${r.url}">${r.label}</a></li>`)}
            </ul>
            ${
              related.length === 0
                ? ''
                : html`<h2>Scenarios</h2>
                    ${related.map(
                      (s) =>
                        html`<h3>${s.title}</h3>
                          <p>${s.explanation}</p>
                          <p><a href="/playground#${s.id}">Run it in the playground →</a></p>
                          ${
                            s.articleNote
                              ? html`<p>
                                  <strong>The article says otherwise:</strong> ${s.articleNote}
                                </p>`
                              : ''
                          }
                          <pre>
${s.trigger.method} ${s.trigger.path}${Object.entries(s.trigger.headers ?? {}).flatMap(([k, v]) =>
                              (Array.isArray(v) ? v : [v]).map((x) => `\n${k}: ${x}`),
                            )}</pre>`,
                    )}`
            }`,
        ),
      );
    })
    .all(methodNotAllowed('GET'));

  return router;
}
