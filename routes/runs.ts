import { Router } from 'express';
import { originCheck } from '../middleware/csrf';
import { jsonOrForm } from '../src/http/body';
import { methodNotAllowed, problem } from '../src/http/problems';
import type { Visitors } from '../src/http/visitors';
import type { RunBook } from '../src/runs/book';
import { buildReport, runStatus, runView } from '../src/runs/report';
import { SCRIPT_NAMES, scriptNamed, scripts } from '../src/runs/scripts';
import { wantsHtml } from '../src/site/negotiate';
import { renderRunReport } from '../src/site/run-report';

/**
 * Grading a client (issue 18): a client test opens a run, sends its requests in it (X-Run-Id,
 * or the run's base URL), and reads the report of what its client did with each refusal.
 *
 *   POST /runs                 open a run, optionally following a script
 *   GET  /runs/scripts         the scripts a run can follow
 *   GET  /runs/:id             the run and its recorded requests
 *   GET  /runs/:id/report      the report: JSON for a test suite, HTML for a browser
 *
 * Opening a run needs no credentials: the demo credentials are public, so a token would bound
 * nothing. What bounds it is the visitor: a few runs per address per window, each recording a
 * bounded number of small records, all charged to the address's quota (src/runs/book.ts).
 * The playground opens runs with a form of its own page; any other site's page could make a
 * visitor's browser post one too (and spend the address's runs), so a browser's POST from
 * another site is refused before the body is read (middleware/csrf.ts, as for the session).
 */
export function runsRouter(deps: {
  book: RunBook;
  visitors: Visitors;
  publicUrl: string;
  /** CORS_ORIGINS: pages that may call this server, and so also open a run. */
  origins: readonly string[];
}): Router {
  const router = Router();
  const { book, visitors, publicUrl } = deps;
  const sameSite = originCheck({ publicUrl, origins: deps.origins });

  router
    .route('/runs')
    .post(sameSite, ...jsonOrForm(), async function openRun(req, res) {
      const asked = (req.body as Record<string, unknown>).script ?? req.query.script ?? 'none';
      const script = typeof asked === 'string' ? scriptNamed(asked) : undefined;
      if (!script) {
        throw problem('parameter_invalid', {
          detail: `"script" must be one of: ${SCRIPT_NAMES.join(', ')} (GET /runs/scripts).`,
        });
      }
      const run = await book.open(visitors.of(req), script);
      res.setHeader('Cache-Control', 'no-store');
      res.location(`/runs/${run.id}`);
      res.status(201).json(runView(run, publicUrl));
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/runs/scripts')
    .get(function listScripts(_req, res) {
      res.json({
        scripts: scripts.map((s) => ({ name: s.name, summary: s.summary, expect: s.expect })),
      });
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/runs/:id')
    .get(async function showRun(req, res) {
      const visitor = visitors.of(req);
      const run = await book.find(visitor, String(req.params.id));
      const { records, arrived } = await book.records(visitor, run);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ run: runStatus(run, publicUrl, records, arrived), requests: records });
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/runs/:id/report')
    .get(async function runReport(req, res) {
      const visitor = visitors.of(req);
      const run = await book.find(visitor, String(req.params.id));
      const { records, arrived } = await book.records(visitor, run);
      const report = buildReport(run, publicUrl, records, arrived);
      res.setHeader('Cache-Control', 'no-store');
      res.vary('Accept');
      if (wantsHtml(req)) res.type('html').send(renderRunReport(report));
      else res.json(report);
    })
    .all(methodNotAllowed('GET'));

  return router;
}
