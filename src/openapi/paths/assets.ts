/**
 * The site's files (src/site/assets.ts): listed last in the document, under "assets", since a
 * reader of the API wants the teaching routes first.
 */
import { str } from '../schemas';
import type { RouteDoc } from '../types';

/** A script or module of the site's pages. */
const script = (path: string, summary: string): RouteDoc => ({
  method: 'get',
  path,
  tag: 'assets',
  summary,
  success: [{ status: 200, description: 'JavaScript.', type: 'text/javascript', schema: str }],
});

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
  script(
    '/docs.js',
    'What /docs adds to Swagger UI’s scripts: an accessible name for its server chooser',
  ),
  script('/playground.js', "The playground's script"),
  script(
    '/grade.js',
    "A module the playground's script imports: its runs panel, with a correct and a buggy client",
  ),
  script(
    '/shared/run-clients.js',
    'A module the runs panel imports: the correct client it drives a run with',
  ),
  script(
    '/shared/status-class.js',
    "A module the playground's script imports: the status colours the pages share",
  ),
  script(
    '/shared/headers.js',
    "A module the playground's script imports: which response headers matter first",
  ),
  script(
    '/shared/jwt.js',
    "A module the pages' scripts import: the JWT decoder (display only, never verifies)",
  ),
  script(
    '/local-times.js',
    "A module the pages' scripts import: token times in the reader's time zone",
  ),
  script(
    '/explain.js',
    "The script of /explain/{request_id}: token times in the reader's time zone",
  ),
  script('/hoba-demo.js', 'The script of /hoba: a WebCrypto key, registered, signing a challenge'),
  script('/shared/hoba.js', 'A module /hoba-demo.js imports: the HOBA-TBS blob (RFC 7486 §2)'),
  {
    method: 'get',
    path: '/favicon.ico',
    tag: 'assets',
    summary: 'The site’s icon',
    success: [{ status: 200, description: 'An SVG icon.', type: 'image/svg+xml', schema: str }],
  },
];
