// Jest globalTeardown: stops the shared Chromium that test/global-setup.js started, if it did.
module.exports = async function globalTeardown() {
  // Required here: Jest compiles TypeScript required while its global teardown runs.
  const { stopSharedChromium } = require('./e2e/shared-chromium');
  await stopSharedChromium();
};
