/**
 * The site's files (src/site/assets.ts): listed last in the document, under "assets", since a
 * reader of the API wants the teaching routes first.
 */
import { str } from '../schemas';
import type { RouteDoc } from '../types';

export const assetRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/playground.css',
    tag: 'assets',
    summary: 'The stylesheet of every page',
    success: [{ status: 200, description: 'CSS.', type: 'text/css', schema: str }],
  },
  {
    method: 'get',
    path: '/docs.css',
    tag: 'assets',
    summary: 'What /docs adds to Swagger UI’s stylesheet',
    success: [{ status: 200, description: 'CSS.', type: 'text/css', schema: str }],
  },
  {
    method: 'get',
    path: '/playground.js',
    tag: 'assets',
    summary: "The playground's script",
    success: [{ status: 200, description: 'JavaScript.', type: 'text/javascript', schema: str }],
  },
  {
    method: 'get',
    path: '/shared/status-class.js',
    tag: 'assets',
    summary: "A module the playground's script imports: the status colours the pages share",
    success: [{ status: 200, description: 'JavaScript.', type: 'text/javascript', schema: str }],
  },
  {
    method: 'get',
    path: '/favicon.ico',
    tag: 'assets',
    summary: 'The site’s icon',
    success: [{ status: 200, description: 'An SVG icon.', type: 'image/svg+xml', schema: str }],
  },
];
