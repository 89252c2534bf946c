import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserServer } from 'playwright-core';
import { chromiumFound, launchSharedChromium, SHARED_CHROMIUM_ENV } from './support';

/**
 * The run's shared Chromium (see launchSharedChromium in ./support), for test/global-setup.js
 * and test/global-teardown.js: started once before the workers, only when a test file the run
 * selects calls launchChromium, and stopped after them.
 */

const KEY = Symbol.for('four-oh-one.sharedChromium');
type Holder = { [KEY]?: BrowserServer };

/** The test files under `dir`, recursively. */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? testFiles(join(dir, e.name))
      : e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** Whether a test file that this run selects (jest's path pattern) opens a browser. */
function runUsesBrowser(testDir: string, pattern: string): boolean {
  let matches: (file: string) => boolean;
  try {
    const re = new RegExp(pattern, 'i');
    matches = (file) => re.test(file);
  } catch {
    return true; // a pattern we cannot read: start it, as for the whole run
  }
  return testFiles(testDir).some(
    (file) => matches(file) && readFileSync(file, 'utf8').includes('launchChromium('),
  );
}

/** Starts the shared Chromium and names it in the environment the workers inherit. */
export async function startSharedChromium(testDir: string, pattern: string): Promise<void> {
  if (!chromiumFound || process.env[SHARED_CHROMIUM_ENV]) return;
  if (!runUsesBrowser(testDir, pattern)) return;
  const server = await launchSharedChromium();
  (globalThis as Holder)[KEY] = server;
  process.env[SHARED_CHROMIUM_ENV] = server.wsEndpoint();
}

/** Stops the shared Chromium, if this process started one. */
export async function stopSharedChromium(): Promise<void> {
  const server = (globalThis as Holder)[KEY];
  if (!server) return;
  delete (globalThis as Holder)[KEY];
  delete process.env[SHARED_CHROMIUM_ENV];
  await server.close();
}
