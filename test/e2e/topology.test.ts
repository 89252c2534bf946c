import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ENTRY,
  exited,
  freePort,
  NGINX,
  nginxFound,
  nginxSuite,
  redisServerSuite,
  ROOT,
  startRedis,
  startServer,
  type StartedRedis,
  type StartedServer,
  until,
} from './support';

const SECRET = 'topology-test-secret-of-at-least-32-bytes';

/**
 * deploy/nginx.conf as this machine can run it: the compose service names replaced by the
 * instances' loopback ports, the listen port by a free one, /tmp by a directory of the test's own.
 */
function nginxConfig(appPorts: number[], listenPort: number, dir: string): string {
  const deployed = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8');
  const upstreams = deployed.match(/server app\d+:3000\b/g) ?? [];
  // The deployed file must keep the shape this test relies on.
  expect(upstreams).toEqual(['server app1:3000', 'server app2:3000']);
  expect(deployed).toContain('listen 8080;');
  return (
    deployed
      .replace(
        /server app(\d+):3000\b/g,
        (_m, n: string) => `server 127.0.0.1:${appPorts[Number(n) - 1]}`,
      )
      .replace('listen 8080;', `listen 127.0.0.1:${listenPort};`)
      .replace('worker_processes auto;', 'worker_processes 1;')
      // A pipe to the test cannot be opened as /dev/stdout (ENXIO): log to a file instead.
      .replace('access_log /dev/stdout;', 'access_log /tmp/access.log;')
      .replace(/\/tmp\//g, `${dir}/`)
  );
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** One request through the balancer. */
async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

/** How many requests to a path an instance logged. */
const served = (server: StartedServer, path: string) =>
  server.logs
    .join('')
    .split('\n')
    .filter((l) => l.includes('"msg":"request completed"') && l.includes(`"path":"${path}"`))
    .length;

/** How many keepalives and reads these instances have logged as answered. */
const answered = (instances: StartedServer[]) =>
  instances.reduce((n, i) => n + served(i, '/keepalive') + served(i, '/api/v1/data'), 0);

/**
 * `count()` once it reaches `expected`, or after 5 s: a server writes its access line after the
 * answer, and the test reads it from a pipe, so on a busy machine the line can come later than
 * the answer.
 */
async function linesReach(count: () => number, expected: number): Promise<number> {
  await until(() => count() >= expected, 5000, 20);
  return count();
}

nginxSuite('load-balanced topology')('two instances behind nginx on one Redis', () => {
  redisServerSuite('load-balanced topology')('(with a redis-server of their own)', () => {
    let redis: StartedRedis;
    let instances: StartedServer[] = [];
    let nginx: ChildProcessWithoutNullStreams | undefined;
    let nginxOutput = '';
    let dir: string;
    let base: string;

    beforeAll(async () => {
      if (!nginxFound) throw new Error(`no nginx at ${NGINX}: apt-get install nginx (CI needs it)`);
      if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build`);
      redis = await startRedis();
      const lbPort = await freePort();
      base = `http://127.0.0.1:${lbPort}`;
      const env = {
        JWT_SECRET: SECRET,
        // The issuer every instance names and accepts: the balancer's address.
        PUBLIC_URL: base,
        REDIS_URL: redis.url,
        TRUST_PROXY: '1',
        CORS_DEMO_PORT: '0',
        SHUTDOWN_DRAIN_SECONDS: '0',
      };
      instances = await Promise.all([startServer(env), startServer(env)]);

      dir = mkdtempSync(join(tmpdir(), 'four-oh-one-nginx-'));
      // Run as root (CI), nginx's workers switch to an unprivileged user: let them in.
      chmodSync(dir, 0o755);
      const conf = join(dir, 'nginx.conf');
      writeFileSync(
        conf,
        nginxConfig(
          instances.map((i) => i.port),
          lbPort,
          dir,
        ),
      );
      nginx = spawn(NGINX, ['-e', 'stderr', '-p', dir, '-c', conf, '-g', 'daemon off;']);
      nginx.stdout.on('data', (c: Buffer) => (nginxOutput += c.toString()));
      nginx.stderr.on('data', (c: Buffer) => (nginxOutput += c.toString()));
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (nginx.exitCode !== null) throw new Error(`nginx exited:\n${nginxOutput}`);
        const up = await fetch(`${base}/nginx-health`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (up) break;
        if (Date.now() > deadline) throw new Error(`nginx did not answer:\n${nginxOutput}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // Both instances ready: their store answers.
      for (const instance of instances) {
        const ready = async () =>
          (await fetch(`http://127.0.0.1:${instance.port}/readyz`)).status === 200;
        if (!(await until(ready, Math.max(0, deadline - Date.now())))) {
          throw new Error('an instance never became ready');
        }
      }
    });

    afterAll(async () => {
      if (nginx && nginx.exitCode === null) {
        nginx.kill('SIGTERM');
        await exited(nginx);
      }
      for (const instance of instances) {
        if (instance.child.exitCode === null && instance.child.signalCode === null) {
          instance.child.kill('SIGKILL');
          await exited(instance.child);
        }
      }
      await redis?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('keeps a session and a token working through the balancer after one instance is killed', async () => {
      // Log in through the balancer, and keep the session alive: round robin sends the requests
      // to both instances, which share the session through Redis.
      const login = await send(`${base}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'my_username', password: 'my_password' }),
      });
      expect(login.status).toBe(200);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      expect(cookie).toMatch(/^four-oh-one\.sid=/);
      const keepalive = () =>
        send(`${base}/keepalive`, { method: 'POST', headers: { Cookie: cookie } });
      for (let i = 0; i < 6; i += 1) {
        const res = await keepalive();
        expect({ i, status: res.status, code: res.body.code }).toEqual({
          i,
          status: 200,
          code: undefined,
        });
      }

      // A token issued by one instance is accepted by the other (same secret, same issuer).
      const issued = await send(`${base}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=password&username=my_username&password=my_password',
      });
      expect(issued.status).toBe(200);
      const token = String(issued.body.access_token);
      const data = () =>
        send(`${base}/api/v1/data`, { headers: { Authorization: `Bearer ${token}` } });
      for (let i = 0; i < 4; i += 1) {
        const res = await data();
        expect({ i, status: res.status, code: res.body.code }).toEqual({
          i,
          status: 200,
          code: undefined,
        });
      }
      // Both instances answered: the balancer really spreads the load.
      for (const instance of instances) {
        expect(served(instance, '/keepalive') + served(instance, '/api/v1/data')).toBeGreaterThan(
          0,
        );
      }

      // Every answer so far is in the logs (6 keepalives and 4 reads), so that the survivor's
      // count below starts from all of its own.
      expect(await linesReach(() => answered(instances), 10)).toBe(10);

      // One instance dies without warning.
      const [victim, survivor] = instances as [StartedServer, StartedServer];
      victim.child.kill('SIGKILL');
      await exited(victim.child);
      const before = answered([survivor]);

      // Every request still succeeds: nginx passes a refused connection on to the survivor.
      for (let i = 0; i < 6; i += 1) {
        const res = await keepalive();
        expect({ i, status: res.status, code: res.body.code }).toEqual({
          i,
          status: 200,
          code: undefined,
        });
        const api = await data();
        expect({ i, status: api.status, code: api.body.code }).toEqual({
          i,
          status: 200,
          code: undefined,
        });
      }
      const relogin = await send(`${base}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'my_username', password: 'my_password' }),
      });
      expect(relogin.status).toBe(200);
      const after = () => answered([survivor]);
      expect(await linesReach(after, before + 12)).toBe(before + 12);
      await sleep(100); // and no more come
      expect(after()).toBe(before + 12);
    });
  });
});
