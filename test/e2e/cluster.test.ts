import { request as httpRequest } from 'node:http';
import {
  exited,
  freePort,
  redisServerSuite,
  run,
  ENTRY,
  startRedis,
  startServer,
  type StartedRedis,
  type StartedServer,
} from './support';

/** One answer, read in full. */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request on a connection of its own (no keep-alive agent), so that the cluster's primary
 * hands each to the next worker in turn, as it does a new client's.
 */
function fresh(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `application/x-www-form-urlencoded`, as curl -d sends it. */
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/**
 * The pids of the workers that answered, from the access log lines naming each answer's request
 * id (written on 'finish', so a line may come a moment after its answer).
 */
async function workersOf(server: StartedServer, answers: Answer[]): Promise<Set<number>> {
  const ids = answers.map((a) => String(a.headers['x-request-id']));
  const deadline = Date.now() + 3000;
  for (;;) {
    const byRequest = new Map<string, number>();
    for (const line of server.logs.join('').split('\n')) {
      const match = /"pid":(\d+).*"requestId":"([^"]+)"/.exec(line);
      if (match) byRequest.set(match[2] as string, Number(match[1]));
    }
    const missing = ids.filter((id) => !byRequest.has(id));
    if (missing.length === 0) return new Set(ids.map((id) => byRequest.get(id) as number));
    if (Date.now() > deadline) throw new Error(`no access line for ${missing.join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `n` requests, each on a fresh connection, one after another. */
async function repeat(n: number, send: () => Promise<Answer>): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < n; i += 1) answers.push(await send());
  return answers;
}

const codeOf = (a: Answer) => (JSON.parse(a.body) as { code?: string }).code;

describe('WEB_CONCURRENCY (cluster mode)', () => {
  it('refuses more than one worker without REDIS_URL: exit 2 and one line', async () => {
    const port = await freePort();
    const ran = await run(
      process.execPath,
      [ENTRY],
      {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        WEB_CONCURRENCY: '2',
        CORS_DEMO_PORT: '0',
      },
      10_000,
    );
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr.trim().split('\n')).toEqual([
      'four-oh-one: configuration error: WEB_CONCURRENCY: more than 1 worker needs REDIS_URL (the embedded store lives in one process; its sessions, revocations and limits would differ from worker to worker)',
    ]);
  });

  redisServerSuite('cluster mode')('two workers on one Redis', () => {
    let redis: StartedRedis;
    let server: StartedServer;
    let base: string;

    beforeAll(async () => {
      redis = await startRedis();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      // No JWT_SECRET: the primary's generated secret must be every worker's.
      server = await startServer({
        PORT: String(port),
        PUBLIC_URL: base,
        REDIS_URL: redis.url,
        WEB_CONCURRENCY: '2',
        CORS_DEMO_PORT: '0',
        SHUTDOWN_DRAIN_SECONDS: '0',
      });
      // Both workers listening and their store connected: /readyz from each.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answers = await repeat(4, () => fresh(`${base}/readyz`));
        if (answers.every((a) => a.status === 200) && (await workersOf(server, answers)).size === 2)
          break;
        if (Date.now() > deadline) throw new Error(`not ready:\n${server.logs.join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }, 20_000);

    afterAll(async () => {
      await server?.stop();
      await redis?.stop();
    });

    it('answers from both workers, behind one port', async () => {
      const answers = await repeat(6, () => fresh(`${base}/healthz`));
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
      expect((await workersOf(server, answers)).size).toBe(2);
    });

    it('publishes one JWKS from every worker', async () => {
      const answers = await repeat(6, () => fresh(`${base}/.well-known/jwks.json`));
      expect((await workersOf(server, answers)).size).toBe(2);
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    });

    it('accepts a token on every worker, and refuses it on every worker once revoked', async () => {
      const issued = await fresh(
        `${base}/auth/token`,
        form({ grant_type: 'password', username: 'my_username', password: 'my_password' }),
      );
      expect(issued.status).toBe(200);
      const token = (JSON.parse(issued.body) as { access_token: string }).access_token;
      const bearer = { headers: { Authorization: `Bearer ${token}` } };

      const before = await repeat(8, () => fresh(`${base}/api/v1/data`, bearer));
      expect(before.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect((await workersOf(server, before)).size).toBe(2);

      const revoked = await fresh(`${base}/auth/revoke`, form({ token }));
      expect(revoked.status).toBe(200);

      const after = await repeat(8, () => fresh(`${base}/api/v1/data`, bearer));
      expect(after.map((a) => [a.status, codeOf(a)])).toEqual(
        Array(8).fill([401, 'token_revoked']),
      );
      expect((await workersOf(server, after)).size).toBe(2);
    });

    it('keeps one session across workers, and ends it on every worker at logout', async () => {
      const login = await fresh(
        `${base}/login`,
        form({ username: 'my_username', password: 'my_password' }),
      );
      expect(login.status).toBe(200);
      const cookie = String((login.headers['set-cookie'] as string[])[0]).split(';')[0] as string;
      const withCookie = { headers: { Cookie: cookie } };

      const during = await repeat(8, () => fresh(`${base}/me`, withCookie));
      expect(during.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect((await workersOf(server, during)).size).toBe(2);

      const logout = await fresh(`${base}/logout`, { method: 'POST', ...withCookie });
      expect(logout.status).toBe(200);
      const after = await repeat(8, () => fresh(`${base}/me`, withCookie));
      expect(after.map((a) => a.status)).toEqual(Array(8).fill(401));
      expect((await workersOf(server, after)).size).toBe(2);
    });

    it('explains a refusal from whichever worker is asked', async () => {
      const refused = await fresh(`${base}/api/v1/data`);
      expect(refused.status).toBe(401);
      const id = String(refused.headers['x-explanation-id']);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      // Stored just after the answer, by the worker that answered: readable a moment later.
      const read = () =>
        fresh(`${base}/explain/${id}`, { headers: { Accept: 'application/json' } });
      const deadline = Date.now() + 2000;
      while ((await read()).status !== 200) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 20));
      }
      const reads = await repeat(6, read);
      expect(reads.map((a) => [a.status, codeOf(a)])).toEqual(
        Array(6).fill([200, 'token_missing']),
      );
      expect((await workersOf(server, reads)).size).toBe(2);
    });

    it('replaces a worker that dies, and keeps answering on the port', async () => {
      const listening = () =>
        [...server.logs.join('').matchAll(/"pid":(\d+)[^\n]*"msg":"four-oh-one listening"/g)].map(
          (m) => Number(m[1]),
        );
      const [victim] = listening();
      expect(victim).toBeDefined();
      process.kill(victim as number, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (listening().length < 3) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(server.logs.join('')).toContain('"msg":"worker died; starting another"');
      const answers = await repeat(6, () => fresh(`${base}/healthz`));
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
      const pids = await workersOf(server, answers);
      expect(pids.size).toBe(2);
      expect(pids.has(victim as number)).toBe(false);
    });

    it('stops every worker on SIGTERM and exits 0', async () => {
      server.child.kill('SIGTERM');
      expect(await exited(server.child)).toBe(0);
      const text = server.logs.join('');
      expect(text.match(/"msg":"stopped"/g)).toHaveLength(2);
      expect(text).toContain('"msg":"all workers stopped"');
    });
  });
});
