import { Router, type Request, type RequestHandler } from 'express';
import { jsonOrForm } from '../src/http/body';
import { methodNotAllowed } from '../src/http/problems';
import { ECHO_NOTE, headersView, withoutSecrets } from '../src/teaching/echo';

/**
 * The echo family, httpbin's `/headers` and `/anything`: a learner sees exactly what their
 * client sent — its header fields as they arrived, the query, the body as parsed, the address the
 * server sees — with credentials decoded and never echoed in full (src/teaching/echo.ts). Nothing
 * is stored, nothing is logged but the access line every request gets (no headers, no query), and
 * bodies are bounded like every body here: 413, 415 and 400 problems.
 */

/** The methods /anything echoes; HEAD is GET's without a body, OPTIONS is echoed too. */
const ANYTHING_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function echoOf(req: Request) {
  const { headers, credentials } = headersView(req.rawHeaders);
  return { headers, credentials, note: ECHO_NOTE };
}

const headersEcho: RequestHandler = function headersEcho(req, res) {
  res.setHeader('Cache-Control', 'no-store');
  res.json(echoOf(req));
};

const anythingEcho: RequestHandler = function anythingEcho(req, res) {
  const { headers, credentials, note } = echoOf(req);
  const hasBody = req.body !== undefined && Object.keys(req.body as object).length > 0;
  res.setHeader('Cache-Control', 'no-store');
  res.json({
    method: req.method,
    path: req.path,
    query: withoutSecrets(req.query),
    headers,
    credentials,
    body: hasBody ? withoutSecrets(req.body) : null,
    contentType: req.headers['content-type'] ?? null,
    origin: req.ip ?? null,
    note,
  });
};

export function echoRouter(): Router {
  const router = Router();
  router.route('/headers').get(headersEcho).all(methodNotAllowed('GET'));
  const read = jsonOrForm();
  for (const path of ['/anything', '/anything/:path']) {
    const route = router.route(path);
    for (const method of ANYTHING_METHODS) {
      route[method.toLowerCase() as Lowercase<typeof method>](...read, anythingEcho);
    }
    route.options(anythingEcho).all(methodNotAllowed(...ANYTHING_METHODS));
  }
  return router;
}
