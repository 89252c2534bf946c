import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  browserSuite,
  CHROMIUM,
  CHROMIUM_FLAGS,
  launchChromium,
  chromiumFound,
  ROOT,
  startServerOnFreePort,
  type StartedServer,
} from './support';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { defaultScenarios } from '../../src/scenarios';
import { FULL_PAGE_SHOTS } from './pages';

const scenarios = defaultScenarios();

/**
 * The playground, /docs and /explain in a real browser: Debian's Chromium driven by
 * playwright-core (never a browser download), against the compiled server. Every scenario title
 * must show, every scenario the page can run must answer its documented status when its Run
 * button is clicked, and no page may log a script error or a CSP violation. Screenshots go to
 * artifacts/playground/ (git-ignored).
 */
const ARTIFACTS = join(ROOT, 'artifacts', 'playground');
const FLAGS = CHROMIUM_FLAGS;

const describeBrowser = browserSuite('playground');

/** What a page logged that is a fault: script errors, CSP refusals, failed loads of its files. */
interface Faults {
  messages: string[];
}

/**
 * Chromium logs every 4xx/5xx answer to a fetch as "Failed to load resource"; a scenario's
 * refusal is the point of its Run button, so those are not faults. Anything else logged as an
 * error is (a script error, a CSP violation, a 404 for a script or stylesheet).
 */
function watch(page: Page, triggerPaths: Set<string>): Faults {
  const faults: Faults = { messages: [] };
  page.on('pageerror', (e) => faults.messages.push(`page error: ${e.message}`));
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const url = m.location().url ?? '';
    const path = url ? new URL(url).pathname : '';
    const refusal = /^Failed to load resource: the server responded with a status of [45]\d\d/.test(
      m.text(),
    );
    if (refusal && triggerPaths.has(path)) return;
    faults.messages.push(`${m.type()}: ${m.text()} (${url})`);
  });
  return faults;
}

describeBrowser('the playground in Chromium', () => {
  let server: StartedServer | undefined;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let base: string;
  const triggerPaths = new Set(scenarios.map((s) => s.trigger.path.split('?')[0] ?? ''));

  beforeAll(async () => {
    if (!chromiumFound) {
      throw new Error(
        `Chromium is required under CI (CI=true), but ${CHROMIUM} does not exist. ` +
          '.ci/run installs Debian’s chromium; or set CHROMIUM_PATH.',
      );
    }
    server = await startServerOnFreePort(
      {
        LOG_LEVEL: 'warn',
        CORS_DEMO_PORT: '0',
        JWT_SECRET: 'four-oh-one-playground-browser-test-secret',
        // Running every card is more refusals from one address than a minute's budget of
        // explanations (120): the later test's "Why exactly?" link would not be offered.
        EXPLAIN_PER_ADDRESS_PER_MINUTE: '1000',
      },
      // Only warnings are logged, so there is no "listening" line to wait for.
      { healthz: true },
    );
    base = server.url;
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium({ width: 1280, height: 900 }, FLAGS);
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  async function open(path: string): Promise<{ page: Page; faults: Faults }> {
    const page = await context.newPage();
    const faults = watch(page, triggerPaths);
    await page.goto(base + path);
    return { page, faults };
  }

  it('shows every scenario title, by family, with no console error', async () => {
    const { page, faults } = await open('/playground');
    await page.waitForSelector('body[data-ready="true"]');
    const titles = await page.$$eval('details.scenario summary .title', (els) =>
      els.map((e) => e.textContent?.trim()),
    );
    expect(titles).toEqual(scenarios.map((s) => s.title));
    for (const s of scenarios.slice(0, 5)) {
      await expect(page.getByText(s.title, { exact: true }).isVisible()).resolves.toBe(true);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'playground.png') });
    expect(faults.messages).toEqual([]);
    await page.close();
  }, 30_000);

  it('puts a card’s body in place when it opens: by click, by keyboard, by link, in the language chosen last', async () => {
    const { page, faults } = await open('/playground');
    await page.waitForSelector('body[data-ready="true"]');
    // Closed, every body is inert in its <template>: the page is some 4,000 elements, not 25,000.
    const counts = () =>
      page.evaluate<{ bodies: number; templates: number; elements: number }>(`({
        bodies: document.querySelectorAll('details.scenario .body').length,
        templates: document.querySelectorAll('details.scenario > template.card-body').length,
        elements: document.querySelectorAll('*').length,
      })`);
    const before = await counts();
    expect(before).toMatchObject({ bodies: 0, templates: scenarios.length });
    expect(before.elements).toBeLessThan(6000);

    // A click on the summary: shown, Run enabled; choose Python there.
    const first = page.locator('details#bearer-missing');
    await first.locator(':scope > summary').click();
    await expect(first.locator('button[data-run]').isEnabled()).resolves.toBe(true);
    await expect(first.locator('.learn h3').first().innerText()).resolves.toBe('Why');
    await first.locator('.tabs button[data-lang="python"]').click();
    await expect(first.locator('.snippet[data-lang="python"]').isVisible()).resolves.toBe(true);

    // Enter on a summary: the next card opens in Python too.
    const second = page.locator('details#bearer-other-scheme');
    await second.locator(':scope > summary').focus();
    await page.keyboard.press('Enter');
    await expect(second.getAttribute('open')).resolves.not.toBeNull();
    await expect(second.locator('.snippet[data-lang="python"]').isVisible()).resolves.toBe(true);
    await expect(second.locator('.snippet[data-lang="curl"]').isHidden()).resolves.toBe(true);
    await expect(second.locator('button[data-run]').isEnabled()).resolves.toBe(true);

    // A link to a card, after a reload: the language is remembered, the token's times local.
    await page.goto(`${base}/playground`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.evaluate(`location.hash = 'token-expired'`);
    const linked = page.locator('details#token-expired');
    await expect(linked.getAttribute('open')).resolves.not.toBeNull();
    await expect(linked.locator('.snippet[data-lang="python"]').isVisible()).resolves.toBe(true);
    await expect(linked.locator('time[data-claim="exp"]').getAttribute('data-local')).resolves.toBe(
      'true',
    );
    await expect(counts()).resolves.toMatchObject({ bodies: 1 });
    expect(faults.messages).toEqual([]);
    await page.close();
  }, 60_000);

  it('fills a card opened before its script ran (a click while the page loads)', async () => {
    const page = await context.newPage();
    const faults = watch(page, triggerPaths);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/playground.js', async (route) => {
      await held;
      await route.continue();
    });
    // The deferred script holds DOMContentLoaded back: wait for the card itself.
    await page.goto(`${base}/playground`, { waitUntil: 'commit' });
    const card = page.locator('details#bearer-missing');
    await card.locator(':scope > summary').click();
    await expect(card.getAttribute('open')).resolves.not.toBeNull();
    await expect(card.locator('.body').count()).resolves.toBe(0);
    release();
    await page.waitForSelector('body[data-ready="true"]');
    await expect(card.locator('.learn h3').first().innerText()).resolves.toBe('Why');
    await expect(card.locator('button[data-run]').isEnabled()).resolves.toBe(true);
    expect(faults.messages).toEqual([]);
    await page.close();
  }, 30_000);

  /**
   * One step of the every-card run, in the page (a string: this file is type-checked without the
   * DOM's types). Finishes the card before, if any: waits for its answer, reads the status and
   * the verdict it shows, closes the card again. Then opens the next card, brings its Run button
   * to the middle of the screen and says where to click it, and whether a click there reaches
   * it: shown, enabled, and the element at that point (what Playwright's click checks too).
   */
  const STEP = `async ({ done, next }) => {
    let result = null;
    if (done) {
      const card = document.getElementById(done);
      await new Promise((resolve) => {
        if (card.dataset.ran === 'true') return resolve();
        setTimeout(resolve, 20000); // no answer: said below, rather than waiting for ever
        const watcher = new MutationObserver(() => {
          if (card.dataset.ran !== 'true') return;
          watcher.disconnect();
          resolve();
        });
        watcher.observe(card, { attributes: true, attributeFilter: ['data-ran'] });
      });
      result = {
        ran: card.dataset.ran === 'true',
        shown: card.querySelector('.result .pill')?.getAttribute('data-status') ?? null,
        verdict: card.querySelector('.result [data-matches]')?.getAttribute('data-matches') ?? null,
      };
      if (done !== 'token-expired') card.querySelector(':scope > summary').click(); // close it
    }
    let target = null;
    if (next) {
      const card = document.getElementById(next);
      card.querySelector(':scope > summary').click();
      const button = card.querySelector('button[data-run]');
      button.scrollIntoView({ block: 'center', behavior: 'instant' });
      const box = button.getBoundingClientRect();
      const x = box.left + box.width / 2;
      const y = box.top + box.height / 2;
      const hit = document.elementFromPoint(x, y);
      const reached = hit !== null && (hit === button || button.contains(hit));
      target = { x, y, clickable: card.open && button.checkVisibility() && !button.disabled && reached };
    }
    return { result, target };
  }`;
  interface Step {
    result: { ran: boolean; shown: string | null; verdict: string | null } | null;
    target: { x: number; y: number; clickable: boolean } | null;
  }

  // Each Run button gets a real click (the mouse, at the button's middle); opening, reading and
  // closing a card is done in the page, one round trip per card instead of six.
  it('runs every scenario a page can send, and shows its documented status', async () => {
    const { page, faults } = await open('/playground');
    await page.waitForSelector('body[data-ready="true"]');
    // A closed card's body, with its Run button, is still in its <template>.
    const runnable = await page.evaluate<string[]>(
      `[...document.querySelectorAll('details.scenario')]
        .map((card) => (card.querySelector(':scope > template')?.content ?? card).querySelector('button[data-run]'))
        .filter((button) => button !== null)
        .map((button) => button.dataset.run)`,
    );
    expect(runnable.length).toBeGreaterThan(scenarios.length / 2);
    const step = (done: string | null, next: string | null) =>
      page.evaluate<Step>(`(${STEP})(${JSON.stringify({ done, next })})`);
    const differs: string[] = [];
    let target = (await step(null, runnable[0] ?? null)).target;
    for (const [i, id] of runnable.entries()) {
      if (!target?.clickable) {
        differs.push(`${id}: its Run button cannot be clicked`);
        break;
      }
      await page.mouse.click(target.x, target.y);
      const { result, target: following } = await step(id, runnable[i + 1] ?? null);
      target = following;
      const expected = String(scenarios.find((s) => s.id === id)?.expect.status);
      if (!result?.ran) differs.push(`${id}: no answer shown within 20 s of the click`);
      else if (result.shown !== expected || result.verdict !== 'true') {
        differs.push(`${id}: ${result?.shown} (${result?.verdict})`);
      }
    }
    expect(differs).toEqual([]);
    // The expired token, opened, with its answer and the link to its explanation.
    const expired = page.locator('details#token-expired');
    await expired.scrollIntoViewIfNeeded();
    await expired.screenshot({ path: join(ARTIFACTS, 'playground-token-expired.png') });
    expect(faults.messages).toEqual([]);
    await page.close();
  }, 300_000);

  it('fetches a clock-skew trigger again before each Run, and only such triggers', async () => {
    const { page, faults } = await open('/playground');
    await page.waitForSelector('body[data-ready="true"]');
    let fetched = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/scenarios') fetched += 1;
    });
    const runs = async (id: string) => {
      const card = page.locator(`details#${id}`);
      if ((await card.getAttribute('open')) === null)
        await card.locator(':scope > summary').click();
      await card.locator('button[data-run]').click();
      await page.waitForSelector(`details#${id}[data-ran="true"]`, { state: 'attached' });
      return card.locator('.result [data-matches]').getAttribute('data-matches');
    };
    // Its token was minted a second inside the leeway: the one /scenarios served with the page
    // may have crossed the edge since, so the Run asks for a fresh one.
    await expect(runs('token-expired')).resolves.toBe('true');
    const before = fetched; // the triggers the page loaded (once, whenever it did)
    await expect(runs('clock-skew-exp-within-tolerance')).resolves.toBe('true');
    expect(fetched - before).toBe(1);
    await expect(runs('token-expired')).resolves.toBe('true');
    expect(fetched - before).toBe(1);
    expect(faults.messages).toEqual([]);
    await page.close();
  }, 30_000);

  it('explains a refusal from its Run result, and shows the failed check', async () => {
    const { page, faults } = await open('/playground#token-expired');
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('details#token-expired').getAttribute('open')).not.toBeNull();
    await page.locator('details#token-expired button[data-run]').click();
    await page.locator('details#token-expired .result a', { hasText: 'Why exactly?' }).click();
    await page.waitForURL(/\/explain\//);
    await expect(page.locator('.checks .bad').innerText()).resolves.toContain('exp: not expired');
    await page.screenshot({
      path: join(ARTIFACTS, 'explain-token-expired.png'),
      fullPage: FULL_PAGE_SHOTS,
    });
    expect(faults.messages).toEqual([]);
    await page.close();
  }, 30_000);

  it('filters by words and by status', async () => {
    const { page, faults } = await open('/playground');
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#filter', 'token_expired');
    const visible = () =>
      page.$$eval('details.scenario', (els) =>
        els.filter((e) => !e.hasAttribute('hidden')).map((e) => e.id),
      );
    const mentions = (s: (typeof scenarios)[number], word: string) =>
      [
        s.id,
        s.title,
        s.family,
        s.expect.status,
        s.expect.code ?? '',
        s.trigger.method,
        s.trigger.path,
      ]
        .join(' ')
        .toLowerCase()
        .includes(word);
    const expected = scenarios.filter((s) => mentions(s, 'token_expired')).map((s) => s.id);
    expect(expected).toContain('token-expired');
    expect(await visible()).toEqual(expected);
    await page.fill('#filter', '');
    await page.click('[data-status-filter="403"]');
    const only403 = await visible();
    expect(only403).toEqual(scenarios.filter((s) => s.expect.status === 403).map((s) => s.id));
    expect(faults.messages).toEqual([]);
    await page.close();
  }, 30_000);

  // /docs (Swagger UI) is opened at two widths in front-pages.test.ts, its console watched there.
  it('renders /problems/:code with no console error', async () => {
    const problem = await open('/problems/token_expired');
    await expect(problem.page.locator('h1').innerText()).resolves.toBe('Access token expired');
    await problem.page.screenshot({ path: join(ARTIFACTS, 'problem-token-expired.png') });
    expect(problem.faults.messages).toEqual([]);
    await problem.page.close();
  }, 30_000);
});
