import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { buildOpenApi } from '../src/openapi';
import { methodNotAllowed } from '../src/http/problems';
import { assetRouter } from '../src/site/assets';
import type { Scenario } from '../src/scenarios';

/** The package version, from the package.json above this file (in src/ or in dist/). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'four-oh-one' && pkg.version) return pkg.version;
  }
  return '0.0.0';
}

const SWAGGER_OPTIONS = {
  url: '/openapi.json',
  // No badge from an outside validator: nothing leaves this server, and the CSP stays 'self'.
  validatorUrl: null,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  displayRequestDuration: true,
  tryItOutEnabled: true,
};

/**
 * `GET /openapi.json` (OpenAPI 3.1, built once from the route table and the registry) and
 * `GET /docs/` (Swagger UI, served from this server's own node_modules, nothing from a CDN).
 */
export function openapiRouter(deps: {
  publicUrl: string;
  cookieName: string;
  registry?: Scenario[];
}): Router {
  const router = Router();
  const document = buildOpenApi({ ...deps, version: packageVersion() });
  const body = JSON.stringify(document, null, 2);

  router
    .route('/openapi.json')
    .get(function openapiJson(_req, res) {
      res.setHeader('Cache-Control', 'no-cache');
      res.type('json').send(body);
    })
    .all(methodNotAllowed('GET'));

  // Swagger UI's scripts are all files served from here, so the strict CSP (script-src 'self')
  // holds; what we add to its look is a file too (/docs.css). Its own template still carries an
  // inline <style>, allowed by helmet's default style-src.
  const page = swaggerUi.setup(undefined, {
    customSiteTitle: 'four-oh-one API',
    swaggerOptions: SWAGGER_OPTIONS,
    customCssUrl: '/docs.css',
    customfavIcon: '/favicon.ico',
  });
  router
    .route('/docs')
    .get(function docs(req, res, next) {
      // The page loads its files relative to itself: it must be /docs/, not /docs.
      if (!req.originalUrl.split('?')[0]?.endsWith('/')) {
        res.redirect(301, '/docs/');
        return;
      }
      res.setHeader('Cache-Control', 'no-cache');
      page(req, res, next);
    })
    .all(methodNotAllowed('GET'));
  router.use('/docs', swaggerUi.serveFiles(undefined, { swaggerOptions: SWAGGER_OPTIONS }));
  router.use(assetRouter(['/docs.css'], { otherMethods: methodNotAllowed('GET') }));

  return router;
}
