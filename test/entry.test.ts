import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENTRY, ROOT } from './e2e/processes';

/**
 * What ships is what is tested: `npm start`, the Docker image and the e2e tests (ENTRY) run one
 * file, the bundle `npm run build` makes (package.json "build:bundle"), with the packages left
 * in node_modules (the runtime image installs them; Swagger UI reads files beside its own code).
 */
describe('the entry point', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    main: string;
    scripts: Record<string, string>;
  };
  const entry = relative(ROOT, ENTRY);

  it('is the file npm start, the Docker image and the e2e tests all run', () => {
    expect(entry).toBe('dist/server.js');
    expect(pkg.main).toBe(entry);
    expect(pkg.scripts.start).toBe(`node --max-semi-space-size=8 ${entry}`);
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(JSON.parse(cmd?.[1] ?? '[]')).toEqual(['node', '--max-semi-space-size=8', entry]);
  });

  it('is built by npm run build, from the compiled server, with every package left outside', () => {
    expect(pkg.scripts.build).toMatch(/&& npm run build:bundle$/);
    const bundle = pkg.scripts['build:bundle'] ?? '';
    expect(bundle).toMatch(/^esbuild dist\/src\/server\.js --bundle --platform=node /);
    expect(bundle).toContain('--packages=external');
    expect(bundle).toContain(`--outfile=${entry}`);
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build`);
    const code = readFileSync(ENTRY, 'utf8');
    for (const name of ['express', 'zod', 'pino', 'swagger-ui-express', 'redis']) {
      expect({ name, required: code.includes(`require("${name}")`) }).toEqual({
        name,
        required: true,
      });
    }
  });
});
