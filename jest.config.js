/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  testTimeout: 20000,
  // Two workers a core. Many suites mostly wait, on a server, a browser, a child process: with
  // one worker a core (2 here), the whole run kept 0.97 of the 2 cores busy and took 324 to 349 s
  // on a quiet machine; with two a core, 1.17 and 274 s, every test passing (bench/RESULTS.md,
  // "npm test time"). A number: Jest reads a percentage above 100% as that many workers.
  maxWorkers: 2 * require('node:os').availableParallelism(),
};
