import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** What the e2e tests share: the compiled entry point, free ports, and Debian's Chromium. */
export const ROOT = join(__dirname, '..', '..');
/** The compiled server; `npm test` builds it first (the pretest script). */
export const ENTRY = join(ROOT, 'dist', 'src', 'server.js');

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

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
