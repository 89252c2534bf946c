import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import {
  ENTRY,
  exited,
  freePort,
  redisServerSuite,
  startRedis,
  startServer,
  until,
  type StartedRedis,
} from './support';

const SECRET = 'x'.repeat(32);

/** Runs the entry point to its end: exit code, stderr, and how long it ran. */
async function runToExit(env: Record<string, string>) {
  const started = Date.now();
  const child = spawn(process.execPath, [ENTRY], {
    env: { PATH: process.env.PATH ?? '', CORS_DEMO_PORT: '0', ...env },
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const code = await exited(child);
  return { code, stderr, stdout, ms: Date.now() - started };
}

describe('the server entry point: listening and stopping', () => {
  beforeAll(() => {
    if (!existsSync(ENTRY))
      throw new Error(`${ENTRY} is missing: run npm run build (npm test does)`);
  });

  describe('when it cannot listen', () => {
    let taken: Server;
    let port: number;

    beforeAll(async () => {
      port = await freePort();
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

    it('exits 2 with one line naming the address when PORT is taken', async () => {
      const { code, stderr } = await runToExit({ PORT: String(port), JWT_SECRET: SECRET });
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toEqual([
        `four-oh-one: cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE)`,
      ]);
    });

    it('exits 2 with one line naming the address when HOST is not on this machine', async () => {
      // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
      const { code, stderr } = await runToExit({
        HOST: '192.0.2.1',
        PORT: String(port),
        JWT_SECRET: SECRET,
      });
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toEqual([
        `four-oh-one: cannot listen on 192.0.2.1:${port}: the address is not one of this machine's (HOST) (EADDRNOTAVAIL)`,
      ]);
    });
  });

  describe('on SIGTERM', () => {
    it('fails /readyz first, still serves during the drain, then exits 0', async () => {
      const { child, port, logs } = await startServer({
        JWT_SECRET: SECRET,
        CORS_DEMO_PORT: '0',
        SHUTDOWN_DRAIN_SECONDS: '1',
      });
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const signalled = Date.now();
      child.kill('SIGTERM');
      // /readyz turns 503 once the process has handled the signal: asked until it has (a busy
      // machine can take longer than a fixed wait), within the 1-second drain.
      let readyz = await fetch(`${base}/readyz`);
      while (readyz.status === 200 && Date.now() - signalled < 900) {
        await new Promise((r) => setTimeout(r, 20));
        readyz = await fetch(`${base}/readyz`);
      }
      expect(readyz.status).toBe(503);
      expect(readyz.headers.get('retry-after')).toBe('1');
      expect(((await readyz.json()) as { code: string }).code).toBe('shutting_down');
      // Liveness holds and requests are still answered, each closing its connection.
      const healthz = await fetch(`${base}/healthz`);
      expect(healthz.status).toBe(200);
      expect(healthz.headers.get('connection')).toBe('close');
      expect((await fetch(`${base}/scenarios`)).status).toBe(200);

      expect(await exited(child)).toBe(0);
      const ms = Date.now() - signalled;
      expect(ms).toBeGreaterThanOrEqual(1000);
      expect(ms).toBeLessThan(4000);
      const text = logs.join('');
      expect(text).toContain('"msg":"stopped"');
      expect(text).not.toContain('still running');
      // The draining 503 is a warn access line, not an error with a stack.
      expect(text).not.toContain('"stack"');
    });

    it('does not wait for the drain on SIGINT (a person at a terminal)', async () => {
      const { child } = await startServer({
        JWT_SECRET: SECRET,
        CORS_DEMO_PORT: '0',
        SHUTDOWN_DRAIN_SECONDS: '30',
      });
      const signalled = Date.now();
      child.kill('SIGINT');
      expect(await exited(child)).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(3000);
    });
  });

  redisServerSuite('shutdown with a stalled Redis')('with its Redis stalled', () => {
    let redis: StartedRedis;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      redis.child.kill('SIGCONT');
      await redis.stop();
    });

    it('warns once at startup that the issuer is derived from the local port', async () => {
      const { child, logs } = await startServer({
        JWT_SECRET: SECRET,
        CORS_DEMO_PORT: '0',
        REDIS_URL: redis.url,
      });
      child.kill('SIGINT');
      expect(await exited(child)).toBe(0);
      const warnings = logs
        .join('')
        .split('\n')
        .filter((l) => l.includes('PUBLIC_URL and JWT_ISSUER are not'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0] as string)).toMatchObject({ level: 40 });
    });

    it('exits 0 within a few seconds of SIGTERM, finishing the request in flight', async () => {
      const { child, port, logs } = await startServer({
        JWT_SECRET: SECRET,
        CORS_DEMO_PORT: '0',
        REDIS_URL: redis.url,
        PUBLIC_URL: 'http://four-oh-one.test',
        SHUTDOWN_DRAIN_SECONDS: '0',
      });
      const base = `http://127.0.0.1:${port}`;
      // Ready once the store answers.
      await expect(until(async () => (await fetch(`${base}/readyz`)).status === 200)).resolves.toBe(
        true,
      );
      redis.child.kill('SIGSTOP');
      try {
        // A request that waits on the stalled store, in flight when the signal comes.
        const inFlight = fetch(`${base}/readyz`).then((r) => r.status);
        await new Promise((r) => setTimeout(r, 100));
        const signalled = Date.now();
        child.kill('SIGTERM');
        expect(await inFlight).toBe(503);
        expect(await exited(child)).toBe(0);
        // Before: 10 s, exit 1, "requests still running" with none running.
        expect(Date.now() - signalled).toBeLessThan(5000);
        const text = logs.join('');
        expect(text).toContain('"msg":"stopped"');
        expect(text).not.toContain('still running');
      } finally {
        redis.child.kill('SIGCONT');
      }
    });
  });
});
