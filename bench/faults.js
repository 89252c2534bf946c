'use strict';
/**
 * Issue 11's measurement: a server on a Redis of its own, under a mixed load of clients that
 * keep sessions alive, rotate refresh tokens and read data, while Redis is paused (SIGSTOP) for
 * `stallSeconds`. Reports the answers during the stall by status, how long after SIGCONT the
 * server answers again, peak RSS during the outage, and how many sessions and refresh families
 * were lost (the bar: none). Used by bench/run.js's "faults" section.
 */
const { Buffer } = require('node:buffer');
const http = require('node:http');
const { setTimeout: sleep } = require('node:timers/promises');
const { URLSearchParams } = require('node:url');
const { rssMb } = require('./abuse.js');

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function call(base, method, path, { headers = {}, form } = {}) {
  const body = form === undefined ? undefined : new URLSearchParams(form).toString();
  const h = { ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/x-www-form-urlencoded';
  return new Promise((resolve) => {
    const req = http.request(base + path, { method, headers: h, agent, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body: json });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, headers: {}, body: undefined }));
    req.end(body);
  });
}

const USER = { username: 'my_username', password: 'my_password' };

/**
 * `redis`: { child } of a running redis-server; `pid`: the server's. Returns the report.
 */
async function runFaults(base, { pid, redis, clients = 20, stallSeconds = 10 }) {
  const sessions = [];
  const chains = [];
  for (let i = 0; i < clients; i++) {
    const login = await call(base, 'POST', '/login', { form: USER });
    sessions.push(String(login.headers['set-cookie']?.[0] ?? '').split(';')[0]);
    const grant = await call(base, 'POST', '/auth/token', {
      form: { grant_type: 'password', ...USER },
    });
    chains.push({ refresh: grant.body?.refresh_token, access: grant.body?.access_token });
  }
  let phase = 'before';
  const byPhase = { before: {}, stall: {}, after: {} };
  const count = (status) => {
    byPhase[phase][status] = (byPhase[phase][status] ?? 0) + 1;
  };
  let running = true;
  const worker = async (w) => {
    for (let n = w; running; n += 8) {
      const i = n % clients;
      switch (n % 3) {
        case 0:
          count(
            (await call(base, 'POST', '/keepalive', { headers: { Cookie: sessions[i] } })).status,
          );
          break;
        case 1: {
          // A client retries a refresh answered 503 with the same token, as Retry-After says.
          const res = await call(base, 'POST', '/auth/token', {
            form: { grant_type: 'refresh_token', refresh_token: chains[i].refresh },
          });
          count(res.status);
          if (res.status === 200) {
            chains[i] = { refresh: res.body.refresh_token, access: res.body.access_token };
          }
          break;
        }
        default:
          count(
            (
              await call(base, 'GET', '/api/v1/data', {
                headers: { Authorization: `Bearer ${chains[i].access}` },
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
  let recoveredMs;
  while (recoveredMs === undefined && Date.now() - resumed < 30_000) {
    const ready = await call(base, 'GET', '/readyz');
    if (ready.status === 200) recoveredMs = Date.now() - resumed;
    else await sleep(20);
  }
  await sleep(3000);
  running = false;
  await Promise.all(workers);
  // Every session and family must have survived.
  let sessionsLost = 0;
  for (const cookie of sessions) {
    const res = await call(base, 'POST', '/keepalive', { headers: { Cookie: cookie } });
    if (res.status !== 200) sessionsLost += 1;
  }
  let familiesLost = 0;
  for (const chain of chains) {
    const res = await call(base, 'POST', '/auth/token', {
      form: { grant_type: 'refresh_token', refresh_token: chain.refresh },
    });
    if (res.status !== 200) familiesLost += 1;
  }
  return {
    clients,
    stallSeconds,
    byPhase,
    recoveredMs,
    peakRssMb: peakRss,
    sessionsLost,
    familiesLost,
  };
}

module.exports = { runFaults };
