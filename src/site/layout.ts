import { html, type Html } from './html';

/**
 * The pages' frames: `layout` for the API's teaching pages (/playground, /explain/:id, the
 * problem pages), `plainPage` for the CORS demo on its own origin. Both load the one stylesheet
 * (src/site/static/site.css, served as /playground.css) and at most one same-origin script, and
 * carry no inline script or style, so helmet's strict CSP holds.
 */

/** Registry text, with its `backticked` spans as code. */
export function prose(text: string): Html {
  const parts = text.split('`');
  // An odd number of parts means every backtick was paired.
  if (parts.length % 2 === 0) return html`${text}`;
  return html`${parts.map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : html`${part}`))}`;
}

interface PageOptions {
  /** One same-origin script, loaded after the page is parsed. */
  script?: string;
  /** The icon, on the API's origin only: the demo's server has none. */
  icon?: boolean;
  /** The body element's attributes and content. */
  body: Html;
}

function page(title: string, options: PageOptions): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · four-oh-one</title>
        ${options.icon ? html`<link rel="icon" href="/favicon.ico" type="image/svg+xml" />` : ''}
        <link rel="stylesheet" href="/playground.css" />
        ${options.script ? html`<script src="${options.script}" defer></script>` : ''}
      </head>
      ${options.body}
    </html>`.value;
}

/** A whole page with the site's header; `script` adds one same-origin script. */
export function layout(title: string, body: Html, options: { script?: string } = {}): string {
  return page(title, {
    ...options,
    icon: true,
    body: html`<body>
      <header class="topbar">
        <a class="brand" href="/playground"><span class="brand-mark">401</span> four-oh-one</a>
        <nav>
          <a href="/playground">Playground</a>
          <a href="/docs">API docs</a>
          <a href="/problems">Problems</a>
          <a href="/scenarios">Scenarios (JSON)</a>
          <a href="/openapi.json">OpenAPI</a>
        </nav>
      </header>
      <main class="wrap">${body}</main>
    </body>`,
  });
}

/**
 * A page of prose in one narrow column, without the site's header, whose links name the API's
 * origin; `body` ends with its own script elements.
 */
export function plainPage(title: string, body: Html): string {
  return page(title, {
    body: html`<body class="plain">
      ${body}
    </body>`,
  });
}
