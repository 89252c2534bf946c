/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // swc strips the types, file by file (tsconfig.json has isolatedModules, so nothing needs the
  // whole program); `npm run typecheck` checks them. A run on a fresh clone compiles every module
  // once: ts-jest's transpiler cost 16 CPU-s more than a warm cache on test/routes, swc 3.
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  testTimeout: 20000,
  // One worker a core. On a quiet machine where the suites mostly wait (on a server, a browser, a
  // child process), two a core won: 274 s against 324 to 349 s. On a machine where the run keeps
  // both cores busy (every browser suite's Chromium counted), two a core gain nothing and cost
  // more: 456 s and 907 CPU-s against 457 s and 816 CPU-s with one a core, and the timeouts of a
  // CPU-bound run came from four Chromium suites at once (bench/RESULTS.md, "npm test time" and
  // "Fifth round").
  maxWorkers: require('node:os').availableParallelism(),
  // Tests written it.concurrent (the README's blocks, each with a server of its own) run at
  // most this many at once in a worker.
  maxConcurrency: 4,
};
