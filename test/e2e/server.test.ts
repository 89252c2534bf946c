import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ENTRY, exited, startServer } from './support';

describe('the server entry point', () => {
  beforeAll(() => {
    if (!existsSync(ENTRY))
      throw new Error(`${ENTRY} is missing: run npm run build (npm test does)`);
  });

  it('starts with no environment, serves, and stops gracefully on SIGTERM', async () => {
    const { child, port, logs } = await startServer({});
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/data`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="four-oh-one", resource_metadata="/,
      );
      expect(logs.join('')).toContain('JWT_SECRET is unset');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited(child)).toBe(0);
    expect(logs.join('')).toContain('"msg":"stopped"');
  });

  // The bundle is ASCII (scripts/bundle.cjs): the pages' characters outside it are escapes there,
  // in tagged templates and strings alike, and must come back as themselves.
  it('serves the pages’ text character for character from its ASCII bundle', async () => {
    const { child, port } = await startServer({ JWT_SECRET: 'x'.repeat(32) });
    try {
      const sources = await (await fetch(`http://127.0.0.1:${port}/sources`)).text();
      expect(sources).toContain('<title>Sources · four-oh-one</title>');
      expect(sources).toContain('The error itself, as the post’s title');
      const problem = await (
        await fetch(`http://127.0.0.1:${port}/problems/token_expired`, {
          headers: { Accept: 'application/json' },
        })
      ).text();
      expect(problem).toContain('RFC 6750 §3.1');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited(child)).toBe(0);
  });

  it('finishes a request in flight before stopping', async () => {
    const { child, port } = await startServer({ JWT_SECRET: 'x'.repeat(32) });
    const inFlight = fetch(`http://127.0.0.1:${port}/scenarios`).then((r) => r.status);
    await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    expect(await inFlight).toBe(200);
    expect(await exited(child)).toBe(0);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ JWT_SECRET: 'too-short' }, 'JWT_SECRET'],
    [{ REDIS_URL: 'http://nope' }, 'REDIS_URL'],
  ])('refuses to start on %j with one line naming %s', async (env, variable) => {
    const child = spawn(process.execPath, [ENTRY], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await exited(child)).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^four-oh-one: configuration error: ${variable}: `));
  });
});
