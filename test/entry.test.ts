import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENTRY, ROOT } from './e2e/processes';

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
    const build = pkg.scripts['build:bundle'] ?? '';
    expect(build).toMatch(
      /^esbuild dist\/src\/server\.js --bundle --platform=node .*--outfile=dist\/server\.bundle\.js && esbuild dist\/src\/boot\.js --bundle --platform=node .*--outfile=dist\/server\.js$/,
    );
    // The entry needs nothing but Node's own modules, and names the bundle.
    const boot = read(ENTRY);
    expect(boot).toContain('"server.bundle.js"');
    expect(
      [...boot.matchAll(/require\("([^"]+)"\)/g)].filter((m) => !m[1]?.startsWith('node:')),
    ).toEqual([]);
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
