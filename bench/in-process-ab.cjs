// Two builds of the server in one process, compared per request (bench/RESULTS.md, issue 17):
// each build's app on its own loopback listener, a raw keep-alive client (4 connections, 8
// requests pipelined on each), alternating batches per target, and the CPU time per request
// from process.cpuUsage (client included: compare ratios within one run, never µs across runs).
// First it checks that both builds answer every target the same (ids and times normalized).
//
//   mkdir -p /tmp/a && cp -r dist /tmp/a/dist && ln -s "$PWD/node_modules" /tmp/a/node_modules
//   (the same for the other build, e.g. from `git archive` of the commit before)
//   chrt -f 10 taskset -c 1 node bench/in-process-ab.cjs /tmp/a/dist /tmp/b/dist [rounds] [batch] [targets]
//
// Pinned to one core at real-time priority on a shared machine: --cpu-prof needs it unpinned
// (the profiler's thread starves otherwise). Env: AB_CONC, AB_PIPE, AB_SHOW=1 prints the answers.
'use strict';
const path = require('node:path');
const { Client, raw, start, targetsOf } = require('./in-process.cjs');

const [distA, distB] = process.argv.slice(2, 4).map((d) => path.resolve(d));
const ROUNDS = Number(process.argv[4] ?? 12);
const BATCH = Number(process.argv[5] ?? 800);
const CONC = Number(process.env.AB_CONC ?? 4);
const PIPE = Number(process.env.AB_PIPE ?? 8);
const ONLY = process.argv[6] ? process.argv[6].split(',') : undefined;
const norm = (s) =>
  s
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, 'UUID')
    .replace(/\r\nDate: [^\r]*/i, '\r\nDate: X')
    .replace(/at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'at T')
    .replace(/"expires_at": "[^"]*"/g, '"expires_at": X')
    .replace(/time is \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'time is T');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function main() {
  const level = process.env.AB_LOG_LEVEL ?? 'silent';
  const builds = [await start(distA, level), await start(distB, level)];
  for (const b of builds) {
    b.client = new Client(b.port);
    await b.client.connect();
    b.pool = [];
    for (let k = 0; k < CONC; k += 1) {
      const c = new Client(b.port);
      await c.connect();
      b.pool.push(c);
    }
    b.targets = targetsOf(b)
      .filter(([n]) => !ONLY || ONLY.includes(n))
      .map(([name, p, h]) => ({ name, raw: raw(p, h), cpu: [] }));
  }
  // Same answers from both builds, first (explained) and later: compared normalized.
  let same = true;
  for (let k = 0; k < 2; k += 1) {
    for (let i = 0; i < builds[0].targets.length; i += 1) {
      const a = await builds[0].client.request(builds[0].targets[i].raw);
      const b = await builds[1].client.request(builds[1].targets[i].raw);
      const na = norm(a.head + '\n' + a.body).replace(/\r\nContent-Length: \d+/i, '');
      const nb = norm(b.head + '\n' + b.body).replace(/\r\nContent-Length: \d+/i, '');
      if (na !== nb) {
        same = false;
        console.log(`DIFF ${builds[0].targets[i].name}\n--- A\n${na}\n--- B\n${nb}`);
      } else if (process.env.AB_SHOW) console.log(`${builds[0].targets[i].name}\n${na}\n`);
    }
  }
  console.log(same ? 'answers: identical (normalized)' : 'answers: DIFFER');
  // warm-up
  for (const b of builds)
    for (const t of b.targets) for (let i = 0; i < 300; i += 1) await b.client.request(t.raw);
  for (let r = 0; r < ROUNDS; r += 1) {
    const order = r % 2 === 0 ? builds : [...builds].reverse();
    for (let i = 0; i < builds[0].targets.length; i += 1) {
      for (const b of order) {
        const t = b.targets[i];
        const c0 = process.cpuUsage();
        await Promise.all(
          b.pool.map(async (cl) => {
            for (let n = 0; n < BATCH / CONC / PIPE; n += 1) await cl.request(t.raw, PIPE);
          }),
        );
        const c = process.cpuUsage(c0);
        t.cpu.push((c.user + c.system) / BATCH);
      }
    }
  }
  const rows = builds[0].targets.map((t, i) => {
    const a = median(t.cpu);
    const b = median(builds[1].targets[i].cpu);
    return { t: t.name, a, b };
  });
  const ha = rows.find((r) => r.t === 'healthz')?.a;
  const hb = rows.find((r) => r.t === 'healthz')?.b;
  console.log(
    `rounds ${ROUNDS} x ${BATCH}; CPU µs per request (median); ratio = healthz µs / target µs`,
  );
  console.log('target      A µs   B µs   B/A    A ratio  B ratio');
  for (const r of rows) {
    console.log(
      `${r.t.padEnd(10)} ${r.a.toFixed(0).padStart(6)} ${r.b.toFixed(0).padStart(6)}  ${(r.b / r.a).toFixed(3)}   ${ha ? (ha / r.a).toFixed(3) : '-'}    ${hb ? (hb / r.b).toFixed(3) : '-'}`,
    );
  }
  for (const b of builds) {
    b.client.sock.destroy();
    for (const c of b.pool) c.sock.destroy();
    b.server.close();
  }
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
