import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENTRY, ROOT } from './e2e/processes';

// scripts/bundle.cjs, which npm run build:bundle runs (its helpers; it builds only when run).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bundling = require('../scripts/bundle.cjs') as {
  asciiComments: (source: string) => string;
  replaceOnce: (text: string, from: string, to: string, what: string) => string;
};

/** A UTF-16 unit outside ASCII. */
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * What ships is what is tested: `npm start`, the Docker image and the e2e tests (ENTRY) run one
 * file, dist/server.js (src/boot.ts), which runs the bundle `npm run build` makes
 * (package.json "build:bundle") with V8's code cache. The bundle holds the packages a start needs;
 * those needed later stay in node_modules and load on first use (the runtime image installs them;
 * Swagger UI reads files beside its own code).
 */
describe('the entry point', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    main: string;
    scripts: Record<string, string>;
  };
  const entry = relative(ROOT, ENTRY);
  const BUNDLE = join(ROOT, 'dist', 'server.bundle.js');
  const read = (file: string) => {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
    return readFileSync(file, 'utf8');
  };
  const requires = (code: string, name: string) => code.includes(`require("${name}")`);

  it('is the file npm start, the Docker image and the e2e tests all run', () => {
    expect(entry).toBe('dist/server.js');
    expect(pkg.main).toBe(entry);
    expect(pkg.scripts.start).toBe(`node --max-semi-space-size=8 ${entry}`);
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(JSON.parse(cmd?.[1] ?? '[]')).toEqual(['node', '--max-semi-space-size=8', entry]);
  });

  it('is built by npm run build: the entry from src/boot.ts, the bundle from the compiled server', () => {
    expect(pkg.scripts.build).toMatch(/&& npm run build:bundle$/);
    expect(pkg.scripts['build:bundle']).toBe('node scripts/bundle.cjs');
    const script = read(join(ROOT, 'scripts', 'bundle.cjs'));
    expect(script).toMatch(/entryPoints: \['dist\/src\/server\.js'\][^]*outfile: SERVER/);
    expect(script).toMatch(/entryPoints: \['dist\/src\/boot\.js'\][^]*outfile: 'dist\/server\.js'/);
    // The entry needs nothing but Node's own modules, and names the bundle.
    const boot = read(ENTRY);
    expect(boot).toContain('"server.bundle.js"');
    expect(
      [...boot.matchAll(/require\("([^"]+)"\)/g)].filter((m) => !m[1]?.startsWith('node:')),
    ).toEqual([]);
  });

  // One character outside ASCII would make V8 hold the whole source as a two-byte string, and
  // decode all of it at each start (scripts/bundle.cjs).
  it('is ASCII only, its depd asking V8 for no line numbers at load', () => {
    const code = read(BUNDLE);
    expect(NON_ASCII.exec(code)?.[0]).toBeUndefined();
    // Texts keep their characters as escapes; a tagged template keeps its raw text too.
    expect(code).toContain('\\u2019');
    expect(code).toContain('__template(');
    expect(code).toContain('callSiteLocation(stack[1], true)[0]');
  });

  it('turns a comment’s characters outside ASCII into one ? a UTF-16 unit, and refuses them in code', () => {
    const source = 'const a = 1; // it’s — 😀\n/* § */ const b = "x";\n';
    const ascii = bundling.asciiComments(source);
    expect(ascii).toBe('const a = 1; // it?s ? ??\n/* ? */ const b = "x";\n');
    expect(ascii.split('\n').map((line) => line.length)).toEqual(
      source.split('\n').map((line) => line.length),
    );
    expect(() => bundling.asciiComments('const s = `it’s`;\n')).toThrow(/in the code/);
    expect(() => bundling.asciiComments('const café = 1;\n')).toThrow(/in the code/);
    expect(bundling.asciiComments('const a = "\\u2019";\n')).toBe('const a = "\\u2019";\n');
  });

  it('changes a package’s code only where it is found exactly once', () => {
    expect(bundling.replaceOnce('a b c', 'b', 'B', 'x')).toBe('a B c');
    expect(() => bundling.replaceOnce('a c', 'b', 'B', 'depd')).toThrow(/depd: .*not there once/);
    expect(() => bundling.replaceOnce('b b', 'b', 'B', 'depd')).toThrow(/not there once/);
  });

  it('bundles what a start needs, and leaves out what only some routes load on first use', () => {
    const code = read(BUNDLE);
    for (const name of ['express', 'zod', 'pino', 'helmet', 'express-session']) {
      expect({ name, bundled: !requires(code, name) }).toEqual({ name, bundled: true });
    }
    for (const name of ['jsonwebtoken', 'redis', 'swagger-ui-express']) {
      expect({ name, required: requires(code, name) }).toEqual({ name, required: true });
    }
  });
});
