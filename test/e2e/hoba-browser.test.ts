import { VIEWPORTS } from './pages';
import { browserSuite, launchChromium, type StartedServer, startServerOnFreePort } from './support';

/**
 * HOBA (RFC 7486) from a browser: GET /hoba makes an RSA key with WebCrypto (RSASSA-PKCS1-v1_5,
 * SHA-256, private half not extractable), registers it at POST /.well-known/hoba/register with a
 * request signed by it, and signs in at GET /hoba/resource; the same result sent again is refused.
 * The blob is made by the page's own code (src/site/shared/hoba.ts) and the signature by
 * Chromium's WebCrypto; the server checks both with node:crypto.
 */
const describeBrowser = browserSuite('the HOBA demo page');

describeBrowser('HOBA in Chromium (GET /hoba)', () => {
  let server: StartedServer | undefined;

  beforeAll(async () => {
    server = await startServerOnFreePort({});
  }, 15_000);

  afterAll(() => server?.stop());

  it('registers a WebCrypto key and signs in with it; the same result again is a replay', async () => {
    const browser = await launchChromium(VIEWPORTS.desktop);
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
      });
      await page.goto(`${server!.url}/hoba`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.click('#hoba-run');
      await page.waitForSelector('body[data-result]', { timeout: 30_000 });
      expect(await page.getAttribute('body', 'data-result')).toBe('authenticated');
      const steps = await page.locator('#hoba-log li strong').allTextContents();
      expect(steps).toEqual([
        'POST /.well-known/hoba/register, unsigned: 401',
        'POST /.well-known/hoba/register, signed: 200',
        'GET /hoba/resource, unsigned: 401',
        'GET /hoba/resource, signed: 200',
        'GET /hoba/resource, the same result again: 401',
      ]);
      const shown = await page.locator('#hoba-log li pre').allTextContents();
      expect(shown[0]).toMatch(
        /www-authenticate: HOBA challenge="[A-Za-z0-9_-]{48}", max-age="60", realm="four-oh-one"/,
      );
      expect(shown[1]).toMatch(
        /^Authorization: HOBA result="[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{48}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{342}"/,
      );
      expect(shown[1]).toContain('hobareg: regok');
      expect(shown[3]).toMatch(/"authenticated": ?true/);
      expect(shown[4]).toMatch(/"code": ?"hoba_challenge_used"/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
