// Jest globalSetup: before any worker starts, finds out once whether a Redis answers, and starts
// the run's shared Chromium when a selected test file opens a browser; tells the workers through
// the environment (they inherit process.env from this process).
//   FOUR_OH_ONE_REDIS=1 -> the Redis suites run against REDIS_URL
//   FOUR_OH_ONE_REDIS=0 -> they are skipped (loudly), except under CI, where that is an error.
//   FOUR_OH_ONE_CHROMIUM_WS -> launchChromium() opens contexts in that browser (test/e2e/support.ts);
//                              test/global-teardown.js stops it.
//   FOUR_OH_ONE_KEY_POOL    -> a private directory where test/key-pairs.ts keeps the run's key
//                              pairs, each made once a run; test/global-teardown.js removes it.
const { createClient } = require('redis');
const { setTimeout, clearTimeout } = require('node:timers');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const PROBE_TIMEOUT_MS = 1000;

/** Resolves to null when Redis answered PING, else to the reason it did not. */
async function probe(url) {
  let client;
  let timer;
  try {
    client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: PROBE_TIMEOUT_MS, reconnectStrategy: false },
    });
    client.on('error', () => {}); // reported through the rejected promise below
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
        PROBE_TIMEOUT_MS,
      );
    });
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
    if (client) {
      try {
        client.destroy();
      } catch {
        // never connected: nothing to close
      }
    }
  }
}

module.exports = async function globalSetup(globalConfig) {
  await redis();
  // mkdtemp makes it 0700: only this user reads the keys.
  process.env.FOUR_OH_ONE_KEY_POOL = mkdtempSync(join(tmpdir(), 'four-oh-one-keys-'));
  // Required here, not above: Jest compiles TypeScript required while its global setup runs.
  const { startSharedChromium } = require('./e2e/shared-chromium');
  await startSharedChromium(__dirname, globalConfig.testPathPattern ?? '');
};

async function redis() {
  const url = process.env.REDIS_URL || DEFAULT_URL;
  const failure = await probe(url);
  if (failure === null) {
    process.env.REDIS_URL = url;
    process.env.FOUR_OH_ONE_REDIS = '1';
    return;
  }
  if (process.env.CI === 'true') {
    throw new Error(
      `Redis is required under CI (CI=true), but ${url} did not answer PING: ${failure}. ` +
        'Start Redis (or set REDIS_URL) before running the tests; .ci/run does this.',
    );
  }
  process.env.FOUR_OH_ONE_REDIS = '0';
  process.stderr.write(
    `\n*** WARNING: Redis at ${url} did not answer (${failure}): the Redis tests will be SKIPPED. ` +
      'To run them, start Redis (e.g. `redis-server --port 6379 --save ""`) or set REDIS_URL, ' +
      'then run `npm test` again. ***\n\n',
  );
}
