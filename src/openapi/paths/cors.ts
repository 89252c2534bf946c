/** The article's hello world and the CORS set-ups broken on purpose (routes/cors*.ts). */
import { html, obj, STORE, str } from '../schemas';
import type { RouteDoc } from '../types';

export const corsRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/',
    tag: 'cors',
    summary:
      'The article’s Flask hello world, behind the CORS policy; a browser gets the front door',
    description:
      'Every client that does not prefer HTML (curl, Python requests, the OpenAI SDK, no Accept at all) gets the JSON `{"message": "Hello World!"}`; a browser’s navigation (Accept: text/html) gets the site’s landing page. The answer varies on Accept.',
    success: [
      {
        status: 200,
        description: 'Hello, or the landing page.',
        schema: obj({ message: str }, ['message']),
        alternatives: html,
      },
    ],
  },
  ...(['no-acao-on-401', 'unexposed', 'preflight-needs-auth'] as const).map((name): RouteDoc => ({
    method: 'get',
    path: `/cors/broken/${name}`,
    tag: 'cors',
    summary: `A CORS set-up broken on purpose: ${name}`,
    security: [['bearer']],
    success: [
      {
        status: 200,
        description: 'The data.',
        schema: obj({ message: str, note: str }, ['message']),
      },
    ],
    errors: ['insufficient_scope', ...STORE],
  })),
  {
    method: 'get',
    path: '/cors/broken/wildcard-credentials',
    tag: 'cors',
    summary: 'A CORS set-up broken on purpose: a wildcard with credentials',
    security: [['cookieSession']],
    success: [
      { status: 200, description: 'The session.', schema: obj({ message: str }, ['message']) },
    ],
    errors: STORE,
  },
];
