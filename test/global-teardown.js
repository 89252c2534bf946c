// Jest globalTeardown: stops the shared Chromium that test/global-setup.js started, if it did, and
// removes the run's key pairs (test/key-pairs.ts).
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const pool = process.env.FOUR_OH_ONE_KEY_POOL;
  if (pool) {
    rmSync(pool, { recursive: true, force: true });
    delete process.env.FOUR_OH_ONE_KEY_POOL;
  }
  // Required here: Jest compiles TypeScript required while its global teardown runs.
  const { stopSharedChromium } = require('./e2e/shared-chromium');
  await stopSharedChromium();
};
