import { html, type Html } from './html';

/**
 * The pages' frames: `layout` for the API's teaching pages (/playground, /explain/:id, the
 * problem pages), `plainPage` for the CORS demo on its own origin. Both load the one stylesheet
 * (src/site/static/site.css, served as /playground.css) and at most one same-origin script, and
 * carry no inline script or style, so helmet's strict CSP holds.
 */

/** A Markdown link to a page of this site (`[text](/path#fragment)`); no other URL is a link. */
const SITE_LINK = /\[([^\]]+)\]\((\/[\w./#-]*)\)/g;

/** Registry text outside code spans: its links to this site's pages as links. */
function linked(text: string, site: string): Html {
  const out: Html[] = [];
  let last = 0;
  for (const m of text.matchAll(SITE_LINK)) {
    out.push(html`${text.slice(last, m.index)}<a href="${site}${m[2]}">${m[1]}</a>`);
    last = m.index + m[0].length;
  }
  out.push(html`${text.slice(last)}`);
  return html`${out}`;
}

/**
 * Registry text, with its `backticked` spans as code and its `[links](/to/a/page)` to this
 * site's pages (the Sources page, src/scenarios/sources.ts `cite`) as links; `site` is the API's
 * origin for a page served from another one (the CORS demo), else the links stay relative.
 */
export function prose(text: string, site = ''): Html {
  const parts = text.split('`');
  // An odd number of parts means every backtick was paired.
  if (parts.length % 2 === 0) return linked(text, site);
  return html`${parts.map((part, i) =>
    i % 2 === 1 ? html`<code>${part}</code>` : linked(part, site),
  )}`;
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
        <a class="brand" href="/"><span class="brand-mark">401</span> four-oh-one</a>
        <nav aria-label="Site">
          <a href="/">Home</a>
          <a href="/playground">Playground</a>
          <a href="/problems">Problems</a>
          <a href="/docs/">API docs</a>
          <a href="/sources">Sources</a>
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
