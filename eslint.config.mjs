import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Globals of Node that a page's script does not have. */
const NODE_GLOBALS = ['process', 'require', 'module', 'exports', 'Buffer', 'global', '__dirname'];
/** Globals of a page that the server does not have. */
const BROWSER_GLOBALS = ['window', 'document', 'navigator', 'location', 'localStorage', 'self'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // No import cycles in the server, type-only imports included: a cycle means two modules
    // that cannot be read (or loaded) one without the other.
    files: ['src/**/*.ts', 'middleware/**/*.ts', 'routes/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver()],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Key pairs in the tests come from test/key-pairs.ts, which collects the generation job at
    // once: on Node 20 a collection inside a use of the new key can deadlock the thread.
    files: ['test/**/*.ts'],
    ignores: ['test/key-pairs.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'node:crypto',
              importNames: ['generateKeyPairSync', 'generateKeyPair'],
              message: 'Use generateKeyPairSync from test/key-pairs.ts (a Node 20 deadlock).',
            },
          ],
        },
      ],
      // fast-check's own 'binary' unit builds a table of every code point the first time, once
      // per test file (1.1 s and 90 MB); test/arbitraries.ts draws the same without it.
      'no-restricted-syntax': [
        'error',
        {
          selector: "Property[key.name='unit'][value.value='binary']",
          message: 'Use binaryString from test/arbitraries.ts (1.1 s a file with fast-check).',
        },
      ],
    },
  },
  {
    // Browser code (tsconfig.browser.json: lib DOM, no Node types) and the modules it shares with
    // the server. typescript-eslint leaves undefined names to the type checker (no-undef is off
    // for TypeScript), which knows the browser's globals from lib DOM; Node's are refused here by
    // name too, so that an editor says so before the type check does.
    files: ['src/site/browser/**/*.ts', 'src/site/shared/**/*.ts'],
    rules: { 'no-restricted-globals': ['error', ...NODE_GLOBALS] },
  },
  {
    // The pages load these as classic scripts, which an import statement (`import type` too: it
    // makes the file a module, compiled with an `export {}`) would break: their types come as
    // `import('…').Name`.
    files: ['src/site/browser/**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
    },
  },
  {
    // Shared modules run on both sides: the browser's globals are not there on the server.
    files: ['src/site/shared/**/*.ts'],
    rules: { 'no-restricted-globals': ['error', ...NODE_GLOBALS, ...BROWSER_GLOBALS] },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
