import {
  chmodSync,
  chownSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type StartedServer } from './processes';

/**
 * dist/server.js (src/boot.ts) runs the bundle with V8's code from the last start: the first start
 * in an empty cache directory writes it, the next uses it; a damaged one is compiled past and
 * replaced; NODE_DISABLE_COMPILE_CACHE turns it off; a directory another user owns, or others may
 * write in, is never read.
 * NODE_DEBUG=four-oh-one makes the entry say on stderr what became of the cache.
 */
describe('the code cache of dist/server.js', () => {
  const dirs: string[] = [];
  let server: StartedServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function cacheDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'four-oh-one-boot-'));
    dirs.push(dir);
    return dir;
  }

  /** Starts the server with the cache in `dir`; resolves once /healthz answered 200. */
  async function start(env: Record<string, string>): Promise<StartedServer> {
    server = await startServer({ NODE_DEBUG: 'four-oh-one', CORS_DEMO_PORT: '0', ...env });
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    return server;
  }

  const said = (s: StartedServer) =>
    s.logs
      .join('')
      .split('\n')
      .filter((line) => line.includes('code cache:'))
      .map((line) => line.replace(/^FOUR-OH-ONE \d+: code cache: /, '').replace(/ \/\S+$/, ''));

  /** Waits until the server says it wrote its cache (two seconds after it started). */
  async function written(s: StartedServer): Promise<void> {
    const until = Date.now() + 15_000;
    while (!said(s).includes('wrote') && Date.now() < until) await sleep(100);
    expect(said(s)).toContain('wrote');
  }

  const caches = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.v8'));

  it('is written by a start that found none, and used by the next', async () => {
    const dir = cacheDir();
    const first = await start({ NODE_COMPILE_CACHE: dir });
    await written(first);
    expect(said(first)).toEqual(['none at', 'wrote']);
    const [file] = caches(dir);
    expect(file).toMatch(/^server\.bundle-[0-9a-f]{32}\.v8$/);
    expect(readdirSync(dir)).toEqual([file]); // no partial file left beside it
    expect(statSync(join(dir, file ?? '')).mode & 0o777).toBe(0o600);
    await server?.stop();

    const second = await start({ NODE_COMPILE_CACHE: dir });
    expect(said(second)).toEqual(['used:']);
  }, 40_000);

  it('is compiled past when damaged, and written again', async () => {
    const dir = cacheDir();
    await written(await start({ NODE_COMPILE_CACHE: dir }));
    await server?.stop();
    const [file] = caches(dir);
    writeFileSync(join(dir, file ?? ''), Buffer.alloc(4096, 7));

    const next = await start({ NODE_COMPILE_CACHE: dir });
    expect(said(next)[0]).toBe('rejected:');
    await written(next);
    await server?.stop();
    expect(said(await start({ NODE_COMPILE_CACHE: dir }))).toEqual(['used:']);
  }, 60_000);

  it('keeps the four newest caches in its directory, one per build, Node and flags', async () => {
    const dir = cacheDir();
    const old = Date.now() / 1000 - 3600;
    for (const n of [1, 2, 3, 4, 5]) {
      const name = join(dir, `server.bundle-${String(n).repeat(32)}.v8`);
      writeFileSync(name, 'an older build');
      utimesSync(name, old + n, old + n);
    }
    writeFileSync(join(dir, 'not-a-cache.txt'), 'left alone');
    await written(await start({ NODE_COMPILE_CACHE: dir }));
    const kept = caches(dir);
    expect(kept).toHaveLength(4);
    expect(kept.filter((f) => /^server\.bundle-[345]{32}\.v8$/.test(f))).toHaveLength(3);
    expect(readdirSync(dir)).toContain('not-a-cache.txt');
  }, 40_000);

  it('is off with NODE_DISABLE_COMPILE_CACHE=1: nothing read or written', async () => {
    const dir = cacheDir();
    const off = await start({ NODE_COMPILE_CACHE: dir, NODE_DISABLE_COMPILE_CACHE: '1' });
    await sleep(2500);
    expect(said(off)).toEqual(['off']);
    expect(readdirSync(dir)).toEqual([]);
  }, 40_000);

  it('never uses a directory others may write in', async () => {
    const open = cacheDir();
    chmodSync(open, 0o777);
    const s = await start({ NODE_COMPILE_CACHE: open });
    await sleep(2500);
    expect(said(s)).toEqual([`others may write in ${open}; not used`, 'off']);
    expect(readdirSync(open)).toEqual([]);
  }, 40_000);

  it('never uses a directory another user owns', async () => {
    const uid = process.getuid?.() ?? 0;
    let foreign = '/'; // root's: foreign to anyone else
    if (uid === 0) {
      foreign = cacheDir();
      chownSync(foreign, 65534, 65534);
      chmodSync(foreign, 0o777);
    }
    const s = await start({ NODE_COMPILE_CACHE: foreign });
    await sleep(2500);
    expect(said(s)).toEqual([`${foreign} is not owned by this user; not used`, 'off']);
    if (uid === 0) expect(readdirSync(foreign)).toEqual([]);
  }, 40_000);
});
