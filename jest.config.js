/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  testTimeout: 20000,
  // Every core (jest's default leaves one to its own process, which here only waits: on this
  // 2-core machine that ran every suite in one process, one after another). Many suites mostly
  // wait, on a server, a browser, a child process, so two run side by side.
  maxWorkers: '100%',
};
