import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, BrowserServer, BrowserType } from 'playwright-core';
import { REDIS_SERVER, redisServerFound } from './processes';

/**
 * What the e2e tests share: the server, Redis and script runners of ./processes (which bench/
 * imports too), Jest's suites that skip loudly, and Debian's Chromium.
 */
export * from './processes';

/** Debian's Chromium (never a browser download); CHROMIUM_PATH overrides, as .ci/run sets it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags this machine needs (env/machines/node-svc.md): headless, offline, no sandbox as root. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const chromiumFound = existsSync(CHROMIUM);

/**
 * Playwright's Chromium driver, loaded on first use: most e2e suites never open a browser, and
 * loading playwright-core costs about a second of CPU in every test file that imports it.
 */
async function playwright(): Promise<BrowserType> {
  return (await import('playwright-core')).chromium;
}

/**
 * `describe` for browser suites: skipped, with one loud warning, only when no Chromium is found
 * outside CI; under CI=true a missing Chromium fails in the suite's beforeAll, never a skip.
 */
export function browserSuite(what: string): jest.Describe {
  const underCi = process.env.CI === 'true';
  if (!chromiumFound && !underCi) {
    console.warn(
      `\n*** WARNING: no Chromium at ${CHROMIUM}: the ${what} browser tests will be SKIPPED. ` +
        'Install Debian’s (apt-get install chromium) or set CHROMIUM_PATH, then run npm test again. ***\n',
    );
  }
  return chromiumFound || underCi ? describe : describe.skip;
}

/**
 * Where the run's shared Chromium listens (a Playwright browser server's WebSocket), set by
 * test/global-setup.js for every worker when the run has a browser suite; unset otherwise.
 */
export const SHARED_CHROMIUM_ENV = 'FOUR_OH_ONE_CHROMIUM_WS';

/**
 * The run's one Chromium, started by test/global-setup.js (stopped by test/global-teardown.js)
 * with CHROMIUM_FLAGS: each launchChromium() with those flags opens a context in it instead of
 * starting a browser of its own (a second or more of CPU per start on this machine).
 */
export async function launchSharedChromium(): Promise<BrowserServer> {
  return (await playwright()).launchServer({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 30_000,
  });
}

/**
 * How long a page's actions and loads may take before a test fails: 10 s for an action, 30 s for a
 * navigation. The playground is 2.5 MB of HTML (350 cards): 1.7 s to load alone on this 2-core
 * machine, over 10 s in a whole `npm test`, where four workers and their browsers keep both cores
 * busy (grade-browser timed out at 10 s there).
 */
function setTimeouts(context: BrowserContext): void {
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(30_000);
}

/**
 * A fresh Chromium context: cookies, storage and cache of its own, as a new profile has.
 * With the default flags and a shared Chromium running (SHARED_CHROMIUM_ENV), a new context in
 * it; otherwise (other flags, or no shared one) Chromium in a fresh temporary profile.
 * `close()` ends it (the context, or the browser and its profile).
 */
export async function launchChromium(
  viewport: { width: number; height: number },
  flags: string[] = CHROMIUM_FLAGS,
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const shared = process.env[SHARED_CHROMIUM_ENV];
  const sameFlags =
    flags.length === CHROMIUM_FLAGS.length && flags.every((f, i) => f === CHROMIUM_FLAGS[i]);
  const chromium = await playwright();
  if (shared && sameFlags) {
    const browser = await chromium.connect(shared, { timeout: 30_000 });
    const context = await browser.newContext({ viewport });
    setTimeouts(context);
    return {
      context,
      close: async () => {
        await context.close();
        await browser.close(); // disconnects; the shared browser goes on
      },
    };
  }
  const profile = mkdtempSync(join(tmpdir(), 'four-oh-one-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: flags,
    timeout: 30_000,
    viewport,
  });
  setTimeouts(context);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * `describe` for suites that start their own redis-server (fault injection needs a Redis of its
 * own to pause, kill and restart, never the shared one): skipped loudly outside CI when there is
 * none; under CI=true a missing redis-server fails in startRedis, never a skip.
 */
export function redisServerSuite(what: string): jest.Describe {
  if (!redisServerFound && process.env.CI !== 'true') {
    console.warn(
      `\n*** WARNING: no redis-server at ${REDIS_SERVER}: the ${what} tests will be SKIPPED. ` +
        'Install Debian’s (apt-get install redis-server) or set REDIS_SERVER, then run npm test again. ***\n',
    );
    return describe.skip;
  }
  return describe;
}

/** Debian's nginx, the load balancer of the topology test (.ci/run installs it); NGINX_PATH overrides. */
export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
export const nginxFound = existsSync(NGINX);

/**
 * `describe` for suites that need nginx: skipped, with one loud warning, only when none is found
 * outside CI; under CI=true a missing nginx fails in the suite's beforeAll, never a skip.
 */
export function nginxSuite(what: string): jest.Describe {
  const underCi = process.env.CI === 'true';
  if (!nginxFound && !underCi) {
    console.warn(
      `\n*** WARNING: no nginx at ${NGINX}: the ${what} tests will be SKIPPED. ` +
        'Install Debian’s (apt-get install nginx) or set NGINX_PATH, then run npm test again. ***\n',
    );
  }
  return nginxFound || underCi ? describe : describe.skip;
}
