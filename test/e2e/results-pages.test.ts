import type { Page } from 'playwright-core';
import {
  horizontalOverflow,
  screenshot,
  seriousViolations,
  VIEWPORTS,
  type ViewportName,
} from './pages';
import { browserSuite, launchChromium, type StartedServer, startServerOnFreePort } from './support';

/**
 * What a learner sees of an answer, in a real browser (Debian's Chromium) at a laptop's width
 * and a 390 px phone's: a Run result on /playground and the /explain page of an expired token.
 * The status line comes first, then WWW-Authenticate, marked; helmet's headers are folded; the
 * decoded token marks `exp` and says how long ago it expired, in the reader's time zone;
 * everything is reachable and operable from the keyboard; nothing overflows sideways; axe finds
 * no serious or critical violation. Screenshots: artifacts/pages/results-*.png.
 */
const describeBrowser = browserSuite('results pages');

/** Runs in the page: what a Run result or /explain shows, in order. */
const SHOWN = `(root => {
  const box = document.querySelector(root);
  const lines = [...box.querySelectorAll('.hdrs > li')];
  const fold = box.querySelector('details.other-headers');
  return {
    first: lines[0] ? lines[0].dataset.header : null,
    firstMarked: lines[0] ? lines[0].classList.contains('matters') : false,
    firstBackground: lines[0] ? getComputedStyle(lines[0]).backgroundColor : '',
    markedOutsideFold: lines.filter(l => l.classList.contains('matters')).every(l => !l.closest('details.other-headers')),
    folded: fold ? [...fold.querySelectorAll('li')].map(l => l.dataset.header) : [],
    foldOpen: fold ? fold.open : null,
    foldSummary: fold ? fold.querySelector('summary').textContent : '',
  };
})`;

interface Shown {
  first: string | null;
  firstMarked: boolean;
  firstBackground: string;
  markedOutsideFold: boolean;
  folded: string[];
  foldOpen: boolean | null;
  foldSummary: string;
}

const shown = (page: Page, root: string) =>
  page.evaluate(`${SHOWN}(${JSON.stringify(root)})`) as Promise<Shown>;

/** The claim row of a decoded token: marked as the culprit, its time and relative words. */
const claimRow = (page: Page, scope: string, claim: string) =>
  page.evaluate(`(() => {
    const row = document.querySelector(${JSON.stringify(`${scope} .claim[data-claim="${claim}"]`)});
    if (!row) return null;
    const time = row.querySelector('time');
    return {
      culprit: row.classList.contains('culprit'),
      label: row.querySelector('.culprit-tag') ? row.querySelector('.culprit-tag').textContent : '',
      local: time ? time.dataset.local === 'true' : false,
      time: time ? time.textContent : '',
      rel: row.querySelector('.rel') ? row.querySelector('.rel').textContent : '',
    };
  })()`) as Promise<{
    culprit: boolean;
    label: string;
    local: boolean;
    time: string;
    rel: string;
  } | null>;

describeBrowser('Run results and /explain in Chromium', () => {
  let server: StartedServer | undefined;
  let baseUrl = '';

  beforeAll(async () => {
    server = await startServerOnFreePort({
      CORS_DEMO_PORT: '0',
      JWT_SECRET: 'four-oh-one results pages e2e: a secret of 32+ bytes',
    });
    baseUrl = server.url;
  }, 15_000);

  afterAll(() => server?.stop());

  it.each(Object.keys(VIEWPORTS) as ViewportName[])(
    'at %s width: a link opens a card no sticky bar covers; a Run result and the explanation of an expired token',
    async (name) => {
      const browser = await launchChromium(VIEWPORTS[name]);
      try {
        const page = await browser.context.newPage();
        // The reader is in India (UTC+5:30, no daylight saving): times must be shown in that zone.
        const cdp = await browser.context.newCDPSession(page);
        await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'Asia/Kolkata' });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${baseUrl}/playground#token-expired`);
        await page.waitForSelector('body[data-ready="true"]');
        // No sticky bar covers the card the link opened: on a phone the bars scroll away; on a
        // laptop they stick, above what the link opens.
        await page.waitForTimeout(200);
        const bars = (await page.evaluate(`(() => {
          const top = document.querySelector('details#token-expired > summary').getBoundingClientRect().top;
          const bars = [...document.querySelectorAll('.topbar, .toolbar')]
            .filter((b) => ['sticky', 'fixed'].includes(getComputedStyle(b).position))
            .map((b) => b.getBoundingClientRect().bottom);
          return { sticky: bars.length, covered: bars.some((bottom) => bottom > top) };
        })()`)) as { sticky: number; covered: boolean };
        expect(bars).toEqual({ sticky: name === 'phone' ? 0 : 2, covered: false });
        const card = page.locator('details#token-expired');
        await expect(card.getAttribute('open')).resolves.not.toBeNull();

        // The card decodes the token it sends, marks exp, and says when in words.
        const cardExp = await claimRow(page, 'details#token-expired', 'exp');
        expect(cardExp).toMatchObject({ culprit: true, label: 'refused for this', local: true });
        expect(cardExp?.time).toMatch(/GMT\+5:30/);
        expect(cardExp?.rel).toMatch(/^expired \d+ (s|min|h|days) ago$/);
        for (const label of ['Header', 'Payload', 'Signature']) {
          await expect(
            card.locator('.jwt-label', { hasText: label }).first().isVisible(),
          ).resolves.toBe(true);
        }

        // Run, from the keyboard: focus the button, press Enter.
        const run = card.locator('button[data-run]');
        await run.focus();
        // Focused by keyboard (focus() then a key), the button shows a visible outline.
        await page.keyboard.press('Shift+Tab');
        await page.keyboard.press('Tab');
        const focus = await page.evaluate(
          `[document.activeElement.dataset.run, getComputedStyle(document.activeElement).outlineStyle]`,
        );
        expect(focus).toEqual(['token-expired', 'solid']);
        await page.keyboard.press('Enter');
        await page.waitForSelector('details#token-expired[data-ran="true"]');

        const result = await shown(page, 'details#token-expired .result');
        expect(result).toMatchObject({
          first: 'www-authenticate',
          firstMarked: true,
          markedOutsideFold: true,
          foldOpen: false,
        });
        expect(result.firstBackground).not.toBe('rgba(0, 0, 0, 0)');
        expect(result.folded).toEqual(
          expect.arrayContaining(['content-security-policy', 'x-content-type-options']),
        );
        expect(result.foldSummary).toBe(`other headers (${result.folded.length})`);
        // The status line comes before the headers.
        const order = await page.evaluate(`(() => {
          const box = document.querySelector('details#token-expired .result');
          const pill = box.querySelector('.pill');
          const hdr = box.querySelector('.hdrs > li');
          return !!(pill.compareDocumentPosition(hdr) & Node.DOCUMENT_POSITION_FOLLOWING);
        })()`);
        expect(order).toBe(true);
        // The fold opens from the keyboard.
        await card.locator('.result details.other-headers > summary').focus();
        await page.keyboard.press('Enter');
        await expect(
          card.locator('.result details.other-headers li').first().isVisible(),
        ).resolves.toBe(true);

        // Tokens an answer issues are decoded under the body, folded.
        const grant = page.locator('details#auth-token-password');
        await grant.locator(':scope > summary').click();
        await grant.locator('button[data-run]').click();
        await page.waitForSelector('details#auth-token-password[data-ran="true"]');
        const issued = grant.locator('.result details.jwt-fold');
        await expect(issued.locator('summary').allInnerTexts()).resolves.toEqual([
          'access_token, decoded',
          'refresh_token, decoded',
        ]);
        await issued.first().locator('summary').click();
        await expect(
          issued.first().locator('.claim[data-claim="exp"] .rel').innerText(),
        ).resolves.toMatch(/^expires in \d+ (s|min|h|days)$/);
        await expect(
          issued.first().locator('.claim[data-claim="exp"] time').innerText(),
        ).resolves.toMatch(/GMT\+5:30/);

        await card.scrollIntoViewIfNeeded();
        await expect(horizontalOverflow(page)).resolves.toBe(0);
        // The two cards that ran, with their results; the whole playground page is checked at
        // each width in diagram-pages.test.ts (one axe pass over 25,000 elements is 10 s here).
        expect(
          await seriousViolations(page, {
            include: ['details#token-expired', 'details#auth-token-password'],
            coloursCheckedWider: name === 'phone',
          }),
        ).toEqual([]);
        await screenshot(page, `results-playground-${name}`);

        // Why exactly? The explanation: the answer's headers first, the token decoded.
        await card.locator('.result a', { hasText: 'Why exactly?' }).click();
        await page.waitForURL(/\/explain\//);
        await page.waitForSelector('body[data-ready="true"]');
        await expect(page.locator('.status-line').innerText()).resolves.toBe(
          'HTTP/1.1 401 Unauthorized',
        );
        const answer = await shown(page, '.answer');
        expect(answer).toMatchObject({
          first: 'www-authenticate',
          firstMarked: true,
          markedOutsideFold: true,
          foldOpen: false,
        });
        expect(answer.folded).toContain('x-content-type-options');
        const exp = await claimRow(page, '.jwt', 'exp');
        expect(exp).toMatchObject({ culprit: true, label: 'refused for this', local: true });
        expect(exp?.rel).toMatch(/^expired \d+ (s|min|h|days) ago$/);
        // In the reader's zone, which Intl names; the server rendered UTC.
        expect(exp?.time).toMatch(/\d{4}.*GMT\+5:30/);
        const iat = await claimRow(page, '.jwt', 'iat');
        expect(iat).toMatchObject({ culprit: false });
        expect(iat?.rel).toMatch(/^issued \d+ (s|min|h|days) ago$/);
        await expect(horizontalOverflow(page)).resolves.toBe(0);
        expect(await seriousViolations(page, { coloursCheckedWider: name === 'phone' })).toEqual(
          [],
        );
        await screenshot(page, `results-explain-${name}`);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );

  it.each(Object.keys(VIEWPORTS) as ViewportName[])(
    'at %s width, a problem page decodes the tokens its scenarios send',
    async (name) => {
      const browser = await launchChromium(VIEWPORTS[name]);
      try {
        const page = await browser.context.newPage();
        await page.goto(`${baseUrl}/problems/token_expired`);
        const exp = await claimRow(page, '#scenario-token-expired', 'exp');
        // No script on a problem page: the time stays in UTC, counted from when it was rendered.
        expect(exp).toMatchObject({ culprit: true, label: 'refused for this', local: false });
        expect(exp?.time).toMatch(/ UTC$/);
        expect(exp?.rel).toMatch(/^expired \d+ (s|min|h|days) ago$/);
        await expect(horizontalOverflow(page)).resolves.toBe(0);
        expect(await seriousViolations(page, { coloursCheckedWider: name === 'phone' })).toEqual(
          [],
        );
        await screenshot(page, `results-problem-${name}`);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
