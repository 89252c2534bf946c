import { html, type Html } from './html';

/**
 * The look of the teaching pages (/playground, /explain/:id): one stylesheet, served as
 * /playground.css, and a page layout that loads it. Kept as strings so that the compiled server,
 * and the Docker image that ships dist/ only, carries them; no inline script or style, so
 * helmet's strict CSP holds. The palette matches the problem pages (src/html.ts).
 */

/** The pill colour class of a status: each kind of answer has its own. */
export function statusClass(status: number): string {
  if (status < 300) return 's2xx';
  if (status < 400) return 's3xx';
  if (status === 401 || status === 407) return 's401';
  if (status === 403) return 's403';
  if (status === 429) return 's429';
  if (status >= 500) return 's5xx';
  if (status === 404 || status === 405) return 's404';
  return 's400';
}

/** Registry text, with its `backticked` spans as code. */
export function prose(text: string): Html {
  const parts = text.split('`');
  // An odd number of parts means every backtick was paired.
  if (parts.length % 2 === 0) return html`${text}`;
  return html`${parts.map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : html`${part}`))}`;
}

/** A whole page with the site's header; `script` adds one same-origin script. */
export function layout(title: string, body: Html, options: { script?: string } = {}): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · four-oh-one</title>
        <link rel="icon" href="/favicon.ico" type="image/svg+xml" />
        <link rel="stylesheet" href="/playground.css" />
        ${options.script ? html`<script src="${options.script}" defer></script>` : ''}
      </head>
      <body>
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
      </body>
    </html>`.value;
}

export const SITE_CSS = `
:root {
  --bg: #f6f7fb;
  --surface: #ffffff;
  --text: #1d2433;
  --muted: #5b6475;
  --border: #e2e5ed;
  --code-bg: #f3f4f7;
  --link: #1a56db;
  --accent: #c81e1e;
  --shadow: 0 1px 2px rgba(16, 24, 40, 0.06), 0 1px 3px rgba(16, 24, 40, 0.08);
  --ok: #146c2e;
  --bad: #9b1c1c;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #11141b;
    --surface: #1a1f2a;
    --text: #e6e9ef;
    --muted: #9aa3b2;
    --border: #2b3240;
    --code-bg: #232a37;
    --link: #76a9fa;
    --accent: #f98080;
    --shadow: none;
    --ok: #84e1bc;
    --bad: #f8b4b4;
  }
}
* { box-sizing: border-box; }
html { scroll-padding-top: 4.5rem; }
body {
  margin: 0;
  font: 16px/1.55 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  color: var(--text);
  background: var(--bg);
}
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, kbd {
  font: 13.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
code { background: var(--code-bg); padding: 0.05rem 0.3rem; border-radius: 4px; }
pre code { background: none; padding: 0; }
pre {
  background: var(--code-bg);
  padding: 0.75rem 0.9rem;
  border-radius: 6px;
  overflow-x: auto;
  margin: 0;
  white-space: pre;
}
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0.2rem 0 0.4rem; }
h2 { font-size: 1.05rem; margin: 1.1rem 0 0.35rem; }
h3 { font-size: 0.95rem; margin: 0.9rem 0 0.3rem; color: var(--muted); }
p { margin: 0.35rem 0; }
.muted { color: var(--muted); }
.wrap { max-width: 76rem; margin: 0 auto; padding: 1.25rem 1rem 4rem; }

/* --- top bar ----------------------------------------------------------------------------- */
.topbar {
  position: sticky;
  top: 0;
  z-index: 10;
  display: flex;
  flex-wrap: wrap;
  gap: 0.5rem 1.5rem;
  align-items: center;
  padding: 0.6rem 1.25rem;
  background: var(--surface);
  border-bottom: 1px solid var(--border);
}
.brand { font-weight: 700; color: var(--text); display: flex; align-items: center; gap: 0.5rem; }
.brand-mark {
  background: var(--accent);
  color: #fff;
  border-radius: 6px;
  padding: 0 0.4rem;
  font: 700 14px/1.6 ui-monospace, monospace;
}
.topbar nav { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; font-size: 0.95rem; }
.topbar nav a { color: var(--muted); }
.topbar nav a:hover { color: var(--link); }

/* --- status pills and chips ------------------------------------------------------------- */
.pill {
  display: inline-block;
  min-width: 2.9rem;
  text-align: center;
  padding: 0.05rem 0.45rem;
  border-radius: 999px;
  font: 700 13px/1.5 ui-monospace, monospace;
  vertical-align: 0.1em;
}
.s2xx { background: #def7ec; color: #03543f; }
.s3xx { background: #e1effe; color: #1e429f; }
.s400 { background: #fdf6b2; color: #723b13; }
.s401 { background: #fde8e8; color: #9b1c1c; }
.s403 { background: #edebfe; color: #5521b5; }
.s404 { background: #e5e7eb; color: #374151; }
.s429 { background: #feecdc; color: #8a2c0d; }
.s5xx { background: #fbd5d5; color: #771d1d; }
.chip {
  font: 12.5px/1.4 ui-monospace, monospace;
  background: var(--code-bg);
  border: 1px solid var(--border);
  border-radius: 5px;
  padding: 0.05rem 0.35rem;
  color: var(--text);
}

/* --- cards -------------------------------------------------------------------------------- */
.card {
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: 10px;
  box-shadow: var(--shadow);
  padding: 0.9rem 1.1rem;
  margin: 0.9rem 0;
}
.card > h2:first-child { margin-top: 0; }
.page-head { margin: 0.5rem 0 1rem; }
.crumbs { font-size: 0.9rem; color: var(--muted); }

/* --- the decision trace ----------------------------------------------------------------- */
.checks { list-style: none; padding: 0; margin: 0.4rem 0; }
.checks li { padding: 0.15rem 0.5rem; border-radius: 5px; }
.checks li span { display: inline-block; width: 1.2rem; font-weight: 700; }
.checks .ok span { color: var(--ok); }
.checks .bad { background: #fde8e8; color: #9b1c1c; font-weight: 600; }
.checks .then { background: #edebfe; color: #5521b5; font-weight: 600; }
.checks .skip { color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.3rem 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }

/* --- playground ---------------------------------------------------------------------------- */
.intro { display: flex; flex-wrap: wrap; gap: 1rem 2rem; align-items: flex-end; justify-content: space-between; }
.intro p { max-width: 46rem; }
.toolbar {
  position: sticky;
  top: 3.05rem;
  z-index: 5;
  display: flex;
  flex-wrap: wrap;
  gap: 0.5rem;
  align-items: center;
  padding: 0.6rem 0;
  background: var(--bg);
}
.toolbar input[type='search'] {
  flex: 1 1 18rem;
  font: inherit;
  padding: 0.45rem 0.7rem;
  border: 1px solid var(--border);
  border-radius: 8px;
  background: var(--surface);
  color: var(--text);
}
.toolbar .count { color: var(--muted); font-size: 0.9rem; }
.filters { display: flex; flex-wrap: wrap; gap: 0.3rem; }
.filters button {
  font: 600 13px/1.4 ui-monospace, monospace;
  border: 1px solid var(--border);
  background: var(--surface);
  color: var(--text);
  border-radius: 999px;
  padding: 0.2rem 0.65rem;
  cursor: pointer;
}
.filters button[aria-pressed='true'] { background: var(--text); color: var(--surface); border-color: var(--text); }
.layout { display: grid; grid-template-columns: 15rem minmax(0, 1fr); gap: 1.5rem; }
@media (max-width: 900px) { .layout { grid-template-columns: 1fr; } .sidebar { display: none; } }
.sidebar { position: sticky; top: 7rem; align-self: start; font-size: 0.92rem; }
.sidebar ol { list-style: none; padding: 0; margin: 0; }
.sidebar li a { display: flex; justify-content: space-between; gap: 0.5rem; padding: 0.25rem 0.5rem; border-radius: 6px; color: var(--text); }
.sidebar li a:hover { background: var(--surface); text-decoration: none; }
.sidebar .n { color: var(--muted); font-variant-numeric: tabular-nums; }
.family { margin: 0 0 2rem; }
.family > h2 { font-size: 1.25rem; margin: 0.5rem 0 0.2rem; }
.family > p { color: var(--muted); margin: 0 0 0.6rem; max-width: 60rem; }
details.scenario {
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: 10px;
  box-shadow: var(--shadow);
  margin: 0.45rem 0;
}
details.scenario[open] { border-color: #b4c6fc; }
details.scenario > summary {
  list-style: none;
  cursor: pointer;
  display: grid;
  grid-template-columns: auto minmax(0, 1fr) auto;
  gap: 0.75rem;
  align-items: center;
  padding: 0.6rem 0.9rem;
}
details.scenario > summary::-webkit-details-marker { display: none; }
summary .title { font-weight: 600; }
summary .where { color: var(--muted); font: 12.5px/1.4 ui-monospace, monospace; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 22rem; }
@media (max-width: 700px) { summary .where { display: none; } }
.body { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.1fr); gap: 1.25rem; padding: 0 1rem 1rem; border-top: 1px solid var(--border); }
@media (max-width: 1100px) { .body { grid-template-columns: 1fr; } }
.body h3:first-child { margin-top: 0.9rem; }
.note { border-left: 3px solid #e3a008; padding: 0.3rem 0.7rem; background: rgba(227, 160, 8, 0.08); border-radius: 0 6px 6px 0; }
.refs { padding-left: 1.1rem; margin: 0.2rem 0; }
.try h3 { display: flex; align-items: center; justify-content: space-between; }
.tabs { display: flex; gap: 0.25rem; margin: 0.5rem 0 0; }
.tabs button {
  font: 600 13px/1.4 system-ui, sans-serif;
  border: 1px solid var(--border);
  border-bottom: none;
  background: transparent;
  color: var(--muted);
  border-radius: 6px 6px 0 0;
  padding: 0.25rem 0.7rem;
  cursor: pointer;
}
.tabs button[aria-selected='true'] { background: var(--code-bg); color: var(--text); }
.snippet { position: relative; }
.snippet pre { border-top-left-radius: 0; max-height: 16rem; }
.snippet[hidden] { display: none; }
.copy {
  position: absolute;
  top: 0.4rem;
  right: 0.4rem;
  font: 600 12px/1.4 system-ui, sans-serif;
  border: 1px solid var(--border);
  background: var(--surface);
  color: var(--text);
  border-radius: 5px;
  padding: 0.15rem 0.5rem;
  cursor: pointer;
}
.actions { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; margin: 0.6rem 0; }
.run {
  font: 600 14px/1.4 system-ui, sans-serif;
  background: #1a56db;
  color: #fff;
  border: none;
  border-radius: 7px;
  padding: 0.4rem 1.1rem;
  cursor: pointer;
}
.run:hover { background: #1e429f; }
.run:disabled { background: #9ca3af; cursor: not-allowed; }
.cannot { font-size: 0.92rem; color: var(--muted); }
.result { border: 1px solid var(--border); border-radius: 8px; padding: 0.6rem 0.75rem; margin-top: 0.4rem; }
.result[hidden] { display: none; }
.result .line { display: flex; flex-wrap: wrap; gap: 0.5rem 0.9rem; align-items: center; }
.verdict-ok { color: var(--ok); font-weight: 600; }
.verdict-bad { color: var(--bad); font-weight: 600; }
.result pre { margin-top: 0.45rem; max-height: 18rem; }
.result .label { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); margin-top: 0.5rem; }
.empty { text-align: center; color: var(--muted); padding: 2rem; }
`;
