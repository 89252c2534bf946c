import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { families, defaultScenarios } from '../../src/scenarios';
import {
  COLOUR_RULES,
  horizontalOverflow,
  screenshot,
  seriousViolations,
  VIEWPORTS,
  WIDTH_CHANGES_LOOKS,
  type ViewportName,
} from './pages';
import {
  browserSuite,
  ENTRY,
  freePort,
  launchChromium,
  startServer,
  type StartedServer,
} from './support';

const scenarios = defaultScenarios();

/**
 * The pages a learner opens first, in Debian's Chromium at a laptop's width and a 390 px phone's:
 * the front door, the problems index, a problem page, the sources, /docs and the CORS demo page.
 * Each has no serious or critical axe violation, nothing wider than the screen, no CSP refusal,
 * and shows what a learner must see. Screenshots: artifacts/pages/front-<page>-<width>.png.
 */
const describeBrowser = browserSuite('front pages');

describeBrowser('the front pages in a browser', () => {
  let server: StartedServer | undefined;
  let baseUrl = '';
  let demoUrl = '';

  beforeAll(async () => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build`);
    const port = await freePort();
    const demoPort = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    demoUrl = `http://127.0.0.1:${demoPort}/`;
    server = await startServer({
      PORT: String(port),
      PUBLIC_URL: baseUrl,
      CORS_DEMO_PORT: String(demoPort),
      JWT_SECRET: 'four-oh-one front pages e2e: a secret of 32+ bytes',
    });
  }, 15_000);

  afterAll(() => server?.stop());

  /** What every page must be: readable, within the screen, accessible; then a screenshot. */
  async function checkPage(page: Page, name: string, viewport: ViewportName): Promise<void> {
    expect({ name, overflow: await horizontalOverflow(page) }).toEqual({ name, overflow: 0 });
    // The colours are checked at the laptop's width (every page here is checked at both).
    const violations = await seriousViolations(page, { coloursCheckedWider: viewport === 'phone' });
    expect({ name, violations }).toEqual({ name, violations: [] });
    await screenshot(page, `front-${name}-${viewport}`);
  }

  /**
   * Opens `url` in a fresh page, collecting script errors and whatever the console says as an
   * error or a warning (a CSP refusal, a 404 for a script or stylesheet, Swagger UI's own).
   */
  async function open(browser: Awaited<ReturnType<typeof launchChromium>>, url: string) {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') {
        errors.push(`${m.type()}: ${m.text()} (${m.location().url})`);
      }
    });
    await page.goto(url, { waitUntil: 'load' });
    return { page, errors };
  }

  const text = (page: Page, selector: string) => page.locator(selector).first().innerText();

  describe.each(Object.keys(VIEWPORTS) as ViewportName[])('at %s width', (viewport) => {
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    beforeAll(async () => {
      browser = await launchChromium(VIEWPORTS[viewport]);
    }, 30_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('the front door: what a 401 is, every door, the families with their counts', async () => {
      const { page, errors } = await open(browser, `${baseUrl}/`);
      await expect(text(page, 'h1')).resolves.toBe('Every way an HTTP request ends in 401');
      await expect(text(page, '.lede')).resolves.toMatch(/403 Forbidden.*407.*429/s);
      // Strings run in the page, since this file is type-checked without the DOM's types.
      const doors = await page.evaluate<string[][]>(
        `[...document.querySelectorAll('.door')].map((a) => [a.getAttribute('href'), a.querySelector('strong').textContent])`,
      );
      expect(doors).toEqual([
        ['/playground', 'Playground'],
        ['/problems', 'Problems'],
        ['/docs/', 'API docs'],
        ['/sources', 'Sources'],
        [demoUrl, 'CORS demo'],
      ]);
      for (const [id] of Object.entries(families)) {
        const n = scenarios.filter((s) => s.family === id).length;
        const card = page.locator('.families li', {
          has: page.locator(`a[href="/playground#family-${id}"]`),
        });
        await expect(card.locator('.count').innerText()).resolves.toMatch(
          new RegExp(`^${n} scenarios?\\b`),
        );
      }
      await checkPage(page, 'home', viewport);
      // By keyboard: the first Tab reaches the brand, which leads home; a door opens with Enter.
      await page.keyboard.press('Tab');
      await expect(page.evaluate('document.activeElement.className')).resolves.toBe('brand');
      await page.locator('.door[href="/playground"]').focus();
      // The navigation starting is the proof: Enter on the door sends the browser's navigation
      // request for /playground. It is answered 204 (No Content), so the browser stays on this
      // page: the playground itself (2.5 MB, 350 cards) is loaded and checked in diagram-pages
      // and playground-browser. Waiting for the playground to load here, in a whole run, once
      // took over 60 s to commit (2026-12-03), and going back at once raced Chromium swapping
      // the page's process for the back-forward cache ("Not attached to an active page").
      await page.route(`${baseUrl}/playground`, (route) => route.fulfill({ status: 204 }));
      const [request] = await Promise.all([
        page.waitForRequest(`${baseUrl}/playground`),
        page.keyboard.press('Enter'),
      ]);
      expect(request.isNavigationRequest()).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    }, 60_000);

    it('the problems index: every code, 401 first, each a link', async () => {
      const { page, errors } = await open(browser, `${baseUrl}/problems`);
      await expect(text(page, '.problem-group h2')).resolves.toMatch(/^401\s+Unauthorized/);
      await expect(page.locator('a[href="/problems/token_expired"]').isVisible()).resolves.toBe(
        true,
      );
      await checkPage(page, 'problems', viewport);
      expect(errors).toEqual([]);
    }, 60_000);

    it('a problem page: the example answer with its WWW-Authenticate first-class, runnable scenarios', async () => {
      const { page, errors } = await open(browser, `${baseUrl}/problems/token_expired`);
      const example = await text(page, '#example-response');
      expect(example).toMatch(/^HTTP\/1\.1 401 Unauthorized\n/);
      expect(example).toContain(
        `WWW-Authenticate: Bearer realm="four-oh-one", error="invalid_token", error_description="Access token expired", resource_metadata="${baseUrl}/.well-known/oauth-protected-resource"`,
      );
      await expect(page.locator('#example-response .challenge').isVisible()).resolves.toBe(true);
      expect(await page.content()).not.toContain('{{');
      await expect(
        page.locator('a.run-link[href="/playground#token-expired"]').isVisible(),
      ).resolves.toBe(true);
      await expect(text(page, '.remedy')).resolves.toMatch(/refresh/i);
      await checkPage(page, 'problem', viewport);
      expect(errors).toEqual([]);
    }, 60_000);

    it('the sources: both articles by title, and what the server does differently', async () => {
      const { page, errors } = await open(browser, `${baseUrl}/sources`);
      await expect(text(page, '#http-401-explained')).resolves.toBe('401 HTTP错误码详解');
      await expect(text(page, '#invalid-token')).resolves.toContain('Invalid Token (request id:');
      await expect(text(page, '#differs-admin')).resolves.toBe(
        'A signed-in non-admin gets 403, not 401',
      );
      await expect(text(page, '#differs-cors')).resolves.toBe(
        'A cross-origin call is not answered 401',
      );
      await checkPage(page, 'sources', viewport);
      expect(errors).toEqual([]);
    }, 60_000);

    it('the CORS demo page: code as code, one "Broken on purpose", styled buttons, real origins', async () => {
      const { page, errors } = await open(browser, demoUrl);
      const body = await page.locator('body').innerText();
      expect(body).not.toContain('`');
      expect(body).not.toMatch(/broken on purpose: broken on purpose/i);
      expect(body).not.toMatch(/:300[01]\b/);
      await expect(
        page.locator('#cors-hello-world code', { hasText: 'CORS(app)' }).count(),
      ).resolves.toBeGreaterThan(0);
      const [background, border] = await page.evaluate<string[]>(
        `(() => { const s = getComputedStyle(document.getElementById('run-all')); return [s.backgroundColor, s.borderTopColor]; })()`,
      );
      // Not the browser's grey default (rgb(239, 239, 239)): the site's link colour.
      expect(background).not.toBe('rgb(239, 239, 239)');
      expect(border).toBe(background);
      await checkPage(page, 'cors-demo', viewport);
      expect(errors).toEqual([]);
    }, 60_000);
  });

  // Only the colours change with the scheme: the other rules ran on these pages above, at both
  // widths. And the colours do not change with the width: the test checks that the stylesheets
  // set no colour inside a width's media query (and reveal nothing there), so one width (a
  // laptop's) tells for both.
  it('in dark mode too: no serious contrast violation (contrast is per scheme, not per width)', async () => {
    const browser = await launchChromium(VIEWPORTS.desktop);
    try {
      const page = await browser.context.newPage();
      await page.emulateMedia({ colorScheme: 'dark' });
      for (const path of ['/', '/problems', '/problems/token_expired', '/sources']) {
        await page.goto(`${baseUrl}${path}`, { waitUntil: 'load' });
        expect({
          path,
          changedByWidth: await page.evaluate<string[]>(WIDTH_CHANGES_LOOKS),
        }).toEqual({
          path,
          changedByWidth: [],
        });
        expect({
          path,
          violations: await seriousViolations(page, { rules: COLOUR_RULES }),
        }).toEqual({
          path,
          violations: [],
        });
      }
      await screenshot(page, 'front-home-dark-desktop');
    } finally {
      await browser.close();
    }
  }, 90_000);

  // Swagger UI resolves the whole OpenAPI 3.1 document (ApiDOM) before it shows anything: some
  // 4 s and 6 CPU-s a load here, more than all the other pages of this file together. So /docs
  // is loaded once, at a laptop's width, and checked again after the window narrows to a
  // phone's: its layout is its stylesheet's media queries, which a resize applies as a load
  // does (Swagger UI reads no width when it renders).
  it('/docs, at both widths: opens on the teaching routes, with a way back to the site', async () => {
    const browser = await launchChromium(VIEWPORTS.desktop);
    try {
      const { page, errors } = await open(browser, `${baseUrl}/docs/`);
      // Swagger UI renders every operation of the document (21 families now), built on first
      // use: 10 s ran out at phone width in CI.
      await page.locator('.opblock-tag-section').first().waitFor({ timeout: 40_000 });
      await expect(page.locator('.swagger-ui .info .title').innerText()).resolves.toContain(
        'four-oh-one',
      );
      const tags = await page.locator('.opblock-tag-section h3').allInnerTexts();
      expect(tags[0]).toMatch(/^bearer/);
      expect(tags.at(-1)).toMatch(/^assets/);
      await expect(page.locator('.info .description a[href="/"]').isVisible()).resolves.toBe(true);
      for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
        await page.setViewportSize(VIEWPORTS[viewport]);
        await expect(page.evaluate('window.innerWidth')).resolves.toBe(VIEWPORTS[viewport].width);
        await checkPage(page, 'docs', viewport);
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
