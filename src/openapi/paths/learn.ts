/** The teaching surface (the playground, the catalog, explanations, this document) and health. */
import { html, int, obj, ref, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

export const learnRoutes: RouteDoc[] = [
  // learn
  {
    method: 'get',
    path: '/playground',
    tag: 'learn',
    summary: 'The playground: every scenario, runnable from the browser',
    success: [{ status: 200, description: 'An HTML page.', type: 'text/html', schema: str }],
    errors: STORE,
  },
  {
    method: 'get',
    path: '/scenarios',
    tag: 'learn',
    summary: 'Every scenario: trigger (with real tokens), expected answer, curl, RFCs',
    success: [
      {
        status: 200,
        description: 'The registry, served.',
        schema: obj({ families: { type: 'array' }, scenarios: { type: 'array' } }, [
          'families',
          'scenarios',
        ]),
      },
    ],
    errors: STORE,
  },
  {
    method: 'get',
    path: '/problems',
    tag: 'learn',
    summary: 'Every problem code with its status and title',
    success: [
      {
        status: 200,
        description: 'The catalog (an HTML page for a browser).',
        schema: obj({ problems: { type: 'array' } }, ['problems']),
        alternatives: html,
      },
    ],
  },
  {
    method: 'get',
    path: '/problems/{code}',
    tag: 'learn',
    summary: "A problem's documentation: where every error `type` points",
    params: { code: 'A problem code, e.g. token_expired.' },
    success: [
      {
        status: 200,
        description: 'Why the server answers so, what to do, the RFCs, the scenarios.',
        schema: obj(
          { type: str, code: str, status: int, title: str, explanation: str, remedy: str },
          ['code', 'status', 'title'],
        ),
        alternatives: html,
      },
    ],
    // Its scenarios' triggers carry fresh specimen tokens, minted through the store.
    errors: ['not_found', ...STORE],
  },
  {
    method: 'get',
    path: '/sources',
    tag: 'learn',
    summary: 'The two articles this server reproduces, quoted, and where it differs from them',
    success: [{ status: 200, description: 'An HTML page.', type: 'text/html', schema: str }],
  },
  {
    method: 'get',
    path: '/explain/{request_id}',
    tag: 'learn',
    summary: 'Why a recent request was refused: the decision trace',
    description:
      'For a refused request of the last 15 minutes, by the id its answer named in X-Explanation-Id (and the problem’s `explanation` member), which is its X-Request-Id when the client sent none: what was checked, which check failed, the times involved and the key id. Never the token, a secret, or a credential carried in the path.',
    params: {
      request_id:
        'The X-Explanation-Id of the refused answer (its X-Request-Id when the server chose that).',
    },
    success: [
      {
        status: 200,
        description: 'The explanation.',
        schema: ref('Explanation'),
        alternatives: html,
      },
    ],
    errors: ['not_found', ...STORE],
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'learn',
    summary: 'This document',
    success: [
      { status: 200, description: 'OpenAPI 3.1.', schema: obj({ openapi: str }, ['openapi']) },
    ],
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'learn',
    summary: 'This document, rendered (Swagger UI)',
    success: [
      { status: 200, description: 'The page, at /docs/.', type: 'text/html', schema: str },
      { status: 301, description: 'From /docs to /docs/.', headers: { Location: 'Where to.' } },
    ],
  },
  // operations
  {
    method: 'get',
    path: '/healthz',
    tag: 'operations',
    summary: 'Liveness: the process answers',
    success: [
      { status: 200, description: 'Alive.', schema: obj({ status: { const: 'ok' } }, ['status']) },
    ],
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'operations',
    summary: 'Readiness: the store answers too',
    success: [
      {
        status: 200,
        description: 'Ready.',
        schema: obj({ status: str, store: { enum: ['memory', 'redis'] } }, ['status', 'store']),
      },
    ],
    errors: STORE,
  },
];
