/**
 * Issue 11's measurement: a server on a Redis of its own, under a mixed load of clients that
 * keep sessions alive, rotate refresh tokens and read data, while Redis is paused (SIGSTOP) for
 * `stallSeconds`. Reports the answers during the stall by status, how long after SIGCONT the
 * server answers again, peak RSS during the outage, and how many sessions and refresh families
 * were lost (the bar: none). Used by bench/run.js's "faults" section.
 */
import type { ChildProcess } from 'node:child_process';
import http, { type IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { rssMb } from './abuse';

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

interface Answer {
  /** 0: no answer within 5 s. */
  status: number;
  headers: IncomingHttpHeaders;
  body: { access_token?: string; refresh_token?: string; code?: string } | undefined;
}

function call(
  base: string,
  method: string,
  path: string,
  { headers = {}, form }: { headers?: Record<string, string>; form?: Record<string, string> } = {},
): Promise<Answer> {
  const body = form === undefined ? undefined : new URLSearchParams(form).toString();
  const h: Record<string, string> = { ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/x-www-form-urlencoded';
  return new Promise((resolve) => {
    const req = http.request(base + path, { method, headers: h, agent, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let json: Answer['body'];
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'];
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: json });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, headers: {}, body: undefined }));
    req.end(body);
  });
}

const USER = { username: 'my_username', password: 'my_password' };

type Phase = 'before' | 'stall' | 'after';

export interface FaultsReport {
  clients: number;
  stallSeconds: number;
  /** Answers by status in each phase (status 0: no answer within 5 s). */
  byPhase: Record<Phase, Record<string, number>>;
  /** From SIGCONT to the first /readyz 200; undefined if that took over 30 s. */
  recoveredMs: number | undefined;
  peakRssMb: number;
  sessionsLost: number;
  familiesLost: number;
  /** Why each lost session or family was refused: `status code`, counted. */
  lostBecause: Record<string, number>;
}

/**
 * `redis`: { child } of a running redis-server; `pid`: the server's. Returns the report.
 */
export async function runFaults(
  base: string,
  {
    pid,
    redis,
    clients = 20,
    stallSeconds = 10,
  }: { pid: number; redis: { child: ChildProcess }; clients?: number; stallSeconds?: number },
): Promise<FaultsReport> {
  const sessions: string[] = [];
  const chains: { refresh?: string | undefined; access?: string | undefined }[] = [];
  for (let i = 0; i < clients; i++) {
    const login = await call(base, 'POST', '/login', { form: USER });
    sessions.push((login.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '');
    const grant = await call(base, 'POST', '/auth/token', {
      form: { grant_type: 'password', ...USER },
    });
    chains.push({ refresh: grant.body?.refresh_token, access: grant.body?.access_token });
  }
  let phase: Phase = 'before';
  const byPhase: FaultsReport['byPhase'] = { before: {}, stall: {}, after: {} };
  const count = (status: number) => {
    byPhase[phase][status] = (byPhase[phase][status] ?? 0) + 1;
  };
  let running = true;
  const worker = async (w: number) => {
    for (let n = w; running; n += 8) {
      const i = n % clients;
      const chain = chains[i] ?? {};
      switch (n % 3) {
        case 0:
          count(
            (await call(base, 'POST', '/keepalive', { headers: { Cookie: sessions[i] ?? '' } }))
              .status,
          );
          break;
        case 1: {
          // A client retries a refresh answered 503 with the same token, as Retry-After says.
          const res = await call(base, 'POST', '/auth/token', {
            form: { grant_type: 'refresh_token', refresh_token: chain.refresh ?? '' },
          });
          count(res.status);
          if (res.status === 200) {
            chains[i] = { refresh: res.body?.refresh_token, access: res.body?.access_token };
          }
          break;
        }
        default:
          count(
            (
              await call(base, 'GET', '/api/v1/data', {
                headers: { Authorization: `Bearer ${chain.access}` },
              })
            ).status,
          );
      }
    }
  };
  const workers = Array.from({ length: 8 }, (_, w) => worker(w));
  await sleep(2000);
  phase = 'stall';
  redis.child.kill('SIGSTOP');
  let peakRss = 0;
  const stallEnd = Date.now() + stallSeconds * 1000;
  while (Date.now() < stallEnd) {
    peakRss = Math.max(peakRss, rssMb(pid));
    await sleep(200);
  }
  redis.child.kill('SIGCONT');
  const resumed = Date.now();
  phase = 'after';
  let recoveredMs: number | undefined;
  while (recoveredMs === undefined && Date.now() - resumed < 30_000) {
    const ready = await call(base, 'GET', '/readyz');
    if (ready.status === 200) recoveredMs = Date.now() - resumed;
    else await sleep(20);
  }
  await sleep(3000);
  running = false;
  await Promise.all(workers);
  // Every session and family must have survived.
  const lostBecause: Record<string, number> = {};
  const lost = (res: Answer) => {
    const why = `${res.status} ${res.body?.code ?? ''}`.trim();
    lostBecause[why] = (lostBecause[why] ?? 0) + 1;
    return 1;
  };
  let sessionsLost = 0;
  for (const cookie of sessions) {
    const res = await call(base, 'POST', '/keepalive', { headers: { Cookie: cookie } });
    if (res.status !== 200) sessionsLost += lost(res);
  }
  let familiesLost = 0;
  for (const chain of chains) {
    const res = await call(base, 'POST', '/auth/token', {
      form: { grant_type: 'refresh_token', refresh_token: chain.refresh ?? '' },
    });
    if (res.status !== 200) familiesLost += lost(res);
  }
  return {
    clients,
    stallSeconds,
    byPhase,
    recoveredMs,
    peakRssMb: peakRss,
    sessionsLost,
    familiesLost,
    lostBecause,
  };
}
