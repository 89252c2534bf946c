import { Router, type RequestHandler } from 'express';
import type * as SwaggerUi from 'swagger-ui-express';
import type * as OpenApi from '../src/openapi';
import { sequence } from '../middleware/sequence';
import { methodNotAllowed } from '../src/http/problems';
import { assetRouter } from '../src/site/assets';
import type { Scenario } from '../src/scenarios';
import { packageInfo } from '../src/package-info';

const SWAGGER_OPTIONS = {
  url: '/openapi.json',
  // No badge from an outside validator: nothing leaves this server, and the CSP stays 'self'.
  validatorUrl: null,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  displayRequestDuration: true,
  tryItOutEnabled: true,
  // A deep link is a link inside each operation's toggle button, which neither a keyboard nor a
  // screen reader can tell apart from it (axe: nested-interactive).
  deepLinking: false,
};

/**
 * `GET /openapi.json` (OpenAPI 3.1, built from the route table and the registry) and
 * `GET /docs/` (Swagger UI, served from this server's own node_modules, nothing from a CDN).
 * Both are built on their first request, not at startup: neither is on the way to the first
 * /healthz answer, and building them costs the first visitor some 30 ms.
 */
export function openapiRouter(deps: {
  publicUrl: string;
  cookieName: string;
  registry?: Scenario[];
}): Router {
  const router = Router();
  let body: string | undefined;
  const documentBody = () => {
    if (body !== undefined) return body;
    // Loaded here, not at startup: the document's modules are a tenth of the server's code.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildOpenApi } = require('../src/openapi') as typeof OpenApi;
    body = JSON.stringify(
      buildOpenApi({ ...deps, version: packageInfo()?.version ?? '0.0.0' }),
      null,
      2,
    );
    return body;
  };

  router
    .route('/openapi.json')
    .get(function openapiJson(_req, res) {
      res.setHeader('Cache-Control', 'no-cache');
      res.type('json').send(documentBody());
    })
    .all(methodNotAllowed('GET'));

  // Swagger UI's scripts are all files served from here, so the strict CSP (script-src 'self')
  // holds; what we add to it are files too (/docs.css, /docs.js). Its own template still
  // carries an inline <style>, allowed by helmet's default style-src.
  let swagger: { page: RequestHandler; files: RequestHandler[] } | undefined;
  const swaggerUi = () => {
    if (swagger) return swagger;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ui = require('swagger-ui-express') as typeof SwaggerUi;
    swagger = {
      page: ui.setup(undefined, {
        customSiteTitle: 'four-oh-one API',
        swaggerOptions: SWAGGER_OPTIONS,
        customCssUrl: '/docs.css',
        customJs: '/docs.js',
        customfavIcon: '/favicon.ico',
      }),
      files: ui.serveFiles(undefined, { swaggerOptions: SWAGGER_OPTIONS }),
    };
    return swagger;
  };
  router
    .route('/docs')
    .get(function docs(req, res, next) {
      // The page loads its files relative to itself: it must be /docs/, not /docs.
      if (!req.originalUrl.split('?')[0]?.endsWith('/')) {
        res.redirect(301, '/docs/');
        return;
      }
      res.setHeader('Cache-Control', 'no-cache');
      swaggerUi().page(req, res, next);
    })
    .all(methodNotAllowed('GET'));
  let files: RequestHandler | undefined;
  router.use('/docs', function swaggerFiles(req, res, next) {
    files ??= sequence(...swaggerUi().files);
    files(req, res, next);
  });
  router.use(assetRouter(['/docs.css', '/docs.js'], { otherMethods: methodNotAllowed('GET') }));

  return router;
}
