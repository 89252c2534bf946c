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
  freePort,
  launchChromium,
  type StartedServer,
  startServerOnFreePort,
} from './support';

/**
 * DPoP (RFC 9449) from the single-page app on the CORS demo page's origin, in Chromium: the
 * authorization code flow with PKCE, then a key pair made by WebCrypto (private half not
 * extractable), the code exchanged with a proof (after the server's nonce, when asked for one),
 * a token of type DPoP bound to the key's thumbprint, the API's 200 to it with a proof, and the
 * two refusals a thief meets: the same proof again, and the token as Bearer. Each proof the page
 * shows is read back and checked. Screenshots: artifacts/pages/dpop-*.
 */
const describeBrowser = browserSuite('the DPoP single-page app');

/** A proof as the page shows it: its decoded header and payload. */
interface ShownProof {
  title: string;
  header: { typ?: string; alg?: string; jwk?: Record<string, string> };
  payload: Record<string, unknown>;
  answer: string;
}

/** Every proof the page shows, in order, parsed back from its text. */
function shownProofs(page: Page): Promise<ShownProof[]> {
  // A string, since this file is type-checked without the DOM's types.
  return page.evaluate<ShownProof[]>(`[...document.querySelectorAll('#spa-proofs [data-proof]')]
    .map((box) => {
      const pres = box.querySelectorAll('pre');
      return {
        title: box.dataset.proof,
        header: JSON.parse(pres[0].textContent),
        payload: JSON.parse(pres[1].textContent),
        answer: pres[2].textContent,
      };
    })`);
}

describeBrowser('DPoP from a single-page app on the CORS demo page’s origin, in Chromium', () => {
  let server: StartedServer | undefined;
  let baseUrl = '';
  let demoUrl = '';

  beforeAll(async () => {
    const demoPort = await freePort();
    server = await startServerOnFreePort({
      CORS_DEMO_PORT: String(demoPort),
      JWT_SECRET: 'four-oh-one DPoP single-page app e2e: a secret of 32+ bytes',
    });
    baseUrl = server.url;
    demoUrl = `http://127.0.0.1:${demoPort}`;
  }, 15_000);

  afterAll(() => server?.stop());

  const steps = (page: Page) => page.locator('#spa-log li').allTextContents();

  it.each([
    ['desktop', true],
    ['phone', false],
  ] as [ViewportName, boolean][])(
    'at %s width (token endpoint nonce: %s): a DPoP-bound token, 200 from the API with a proof, and where a nonce is needed; a replayed proof and the token as Bearer refused',
    async (name, nonce) => {
      const browser = await launchChromium(VIEWPORTS[name]);
      try {
        const page = await browser.context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => {
          if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
        });
        await page.goto(`${demoUrl}/oauth/`);
        await page.waitForSelector('#spa[data-ready="true"]');
        await expect(page.isChecked('#spa-dpop-nonce')).resolves.toBe(true);
        if (!nonce) await page.uncheck('#spa-dpop-nonce');
        await Promise.all([
          page.waitForURL(`${baseUrl}/authorize?**`),
          page.click('#spa-login-dpop'),
        ]);
        await page.fill('#authz-username', 'my_username');
        await page.fill('#authz-password', 'my_password');
        await Promise.all([page.waitForNavigation(), page.click('button[value="login"]')]);
        await Promise.all([
          page.waitForURL(`${demoUrl}/oauth/callback?**`),
          page.click('button[value="approve"]'),
        ]);
        await page.waitForSelector('#spa-log li[data-step="api"]');

        const log = await steps(page);
        const jkt = /thumbprint \(RFC 7638\) is ([A-Za-z0-9_-]{43})$/.exec(log[0] ?? '')?.[1];
        expect(jkt).toBeDefined();
        expect(log).toEqual([
          `A P-256 key pair from WebCrypto, private key not extractable; its public key’s thumbprint (RFC 7638) is ${jkt}`,
          ...(nonce
            ? [
                'POST /auth/token with a DPoP proof: 400 use_dpop_nonce (code grant_dpop_nonce_required), DPoP-Nonce given',
              ]
            : []),
          `POST /auth/token with ${nonce ? 'a new proof carrying that nonce' : 'a DPoP proof'}: 200, token_type DPoP, scope openid data:read`,
          `The access token’s cnf.jkt is ${jkt}: this key’s thumbprint, so the token is bound to it.`,
          'GET /api/v1/data with a DPoP proof: 200',
        ]);

        // The proofs as shown: one per request, each for its method and URL, the same key.
        const proofs = await shownProofs(page);
        expect(proofs.map((p) => [p.title, p.payload.htm, p.payload.htu])).toEqual([
          ...(nonce ? [['POST /auth/token', 'POST', `${baseUrl}/auth/token`]] : []),
          [
            `POST /auth/token${nonce ? ', again with the nonce' : ''}`,
            'POST',
            `${baseUrl}/auth/token`,
          ],
          ['GET /api/v1/data', 'GET', `${baseUrl}/api/v1/data`],
        ]);
        for (const p of proofs) {
          expect(p.header).toEqual({
            typ: 'dpop+jwt',
            alg: 'ES256',
            jwk: { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) },
          });
          expect(p.header.jwk).toEqual(proofs[0]?.header.jwk);
          expect(p.payload.jti).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{22}$/));
          expect(Math.abs(Number(p.payload.iat) - Date.now() / 1000)).toBeLessThan(60);
        }
        expect(new Set(proofs.map((p) => p.payload.jti)).size).toBe(proofs.length);
        const [first, ...rest] = proofs;
        if (nonce) {
          // The server's nonce, read from DPoP-Nonce across origins, is in the retry's proof.
          const given = /DPoP-Nonce: (\S+)/.exec(first?.answer ?? '')?.[1];
          expect(first?.answer).toMatch(
            /^Answer: 400 use_dpop_nonce \(code grant_dpop_nonce_required\)\n/,
          );
          expect(given).toBeDefined();
          expect(rest[0]?.payload.nonce).toBe(given);
        } else {
          expect(first?.payload.nonce).toBeUndefined();
        }
        // No ath at the token endpoint; at the API, the token's hash.
        expect(proofs.slice(0, -1).every((p) => p.payload.ath === undefined)).toBe(true);
        expect(proofs.at(-1)?.payload.ath).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{43}$/));
        expect(proofs.at(-1)?.answer).toBe('Answer: 200');

        expect({ violations: await seriousViolations(page) }).toEqual({ violations: [] });
        expect({ overflow: await horizontalOverflow(page) }).toEqual({ overflow: 0 });

        // Where every proof needs a server nonce (RFC 9449 §9): the one the token endpoint gave
        // is good here (one server, one nonce); without one, 401 use_dpop_nonce and one retry.
        await page.click('#spa-nonce-api');
        await page.waitForSelector('#spa-log li[data-step="nonce-api"]');
        expect((await steps(page)).slice(log.length)).toEqual(
          nonce
            ? ['GET /api/v1/dpop/nonce with a DPoP proof: 200']
            : [
                'GET /api/v1/dpop/nonce with a DPoP proof: 401 dpop_nonce_required, DPoP-Nonce given',
                'GET /api/v1/dpop/nonce with a new proof carrying that nonce: 200',
              ],
        );
        const nonceProofs = (await shownProofs(page)).slice(proofs.length);
        if (!nonce) {
          const challenge = nonceProofs[0]?.answer ?? '';
          expect(challenge).toMatch(/\nWWW-Authenticate: DPoP .*error="use_dpop_nonce"/);
          const given = /DPoP-Nonce: (\S+)/.exec(challenge)?.[1];
          expect(given).toBeDefined();
          expect(nonceProofs[1]?.payload.nonce).toBe(given);
        }
        expect(nonceProofs.at(-1)?.answer).toBe('Answer: 200');

        await page.click('#spa-replay');
        await page.waitForSelector('#spa-log li[data-step="replay"]');
        await page.click('#spa-as-bearer');
        await page.waitForSelector('#spa-log li[data-step="bearer"]');
        expect((await steps(page)).slice(-2)).toEqual([
          'The same proof again: 401 dpop_proof_replayed',
          'The DPoP-bound token as Bearer, without a proof: 401 token_sender_constrained',
        ]);
        const replayed = (await shownProofs(page)).at(-1);
        expect(replayed?.payload).toEqual(proofs.at(-1)?.payload);
        expect(replayed?.answer).toMatch(
          /^Answer: 401 dpop_proof_replayed\nWWW-Authenticate: DPoP .*error="invalid_dpop_proof"/,
        );
        expect({ overflow: await horizontalOverflow(page) }).toEqual({ overflow: 0 });
        await screenshot(page, `dpop-spa-${name}`);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
