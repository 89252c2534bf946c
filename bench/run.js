'use strict';
/**
 * `npm run bench`: load and micro benchmarks, all in one run so that their ratios compare like
 * with like on one machine. Each section is an async function that returns a table; a section
 * that finds something broken (a server that does not start, a status that is not the expected
 * one) records a failure, and the process then exits 1 without overwriting bench/RESULTS.md.
 * A low ratio is a result, not a failure: it is reported, and the process exits 0.
 *
 *   npm run bench                 all sections, then bench/RESULTS.md is rewritten
 *   node bench/run.js http        only the named sections; RESULTS.md is left alone
 *
 * BENCH_DURATION (seconds per autocannon run, default 6) and BENCH_ROUNDS (default 3, at
 * least 2) shorten or lengthen the two autocannon sections (http, issuance); with the defaults
 * the whole bench takes about three minutes.
 */
const { execFileSync, spawn } = require('node:child_process');
const { Buffer } = require('node:buffer');
const { createSecretKey } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { URLSearchParams } = require('node:url');
const { setTimeout: sleep } = require('node:timers/promises');
const autocannon = require('autocannon');
const jwt = require('jsonwebtoken');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const RESULTS_FILE = path.join(__dirname, 'RESULTS.md');
const HISTORY_LIMIT = 20;

const { CONFIG_VARIABLES, loadConfig } = require(path.join(DIST, 'src/config.js'));
const { createKeyRing } = require(path.join(DIST, 'src/tokens/keys.js'));
const { createTokenVerifier, issueAccessToken, verifySignedJwt } = require(
  path.join(DIST, 'src/tokens/verify.js'),
);
const { MemoryStore } = require(path.join(DIST, 'src/store/memory.js'));

/** The issue's bar: a valid-token request keeps at least this share of /healthz throughput. */
const DATA_HEALTHZ_BAR = 0.85;
/** Fixed, so that the bench mints tokens the server accepts (the HS256 kid derives from it). */
const JWT_SECRET = 'four-oh-one-bench-secret-0123456789abcdef';

const HTTP = {
  connections: 20,
  pipelining: 1,
  durationSeconds: positiveNumber('BENCH_DURATION', 6),
  warmupSeconds: 2,
  rounds: Math.max(2, Math.round(positiveNumber('BENCH_ROUNDS', 3))),
};

const MICRO = { iterations: 20_000, warmup: 2_000, timeBoxMs: 3_000 };

// --- Sections ---------------------------------------------------------------------------------

/**
 * Every section: `run(ctx)` resolves to `{ columns, rows, notes?, summary? }`; `summary` is the
 * few words the history line keeps. Later benches (memory of 100k sessions, ...) are one more
 * entry here.
 */
const sections = [
  {
    name: 'http',
    title: 'HTTP throughput (autocannon against `node dist/src/server.js` in a child process)',
    run: httpThroughput,
  },
  {
    name: 'issuance',
    title: 'Token issuance (autocannon, POST /auth/token, against its own server process)',
    run: issuanceThroughput,
  },
  {
    name: 'verify',
    title: 'Token verification (in-process, one HS256 access token)',
    run: verifyMicro,
  },
  {
    name: 'memory',
    title: 'Memory: 100k live cookie sessions in the embedded store (bench/session-memory.js)',
    run: sessionMemory,
  },
  {
    name: 'abuse',
    title: 'Abuse: one visitor attacks from six addresses while another replays every scenario',
    run: abuse,
  },
  {
    name: 'faults',
    title: 'Faults: Redis paused for 10 s under a mixed load of sessions, refreshes and reads',
    run: faults,
  },
];

/** How `npm start` and the Docker image run node (package.json "start", Dockerfile CMD). */
const NODE_FLAGS = ['--max-semi-space-size=8'];
/** The issue's bar: the embedded store holds 100k live sessions in under this much RSS. */
const SESSIONS = 100_000;
const SESSION_RSS_BAR_MB = 150;

// --- HTTP throughput --------------------------------------------------------------------------

async function httpThroughput(ctx) {
  const port = await freePort();
  const env = benchEnv(port);
  const server = await startServer(env, ctx);

  const config = loadConfig(env);
  const keys = createKeyRing(config);
  const issue = { sub: 'bench', clientId: 'bench', scope: 'data:read', expiresIn: 3600 };
  const valid = issueAccessToken(
    { keys, jwt: config.jwt, clock: { now: () => Date.now() } },
    issue,
  );
  // Issued two hours ago for one minute: far beyond the 30 s clock tolerance.
  const expired = issueAccessToken(
    { keys, jwt: config.jwt, clock: { now: () => Date.now() - 2 * 3600 * 1000 } },
    { ...issue, expiresIn: 60 },
  );

  const targets = [
    { name: 'GET /healthz', path: '/healthz', status: 200 },
    {
      name: 'GET /api/v1/data, valid token',
      path: '/api/v1/data',
      status: 200,
      token: valid.token,
    },
    {
      name: 'GET /api/v1/data, no token',
      path: '/api/v1/data',
      status: 401,
      code: 'token_missing',
    },
    {
      name: 'GET /api/v1/data, expired token',
      path: '/api/v1/data',
      status: 401,
      code: 'token_expired',
      token: expired.token,
    },
  ].map((t) => ({
    ...t,
    method: 'GET',
    headers: t.token ? { authorization: `Bearer ${t.token}` } : {},
    check: t.code ? (res) => expectCode(res, t.code) : undefined,
  }));

  await measure(ctx, server, targets);

  const [healthz, data, missing, expiredTarget] = targets;
  const stats = new Map(targets.map((t) => [t, summarize(t.samples)]));
  const base = stats.get(healthz).mean;
  const ratio = stats.get(data).mean / base;
  const perRound = data.samples.map((s, i) => s.rps / healthz.samples[i].rps);
  const verdict = ratio >= DATA_HEALTHZ_BAR ? 'PASS' : 'FAIL';

  return {
    ...throughputTable(targets, stats, base),
    notes: [
      `Valid token vs /healthz: **${fixed(ratio, 3)}** (per round: ${perRound.map((r) => fixed(r, 3)).join(', ')}); ` +
        `bar ${DATA_HEALTHZ_BAR}: **${verdict}**.`,
      `No token vs /healthz: ${fixed(stats.get(missing).mean / base, 3)}; ` +
        `expired token vs /healthz: ${fixed(stats.get(expiredTarget).mean / base, 3)}.`,
      'The valid-token request verifies the HS256 signature with node:crypto (src/tokens/verify.ts) and ' +
        'asks the store about revocation with one `getMany` of three keys (memory store here).',
      methodNote(),
    ],
    summary:
      `healthz ${int(base)} req/s, data ${int(stats.get(data).mean)} req/s, ` +
      `ratio ${fixed(ratio, 3)} (${verdict} vs ${DATA_HEALTHZ_BAR}), ` +
      `401 none ${int(stats.get(missing).mean)}, 401 expired ${int(stats.get(expiredTarget).mean)}`,
  };
}

// --- Token issuance ---------------------------------------------------------------------------

async function issuanceThroughput(ctx) {
  const port = await freePort();
  const env = benchEnv(port);
  const server = await startServer(env, ctx);
  const { demo } = loadConfig(env);

  // Every token response must carry an access token; checked on every response of every run
  // (a cheap regex: the load generator shares the CPUs with the server).
  const hasAccessToken = (body) => /"access_token":\s*"[\w-]+\.[\w-]+\.[\w-]+"/.test(body);
  const tokenTarget = (t) => ({
    ...t,
    method: 'POST',
    path: '/auth/token',
    status: 200,
    verifyBody: hasAccessToken,
    check: (res) => expectTokenResponse(res, t.sub),
  });
  const targets = [
    { name: 'GET /healthz', method: 'GET', path: '/healthz', status: 200, headers: {} },
    tokenTarget({
      name: 'POST /auth/token, JSON api_key/api_secret',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: demo.apiKey, api_secret: demo.apiSecret }),
      sub: demo.apiKey,
    }),
    tokenTarget({
      name: 'POST /auth/token, password grant (form)',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        username: demo.username,
        password: demo.password,
      }).toString(),
      sub: demo.username,
    }),
  ];

  await measure(ctx, server, targets);

  const [healthz, json, password] = targets;
  const stats = new Map(targets.map((t) => [t, summarize(t.samples)]));
  const base = stats.get(healthz).mean;
  const ratioOf = (t) => stats.get(t).mean / base;
  const perRound = (t) =>
    t.samples.map((s, i) => fixed(s.rps / healthz.samples[i].rps, 3)).join(', ');

  return {
    ...throughputTable(targets, stats, base),
    notes: [
      `JSON {"api_key", "api_secret"} vs /healthz: **${fixed(ratioOf(json), 3)}** (per round: ${perRound(json)}); ` +
        `password grant vs /healthz: **${fixed(ratioOf(password), 3)}** (per round: ${perRound(password)}).`,
      'What one issuance costs here: both requests get an access token and a refresh token, i.e. two ' +
        'HS256 signatures (`jsonwebtoken.sign` with a KeyObject), and at most one store read (the ' +
        "subject's revoke-all mark; memory store here) and no store write. The credentials are " +
        'checked by comparing SHA-256 digests (src/tokens/identities.ts), not with a slow KDF: a server ' +
        'that hashes passwords with bcrypt, scrypt or Argon2 would issue tokens far slower.',
      `Every response was checked for status 200 and an \`access_token\` in the body; one response of each was parsed and checked before timing.`,
      `Its own server process, with its own /healthz as the base (compare ratios, not req/s, with the section above). ${methodNote()}`,
    ],
    summary:
      `issuance JSON ${int(stats.get(json).mean)} req/s (${fixed(ratioOf(json), 3)} of healthz ${int(base)}), ` +
      `password grant ${int(stats.get(password).mean)} req/s (${fixed(ratioOf(password), 3)})`,
  };
}

/** A token response (RFC 6749 §5.1) for `sub`, with an access token and a refresh token. */
function expectTokenResponse(res, sub) {
  let body;
  try {
    body = JSON.parse(res.body);
  } catch {
    return 'the body is not JSON';
  }
  if (typeof body.access_token !== 'string') return 'no access_token';
  if (body.token_type !== 'Bearer') return `token_type ${body.token_type}, not Bearer`;
  if (typeof body.refresh_token !== 'string') return 'no refresh_token';
  let claims;
  try {
    claims = JSON.parse(Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString());
  } catch {
    return 'the access token payload is not JSON';
  }
  if (claims.sub !== sub) return `the access token is for ${claims.sub}, not ${sub}`;
  return undefined;
}

/** A problem response with the expected `code`. */
function expectCode(res, expected) {
  let code;
  try {
    code = JSON.parse(res.body).code;
  } catch {
    code = undefined;
  }
  return code === expected ? undefined : `code ${code}, not ${expected}`;
}

// --- Shared by the autocannon sections --------------------------------------------------------

/**
 * One request per target first, then a warm-up per target, then `HTTP.rounds` rounds in which
 * the targets alternate; fills `target.samples`. A target is `{ name, method, path, headers,
 * body?, status, check?(res) -> problem | undefined, verifyBody?(body) -> boolean }`.
 */
async function measure(ctx, server, targets) {
  for (const t of targets) t.samples = [];

  // One request each first: a bench of the wrong answer measures nothing.
  for (const t of targets) {
    const res = await request(`${server.url}${t.path}`, t);
    const problem = res.status === t.status ? t.check?.(res) : `status ${res.status}`;
    if (problem !== undefined) {
      throw new Error(
        `${t.name}: expected ${t.status}, got ${res.status} (${problem}): ${res.body.slice(0, 300)}`,
      );
    }
  }

  for (const t of targets) {
    log(`warm-up ${t.name} (${HTTP.warmupSeconds}s)`);
    const result = await cannon(server.url, t, HTTP.warmupSeconds);
    if (server.died()) throw new Error(`${t.name} (warm-up): ${server.died()}`);
    checkStatuses(ctx, t, result, 'warm-up');
  }
  // Alternate the targets round by round, so that drift (thermal, noisy neighbours) spreads
  // over all of them instead of landing on whichever ran last.
  for (let round = 1; round <= HTTP.rounds; round++) {
    for (const t of targets) {
      log(`round ${round}/${HTTP.rounds}: ${t.name} (${HTTP.durationSeconds}s)`);
      const result = await cannon(server.url, t, HTTP.durationSeconds);
      if (server.died()) throw new Error(`${t.name} (round ${round}): ${server.died()}`);
      checkStatuses(ctx, t, result, `round ${round}`);
      t.samples.push({
        rps: result.requests.total / result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
      });
    }
  }
}

function throughputTable(targets, stats, base) {
  return {
    columns: ['target', 'req/s (mean)', 'spread', 'per round', 'p50 ms', 'p99 ms', 'vs /healthz'],
    rows: targets.map((t) => {
      const s = stats.get(t);
      return [
        t.name,
        int(s.mean),
        `±${pct(s.spread)}`,
        t.samples.map((x) => int(x.rps)).join(' / '),
        fixed(mean(t.samples.map((x) => x.p50)), 1),
        fixed(mean(t.samples.map((x) => x.p99)), 1),
        fixed(s.mean / base, 2),
      ];
    }),
  };
}

function methodNote() {
  return (
    `${HTTP.connections} connections, pipelining ${HTTP.pipelining}, ${HTTP.durationSeconds} s per run ` +
    `after a ${HTTP.warmupSeconds} s warm-up per target, ${HTTP.rounds} alternating rounds; ` +
    'autocannon runs in the bench process, the server in its own (LOG_LEVEL=silent, memory store). ' +
    'Spread is the largest deviation of a round from the mean.'
  );
}

function cannon(url, target, durationSeconds) {
  return autocannon({
    url: `${url}${target.path}`,
    method: target.method,
    headers: target.headers,
    ...(target.body === undefined ? {} : { body: target.body }),
    ...(target.verifyBody ? { verifyBody: target.verifyBody } : {}),
    connections: HTTP.connections,
    pipelining: HTTP.pipelining,
    duration: durationSeconds,
  });
}

/** Every response of a run must carry the target's status (and body), with no errors or timeouts. */
function checkStatuses(ctx, target, result, phase) {
  const counts = Object.entries(result.statusCodeStats ?? {}).map(([s, v]) => [Number(s), v.count]);
  const wrong = counts.filter(([status]) => status !== target.status);
  const right = counts.find(([status]) => status === target.status)?.[1] ?? 0;
  const problems = [];
  if (wrong.length > 0)
    problems.push(`unexpected statuses ${wrong.map(([s, n]) => `${s}×${n}`).join(', ')}`);
  if (right === 0) problems.push(`no ${target.status} at all`);
  if (result.errors > 0) problems.push(`${result.errors} errors`);
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`);
  if (result.mismatches > 0) problems.push(`${result.mismatches} bodies failed the body check`);
  if (problems.length > 0) {
    ctx.fail(`${target.name} (${phase}): expected only ${target.status}; ${problems.join('; ')}`);
  }
}

/** Everything the server reads, set explicitly: variables from the caller's shell do not leak in. */
function benchEnv(port) {
  const env = { ...process.env };
  for (const name of CONFIG_VARIABLES) env[name] = ''; // empty means unset to loadConfig
  return Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    JWT_SECRET,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    CORS_DEMO_PORT: '0',
  });
}

/** Starts the server as a child process and resolves once /healthz answers 200. */
async function startServer(env, ctx) {
  const child = spawn(process.execPath, [...NODE_FLAGS, path.join(DIST, 'src/server.js')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exited = null;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  ctx.onCleanup(async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exit.then(() => true), sleep(5000).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exit;
    }
  });

  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) {
      throw new Error(
        `server exited before answering /healthz (code ${exited.code}, signal ${exited.signal}):\n${stderr}`,
      );
    }
    try {
      const res = await request(`${url}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`server did not answer /healthz within 15 s:\n${stderr}`);
    await sleep(100);
  }
  log(`server pid ${child.pid} listening on ${url}`);
  const died = () =>
    exited &&
    `server pid ${child.pid} exited (code ${exited.code}, signal ${exited.signal})` +
      (stderr ? `; its stderr ends:\n${stderr.slice(-1500)}` : ' with nothing on stderr');
  return { url, child, died };
}

/** One request without keep-alive: `{ method = 'GET', headers = {}, body? }`. */
function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const sized =
      body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) };
    const options = { method, headers: sized, agent: false, timeout: 2000 };
    const req = http.request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// --- Token verification -----------------------------------------------------------------------

async function verifyMicro(ctx) {
  const config = loadConfig(benchEnv(0));
  const keys = createKeyRing(config);
  const clock = { now: () => Date.now() };
  const { token } = issueAccessToken(
    { keys, jwt: config.jwt, clock },
    { sub: 'bench', clientId: 'bench', scope: 'data:read', expiresIn: 3600 },
  );
  const options = { algorithms: ['HS256'] };
  const asString = JWT_SECRET;
  const asBuffer = Buffer.from(JWT_SECRET, 'utf8');
  const asKeyObject = createSecretKey(asBuffer);

  const store = new MemoryStore({ maxEntries: 1000, sweepIntervalMs: 0 });
  ctx.onCleanup(() => store.close());
  const verifyAccessToken = createTokenVerifier({ keys, jwt: config.jwt, clock, store });
  const verdict = await verifyAccessToken(token);
  if (!verdict.ok) throw new Error(`createTokenVerifier refused the bench token: ${verdict.code}`);

  const cases = [
    {
      name: '`jsonwebtoken.verify`, secret as string',
      fn: () => jwt.verify(token, asString, options),
    },
    {
      name: '`jsonwebtoken.verify`, secret as Buffer',
      fn: () => jwt.verify(token, asBuffer, options),
    },
    {
      name: '`jsonwebtoken.verify`, secret as KeyObject',
      fn: () => jwt.verify(token, asKeyObject, options),
    },
    {
      name: 'server signature check (`verifySignedJwt`, node:crypto HMAC)',
      fn: () => verifySignedJwt(token, keys, clock),
      ok: (out) => out.ok && out.claims.sub === 'bench',
    },
    {
      name: 'server verifier (`createTokenVerifier`: signature, claims, store `getMany`)',
      fn: () => verifyAccessToken(token),
      async: true,
      ok: (out) => out.ok && out.claims.sub === 'bench',
    },
  ];
  for (const c of cases) {
    const out = c.async ? await c.fn() : c.fn();
    if (!(c.ok ? c.ok(out) : out.sub === 'bench')) throw new Error(`${c.name}: did not verify`);
  }

  // Two alternating halves per case, so that JIT and GC drift lands on every case alike.
  for (const c of cases) await time(c, MICRO.warmup, MICRO.timeBoxMs);
  for (const c of cases) c.runs = [];
  for (let half = 0; half < 2; half++) {
    for (const c of cases) {
      log(`verify: ${c.name.replace(/`/g, '')} (half ${half + 1}/2)`);
      c.runs.push(await time(c, MICRO.iterations / 2, MICRO.timeBoxMs / 2));
    }
  }
  for (const c of cases) {
    const n = c.runs.reduce((a, r) => a + r.n, 0);
    const ms = c.runs.reduce((a, r) => a + r.ms, 0);
    c.opsPerSec = (n * 1000) / ms;
    c.n = n;
  }

  const [str, buf, key, signed, server] = cases;
  const slowdown = key.opsPerSec / str.opsPerSec;
  return {
    columns: ['what', 'ops/s', 'µs/op', 'iterations', 'vs KeyObject'],
    rows: cases.map((c) => [
      c.name,
      int(c.opsPerSec),
      fixed(1e6 / c.opsPerSec, 1),
      int(c.n),
      fixed(c.opsPerSec / key.opsPerSec, 3),
    ]),
    notes: [
      `A string secret makes \`jsonwebtoken.verify\` **${fixed(slowdown, 1)}x** slower than a KeyObject ` +
        `on this machine (Buffer: ${fixed(key.opsPerSec / buf.opsPerSec, 1)}x); STYLE.md and src/tokens/keys.ts say ~40x.`,
      'The string and Buffer cases pay for `crypto.createPublicKey` throwing on the secret before ' +
        '`createSecretKey` is tried (jsonwebtoken 9 `verify.js`), on every call.',
      `The server no longer calls \`jsonwebtoken.verify\`: its signature check (size, split, one ` +
        `base64url/JSON decode of header and payload, kid, pinned alg, HMAC with node:crypto) runs at ` +
        `**${fixed(signed.opsPerSec / key.opsPerSec, 2)}x** the KeyObject \`jsonwebtoken.verify\`; the whole ` +
        `verifier (the same token every call, so its signature is remembered after the first; the RFC 9068 claim checks and one awaited MemoryStore \`getMany\` of three ` +
        `revocation keys) at ${fixed(server.opsPerSec / key.opsPerSec, 2)}x.`,
      `Up to ${int(MICRO.iterations)} iterations per case (time-boxed to ${MICRO.timeBoxMs / 1000} s) after ` +
        `${int(MICRO.warmup)} warm-up calls, in two alternating halves; the server verifier awaits each call.`,
    ],
    summary:
      `verify string ${int(str.opsPerSec)} / KeyObject ${int(key.opsPerSec)} ops/s ` +
      `(${fixed(slowdown, 1)}x), server signature check ${int(signed.opsPerSec)} ops/s, ` +
      `server verifier ${int(server.opsPerSec)} ops/s`,
  };
}

/**
 * RSS of a process that loaded the whole app and then holds 100k live sessions, measured in a
 * fresh process (bench/session-memory.js) with the flags `npm start` uses, and without them.
 */
async function sessionMemory() {
  const measure = (flags) => {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', ...flags, path.join(__dirname, 'session-memory.js'), String(SESSIONS)],
      { encoding: 'utf8', timeout: 120_000 },
    );
    return JSON.parse(out.trim().split('\n').pop());
  };
  const runs = [
    { label: `npm start's flags (${NODE_FLAGS.join(' ')})`, result: measure(NODE_FLAGS) },
    { label: "node's defaults", result: measure([]) },
  ];
  const [started] = runs;
  const pass = started.result.rssAfterMb < SESSION_RSS_BAR_MB;
  return {
    columns: [
      'node flags',
      'sessions',
      'RSS before (app loaded), MB',
      'RSS after, MB',
      'heap used after, MB',
      'RSS per session, bytes',
      'write time, ms',
    ],
    rows: runs.map(({ label, result: r }) => [
      label,
      int(r.sessions),
      fixed(r.rssBeforeMb, 1),
      fixed(r.rssAfterMb, 1),
      fixed(r.heapUsedAfterMb, 1),
      int(r.bytesPerSession),
      int(r.writeMs),
    ]),
    notes: [
      `With npm start's flags: **${fixed(started.result.rssAfterMb, 1)} MB** RSS for the whole process holding ${int(SESSIONS)} sessions; bar ${SESSION_RSS_BAR_MB} MB: **${pass ? 'PASS' : 'FAIL'}**.`,
      "Each session is written through the app's SessionStore in the shape POST /login leaves (user, createdAt, lastSeenAt, idle and absolute timeouts; the cookie object is rebuilt on read, not stored). RSS after three forced GCs; a fresh process per row.",
      'The young generation is most of the difference between the rows: node reserves up to 16 MB per semi-space by default; the heap holding the sessions is the same.',
    ],
    summary: `sessions ${int(SESSIONS)}: RSS ${fixed(started.result.rssAfterMb, 1)} MB with npm start's flags (${fixed(runs[1].result.rssAfterMb, 1)} MB without)`,
  };
}

// --- Abuse (issue 10) -------------------------------------------------------------------------

const ABUSE = {
  addresses: ['10.66.0.1', '10.66.0.2', '10.66.0.3', '10.66.0.4', '10.66.0.5', '10.66.0.6'],
  requests: 20_000,
  rssBarMb: 300,
};

/**
 * bench/abuse.js against a server with the default store bounds, once with the memory store and
 * once with a Redis of its own: adversary requests by status, the bystander's documented answers
 * matched, peak RSS, and what the store holds afterwards (from /readyz).
 */
async function abuse(ctx) {
  const { runAbuse } = require('./abuse.js');
  const rows = [];
  const summaries = [];
  for (const kind of ['memory', 'redis']) {
    const port = await freePort();
    const env = { ...benchEnv(port), TRUST_PROXY: 'loopback' };
    if (kind === 'redis') {
      const redisPort = await freePort();
      const redis = spawn(
        'redis-server',
        ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      ctx.onCleanup(async () => {
        redis.kill('SIGKILL');
      });
      await sleep(300);
      env.REDIS_URL = `redis://127.0.0.1:${redisPort}`;
    }
    const server = await startServer(env, ctx);
    for (let i = 0; i < 50; i++) {
      if ((await request(`${server.url}/readyz`)).status === 200) break;
      await sleep(100);
    }
    const r = await runAbuse(server.url, {
      pid: server.child.pid,
      addresses: ABUSE.addresses,
      requests: ABUSE.requests,
    });
    const died = server.died();
    if (died) ctx.fail(`abuse (${kind}): ${died}`);
    if (r.bystander.mismatches.length > 0) {
      ctx.fail(`abuse (${kind}): bystander saw ${r.bystander.mismatches.join('; ')}`);
    }
    const statuses = Object.entries(r.adversary.byStatus)
      .map(([status, n]) => `${status}: ${int(n)}`)
      .join(', ');
    const matched = r.bystander.checked - r.bystander.mismatches.length;
    const usage = r.readyz.usage ?? {};
    rows.push([
      kind,
      int(r.adversary.sent),
      fixed(r.adversary.sent / r.seconds, 0),
      statuses,
      `${matched}/${r.bystander.checked}`,
      fixed(r.peakRssMb, 1),
      int(usage.entries ?? 0),
      int(usage.bytes ?? 0),
    ]);
    summaries.push(
      `${kind}: ${matched}/${r.bystander.checked} bystander answers, peak RSS ${fixed(r.peakRssMb, 0)} MB`,
    );
  }
  return {
    columns: [
      'store',
      'adversary requests',
      'req/s',
      'adversary answers by status',
      'bystander matching',
      'peak RSS, MB',
      'store entries after',
      'store bytes after',
    ],
    rows,
    notes: [
      `Every attack of issue 10 (bench/abuse.js) from ${ABUSE.addresses.length} addresses (TRUST_PROXY=loopback, X-Forwarded-For), 8 at a time, with the default store bounds and visitor quotas; a bystander from its own address replays every registry scenario and the articles' flows during the attack and once after. RSS bar ${ABUSE.rssBarMb} MB.`,
      'Store bytes: the memory store counts keys, values and 64 bytes an entry; Redis reports its used_memory (its whole process). Entries: live entries, or Redis keys (with the per-visitor indexes).',
    ],
    summary: summaries.join('; '),
  };
}

// --- Faults (issue 11) -------------------------------------------------------------------------

/**
 * bench/faults.js: 20 clients, each with a session and a refresh chain, keep alive, rotate and
 * read while the server's Redis (its own) is paused for 10 s. Nothing may be lost.
 */
async function faults(ctx) {
  const { runFaults } = require('./faults.js');
  const redisPort = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  ctx.onCleanup(async () => {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  });
  await sleep(300);
  const port = await freePort();
  const server = await startServer(
    { ...benchEnv(port), REDIS_URL: `redis://127.0.0.1:${redisPort}` },
    ctx,
  );
  for (let i = 0; i < 50; i++) {
    if ((await request(`${server.url}/readyz`)).status === 200) break;
    await sleep(100);
  }
  const r = await runFaults(server.url, { pid: server.child.pid, redis: { child } });
  const died = server.died();
  if (died) ctx.fail(`faults: ${died}`);
  if (r.sessionsLost > 0 || r.familiesLost > 0) {
    ctx.fail(`faults: ${r.sessionsLost} sessions and ${r.familiesLost} refresh families lost`);
  }
  const statuses = (phase) =>
    Object.entries(r.byPhase[phase])
      .map(([status, n]) => `${status}: ${int(n)}`)
      .join(', ');
  return {
    columns: ['phase', 'answers by status'],
    rows: [
      ['2 s before the stall', statuses('before')],
      [`during the ${r.stallSeconds} s stall`, statuses('stall')],
      ['3 s after SIGCONT', statuses('after')],
    ],
    notes: [
      `Recovered (first /readyz 200) **${fixed((r.recoveredMs ?? NaN) / 1000, 2)} s** after SIGCONT. Lost: **${r.sessionsLost}** of ${r.clients} sessions, **${r.familiesLost}** of ${r.clients} refresh families (bar: 0). Peak RSS during the outage: ${fixed(r.peakRssMb, 1)} MB.`,
      `${r.clients} clients, 8 requests at a time, in turn: POST /keepalive with the client's session, POST /auth/token refresh_token (a 503 is retried with the same token, as Retry-After says), GET /api/v1/data. Status 0: no answer within 5 s. The Redis is the bench's own (no persistence), paused with SIGSTOP.`,
    ],
    summary: `stall ${r.stallSeconds} s: recovered in ${fixed((r.recoveredMs ?? NaN) / 1000, 2)} s, lost ${r.sessionsLost} sessions and ${r.familiesLost} families`,
  };
}

/** Runs a case up to `n` times or until `timeBoxMs` has passed; returns calls made and ms taken. */
async function time(c, n, timeBoxMs) {
  const start = process.hrtime.bigint();
  const limit = start + BigInt(Math.round(timeBoxMs * 1e6));
  let done = 0;
  // Check the clock every 100 calls only: reading it is not free next to a 5 µs call.
  while (done < n) {
    const batch = Math.min(100, n - done);
    if (c.async) for (let i = 0; i < batch; i++) await c.fn();
    else for (let i = 0; i < batch; i++) c.fn();
    done += batch;
    if (process.hrtime.bigint() > limit) break;
  }
  return { n: done, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

// --- Runner and report ------------------------------------------------------------------------

async function main() {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !sections.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `unknown section(s) ${unknown.join(', ')}; known: ${sections.map((s) => s.name).join(', ')}`,
    );
  }
  const chosen = only.length > 0 ? sections.filter((s) => only.includes(s.name)) : sections;

  const failures = [];
  const cleanups = [];
  const ctx = {
    fail: (message) => {
      failures.push(message);
      log(`FAILURE: ${message}`);
    },
    onCleanup: (fn) => cleanups.push(fn),
  };
  const stopOnSignal = (signal) => {
    log(`${signal}: cleaning up`);
    runCleanups(cleanups).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const started = new Date();
  const loadBefore = os.loadavg()[0];
  const reports = [];
  for (const section of chosen) {
    log(`== ${section.name}`);
    try {
      reports.push({ section, ...(await section.run(ctx)) });
    } catch (err) {
      ctx.fail(`${section.name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await runCleanups(cleanups);
    }
  }

  const machine = { ...describeMachine(), loadBefore };
  const text = renderLatest(started, machine, reports);
  process.stdout.write(`\n${text}\n`);

  if (failures.length > 0) {
    process.stderr.write(`\nbench: ${failures.length} failure(s); RESULTS.md not updated:\n`);
    for (const f of failures) process.stderr.write(`  - ${f}\n`);
    process.exitCode = 1;
    return;
  }
  if (chosen.length !== sections.length) {
    log('only some sections ran; RESULTS.md not updated');
    return;
  }
  await writeResults(started, machine, text, reports);
  log(`wrote ${path.relative(ROOT, RESULTS_FILE)}`);
}

async function runCleanups(cleanups) {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      log(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function describeMachine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

function renderLatest(started, machine, reports) {
  const lines = [
    `## Latest run: ${utc(started)}`,
    '',
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory} RAM, ${machine.os}`,
    `- Node ${machine.node}; code at ${gitCommit()}`,
    `- 1-minute load average before the run: ${machine.loadBefore.toFixed(2)} ` +
      '(well above 0 means other work shared the CPUs with the bench)',
    '',
  ];
  for (const r of reports) {
    lines.push(`### ${r.section.title}`, '', ...table(r.columns, r.rows), '');
    for (const note of r.notes ?? []) lines.push(`- ${note}`);
    if (r.notes?.length) lines.push('');
  }
  return lines.join('\n').trimEnd();
}

async function writeResults(started, machine, latest, reports) {
  const entry =
    `- ${utc(started)} (${machine.cores}× ${machine.cpu}, Node ${machine.node}): ` +
    reports
      .map((r) => r.summary)
      .filter(Boolean)
      .join('; ');
  const history = [entry, ...previousHistory()].slice(0, HISTORY_LIMIT);
  const text = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.js); the latest run replaces the section below and ' +
      `adds a line to the history (last ${HISTORY_LIMIT} runs). Numbers compare only within one run.`,
    '',
    latest,
    '',
    '## History',
    '',
    ...history,
    '',
  ].join('\n');
  fs.writeFileSync(RESULTS_FILE, await prettierFormat(text));
}

function previousHistory() {
  let old;
  try {
    old = fs.readFileSync(RESULTS_FILE, 'utf8');
  } catch {
    return [];
  }
  const at = old.indexOf('\n## History');
  if (at < 0) return [];
  return old
    .slice(at)
    .split('\n')
    .filter((line) => line.startsWith('- '));
}

/** The file is formatted as `npm run lint` (prettier --check .) expects it. */
async function prettierFormat(text) {
  try {
    const prettier = require('prettier');
    const options = (await prettier.resolveConfig(RESULTS_FILE)) ?? {};
    return await prettier.format(text, { ...options, filepath: RESULTS_FILE });
  } catch (err) {
    log(
      `prettier unavailable (${err instanceof Error ? err.message : String(err)}); writing as is`,
    );
    return text;
  }
}

/** The commit measured, marked when the server's sources differ from it (others' edits). */
function gitCommit() {
  const git = (...args) =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const head = git('rev-parse', '--short', 'HEAD').trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'middleware', 'routes').trim() !== '';
    return `commit ${head}${dirty ? ' plus uncommitted changes to src/, middleware/ or routes/' : ''}`;
  } catch {
    return 'an unknown commit';
  }
}

// --- Small helpers ----------------------------------------------------------------------------

function table(columns, rows) {
  const cells = [columns, ...rows].map((row) => row.map(String));
  const widths = columns.map((_, i) => Math.max(3, ...cells.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(cells[0]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)];
}

function summarize(samples) {
  const rps = samples.map((s) => s.rps);
  const m = mean(rps);
  return { mean: m, spread: Math.max(...rps.map((x) => Math.abs(x - m))) / m };
}

function mean(xs) {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function int(x) {
  return Math.round(x).toLocaleString('en-US');
}

function fixed(x, digits) {
  return x.toFixed(digits);
}

function pct(x) {
  return `${(x * 100).toFixed(1)}%`;
}

function utc(date) {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

function positiveNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
}

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
