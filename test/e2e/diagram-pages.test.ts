import type { Page } from 'playwright-core';
import { families } from '../../src/scenarios';
import { DIAGRAMS } from '../../src/site/diagram-data';
import {
  horizontalOverflow,
  screenshot,
  seriousViolations,
  VIEWPORTS,
  type ViewportName,
} from './pages';
import { browserSuite, launchChromium, startServerOnFreePort, type StartedServer } from './support';

/**
 * The sequence diagrams in a real browser (Debian's Chromium), at a laptop's width and a 390 px
 * phone's: each family's section of the playground shows its diagrams, each SVG parses as XML
 * and has an accessible name, a description and its steps as text; nothing overflows the page
 * (a diagram scrolls inside its own frame) and axe finds no serious or critical violation.
 * Screenshots: artifacts/pages/diagrams-<width>.png.
 */
const describeBrowser = browserSuite('diagram pages');

describeBrowser('the sequence diagrams on the playground', () => {
  let server: StartedServer | undefined;
  let baseUrl = '';

  beforeAll(async () => {
    server = await startServerOnFreePort({
      CORS_DEMO_PORT: '0',
      JWT_SECRET: 'four-oh-one diagram pages e2e: a secret of 32+ bytes',
    });
    baseUrl = server.url;
  }, 15_000);

  afterAll(() => server?.stop());

  /** What the page shows of each diagram, per family section. */
  interface Shown {
    family: string;
    diagrams: {
      id: string;
      role: string | null;
      title: string;
      desc: string;
      wellFormed: boolean;
      steps: number;
      frameRight: number;
      screen: number;
      frameScrolls: boolean;
    }[];
  }

  /** Runs in the page: a string, since this file is type-checked without the DOM's types. */
  const READ_DIAGRAMS = `[...document.querySelectorAll('section.family')].map((section) => ({
    family: section.id.replace(/^family-/, ''),
    diagrams: [...section.querySelectorAll('figure.diagram')].map((figure) => {
      const svg = figure.querySelector('svg');
      const frame = figure.querySelector('.diagram-frame');
      const parsed = new DOMParser().parseFromString(svg.outerHTML, 'image/svg+xml');
      return {
        id: figure.id,
        role: svg.getAttribute('role'),
        title: svg.querySelector('title').textContent,
        desc: svg.querySelector('desc').textContent,
        wellFormed: parsed.querySelector('parsererror') === null,
        steps: figure.querySelectorAll('.diagram-text li').length,
        frameRight: frame.getBoundingClientRect().right,
        screen: window.innerWidth,
        frameScrolls: frame.scrollWidth > frame.clientWidth,
      };
    }),
  }))`;

  const diagramsBySection = (page: Page) => page.evaluate<Shown[]>(READ_DIAGRAMS);

  it.each(Object.keys(VIEWPORTS) as ViewportName[])(
    'shows every family its diagrams at %s width, accessibly and within the screen',
    async (name) => {
      const browser = await launchChromium(VIEWPORTS[name]);
      try {
        const page = await browser.context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => {
          if (/Content Security Policy|Refused to/.test(m.text())) errors.push(m.text());
        });
        await page.goto(`${baseUrl}/playground`, { waitUntil: 'load' });

        const sections = await diagramsBySection(page);
        expect(sections.map((s) => s.family).sort()).toEqual(Object.keys(families).sort());
        for (const { family, diagrams } of sections) {
          expect({ family, count: diagrams.length > 0 }).toEqual({ family, count: true });
          for (const d of diagrams) {
            const spec = DIAGRAMS.find((x) => `diagram-${x.id}` === d.id);
            expect(spec?.family).toBe(family);
            expect(d).toMatchObject({ role: 'img', title: spec?.title, wellFormed: true });
            expect(d.desc).toContain(spec?.summary ?? '');
            expect(d.steps).toBeGreaterThanOrEqual(2);
            // The frame fits the screen: a narrow screen scrolls the frame, not the page.
            expect(d.frameRight).toBeLessThanOrEqual(d.screen);
          }
        }
        const all = sections.flatMap((s) => s.diagrams);
        expect(all).toHaveLength(DIAGRAMS.length);
        if (name === 'phone') expect(all.every((d) => d.frameScrolls)).toBe(true);
        else expect(all.some((d) => d.frameScrolls)).toBe(false);

        // The steps as text open from the keyboard.
        const summary = page.locator('#diagram-refresh-and-retry summary');
        await summary.focus();
        await page.keyboard.press('Enter');
        await expect(
          page.locator('#diagram-refresh-and-retry .diagram-text li').first().isVisible(),
        ).resolves.toBe(true);
        await expect(
          page.locator('#diagram-refresh-and-retry .diagram-text').textContent(),
        ).resolves.toContain('401 token_expired');

        expect(await horizontalOverflow(page)).toBe(0);
        expect(await seriousViolations(page, { coloursCheckedWider: name === 'phone' })).toEqual(
          [],
        );
        // The diagrams alone, with every rule axe has (best practices too).
        expect(
          await seriousViolations(page, {
            include: ['figure.diagram'],
            allRules: true,
            coloursCheckedWider: name === 'phone',
          }),
        ).toEqual([]);
        expect(errors).toEqual([]);
        await screenshot(page, `diagrams-${name}`);
      } finally {
        await browser.close();
      }
    },
    // axe runs over the whole playground page, which grew to 358 cards in 21 families this
    // session: at desktop width the run took over 60 s in CI.
    180_000,
  );
});
