/**
 * The peers the HTTP section measures four-oh-one against, in the same run on the same machine
 * (issue 17): bare `node:http` (the floor), a bare Express 5 app (what the framework alone
 * allows), and python httpbin under gunicorn with two workers (Debian's python3-httpbin and
 * gunicorn, installed here with apt-get when missing and the bench runs as root).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, ROOT } from '../test/e2e/processes';

/** A process serving HTTP on a loopback port. */
export interface Peer {
  url: string;
  pid: number;
  died: () => string | undefined;
  stop: () => Promise<void>;
}

/** What each peer answers: a small JSON object, as four-oh-one's /healthz does. */
const BARE_NODE = `
require('node:http')
  .createServer((req, res) => {
    const body = JSON.stringify({ status: 'ok' });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
`;

const BARE_EXPRESS = `
const express = require(process.env.EXPRESS);
const app = express();
app.get('/healthz', (req, res) => { res.json({ status: 'ok' }); });
app.listen(Number(process.env.PORT), '127.0.0.1');
`;

/** Debian's gunicorn, and the interpreter its httpbin package is installed for. */
export const GUNICORN = '/usr/bin/gunicorn';
const DEBIAN_PYTHON = '/usr/bin/python3';

/** node's arguments for bare node:http answering every request with `{"status":"ok"}`. */
export const BARE_NODE_ARGS = ['-e', BARE_NODE];

/** Bare node:http answering every request with `{"status":"ok"}`. */
export function startBareNode(): Promise<Peer> {
  return startPeer(process.execPath, BARE_NODE_ARGS, {}, '/healthz');
}

/** A bare Express 5 app (this repository's express) with one route: GET /healthz, res.json. */
export function startBareExpress(): Promise<Peer> {
  const express = path.join(ROOT, 'node_modules', 'express');
  return startPeer(process.execPath, ['-e', BARE_EXPRESS], { EXPRESS: express }, '/healthz');
}

/**
 * python httpbin under gunicorn, two sync workers (as the issue measured it), installing
 * Debian's packages first when they are missing; undefined, with the reason, when it cannot.
 */
export async function startHttpbin(): Promise<Peer | string> {
  const missing = aptInstall(
    ['python3-httpbin', 'gunicorn'],
    () => existsSync(GUNICORN) && httpbinImports(),
  );
  if (missing !== undefined) return missing;
  return startPeer(
    GUNICORN,
    ['--workers', '2', '--bind', '', '--chdir', '/tmp', '--log-level', 'warning', 'httpbin:app'],
    {},
    '/get',
  );
}

/**
 * Undefined when `found()` holds, installing Debian's `packages` with apt-get first when it does
 * not (as root only); else why not.
 */
export function aptInstall(packages: string[], found: () => boolean): string | undefined {
  if (found()) return undefined;
  const names = packages.join(' ');
  if (process.getuid?.() !== 0) return `${names} missing (not root: not installed)`;
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
      stdio: 'ignore',
      timeout: 300_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (err) {
    return `apt-get install ${names} failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  return found() ? undefined : `${names} still missing after apt-get install`;
}

function httpbinImports(): boolean {
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', 'import httpbin'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a peer on a free port (PORT in its environment, or the empty `--bind` argument filled
 * in) and resolves once `readyPath` answers 200.
 */
async function startPeer(
  command: string,
  args: string[],
  env: Record<string, string>,
  readyPath: string,
): Promise<Peer> {
  const port = await freePort();
  const filled = args.map((a, i) =>
    a === '' && args[i - 1] === '--bind' ? `127.0.0.1:${port}` : a,
  );
  const child = spawn(command, filled, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  let exit: string | undefined;
  child.once(
    'exit',
    (code, signal) => (exit = signal === null ? `code ${code}` : `signal ${signal}`),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while ((await status(`${url}${readyPath}`)) !== 200) {
    if (exit !== undefined || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${path.basename(command)} did not start (${exit ?? 'timeout'}): ${stderr}`);
    }
    await sleep(50);
  }
  return {
    url,
    pid: child.pid ?? 0,
    died: () => exit && `${path.basename(command)} exited (${exit}): ${stderr}`,
    stop: () => stopChild(child),
  };
}

/** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  if (!(await Promise.race([gone.then(() => true), sleep(5000).then(() => false)]))) {
    child.kill('SIGKILL');
    await gone;
  }
}

/** The status of one GET without keep-alive; 0 when nothing answers. */
export function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Clock ticks a second, the unit of /proc/<pid>/stat's times (100 on Linux as built today). */
let clockTicks: number | undefined;

/**
 * CPU seconds (user + system) a process has used, and for a cluster's primary or gunicorn's
 * master, its children too (those alive now: read before and after a round, a worker's time is
 * counted while it lives). From /proc; NaN where there is none.
 */
export function cpuSeconds(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const own = (p: number) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // After "pid (comm) ": state is field 3, utime 14, stime 15 (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / (clockTicks ?? 100);
    } catch {
      return NaN;
    }
  };
  return childrenOf(pid).reduce((sum, c) => sum + (own(c) || 0), own(pid));
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

/** The resident set of a process and, for a cluster's primary, of its children too, in MB. */
export function rssMb(pid: number): number {
  const own = (p: number) => {
    try {
      const text = readFileSync(`/proc/${p}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(text)?.[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  };
  return own(pid) + childrenOf(pid).reduce((sum, c) => sum + own(c), 0);
}
