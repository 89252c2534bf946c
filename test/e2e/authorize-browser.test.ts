import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import {
  horizontalOverflow,
  screenshot,
  seriousViolations,
  VIEWPORTS,
  type ViewportName,
} from './pages';
import {
  browserSuite,
  ENTRY,
  freePort,
  launchChromium,
  type StartedServer,
  startServer,
  startServerOnFreePort,
} from './support';

/**
 * The authorization-code flow in a real browser (Debian's Chromium), at a laptop's width and a
 * 390 px phone's: the login page, a wrong password and then the right one, the consent page,
 * Allow (or Deny), and the callback page the browser lands on with code, state and iss; the code
 * then buys tokens once. Every page passes axe (no serious or critical violation), fits the
 * width, and runs under helmet's CSP without a refusal. Screenshots: artifacts/pages/authorize-*.
 */
const describeBrowser = browserSuite('authorization pages');

describeBrowser('the authorization pages in Chromium', () => {
  let server: StartedServer | undefined;
  let baseUrl = '';

  beforeAll(async () => {
    server = await startServerOnFreePort({
      CORS_DEMO_PORT: '0',
      JWT_SECRET: 'four-oh-one authorization pages e2e: a secret of 32+ bytes',
    });
    baseUrl = server.url;
  }, 15_000);

  afterAll(() => server?.stop());

  /** A fresh authorization URL for the public client, with its PKCE verifier. */
  function authorization(state: string) {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${baseUrl}/authorize`);
    const params = {
      response_type: 'code',
      client_id: 'four-oh-one-spa',
      redirect_uri: `${baseUrl}/oauth/callback`,
      scope: 'openid data:read admin',
      state,
      nonce: 'n-browser',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return { url: url.toString(), verifier };
  }

  it.each(Object.keys(VIEWPORTS) as ViewportName[])(
    'at %s width: log in (a wrong password first), consent, land on the callback; the code buys tokens once',
    async (name) => {
      const browser = await launchChromium(VIEWPORTS[name]);
      try {
        const page = await browser.context.newPage();
        const csp: string[] = [];
        page.on('console', (m) => {
          if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
        });
        const checkPage = async (shot: string) => {
          expect({
            shot,
            // The colours are checked at the laptop's width, which this test runs at too.
            violations: await seriousViolations(page, { coloursCheckedWider: name === 'phone' }),
          }).toEqual({
            shot,
            violations: [],
          });
          expect({ shot, overflow: await horizontalOverflow(page) }).toEqual({ shot, overflow: 0 });
          await screenshot(page, `authorize-${shot}-${name}`);
        };

        const { url, verifier } = authorization(`s-${name}`);
        await page.goto(url);
        await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
        await checkPage('login');

        // A wrong password: the login page again, 401, with the reason announced.
        await page.fill('#authz-username', 'my_username');
        await page.fill('#authz-password', 'not-my-password');
        const [refused] = await Promise.all([
          page.waitForNavigation(),
          page.click('button[value="login"]'),
        ]);
        expect(refused?.status()).toBe(401);
        await expect(page.locator('[role="alert"]').textContent()).resolves.toContain('wrong');
        await expect(page.inputValue('#authz-username')).resolves.toBe('my_username');

        await page.fill('#authz-password', 'my_password');
        await Promise.all([page.waitForNavigation(), page.click('button[value="login"]')]);
        await expect(page.locator('h1').textContent()).resolves.toBe('Allow access?');
        // admin was asked for, but my_username cannot have it: shown as not granted.
        await expect(page.locator('.authz-scopes').textContent()).resolves.toContain('data:read');
        await expect(page.locator('.authz-scopes').textContent()).resolves.not.toContain('admin');
        await checkPage('consent');

        await Promise.all([
          page.waitForURL(/\/oauth\/callback\?/),
          page.click('button[value="approve"]'),
        ]);
        const landed = new URL(page.url());
        expect(landed.searchParams.get('state')).toBe(`s-${name}`);
        expect(landed.searchParams.get('iss')).toBe(baseUrl);
        const code = landed.searchParams.get('code') ?? '';
        await expect(page.locator('h1').textContent()).resolves.toBe('Authorization response');
        await checkPage('callback');

        const exchange = () =>
          fetch(`${baseUrl}/auth/token`, {
            method: 'POST',
            body: new URLSearchParams({
              grant_type: 'authorization_code',
              code,
              redirect_uri: `${baseUrl}/oauth/callback`,
              client_id: 'four-oh-one-spa',
              code_verifier: verifier,
            }),
          });
        const tokens = await exchange();
        expect(tokens.status).toBe(200);
        expect(await tokens.json()).toMatchObject({ scope: 'openid data:read' });
        const again = await exchange();
        expect({
          status: again.status,
          code: ((await again.json()) as { code: string }).code,
        }).toEqual({
          status: 400,
          code: 'authorization_code_reused',
        });

        // Deny, on a remembered login: straight to the consent page, then access_denied.
        await page.goto(authorization(`d-${name}`).url);
        await expect(page.locator('h1').textContent()).resolves.toBe('Allow access?');
        await Promise.all([
          page.waitForURL(/\/oauth\/callback\?/),
          page.click('button[value="deny"]'),
        ]);
        expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
        await expect(page.locator('h1').textContent()).resolves.toBe('Authorization refused');
        expect(csp).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    90_000,
  );
});

describeBrowser('a single-page app on the CORS demo page’s origin, in Chromium', () => {
  let server: StartedServer | undefined;
  let baseUrl = '';
  let demoUrl = '';

  beforeAll(async () => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build`);
    const [port, demoPort] = [await freePort(), await freePort()];
    baseUrl = `http://127.0.0.1:${port}`;
    demoUrl = `http://127.0.0.1:${demoPort}`;
    server = await startServer({
      PORT: String(port),
      PUBLIC_URL: baseUrl,
      CORS_DEMO_PORT: String(demoPort),
      JWT_SECRET: 'four-oh-one single-page app e2e: a secret of 32+ bytes',
    });
  }, 15_000);

  afterAll(() => server?.stop());

  const steps = (page: Page) => page.locator('#spa-log li').allTextContents();

  it('signs in with PKCE made by WebCrypto, exchanges the code across origins, calls the API; the same code again is refused and revokes; Deny is reported', async () => {
    const browser = await launchChromium(VIEWPORTS.desktop);
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${demoUrl}/oauth/`);
      await page.waitForSelector('#spa[data-ready="true"]');
      await Promise.all([page.waitForURL(`${baseUrl}/authorize?**`), page.click('#spa-login')]);
      await page.fill('#authz-username', 'my_username');
      await page.fill('#authz-password', 'my_password');
      await Promise.all([page.waitForNavigation(), page.click('button[value="login"]')]);
      await Promise.all([
        page.waitForURL(`${demoUrl}/oauth/callback?**`),
        page.click('button[value="approve"]'),
      ]);
      await page.waitForSelector('#spa-log li[data-step="api"]');
      expect(await steps(page)).toEqual([
        'POST /auth/token: 200, scope openid data:read',
        'GET /api/v1/data with the access token: 200',
      ]);
      expect({ violations: await seriousViolations(page) }).toEqual({ violations: [] });
      await screenshot(page, 'authorize-spa-callback');

      await page.click('#spa-again');
      await page.waitForSelector('#spa-log li[data-step="revoked"]');
      expect((await steps(page)).slice(2)).toEqual([
        'The same code again: 400 authorization_code_reused',
        'GET /api/v1/data with the first access token: 401',
      ]);

      // Deny, on the remembered login: the app reads error=access_denied and exchanges nothing.
      await page.goto(`${demoUrl}/oauth/`);
      await page.waitForSelector('#spa[data-ready="true"]');
      await Promise.all([page.waitForURL(`${baseUrl}/authorize?**`), page.click('#spa-login')]);
      await Promise.all([
        page.waitForURL(`${demoUrl}/oauth/callback?**`),
        page.click('button[value="deny"]'),
      ]);
      await page.waitForSelector('#spa-log li[data-step="refused"]');
      expect(await steps(page)).toEqual(['The authorization server answered error=access_denied.']);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
