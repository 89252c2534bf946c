import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import pino, { type Logger } from 'pino';
import { loadConfigOrExit, publishedDemoSecret } from './config';
import { createServer } from './http/server';
import {
  families,
  registryFor,
  registrySettings,
  defaultScenarios,
  type BrowserSees,
  type BrowserView,
  type Scenario,
} from './scenarios';
import { ARTICLES, SOURCES_PATH } from './scenarios/sources';
import { CALLBACK_PATH } from './oauth/clients';
import { assetRouter } from './site/assets';
import { callbackBody, callbackQuery } from './site/authorize';
import { html, Html } from './site/html';
import { plainPage, prose } from './site/layout';
import type { DemoData, DemoStep } from './site/shared/cors-demo-data';

/** `{{token:NAME}}` values for the views' headers. */
export type DemoTokens = () => Promise<Partial<Record<string, string>>>;

export interface CorsDemoOptions {
  /** Where the page's scripts reach the API, e.g. http://127.0.0.1:3000. */
  apiBase: string;
  /** The API's CORS allowlist, so that the page can tell whether its own origin is on it. */
  origins: readonly string[];
  /**
   * The demo user, for the cookie login. A password other than the built-in default is never
   * put in the page: the learner types it (see `publishedDemoSecret`).
   */
  user: { username: string; password: string };
  tokens: DemoTokens;
  /**
   * The API's registry under its configuration (src/scenarios `registryFor`), so that the texts
   * name its real origins; the default configuration's when absent.
   */
  registry?: Scenario[];
  /** The token issuer the authorization responses name (RFC 9207 `iss`); the API's URL by default. */
  issuer?: string;
}

/** The scenarios that have something to show in a browser, in registry order. */
export function demoScenarios(registry: Scenario[] = defaultScenarios()): Scenario[] {
  return registry.filter((s) => (s.browser ?? []).length > 0);
}

/** Every view's id on the page (`<scenario id>/<index>`), with its scenario and view. */
export function demoViews(
  registry: Scenario[] = defaultScenarios(),
): { id: string; scenario: Scenario; view: BrowserView }[] {
  return demoScenarios(registry).flatMap((scenario) =>
    (scenario.browser ?? []).map((view, i) => ({ id: `${scenario.id}/${i}`, scenario, view })),
  );
}

/**
 * The cookie-session steps, which depend on each other and so are not registry views. The login
 * carries no password when the operator set one: the page's script takes it from a field.
 */
function cookieSteps(user: {
  username: string;
  password: string | undefined;
}): Record<string, DemoStep> {
  return {
    login: {
      label: 'Log in',
      fetch: {
        method: 'POST',
        path: '/login',
        body:
          user.password === undefined
            ? { username: user.username }
            : { username: user.username, password: user.password },
        credentials: 'include',
      },
    },
    keepalive: {
      label: 'Heartbeat',
      fetch: { method: 'POST', path: '/keepalive', credentials: 'include' },
    },
    me: { label: 'Who am I', fetch: { method: 'GET', path: '/me', credentials: 'include' } },
    logout: {
      label: 'Log out',
      fetch: { method: 'POST', path: '/logout', credentials: 'include' },
    },
    'keepalive-omit': {
      label: 'Heartbeat without credentials',
      fetch: { method: 'POST', path: '/keepalive', credentials: 'omit' },
    },
  };
}

function fillTokens(value: string, tokens: Partial<Record<string, string>>): string {
  return value.replace(/\{\{token:([a-z_]+)\}\}/g, (m, name: string) => tokens[name] ?? m);
}

/** One sentence: what the documentation says the script sees. */
export function describeSees(sees: BrowserSees): string {
  if (sees.outcome === 'network-error') {
    return `fetch rejects with a TypeError; the script gets no status, no header and no body. Only the DevTools console says why: “…${sees.console}…”.`;
  }
  const code = sees.code ? `, code ${sees.code} in the body` : '';
  const readable = sees.readable.length > 0 ? ` Readable: ${sees.readable.join(', ')}.` : '';
  const hidden =
    sees.unreadable.length > 0 ? ` Sent but read as null: ${sees.unreadable.join(', ')}.` : '';
  return `status ${sees.status}${code}.${readable}${hidden}`;
}

/** The call as a reader would write it, with `<valid token>` for a filled-in specimen. */
function describeFetch(view: BrowserView): string {
  const { method, path, headers, body, credentials } = view.fetch;
  const init = [`method: '${method}'`, `credentials: '${credentials}'`];
  if (headers) {
    const shown = Object.entries(headers).map(
      ([name, value]) => `'${name}': '${value.replace(/\{\{token:([a-z_]+)\}\}/g, '<$1 token>')}'`,
    );
    init.push(`headers: { ${shown.join(', ')} }`);
  }
  if (body) init.push('body: <the login form>');
  return `fetch(API + '${path}', { ${init.join(', ')} })`;
}

/** The JSON the page's script reads, safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

/** Where the page itself was reached: its host name and port, from the request. */
interface PageAddress {
  hostname: string;
  port: number;
}

function renderPage(
  options: CorsDemoOptions,
  tokens: Partial<Record<string, string>>,
  at: PageAddress,
): string {
  const { apiBase } = options;
  const registry = options.registry ?? defaultScenarios();
  const views: DemoData['views'] = {};
  for (const { id, scenario, view } of demoViews(registry)) {
    const headers = view.fetch.headers
      ? Object.fromEntries(
          Object.entries(view.fetch.headers).map(([k, v]) => [k, fillTokens(v, tokens)]),
        )
      : undefined;
    views[id] = {
      ...view,
      fetch: { ...view.fetch, ...(headers ? { headers } : {}) },
      anyOrigin: scenario.expect.headers?.['access-control-allow-origin'] === '*',
    };
  }
  const password = publishedDemoSecret('password', options.user.password);
  const steps = cookieSteps({ username: options.user.username, password });
  const data: DemoData = { apiBase, origins: options.origins, views, steps };
  const missingTokens = !tokens.valid || !tokens.expired;
  // The loopback host under its other name: another site than the API if this one is the same.
  const otherName = at.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  const otherUrl = `http://${otherName}:${at.port}/`;

  const session = ARTICLES.explained.sections[2];
  const body: Html = html`<p class="muted">
      <a href="${apiBase}/">four-oh-one</a> · <a href="${apiBase}/playground">playground</a> ·
      <a href="${apiBase}/problems">problems</a> · <a href="${apiBase}/sources">sources</a> · CORS
      demo
    </p>
    <h1>CORS around a 401</h1>
    <p>
      This page comes from <code id="page-origin">this page’s origin</code>. Its script calls the
      API at <code>${apiBase}</code>: a different port, so a <em>different origin</em>. Every button
      makes one <code>fetch</code> call and shows what the script could read of the answer, next to
      what the scenario’s documentation says it will see.
    </p>
    <p id="origin-status" class="callout">Checking this page’s origin…</p>
    ${
      missingTokens
        ? html`<p class="callout warn">
            The API’s ready-made tokens could not be fetched (GET ${apiBase}/tokens/specimens); the
            calls that need a token send a placeholder.
          </p>`
        : ''
    }
    <h2>Why these two origins</h2>
    <p>
      An origin is scheme, host and port; a <em>site</em> is the scheme plus the registrable domain
      (<code>https://app.example.co.uk</code> and <code>https://api.example.co.uk</code> are one
      site), or the host itself when it has none, as an IP address or <code>localhost</code>; the
      port never counts. This page and the API differ in port only: two origins, so every call is a
      CORS call, but one site, so the API’s <code>SameSite=Lax</code> session cookie is stored and
      sent by <code>fetch(…, { credentials: 'include' })</code>, and the cookie login below works.
      <code>localhost</code> and <code>127.0.0.1</code> are two different sites, although they are
      the same machine: open this page as
      <a href="${otherUrl}" id="other-name-link">${otherUrl}</a>, and every call still works (that
      origin is on the list too) except the cookie: the login reads 200, the browser drops the
      cookie, and the heartbeat is 401 session_missing.
    </p>
    <p>
      The sandboxed frame below has an opaque origin, so its calls carry
      <code>Origin: null</code>:
      <iframe
        id="null-frame"
        sandbox="allow-scripts"
        src="/frame"
        title="sandboxed frame, origin null"
      ></iframe>
      Its origin, as its script sees it: <code id="frame-origin">(loading)</code>.
    </p>
    <p><button type="button" id="run-all">Run every scenario</button></p>
    <h2>Scenarios</h2>
    <p class="muted">${prose(families.cors.summary, apiBase)}</p>
    ${demoScenarios(registry).map(
      (s) =>
        html`<section id="${s.id}" class="${s.id.startsWith('cors-broken-') ? 'broken' : ''}">
          <h3>${s.title}</h3>
          <p>${prose(s.explanation, apiBase)}</p>
          ${
            s.articleNote
              ? html`<p>
                  <strong>Where the article differs:</strong> ${prose(s.articleNote, apiBase)}
                </p>`
              : ''
          }
          ${(s.browser ?? []).map(
            (view, i) =>
              html`<div class="view" data-view="${s.id}/${i}" data-state="idle">
                <p>
                  <code>${describeFetch(view)}</code>${
                    view.fromSandboxedFrame
                      ? html` <em>from the sandboxed frame (Origin: null)</em>`
                      : ''
                  }
                </p>
                <p><strong>Documented:</strong> ${describeSees(view.sees)}</p>
                <p>
                  <button type="button">Run</button> <span class="verdict"></span>
                  <span class="seen"></span>
                </p>
                <pre class="observed"></pre>
              </div>`,
          )}
        </section>`,
    )}
    <h2>A cookie login across origins</h2>
    <p>
      <a href="${apiBase}${SOURCES_PATH}#${session.anchor}"
        >${ARTICLES.explained.short}, section 2</a
      >
      from a browser: log in with the form, then keep the session alive. Each call here uses
      <code>credentials: 'include'</code> but the last. From this page on the same site as the API:
      the login is 200 and stores the cookie, the heartbeat and <code>/me</code> are 200, logging
      out clears it, and the next heartbeat is 401 <code>session_missing</code>, which the script
      can read, challenge and all. With a short idle timeout, wait past it: the heartbeat is 401
      <code>session_idle_expired</code>. From another site (see above) the heartbeat is 401
      <code>session_missing</code> right after a successful login. The login’s answer carries
      <code>csrf_token</code>; the heartbeat and the logout send it back in
      <code>X-CSRF-Token</code> (a header a page of another site cannot know), which makes them
      preflighted. A page on an origin that is not on <code>CORS_ORIGINS</code> cannot post at all:
      the API refuses it 403 <code>csrf_origin_refused</code>, unseen.
    </p>
    <p>
      <label
        >Idle timeout for the next login, seconds (empty: the server’s):
        <input id="idle-seconds" type="number" min="1" max="900" size="4"
      /></label>
    </p>
    ${
      password === undefined
        ? html`<p class="callout">
            The operator of this server set its own demo password (DEMO_PASSWORD), so this page does
            not show it. Type it here to log in as <code>${options.user.username}</code>:
            <label
              >password
              <input id="login-password" type="password" autocomplete="current-password" size="16"
            /></label>
          </p>`
        : ''
    }
    ${Object.entries(steps).map(
      ([id, step]) =>
        html`<div class="step" data-step="${id}" data-state="idle">
          <p>
            <button type="button">${step.label}</button>
            <code>${step.fetch.method} ${step.fetch.path}</code>, credentials:
            <code>${step.fetch.credentials}</code>
            <span class="verdict"></span> <span class="seen"></span>
          </p>
          <pre class="observed"></pre>
        </div>`,
    )}
    <script id="demo-data" type="application/json">
      ${new Html(scriptJson(data))}
    </script>
    <script src="/demo.js"></script>`;
  return plainPage('CORS demo', body);
}

const FRAME_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>origin null</title>
    <link rel="stylesheet" href="/playground.css" />
  </head>
  <body data-role="frame">
    sandboxed frame: its calls carry Origin: null
    <script src="/demo.js"></script>
  </body>
</html>
`;

/**
 * The CORS demo page: a second origin that calls the API with fetch and shows, for every
 * scenario of the `cors` family, what the script can read. Its content security policy lets it
 * connect to the API's origin and nowhere else.
 */
export function createCorsDemoApp(options: CorsDemoOptions): express.Application {
  const apiOrigin = new URL(options.apiBase).origin;
  const app = express();
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { connectSrc: ["'self'", apiOrigin], upgradeInsecureRequests: null },
      },
      // Served over plain http on its own port: no HSTS there (RFC 6797 §7.2).
      strictTransportSecurity: false,
    }),
  );
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.get('/', async function demoPage(req, res) {
    let tokens: Partial<Record<string, string>> = {};
    try {
      tokens = await options.tokens();
    } catch {
      // The page says so, and sends placeholders.
    }
    const at = { hostname: req.hostname, port: req.socket.localPort ?? 0 };
    res.type('html').send(renderPage(options, tokens, at));
  });
  // A single-page app that signs in with the authorization code and PKCE (/oauth-demo.js), and
  // the public client's redirect URI on this origin (src/oauth/clients.ts), where it lands.
  app.get('/oauth/', function spaPage(_req, res) {
    res.type('html').send(plainPage('Sign in with four-oh-one', spaBody(options, html``)));
  });
  app.get(CALLBACK_PATH, function demoCallback(req, res) {
    const shown = callbackQuery(req.query as Record<string, unknown>);
    const response = callbackBody(shown, `${options.apiBase}/auth/token`);
    res.type('html').send(plainPage('Authorization response', spaBody(options, response)));
  });
  app.get('/frame', function demoFrame(_req, res) {
    // Sandboxed, the frame has an opaque origin, which cannot be origin-keyed: asking for it
    // (helmet's Origin-Agent-Cluster: ?1, right for every other page) only put a warning in
    // the console of everyone who opened the demo page.
    res.removeHeader('Origin-Agent-Cluster');
    res.type('html').send(FRAME_PAGE);
  });
  // The sandboxed frame loads these too, from an opaque origin, to which every origin is another.
  app.use(assetRouter(['/demo.js', '/playground.css'], { crossOrigin: true }));
  app.use(assetRouter(['/oauth-demo.js', '/shared/dpop.js', '/shared/jwt.js']));
  app.get('/favicon.ico', function noFavicon(_req, res) {
    res.status(204).end();
  });
  app.use(function demoNotFound(_req, res) {
    res.status(404).type('text/plain').send('Not found. The CORS demo is at /.');
  });
  app.use(function demoError(_err, _req, res, _next) {
    res.status(500).type('text/plain').send('The CORS demo page failed.');
  } as ErrorRequestHandler);
  return app;
}

/**
 * The single-page app's frame: what it is, its Sign in button, its log, the button that sends
 * the same code again, then `response` (the authorization response, on the callback).
 */
function spaBody(options: CorsDemoOptions, response: Html): Html {
  const api = options.apiBase;
  return html`<div id="spa" data-api="${api}" data-issuer="${options.issuer ?? api}">
      <p class="muted">
        <a href="${api}/">four-oh-one</a> · <a href="/">CORS demo</a> · single-page app
      </p>
      <h1>A single-page app signs in</h1>
      <p>
        This page is a public client, <code>four-oh-one-spa</code>, on another origin than the API.
        Sign in runs the authorization code flow with PKCE: the script makes a code_verifier and its
        S256 code_challenge with WebCrypto, sends the browser to <code>${api}/authorize</code>, and
        when the browser comes back here with a code it checks state and iss, exchanges the code at
        <code>/auth/token</code> with <code>fetch</code>, and calls the API.
      </p>
      <p><button type="button" id="spa-login">Sign in</button></p>
      <h2>Signing in with DPoP</h2>
      <p>
        A Bearer token works for whoever holds it. <strong>Sign in with DPoP</strong> runs the same
        flow, but back here the script makes a P-256 key pair with WebCrypto whose private key is
        <em>not extractable</em>: no script, this one included, can read it, only ask the browser to
        sign with it. Every request then carries a <code>DPoP</code> header, a proof (RFC 9449): a
        JWT of type <code>dpop+jwt</code>, signed with that key, with the public key in its header
        (<code>jwk</code>) and in its payload the request’s method (<code>htm</code>) and URL
        without query (<code>htu</code>), the time (<code>iat</code>), a random <code>jti</code>, at
        the API the access token’s SHA-256 (<code>ath</code>), and the server’s
        <code>DPoP-Nonce</code> when it asked for one (<code>nonce</code>). The token endpoint
        answers <code>token_type: DPoP</code> and binds the token to the key: its
        <code>cnf.jkt</code> is the key’s thumbprint. The API then wants
        <code>Authorization: DPoP &lt;token&gt;</code> and a fresh proof each time; a copied proof,
        or the token alone as Bearer, is refused.
      </p>
      <p>
        <label
          ><input type="checkbox" id="spa-dpop-nonce" checked /> have the token endpoint demand a
          server nonce first (<code>dpop_nonce=required</code>: a 400
          <code>use_dpop_nonce</code> with a <code>DPoP-Nonce</code>, then one retry)</label
        >
      </p>
      <p><button type="button" id="spa-login-dpop">Sign in with DPoP</button></p>
      <h2>What happened</h2>
      <ol id="spa-log" aria-live="polite"></ol>
      <p>
        <button type="button" id="spa-again" hidden>Send the same code again</button>
        <button type="button" id="spa-replay" hidden>Send the same proof again</button>
        <button type="button" id="spa-nonce-api" hidden>
          Call the API where proofs need a nonce
        </button>
        <button type="button" id="spa-as-bearer" hidden>Send the token as Bearer</button>
      </p>
      <div id="spa-proofs"></div>
    </div>
    ${response}
    <script src="/oauth-demo.js" defer></script>`;
}

export interface StartCorsDemoOptions extends CorsDemoOptions {
  port: number;
  host: string;
  logger: Logger;
}

/**
 * Serves the demo page on its own port. A port already taken is not fatal: the API works
 * without the page, so it logs a warning and goes on.
 */
export function startCorsDemo(options: StartCorsDemoOptions): Server {
  const { port, host, logger, ...demo } = options;
  const server = createServer(createCorsDemoApp(demo));
  server.on('error', (err: NodeJS.ErrnoException) => {
    logger.warn(
      { demoPort: port, error: err.code ?? err.message },
      'CORS demo page not started (set CORS_DEMO_PORT to a free port, or 0 for none)',
    );
  });
  server.listen(port, host, () => {
    const actual = (server.address() as AddressInfo).port;
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    logger.info(
      { url: `http://${shown}:${actual}`, api: demo.apiBase },
      'CORS demo page listening',
    );
  });
  return server;
}

/** The API's ready-made tokens, fetched over HTTP, for a demo page running on its own. */
export function tokensFromApi(apiBase: string): DemoTokens {
  return async () => {
    const res = await fetch(`${apiBase}/tokens/specimens`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { specimens?: { name: string; token: string }[] };
    return Object.fromEntries((body.specimens ?? []).map((s) => [s.name, s.token]));
  };
}

/** `npm run demo:cors`: the demo page alone, for an API that runs elsewhere (PUBLIC_URL). */
function main(): void {
  const config = loadConfigOrExit(process.env);
  const logger = pino({ level: config.logLevel });
  const server = startCorsDemo({
    apiBase: config.publicUrl,
    origins: config.cors.origins,
    user: { username: config.demo.username, password: config.demo.password },
    tokens: tokensFromApi(config.publicUrl),
    registry: registryFor(registrySettings(config)),
    port: config.cors.demoPort,
    host: config.host,
    logger,
  });
  server.on('error', () => process.exit(1));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();
