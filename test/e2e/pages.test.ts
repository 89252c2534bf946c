import { browserSuite, launchChromium } from './support';
import { COLOUR_RULES, seriousViolations, VIEWPORTS, WIDTH_CHANGES_LOOKS } from './pages';

/**
 * The page checks' own test: seriousViolations (axe in legacy mode, violations only) finds what
 * it must, so a clean result from the page suites means a clean page, not a check that cannot
 * fail.
 */
const describeBrowser = browserSuite('the page checks');

describeBrowser('seriousViolations', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    browser = await launchChromium(VIEWPORTS.desktop);
  }, 30_000);
  afterAll(() => browser?.close());

  const PAGE = `<!doctype html><html lang="en"><head><title>t</title></head><body><main>
    <h1>Checks</h1>
    <section id="bad"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><p style="color:#777;background:#888">faint</p></section>
    <section id="good"><p>Readable text.</p><button>A named button</button></section>
    <section id="practice"><h3>A heading that skips a level</h3></section>
  </main></body></html>`;

  it('reports a missing alt (critical) and low contrast (serious), within `include` only', async () => {
    const page = await browser.context.newPage();
    await page.setContent(PAGE);
    const all = await seriousViolations(page);
    expect(all).toEqual([
      expect.stringMatching(/^serious color-contrast: .*#bad > p/),
      expect.stringMatching(/^critical image-alt: /),
    ]);
    await expect(seriousViolations(page, { include: ['#good'] })).resolves.toEqual([]);
    await expect(seriousViolations(page, { include: ['#bad'] })).resolves.toHaveLength(2);
    // The colour rules alone: the contrast, not the missing alt.
    await expect(seriousViolations(page, { rules: COLOUR_RULES })).resolves.toEqual([
      expect.stringMatching(/^serious color-contrast: .*#bad > p/),
    ]);
    await page.close();
  });

  it('with allRules, applies the best practices too (heading order is moderate: not reported)', async () => {
    const page = await browser.context.newPage();
    await page.setContent(PAGE);
    await expect(
      seriousViolations(page, { include: ['#practice'], allRules: true }),
    ).resolves.toEqual([]);
    // A best practice outside the WCAG tags, of serious impact: a dialog without a name. Only
    // allRules reports it.
    await page.setContent(
      `<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>x</h1>
      <div role="dialog"><p>Unnamed</p></div></main></body></html>`,
    );
    await expect(seriousViolations(page)).resolves.toEqual([]);
    await expect(seriousViolations(page, { allRules: true })).resolves.toEqual([
      expect.stringMatching(/^serious aria-dialog-name: /),
    ]);
    await page.close();
  });

  it('leaves the colour rules to a wider pass only when the stylesheets change nothing by width but boxes', async () => {
    const page = await browser.context.newPage();
    await page.setContent(
      PAGE.replace(
        '<title>t</title>',
        '<title>t</title><style>@media (max-width: 500px) { main { margin: 0 } #bad img { display: none } }</style>',
      ),
    );
    await expect(page.evaluate(WIDTH_CHANGES_LOOKS)).resolves.toEqual([]);
    // Left to the wider pass: the missing alt only.
    await expect(seriousViolations(page, { coloursCheckedWider: true })).resolves.toEqual([
      expect.stringMatching(/^critical image-alt: /),
    ]);
    // A colour set by width, something a narrow window reveals, or a stylesheet of another
    // origin, which the page cannot read: the colour rules run here.
    await page.route('http://other.test/site.css', (route) =>
      route.fulfill({ contentType: 'text/css', body: 'p { margin: 0 }' }),
    );
    for (const rule of [
      '<style>@media (max-width: 500px) { #good p { color: #eee } }</style>',
      '<style>@media (min-width: 200px) { @supports (display: grid) { #good p { background: #fff } } }</style>',
      '<style>@media (max-width: 500px) { #good p { display: block } }</style>',
      '<link rel="stylesheet" href="http://other.test/site.css">',
    ]) {
      await page.setContent(PAGE.replace('<title>t</title>', `<title>t</title>${rule}`));
      expect({
        rule,
        found: (await page.evaluate<string[]>(WIDTH_CHANGES_LOOKS)).length > 0,
      }).toEqual({ rule, found: true });
      await expect(seriousViolations(page, { coloursCheckedWider: true })).resolves.toEqual([
        expect.stringMatching(/^serious color-contrast: .*#bad > p/),
        expect.stringMatching(/^critical image-alt: /),
      ]);
    }
    await page.close();
  });
});
