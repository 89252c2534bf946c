import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { ROOT } from './support';

/**
 * What every page test asks of a page a learner opens: no serious or critical accessibility
 * violation (axe-core, the WCAG 2 A/AA rules), nothing wider than a phone's screen, and a
 * screenshot to look at (artifacts/pages/, git-ignored).
 */

/** The two widths every page is tried at: a laptop and a 390 px phone. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

/** The rules whose verdict depends on the colours: all that a second colour scheme can change. */
export const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/**
 * Runs in the page: what its stylesheets change by the window's width besides boxes, one line
 * each (`<query> <selector> <property>`, nested rules and queries included): a colour, or a
 * `display` or `visibility` other than hiding (what a narrow window might reveal). Empty when a
 * narrower window only moves, resizes or hides what a wider one shows, in the same colours; the
 * colour rules' verdict at one width then holds at the other.
 */
export const WIDTH_CHANGES_LOOKS = `(() => {
  const colour = /color|background|fill|stroke|opacity|filter|shadow|outline|border|text-decoration|caret|accent|scheme/;
  const found = [];
  const walk = (rules, query) => {
    for (const rule of rules) {
      const q = rule instanceof CSSMediaRule ? rule.conditionText : query;
      if (rule.style && q && /width/.test(q)) {
        for (const property of rule.style) {
          const value = rule.style.getPropertyValue(property).trim();
          const looks =
            (colour.test(property) && !/width|style|radius|offset|collapse|spacing/.test(property)) ||
            (property === 'display' && value !== 'none') ||
            (property === 'visibility' && value !== 'hidden');
          if (looks) found.push(q + ' ' + rule.selectorText + ' ' + property);
        }
      }
      if (rule.cssRules) walk(rule.cssRules, q);
    }
  };
  for (const sheet of document.styleSheets) {
    let rules;
    try {
      rules = sheet.cssRules;
    } catch {
      found.push('a stylesheet this page cannot read: ' + sheet.href); // another origin's
      continue;
    }
    walk(rules, '');
  }
  return found;
})()`;

/**
 * axe's serious and critical violations on the page as it is now, one line each: the WCAG 2 A/AA
 * rules over the whole page, or with `include` over those parts only, or with `allRules` every rule
 * axe has (best practices too), or with `rules` those rules only.
 *
 * `coloursCheckedWider`: the caller checks the same page at a wider window too (a phone's width
 * after a laptop's). The colour rules are then left to that pass when the page's stylesheets
 * change nothing by width but boxes (WIDTH_CHANGES_LOOKS is empty), and run here otherwise. They
 * are four fifths of a pass at a phone's width (12.8 against 2.7 CPU-s over six pages here).
 *
 * Legacy mode: axe runs in the page itself, without the blank page @axe-core/playwright otherwise
 * opens to gather the results of each frame (our pages have no frames), and only violations come
 * back, not every node that passed. Measured on the playground (25,000 elements) and the front
 * pages: 30 to 70% less time per pass (bench/RESULTS.md, "npm test time"), the same violations.
 */
export async function seriousViolations(
  page: Page,
  {
    include = [],
    allRules = false,
    rules,
    coloursCheckedWider = false,
  }: {
    include?: string[];
    allRules?: boolean;
    rules?: string[];
    coloursCheckedWider?: boolean;
  } = {},
): Promise<string[]> {
  const builder = new AxeBuilder({ page })
    .setLegacyMode(true)
    .options({ resultTypes: ['violations'] });
  if (rules) builder.withRules(rules);
  else if (!allRules) builder.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  if (
    !rules &&
    coloursCheckedWider &&
    (await page.evaluate<string[]>(WIDTH_CHANGES_LOOKS)).length === 0
  ) {
    builder.disableRules(COLOUR_RULES);
  }
  for (const selector of include) builder.include(selector);
  const results = await builder.analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')}${v.nodes.length > 3 ? ', …' : ''})`,
    );
}

/** How many CSS pixels the document is wider than the viewport (0 when nothing overflows). */
export function horizontalOverflow(page: Page): Promise<number> {
  // A string, since this file is type-checked without the DOM's types.
  return page.evaluate<number>(
    `Math.max(0, (document.scrollingElement ?? document.documentElement).scrollWidth - window.innerWidth)`,
  );
}

/**
 * Whole-page screenshots only when asked for (PAGE_SCREENSHOTS=full npm test): otherwise the screen
 * the test looked at. A whole page costs 1 to 2 s of Chromium each (the problems index, a problem
 * page, /docs), some 25 of them a run, and nothing reads them but a person looking.
 */
export const FULL_PAGE_SHOTS = process.env.PAGE_SCREENSHOTS === 'full';

/** Pages taller than this many screens are shot where the test scrolled them, even then. */
const FULL_PAGE_SCREENS = 8;

/**
 * A screenshot at artifacts/pages/<name>.png: the screen as the test left it, or with
 * FULL_PAGE_SHOTS the whole page unless it is very long (the playground holds over 350 cards: a
 * full-page shot of it took over 10 s in CI and says no more than the part the test looked at).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(ROOT, 'artifacts', 'pages');
  mkdirSync(dir, { recursive: true });
  const screens = FULL_PAGE_SHOTS
    ? await page.evaluate<number>(
        `(document.scrollingElement ?? document.documentElement).scrollHeight / window.innerHeight`,
      )
    : Infinity;
  await page.screenshot({
    path: join(dir, `${name}.png`),
    fullPage: screens <= FULL_PAGE_SCREENS,
    timeout: 30_000,
  });
}
