import type { RequestHandler } from 'express';
import { families, type Family, type Scenario } from '../src/scenarios';
import { html } from '../src/site/html';
import { layout, prose } from '../src/site/layout';
import { wantsHtml } from '../src/site/negotiate';

export interface FrontDoorDeps {
  /** The registry under this configuration (src/scenarios `registryFor`), when first needed. */
  registry: () => Scenario[];
  /** PUBLIC_URL, for the curl line a program would use. */
  baseUrl: string;
  /** The CORS demo page on its own origin; none when CORS_DEMO_PORT=0. */
  corsDemoUrl?: string;
}

/** The families with their scenario counts, in the registry's order. */
function familyCounts(registry: Scenario[]) {
  return Object.entries(families)
    .map(([id, f]) => {
      const list = registry.filter((s) => s.family === id);
      return {
        id: id as Family,
        ...f,
        total: list.length,
        unauthorized: list.filter((s) => s.expect.status === 401).length,
      };
    })
    .filter((f) => f.total > 0);
}

function renderHome(deps: FrontDoorDeps): string {
  const registry = deps.registry();
  const counts = familyCounts(registry);
  const demo = deps.corsDemoUrl;
  return layout(
    'Every way a request ends in 401',
    html`<section class="hero">
        <h1>Every way an HTTP request ends in 401</h1>
        <p class="lede">
          <strong>401 Unauthorized</strong> means the server did not accept the credentials of this
          request: there were none, or it could not verify them (expired, revoked, forged, a wrong
          password). Every 401 carries a <code>WWW-Authenticate</code> challenge that says how to
          authenticate (RFC 9110 §15.5.2), so the fix is on the client: get valid credentials and
          send the request again. It is not <strong>403 Forbidden</strong>, where the server knows
          who you are and refuses anyway (new credentials for the same user will not help), not
          <strong>407 Proxy Authentication Required</strong>, where a proxy on the way, not the
          server, wants credentials (in <code>Proxy-Authenticate</code>), and not
          <strong>429 Too Many Requests</strong>, where your credentials are fine but you are too
          fast: wait as <code>Retry-After</code> says.
        </p>
        <p>
          This server answers each of them on purpose, ${registry.length} scenarios in all, each
          with its trigger, the exact answer, why, and what a client should do.
        </p>
      </section>
      <nav class="doors" aria-label="Start here">
        <a class="door" href="/playground">
          <strong>Playground</strong>
          <span>Run every scenario from this page; copy it as curl, Python or JavaScript.</span>
        </a>
        <a class="door" href="/problems">
          <strong>Problems</strong>
          <span>Every error code: an example answer, why, and the remedy.</span>
        </a>
        <a class="door" href="/docs/">
          <strong>API docs</strong>
          <span>The OpenAPI document, rendered, with the scenarios as examples.</span>
        </a>
        <a class="door" href="/sources">
          <strong>Sources</strong>
          <span>The two articles this server reproduces, and where it differs from them.</span>
        </a>
        ${
          demo
            ? html`<a class="door" href="${demo}">
                <strong>CORS demo</strong>
                <span>A page on another origin calling this API: what its script can see.</span>
              </a>`
            : ''
        }
      </nav>
      ${
        demo
          ? ''
          : html`<p class="muted">
              The CORS demo page is off (CORS_DEMO_PORT=0); start the server with a CORS_DEMO_PORT
              to see a page on another origin call this API.
            </p>`
      }
      <h2>The scenario families</h2>
      <ul class="families">
        ${counts.map(
          (f) =>
            html`<li class="card">
              <h3><a href="/playground#family-${f.id}">${f.title}</a></h3>
              <p class="count">
                <strong>${f.total}</strong> ${f.total === 1 ? 'scenario' : 'scenarios'}${
                  f.unauthorized > 0 ? html`, <strong>${f.unauthorized}</strong> of them 401` : ''
                }
              </p>
              <p>${prose(f.summary)}</p>
            </li>`,
        )}
      </ul>
      <h2>For programs</h2>
      <p>
        This page is for browsers. Any other client of <code>GET /</code> (curl, Python requests, an
        SDK) still gets the article’s Flask hello world as JSON:
      </p>
      <pre><code>$ curl ${deps.baseUrl}/
{
  "message": "Hello World!"
}</code></pre>`,
  );
}

/**
 * The front door at `GET /`: a browser (which prefers text/html) gets the landing page; every
 * other client falls through to the article's JSON hello world (routes/cors.ts), byte for byte.
 * Both answers vary on Accept. The page depends only on the configuration: rendered once, for
 * the first browser (not while the server starts: bench/RESULTS.md, tenth round).
 */
export function frontDoor(deps: FrontDoorDeps): RequestHandler {
  let page: string | undefined;
  return function frontDoorPage(req, res, next) {
    res.vary('Accept');
    if (!wantsHtml(req)) {
      next();
      return;
    }
    page ??= renderHome(deps);
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(page);
  };
}
