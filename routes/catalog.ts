import { Router } from 'express';
import { methodNotAllowed, problem } from '../src/http/problems';
import { isProblemCode, problemCatalog } from '../src/scenarios/catalog';
import { defaultScenarios, families, scenariosFor, type Scenario } from '../src/scenarios';
import { wantsHtml } from '../src/site/negotiate';
import { curlFor } from '../src/teaching/snippets';
import {
  fillBody,
  fillHeaders,
  mintedEachSecond,
  type SpecimenBook,
  type Specimens,
} from '../src/tokens/specimens';
import { problemPage, problemsIndexPage } from './problem-pages';

/** A scenario's trigger as served: specimens filled in, with its curl line. */
function describeTrigger(s: Scenario, baseUrl: string, specimens: Specimens) {
  return {
    method: s.trigger.method,
    path: s.trigger.path,
    headers: fillHeaders(s.trigger.headers, specimens),
    ...(s.trigger.body === undefined
      ? {}
      : {
          body: fillBody(s.trigger.body, specimens),
          content_type: s.trigger.contentType ?? 'json',
        }),
    curl: curlFor(baseUrl, s.trigger, specimens),
    // A documented answer no stateless replay can produce: how to see it instead.
    ...(s.trigger.fired === false ? { fired: false, setup: s.trigger.setup } : {}),
    // Its tokens sit a second inside or beyond the clock leeway: fetch it again just before sending.
    ...(mintedEachSecond(s.trigger) ? { minted_each_second: true } : {}),
  };
}

function describeScenario(s: Scenario, baseUrl: string, specimens: Specimens) {
  return {
    id: s.id,
    family: s.family,
    title: s.title,
    trigger: describeTrigger(s, baseUrl, specimens),
    expect: s.expect,
    docs: s.expect.code ? `/problems/${s.expect.code}` : undefined,
    explanation: s.explanation,
    article_note: s.articleNote,
    rfc: s.rfc,
  };
}

/** The registry served: `GET /scenarios` (JSON), `GET /problems` and `/problems/:code` (JSON or HTML). */
export function catalogRouter(deps: {
  specimens: SpecimenBook;
  baseUrl: string;
  /** The registry under this configuration (src/scenarios `registryFor`). */
  registry?: Scenario[];
}): Router {
  const router = Router();
  const { baseUrl } = deps;
  const registry = deps.registry ?? defaultScenarios();
  // Depends only on the configuration: rendered once.
  const problemsIndex = problemsIndexPage(registry, baseUrl);

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
    .get(function listProblems(req, res) {
      res.vary('Accept');
      if (wantsHtml(req)) {
        res.type('html').send(problemsIndex);
        return;
      }
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
    .get(async function showProblem(req, res) {
      const code = req.params.code ?? '';
      if (!isProblemCode(code)) {
        throw problem('not_found', {
          detail: 'No problem type has that code; GET /problems lists them.',
        });
      }
      const def = problemCatalog[code];
      const related = scenariosFor(code, registry);
      const specimens = await deps.specimens.get();
      res.vary('Accept');
      if (!wantsHtml(req)) {
        res.json({
          type: `/problems/${code}`,
          code,
          ...def,
          scenarios: related.map((s) => ({
            id: s.id,
            title: s.title,
            trigger: describeTrigger(s, baseUrl, specimens),
          })),
        });
        return;
      }
      // Fresh specimen tokens in the triggers, as on the playground.
      res.setHeader('Cache-Control', 'no-store');
      res.type('html').send(problemPage(code, registry, baseUrl, specimens));
    })
    .all(methodNotAllowed('GET'));

  return router;
}
