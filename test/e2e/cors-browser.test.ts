import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  browserSuite,
  CHROMIUM,
  CHROMIUM_FLAGS,
  launchChromium,
  chromiumFound,
  ENTRY,
  eventually,
  freePort,
  ROOT,
} from './support';
import type { BrowserContext, Page } from 'playwright-core';
import { demoViews } from '../../src/cors-demo';
import type { BrowserSees, BrowserView } from '../../src/scenarios';
import { FULL_PAGE_SHOTS } from './pages';

/**
 * The CORS demo page in a real browser: Debian's Chromium, driven by playwright-core (never a
 * browser download). The compiled server is started with its demo page on a second port, and
 * for every browser view in the registry the test clicks its button and compares what the
 * page's script observed with what the scenario documents, then checks the server's log for
 * what really went over the wire. Screenshots go to artifacts/cors/.
 */
const ARTIFACTS = join(ROOT, 'artifacts', 'cors');
const FLAGS = [
  ...CHROMIUM_FLAGS,
  // An origin that is on no list, served by the same demo server: evil-app.test is 127.0.0.1.
  '--host-resolver-rules=MAP evil-app.test 127.0.0.1',
];

const describeBrowser = browserSuite('CORS');

// --- The server, with its demo page, on ports known in advance -------------------------------

interface Started {
  child: ChildProcessWithoutNullStreams;
  logs: string[];
}

function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [ENTRY], { env: { PATH: process.env.PATH ?? '', ...env } });
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server or demo page did not start:\n${logs.join('')}`));
    }, 10_000);
    child.stderr.on('data', (c: Buffer) => logs.push(c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      logs.push(c.toString());
      if (logs.join('').includes('"msg":"CORS demo page listening"')) {
        clearTimeout(timer);
        resolve({ child, logs });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${logs.join('')}`));
    });
  });
}

/** The server's request log lines (method, path, status) since `from` characters of output. */
function requestsSince(
  logs: string[],
  from: number,
): { method: string; path: string; status: number }[] {
  return logs
    .join('')
    .slice(from)
    .split('\n')
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line) as {
          req?: { method: string; path: string };
          res?: { statusCode: number };
        };
        return entry.req && entry.res
          ? [{ method: entry.req.method, path: entry.req.path, status: entry.res.statusCode }]
          : [];
      } catch {
        return [];
      }
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- What the page's script observed -----------------------------------------------------------

interface Observed {
  outcome: 'response' | 'network-error';
  status?: number;
  code?: string | null;
  headers?: Record<string, string | null>;
  body?: Record<string, unknown> | null;
  error?: string;
}

/** The observation, reduced to what the registry documents, for one readable comparison. */
function asDocumented(observed: Observed, sees: BrowserSees): object {
  if (observed.outcome === 'network-error' || sees.outcome === 'network-error') {
    return { outcome: observed.outcome };
  }
  const headers = observed.headers ?? {};
  return {
    outcome: observed.outcome,
    status: observed.status,
    ...(sees.code === undefined ? {} : { code: observed.code }),
    readable: sees.readable.filter((h) => headers[h] !== null),
    unreadable: sees.unreadable.filter((h) => headers[h] === null),
  };
}

function documented(sees: BrowserSees): object {
  return sees.outcome === 'network-error'
    ? { outcome: sees.outcome }
    : {
        outcome: sees.outcome,
        status: sees.status,
        ...(sees.code === undefined ? {} : { code: sees.code }),
        readable: sees.readable,
        unreadable: sees.unreadable,
      };
}

/** What a page on an origin that is on no list sees: nothing, but through a wildcard. */
function seenFromRefusedOrigin(view: BrowserView, anyOrigin: boolean): BrowserSees {
  if (view.fromSandboxedFrame || (anyOrigin && view.fetch.credentials === 'omit')) return view.sees;
  return { outcome: 'network-error', console: "No 'Access-Control-Allow-Origin' header" };
}

const VIEWS = demoViews();
/** Every observation, saved as artifacts/cors/observations.json for people to read. */
const record: Record<string, unknown> = {};

describeBrowser('the CORS demo page in Chromium', () => {
  let server: Started;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let api: string;
  let demoPort: number;
  const consoleLines = new Map<Page, string[]>();

  beforeAll(async () => {
    if (!chromiumFound) {
      throw new Error(
        `Chromium is required under CI (CI=true), but ${CHROMIUM} does not exist. ` +
          '.ci/run installs Debian’s chromium; or set CHROMIUM_PATH.',
      );
    }
    if (!existsSync(ENTRY))
      throw new Error(`${ENTRY} is missing: run npm run build (npm test does)`);
    const apiPort = await freePort();
    demoPort = await freePort();
    api = `http://127.0.0.1:${apiPort}`;
    server = await start({
      PORT: String(apiPort),
      CORS_DEMO_PORT: String(demoPort),
      PUBLIC_URL: api,
      JWT_SECRET: 'four-oh-one-browser-test-secret-of-32-bytes',
      LOG_LEVEL: 'info',
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium({ width: 1100, height: 900 }, FLAGS);
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    // SIGINT: stopped at once (SIGTERM would hold /readyz at 503 for a balancer first).
    if (server && server.child.exitCode === null) server.child.kill('SIGINT');
    if (Object.keys(record).length > 0) {
      writeFileSync(join(ARTIFACTS, 'observations.json'), `${JSON.stringify(record, null, 2)}\n`);
    }
  }, 30_000);

  async function openDemo(host: string): Promise<Page> {
    const page = await context.newPage();
    const lines: string[] = [];
    consoleLines.set(page, lines);
    page.on('console', (m) => lines.push(m.text()));
    page.on('pageerror', (e) => lines.push(`page error: ${e.message}`));
    await page.goto(`http://${host}:${demoPort}/`);
    await page.locator('#frame-origin', { hasText: 'null' }).waitFor();
    return page;
  }

  /** Clicks a view's button and returns what the script observed. */
  async function run(page: Page, id: string): Promise<Observed> {
    await page.$eval(`[data-view="${id}"]`, (e) => e.setAttribute('data-state', 'idle'));
    await page.click(`[data-view="${id}"] button`);
    const done = await page.waitForSelector(`[data-view="${id}"][data-state="done"]`, {
      state: 'attached',
    });
    return JSON.parse((await done.getAttribute('data-observed')) ?? 'null') as Observed;
  }

  async function step(page: Page, id: string): Promise<Observed> {
    const el = `[data-step="${id}"]`;
    await page.$eval(el, (e) => e.setAttribute('data-state', 'idle'));
    await page.click(`${el} button`);
    const done = await page.waitForSelector(`${el}[data-state="done"]`, { state: 'attached' });
    return JSON.parse((await done.getAttribute('data-observed')) ?? 'null') as Observed;
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, name), fullPage: FULL_PAGE_SHOTS });
  }

  describe('from http://127.0.0.1:<demo port>: an allowed origin on the API’s site', () => {
    let page: Page;

    beforeAll(async () => {
      page = await openDemo('127.0.0.1');
    }, 30_000);
    afterAll(async () => {
      await screenshot(page, 'demo-allowed-origin.png');
      await page.close();
    });

    it('says its origin is on the list and on the API’s site', async () => {
      const status = page.locator('#origin-status');
      expect(await status.getAttribute('data-allowed')).toBe('true');
      expect(await status.getAttribute('data-same-site')).toBe('true');
    });

    it.each(VIEWS.map(({ id, scenario, view }) => [id, scenario.id, view] as const))(
      '%s: the script sees what the registry documents',
      async (id, scenarioId, view) => {
        const logFrom = server.logs.join('').length;
        const observed = await run(page, id);
        record[`127.0.0.1 ${id}`] = observed;
        expect(asDocumented(observed, view.sees)).toEqual(documented(view.sees));
        expect(await page.getAttribute(`[data-view="${id}"]`, 'data-verdict')).toBe(
          'as-documented',
        );
        const scenario = VIEWS.find((v) => v.scenario.id === scenarioId)?.scenario;
        const sent = () =>
          requestsSince(server.logs, logFrom).filter((r) => r.path === view.fetch.path);
        if (view.sees.outcome === 'network-error') {
          const { console: says } = view.sees;
          // The script learned nothing; the console says why, naming the URL.
          await eventually(() =>
            expect(
              (consoleLines.get(page) ?? []).some(
                (l) => l.includes(`${api}${view.fetch.path}`) && l.includes(says),
              ),
            ).toBe(true),
          );
          // And the server did answer, as documented for the scenario's trigger (a call with
          // credentials may find a session from the login view, so only those without).
          await eventually(() => expect(sent().length).toBeGreaterThan(0));
          const trigger = scenario?.trigger;
          if (trigger && trigger.path === view.fetch.path && view.fetch.credentials === 'omit') {
            expect(sent().find((r) => r.method === trigger.method)).toEqual({
              method: trigger.method,
              path: view.fetch.path,
              status: scenario.expect.status,
            });
          }
          if (trigger?.method === 'OPTIONS') {
            // The preflight failed, so the real request was never sent.
            expect(sent().map((r) => r.method)).toEqual(['OPTIONS']);
          }
          record[`127.0.0.1 ${id} (server)`] = sent();
        } else {
          // A repeated GET may be revalidated (ETag): the server says 304, the script sees 200.
          const answers = observed.status === 200 ? [200, 304] : [observed.status];
          await eventually(() => expect(sent().some((r) => answers.includes(r.status))).toBe(true));
        }
      },
      30_000,
    );
  });

  describe('the wildcard with credentials, logged in', () => {
    it('the server answers 200 with the session, the script still gets a TypeError', async () => {
      const page = await openDemo('127.0.0.1');
      try {
        const loginFrom = server.logs.join('').length;
        expect((await step(page, 'login')).status).toBe(200);
        // The login's own log line may reach us after the page saw its answer: wait for it, so
        // that it is not counted as the wildcard request's.
        await eventually(() =>
          expect(requestsSince(server.logs, loginFrom).map((r) => r.path)).toContain('/login'),
        );
        const id = 'cors-broken-wildcard-credentials/0';
        const logFrom = server.logs.join('').length;
        const observed = await run(page, id);
        record[`127.0.0.1 ${id}, logged in`] = observed;
        expect(observed.outcome).toBe('network-error');
        await eventually(() =>
          expect(requestsSince(server.logs, logFrom)).toEqual([
            { method: 'GET', path: '/cors/broken/wildcard-credentials', status: 200 },
          ]),
        );
        expect((await step(page, 'logout')).status).toBe(200);
      } finally {
        await page.close();
      }
    }, 30_000);
  });

  describe('a cookie login across origins', () => {
    let page: Page;

    beforeAll(async () => {
      page = await openDemo('127.0.0.1');
    }, 30_000);
    afterAll(async () => {
      await page.close();
    });

    it('from the same site: login, heartbeat, /me, logout, then 401 session_missing', async () => {
      const seen: Record<string, Observed> = {};
      for (const id of ['login', 'keepalive', 'me', 'logout', 'keepalive']) {
        seen[Object.keys(seen).includes(id) ? `${id} after logout` : id] = await step(page, id);
        if (id === 'me') {
          // The page's steps send X-CSRF-Token; the same heartbeat without it is refused, and
          // readable (the CORS policy runs before the session routes).
          const bare = await page.evaluate(async (url) => {
            const r = await fetch(url, { method: 'POST', credentials: 'include' });
            return [r.status, ((await r.json()) as { code?: string }).code];
          }, `${api}/keepalive`);
          expect(bare).toEqual([403, 'csrf_token_missing']);
        }
      }
      seen['keepalive-omit'] = await step(page, 'keepalive-omit');
      record['cookie flow, same site'] = seen;
      expect(
        Object.fromEntries(Object.entries(seen).map(([k, o]) => [k, [o.status, o.code]])),
      ).toEqual({
        login: [200, null],
        keepalive: [200, null],
        me: [200, null],
        logout: [200, null],
        'keepalive after logout': [401, 'session_missing'],
        'keepalive-omit': [401, 'session_missing'],
      });
      expect(seen.me?.body?.user).toEqual({ sub: 'my_username', type: 'user' });
      expect(seen.me?.body?.csrf_token).toBe(seen.login?.body?.csrf_token);
      // The refusal is readable, challenge and all; the cookie itself never is.
      expect(seen['keepalive after logout']?.headers?.['www-authenticate']).toBe(
        'Cookie realm="four-oh-one", form-action="/login", cookie-name="four-oh-one.sid"',
      );
      expect(seen.login?.headers?.['set-cookie']).toBeNull();
      expect(await page.evaluate('document.cookie')).toBe('');
    }, 30_000);

    it('past a 2-second idle timeout: 401 session_idle_expired, readable', async () => {
      await page.fill('#idle-seconds', '2');
      const login = await step(page, 'login');
      expect(login.status).toBe(200);
      expect((await step(page, 'keepalive')).status).toBe(200);
      await sleep(2_500);
      const late = await step(page, 'keepalive');
      record['cookie flow, idle past 2 s'] = late;
      expect([late.status, late.code]).toEqual([401, 'session_idle_expired']);
      expect(late.headers?.['www-authenticate']).toMatch(/^Cookie realm="four-oh-one"/);
      expect(late.headers?.['x-request-id']).toBe(late.body?.request_id);
      await screenshot(page, 'demo-cookie-login.png');
    }, 30_000);
  });

  describe('from http://localhost:<demo port>: an allowed origin on another site', () => {
    let page: Page;

    beforeAll(async () => {
      page = await openDemo('localhost');
    }, 30_000);
    afterAll(async () => {
      await page.close();
    });

    it('says the origin is allowed but the site differs', async () => {
      const status = page.locator('#origin-status');
      expect(await status.getAttribute('data-allowed')).toBe('true');
      expect(await status.getAttribute('data-same-site')).toBe('false');
    });

    it('logs in (200, readable), but the browser drops the cookie: the heartbeat is 401', async () => {
      const login = await step(page, 'login');
      const keepalive = await step(page, 'keepalive');
      record['cookie flow, from localhost (cross-site)'] = { login, keepalive };
      expect([login.status, login.body?.message]).toEqual([200, 'Logged in as my_username.']);
      expect([keepalive.status, keepalive.code]).toEqual([401, 'session_missing']);
      await screenshot(page, 'demo-localhost-cross-site.png');
    }, 30_000);

    it('still sees every scenario as documented: CORS is about origins, not sites', async () => {
      await page.click('#run-all');
      await page.waitForSelector('body[data-ran-all="true"]', {
        state: 'attached',
        timeout: 20_000,
      });
      const verdicts = await page.$$eval('[data-view]', (els) =>
        els.map((e) => [e.getAttribute('data-view'), e.getAttribute('data-verdict')]),
      );
      expect(verdicts).toEqual(VIEWS.map(({ id }) => [id, 'as-documented']));
    }, 30_000);
  });

  describe('from http://evil-app.test:<demo port>: an origin on no list', () => {
    let page: Page;

    beforeAll(async () => {
      page = await openDemo('evil-app.test');
    }, 30_000);
    afterAll(async () => {
      await screenshot(page, 'demo-refused-origin.png');
      await page.close();
    });

    it('says its origin is not on the list', async () => {
      expect(await page.locator('#origin-status').getAttribute('data-allowed')).toBe('false');
    });

    it.each(
      VIEWS.map(({ id, scenario, view }) => {
        const anyOrigin = scenario.expect.headers?.['access-control-allow-origin'] === '*';
        return [id, view, seenFromRefusedOrigin(view, anyOrigin)] as const;
      }),
    )(
      '%s: sees nothing, unless a wildcard answers a call without credentials',
      async (id, view, sees) => {
        const logFrom = server.logs.join('').length;
        const observed = await run(page, id);
        record[`evil-app.test ${id}`] = observed;
        expect(asDocumented(observed, sees)).toEqual(documented(sees));
        expect(await page.getAttribute(`[data-view="${id}"]`, 'data-verdict')).toBe(
          'as-documented',
        );
        if (view.fetch.path === '/login') {
          // CORS hid the answer, but a simple POST is still sent: CORS is not CSRF protection.
          // The server refuses it by its Origin (middleware/csrf.ts), before reading the form.
          await eventually(() =>
            expect(requestsSince(server.logs, logFrom)).toContainEqual({
              method: 'POST',
              path: '/login',
              status: 403,
            }),
          );
        }
      },
      30_000,
    );
  });
});
