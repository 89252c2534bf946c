/**
 * The OpenAPI 3.1 document, built once at startup from the route table (./table.ts: one row per
 * route, one file per family in ./paths, read top to bottom like the routers) and the scenario
 * registry, which gives every response its problem codes and examples. test/openapi.test.ts fires
 * every registry trigger and validates the real answer against this document, and checks that
 * every route the app serves is in it and every route in it is served.
 *
 * ./operations.ts turns a row into its operation, ./components.ts holds the shared schemas,
 * headers and responses, ./examples.ts the example bodies.
 */
import { defaultScenarios, families, type Scenario } from '../scenarios';
import { components } from './components';
import { guardErrorsFrom, operationFor, preflightFor } from './operations';
import { ROUTES } from './table';
import type { Schema } from './types';

export { documentedPath } from './table';

/** Builds the document for a server reached at `publicUrl`. */
export function buildOpenApi(options: {
  publicUrl: string;
  cookieName: string;
  version: string;
  /** The registry under this configuration (src/scenarios `registryFor`). */
  registry?: Scenario[];
}): Schema {
  const { publicUrl, cookieName } = options;
  const scenarios = options.registry ?? defaultScenarios();
  const guardErrors = guardErrorsFrom(scenarios);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    paths[route.path] = {
      ...paths[route.path],
      [route.method]: operationFor(route, scenarios, guardErrors),
    };
  }
  for (const [path, item] of Object.entries(paths)) {
    const preflight = preflightFor(path, item, scenarios);
    if (preflight) item.options = preflight;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'four-oh-one',
      version: options.version,
      summary: 'Every way an HTTP request ends in 401, and the answers people confuse with it.',
      // Markdown: Swagger UI renders the links, the way back to the site.
      description:
        '[← four-oh-one](/) · [Playground](/playground) · [Problems](/problems) · [Sources](/sources)\n\n' +
        'Each error is an RFC 9457 problem (`application/problem+json`) with a stable `code`, a `request_id` equal to the X-Request-Id header, and a `type` that links to its documentation; `/v1/*` answers in OpenAI’s error envelope instead, and the OAuth endpoints (/auth/token, /auth/revoke, /auth/introspect) answer the same problem members as `application/json`, always with `error` and `error_description` (RFC 6749 §5.2), which OAuth libraries require. The examples are the registry’s scenarios: try each one at /playground, and ask /explain/{request_id} why a request was refused.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: publicUrl }],
    // Swagger UI (/docs) shows the tags in this order: the families first, the plumbing last.
    tags: [
      ...Object.entries(families)
        .filter(([name]) => name !== 'platform')
        .map(([name, f]) => ({ name, description: `${f.title}. ${f.summary}` })),
      {
        name: 'learn',
        description:
          'The pages for people: the front door, the playground, the problems, the sources, explanations, and this document.',
      },
      { name: 'operations', description: 'Liveness and readiness.' },
      { name: 'assets', description: 'The site’s stylesheet, scripts and icon.' },
    ],
    paths,
    components: components(cookieName),
  };
}
