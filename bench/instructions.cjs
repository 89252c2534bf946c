// Instructions per answer, counted by valgrind's callgrind: the same count run after run on a
// shared or throttled machine, where req/s and CPU time move by 10-50% (bench/RESULTS.md, ninth
// round). One in-process server (a build's dist/), a warm-up of every target so that V8 has
// compiled the paths, then N requests of one target (8 pipelined on one keep-alive connection),
// counted with instrumentation switched on only for them. Most counts agree within 1%; about one
// in five comes out 6 to 8% high (a collection or a V8 timer falling in the window), so count a
// target twice and keep the lower (the bench's instructions section does).
//
//   apt-get install valgrind
//   node bench/instructions.cjs dist healthz expired [...]      (N=1600 each; ICOUNT_N to change)
//
// Each target runs in a process of its own under valgrind (~40 s each here). Targets: healthz,
// valid, none, expired, badsig, v1key, me; and express and node, a bare Express 5 app's and
// bare node:http's /healthz (bench/peers.ts), for goal 1's first bar and the floor. Compare targets of one build, or one target of two
// builds (copy each dist/ with package.json and a node_modules link, as bench/in-process-ab.cjs).
// ICOUNT_KEEP=/tmp/x keeps each target's callgrind output as /tmp/x.TARGET, for
// `callgrind_annotate --inclusive=yes /tmp/x.expired` (function by function; JIT code is unnamed).
'use strict';
const { Buffer } = require('node:buffer');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { start, targetsOf } = require('./in-process.cjs');

const N = Number(process.env.ICOUNT_N ?? 1600);

if (process.env.ICOUNT_CHILD) {
  child(path.resolve(process.env.ICOUNT_DIST), process.env.ICOUNT_CHILD).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  driver().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}

async function driver() {
  const [dist, ...targets] = process.argv.slice(2);
  if (!dist || targets.length === 0)
    throw new Error('usage: node bench/instructions.cjs DIST TARGET...');
  for (const target of targets) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'four-oh-one-icount-'));
    const warm = path.join(dir, 'warm');
    const out = path.join(dir, 'callgrind.out');
    let log = '';
    const vg = spawn(
      'valgrind',
      [
        '--tool=callgrind',
        '--instr-atstart=no',
        `--callgrind-out-file=${out}`,
        process.execPath,
        '--single-threaded',
        path.join(__dirname, 'instructions.cjs'),
      ],
      {
        env: { ...process.env, ICOUNT_CHILD: target, ICOUNT_DIST: dist, ICOUNT_WARM: warm },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    vg.stdout.on('data', (c) => (log += c));
    vg.stderr.on('data', (c) => (log += c));
    const exited = new Promise((resolve) => vg.once('exit', resolve));
    while (!fs.existsSync(warm)) {
      if (vg.exitCode !== null)
        throw new Error(`${target}: exited before its warm-up ended\n${log}`);
      await sleep(200);
    }
    execFileSync('callgrind_control', ['-i', 'on', String(vg.pid)], { stdio: 'ignore' });
    process.kill(vg.pid, 'SIGUSR2');
    const code = await exited;
    const collected = /Collected : (\d+)/.exec(log);
    if (process.env.ICOUNT_KEEP) fs.copyFileSync(out, `${process.env.ICOUNT_KEEP}.${target}`);
    fs.rmSync(dir, { recursive: true, force: true });
    if (code !== 0 || !collected) throw new Error(`${target}: exit ${code}\n${log}`);
    console.log(
      `${target.padEnd(8)} ${Math.round(Number(collected[1]) / N).toLocaleString('en')} instructions per answer`,
    );
  }
}

/**
 * The peers of bench/peers.ts in process, answering /healthz as they do there: a bare Express 5
 * app's `res.json` (target express), and bare node:http (target node), the floor.
 */
async function startPeer(dist, target) {
  let handler;
  if (target === 'express') {
    const express = require(require.resolve('express', { paths: [dist] }));
    handler = express();
    handler.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
  } else {
    handler = (_req, res) => {
      const body = JSON.stringify({ status: 'ok' });
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
    };
  }
  const server = http.createServer(handler);
  server.keepAliveTimeout = 600_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, targets: [[target, '/healthz', {}]] };
}

async function child(dist, target) {
  const build =
    target === 'express' || target === 'node'
      ? await startPeer(dist, target)
      : { ...(await start(dist)), targets: undefined };
  // Its own request text and reader, the lightest there are: the client runs in the process
  // whose instructions are counted (no Connection header, answers parsed as latin1, no bodies).
  const raw = ([, p, headers]) =>
    `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`;
  const targets = Object.fromEntries(
    (build.targets ?? targetsOf(build)).map((t) => [t[0], raw(t)]),
  );
  if (!targets[target])
    throw new Error(`unknown target ${target}: ${Object.keys(targets).join(', ')}`);
  const socket = net.connect(build.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.setNoDelay(true);
  let buffered = '';
  let left = 0;
  let done;
  socket.on('data', (chunk) => {
    buffered += chunk.toString('latin1');
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(buffered.slice(0, end));
      const size = end + 4 + (length ? Number(length[1]) : 0);
      if (buffered.length < size) return;
      buffered = buffered.slice(size);
      if (--left === 0) done();
    }
  });
  const send = (request, count) =>
    new Promise((resolve) => {
      done = resolve;
      left = count;
      socket.write(request.repeat(count));
    });
  for (let round = 0; round < 250; round++) {
    for (const request of Object.values(targets)) await send(request, 8);
  }
  const request = targets[target];
  for (let i = 0; i < 50; i++) await send(request, 8);
  // Listening for the signal before saying the warm-up ended: the parent sends it as soon as it
  // sees the file, and a SIGUSR2 nobody listens for ends the process.
  const counting = new Promise((resolve) => process.once('SIGUSR2', resolve));
  fs.writeFileSync(process.env.ICOUNT_WARM, 'warm');
  await counting;
  for (let i = 0; i < N / 8; i++) await send(request, 8);
  process.exit(0);
}
