import type { BrowserContext, Page } from 'playwright-core';
import { VIEWPORTS } from './pages';
import {
  browserSuite,
  CHROMIUM,
  chromiumFound,
  launchChromium,
  startServerOnFreePort,
  type StartedServer,
} from './support';

/**
 * The playground's runs panel in Chromium against the compiled server: a learner opens a run
 * from the page, drives it with the page's buggy client and then its correct one, and reads
 * each report; another site's page posting the same form opens no run and spends none.
 */
const describeBrowser = browserSuite('grade');

/** What the panel shows of a report: the verdict and each finding's rule and evidence. */
interface Shown {
  passed: string | undefined;
  findings: { rule: string; evidence: string; text: string }[];
  observations: string[];
  runId: string | undefined;
}

describeBrowser('grading a client from the playground, in Chromium', () => {
  let server: StartedServer | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let context: BrowserContext;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!chromiumFound) {
      throw new Error(`Chromium is required under CI (CI=true), but ${CHROMIUM} does not exist.`);
    }
    // Three runs per address: the two this test opens, and one more after the refused posts,
    // which must not have counted.
    server = await startServerOnFreePort(
      { LOG_LEVEL: 'warn', RUNS_PER_ADDRESS: '3', JWT_SECRET: 'four-oh-one-grade-browser-secret' },
      { healthz: true },
    );
    browser = await launchChromium(VIEWPORTS.desktop);
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  /** Chooses a script and a client in the panel, runs them, and reads what it shows. */
  async function grade(page: Page, script: string, client: 'buggy' | 'correct'): Promise<Shown> {
    await page.selectOption('#grade-script', script);
    await page.selectOption('#grade-client', client);
    await page.click('#grade-run');
    await page.waitForSelector(
      '#grade-result[data-state="done"], #grade-result[data-state="failed"]',
      {
        timeout: 30_000,
      },
    );
    return page.$eval('#grade-result', (box) => ({
      passed: box.querySelector('[data-passed]')?.getAttribute('data-passed') ?? undefined,
      findings: [...box.querySelectorAll('[data-rule]')].map((f) => ({
        rule: f.getAttribute('data-rule') ?? '',
        evidence: f.getAttribute('data-evidence') ?? '',
        text: f.textContent ?? '',
      })),
      observations: [...box.querySelectorAll('[data-pattern]')].map(
        (o) => o.getAttribute('data-pattern') ?? '',
      ),
      runId: box.getAttribute('data-run-id') ?? undefined,
    }));
  }

  it('opens a run, shows the buggy client’s findings, then the correct client passing', async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server!.url}/playground#grade`);
    await page.waitForSelector('#grade-form[data-ready="true"]');

    const buggy = await grade(page, 'expiry', 'buggy');
    expect(buggy.passed).toBe('false');
    expect(buggy.findings.map((f) => f.rule)).toEqual([
      'refused_credential_retried',
      'retry_storm',
    ]);
    // #1 the login, #2 the first 401, #3–#11 the same token sent nine times more.
    expect(buggy.findings[0]!.evidence).toBe('2 3 4 5 6 7 8 9 10 11');
    expect(buggy.findings[0]!.text).toContain('Fix: On a 401, never resend the refused credential');
    expect(buggy.findings[0]!.text).toContain('RFC 9110 §15.5.2');
    expect(buggy.findings[0]!.text).toContain('Evidence: requests #2, #3');
    expect(buggy.findings[1]!.text).toMatch(/^✗error: A retry storm/);

    // The report page the panel links to says the same.
    const reportPage = await context.newPage();
    await reportPage.goto(`${server!.url}/runs/${buggy.runId}/report`);
    await expect(reportPage.locator('h1').textContent()).resolves.toContain('findings');
    await reportPage.close();

    const correct = await grade(page, 'expiry', 'correct');
    expect(correct.runId).not.toBe(buggy.runId);
    expect(correct.passed).toBe('true');
    expect(correct.findings).toEqual([]);
    expect(correct.observations).toEqual(['recovered']);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('refuses a run posted by another site’s form: 403 csrf_origin_refused, no run spent', async () => {
    const page = await context.newPage();
    const target = `${server!.url}/runs`;
    // A page on another origin with the same form, as an attacker would host it.
    await page.route('http://evil.example/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<form method="post" action="${target}"><input name="script" value="expiry"><button>go</button></form>`,
      }),
    );
    for (let i = 0; i < 3; i += 1) {
      await page.goto('http://evil.example/');
      const [answer] = await Promise.all([page.waitForResponse(target), page.click('button')]);
      expect(answer.status()).toBe(403);
      expect(answer.request().headers().origin).toBe('http://evil.example');
      expect(((await answer.json()) as { code: string }).code).toBe('csrf_origin_refused');
    }
    await page.close();
    // Two runs opened above, three allowed: the refused posts spent none, so one more opens.
    const own = await context.newPage();
    await own.goto(`${server!.url}/playground#grade`);
    await own.waitForSelector('#grade-form[data-ready="true"]');
    const third = await grade(own, 'rate-limited', 'correct');
    expect(third.passed).toBe('true');
    expect(third.observations).toContain('retry_after_honoured');
    await own.close();
  }, 60_000);
});
