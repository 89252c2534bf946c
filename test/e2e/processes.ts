import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageInfo } from '../../src/package-info';

/**
 * Child processes for the e2e tests and the bench: the compiled server, a throwaway
 * redis-server, any script run to its end, free ports. Plain Node (no Jest globals, no browser):
 * bench/ imports it too, compiled into dist/ by tsconfig.bench.json. test/e2e/support.ts
 * re-exports it with the Jest and Chromium helpers.
 */

/** The repository, from test/e2e/ or from dist/test/e2e/ (the bench's build). */
export const ROOT = (() => {
  const info = packageInfo(__dirname);
  if (!info) throw new Error(`no package.json of four-oh-one above ${__dirname}`);
  return info.root;
})();
/**
 * The server as `npm start` and the Docker image run it: dist/server.js, the compiled modules
 * of dist/src bundled into one file (package.json "build:bundle"). `npm test` builds it first
 * (the pretest script), `npm run bench` too.
 */
export const ENTRY = join(ROOT, 'dist', 'server.js');

/**
 * Polls `check` every `every` ms until it holds, for at most `ms`: whether it did. A check that
 * throws or rejects counts as not yet. For what the tests see later than they cause it (a log
 * line written after the answer, an instance coming up, a browser event).
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  every = 50,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return true;
    if (Date.now() >= deadline) return false;
    await sleep(every);
  }
}

/** Polls an assertion until it passes, for at most `ms`; then throws its last failure. */
export async function eventually(
  assertion: () => void | Promise<void>,
  ms = 5000,
  every = 100,
): Promise<void> {
  let failure: unknown;
  const held = await until(
    async () => {
      try {
        await assertion();
        return true;
      } catch (err) {
        failure = err;
        return false;
      }
    },
    ms,
    every,
  );
  if (!held) throw failure;
}

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  // Below the kernel's ephemeral range: a port the kernel picks (listen on 0) comes from that
  // range, and so does the local end of every outgoing connection, so one of the many made
  // meanwhile (browsers, clients, other suites' servers) could take it before the server binds
  // it (EADDRINUSE, seen in CI with four workers). Chosen at random, so that workers rarely pick
  // the same one, and tried here first.
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW_PORTS.from + Math.floor(Math.random() * (LOW_PORTS.to - LOW_PORTS.from + 1));
    if (handedOut(port)) continue;
    if (await bindable(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Ports freePort() gave this process lately, with when: not given again for a minute. */
const recentPorts = new Map<number, number>();
const RECENT_PORT_MS = 60_000;

/**
 * Whether freePort() gave `port` out within the last minute; if not, it is given now. Tests that
 * run side by side (it.concurrent) each ask for ports before any of their servers has bound one,
 * so a port still free could be chosen twice.
 */
function handedOut(port: number): boolean {
  const now = Date.now();
  for (const [p, at] of recentPorts) if (now - at > RECENT_PORT_MS) recentPorts.delete(p);
  if (recentPorts.has(port)) return true;
  recentPorts.set(port, now);
  return false;
}

/** Ports below the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, else Linux's default). */
const LOW_PORTS = (() => {
  let low = 32768;
  try {
    low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
  } catch {
    // not Linux: its default
  }
  const to = Math.max(2048, (Number.isInteger(low) ? low : 32768) - 1);
  return { from: Math.max(1024, to - 12_000), to };
})();

/** Whether a server could listen on 127.0.0.1:port just now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

export interface StartedServer {
  child: ChildProcessWithoutNullStreams;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Everything it wrote to stdout and stderr, chunk by chunk. */
  logs: string[];
  /** Why it is gone (exit code or signal, the end of its output), or undefined while it runs. */
  died: () => string | undefined;
  /**
   * SIGINT (or `signal`), then SIGKILL if it has not exited within 5 s; resolves once it has.
   * SIGINT by default: it stops at once, finishing what is in flight, while SIGTERM first answers
   * /readyz 503 for SHUTDOWN_DRAIN_SECONDS (2 s), for a balancer that no test server has.
   */
  stop: (signal?: 'SIGINT' | 'SIGTERM') => Promise<void>;
}

export interface StartOptions {
  /** Node's flags before the entry point (the bench runs the server as `npm start` does). */
  nodeFlags?: string[];
  /** How long it may take to be ready; 10 s unless given. */
  timeoutMs?: number;
  /**
   * Ready once GET /healthz answers 200 on the given PORT rather than once the "listening" log
   * line (logged at info) names the port: for a server run with LOG_LEVEL=warn or silent.
   */
  healthz?: boolean;
}

/**
 * Starts the compiled server with exactly this environment (PORT=0 unless given) and resolves
 * once it is ready (its "listening" log line names the port, or see `healthz`); rejects if it
 * exits first or is not ready in time.
 */
export function startServer(
  env: Record<string, string>,
  { nodeFlags = [], timeoutMs = 10_000, healthz = false }: StartOptions = {},
): Promise<StartedServer> {
  const givenPort = Number(env.PORT ?? 0);
  if (healthz && !(givenPort > 0)) {
    return Promise.reject(new Error('startServer: waiting for /healthz needs a PORT'));
  }
  const child = spawn(process.execPath, [...nodeFlags, ENTRY], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
  });
  const logs: string[] = [];
  let exit: string | undefined;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = signal === null ? `code ${code}` : `signal ${signal}`;
      resolve();
    }),
  );
  const output = () => logs.join('');
  const started = (port: number): StartedServer => ({
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    logs,
    died: () =>
      exit &&
      `server pid ${child.pid} exited (${exit})` +
        (logs.length > 0 ? `; its output ends:\n${output().slice(-1500)}` : ' with no output'),
    stop: async (signal = 'SIGINT') => {
      if (exit !== undefined) return;
      child.kill(signal);
      // An AbortController ends the 5-second wait once the child is gone, so no timer outlives
      // the suite (Jest's "did not exit one second after the test run").
      const waited = new AbortController();
      const exited = await Promise.race([
        gone.then(() => true),
        sleep(5000, false, { signal: waited.signal }).catch(() => false),
      ]);
      waited.abort();
      if (!exited) {
        child.kill('SIGKILL');
        await gone;
      }
    },
  });
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: Error, port = 0) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(started(port));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`server did not start within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    child.stderr.on('data', (c: Buffer) => logs.push(c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      logs.push(c.toString());
      const match = done || healthz ? null : /"port":(\d+)/.exec(output());
      if (match) finish(undefined, Number(match[1]));
    });
    void gone.then(() => finish(new Error(`server exited with ${exit}:\n${output()}`)));
    const poll = async (): Promise<void> => {
      while (!done) {
        try {
          const res = await fetch(`http://127.0.0.1:${givenPort}/healthz`);
          if (res.ok) return finish(undefined, givenPort);
        } catch {
          // not listening yet
        }
        await sleep(50);
      }
    };
    if (healthz) void poll();
  });
}

/**
 * The compiled server on a free port chosen in advance, with PUBLIC_URL to match (pages and
 * clients that are given the base URL); fails at once, naming the fix, when it was not built.
 */
export async function startServerOnFreePort(
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<StartedServer> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build (npm test does)`);
  // The server exits 2 naming EADDRINUSE when its port was taken.
  return onFreePort(/EADDRINUSE/, (port) => {
    const url = `http://127.0.0.1:${port}`;
    return startServer({ PORT: String(port), PUBLIC_URL: url, ...env }, options);
  });
}

/** How many free ports `onFreePort` tries when the one it chose was taken meanwhile. */
const PORT_ATTEMPTS = 3;

/**
 * `start` on a free port. A port free a moment ago can be taken before the process binds it: by
 * another suite's server, or as the local end of some client's connection. When `start` fails
 * with an error matching `taken`, a few fresh ports are tried before that is an error.
 */
async function onFreePort<T>(taken: RegExp, start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (attempt >= PORT_ATTEMPTS || !taken.test(String(err))) throw err;
    }
  }
}

/** The exit code of a child process, once it has exited. */
export function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a program to its end (killed with SIGTERM after `timeoutMs`) with exactly this
 * environment, from the repository's root; resolves with what it printed.
 */
export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Ran> {
  const began = Date.now();
  const child = spawn(command, args, { cwd: ROOT, env, timeout: timeoutMs });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, ms: Date.now() - began }),
    );
  });
}

/** Debian's redis-server (.ci/run installs it); REDIS_SERVER overrides. */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
export const redisServerFound = existsSync(REDIS_SERVER);

export interface StartedRedis {
  child: ChildProcessWithoutNullStreams;
  port: number;
  url: string;
  /** Ends it (SIGKILL, it holds nothing worth keeping) and waits for the exit. */
  stop: () => Promise<void>;
}

/**
 * A throwaway redis-server on a free loopback port (or `port`, to start one again where another
 * was killed), no persistence; resolves once it answers.
 */
export async function startRedis(extraArgs: string[] = [], at?: number): Promise<StartedRedis> {
  if (!redisServerFound)
    throw new Error(`no redis-server at ${REDIS_SERVER}: apt-get install redis-server`);
  if (at !== undefined) return startRedisAt(at, extraArgs);
  return onFreePort(/Address already in use/, (port) => startRedisAt(port, extraArgs));
}

async function startRedisAt(port: number, extraArgs: string[]): Promise<StartedRedis> {
  const child = spawn(REDIS_SERVER, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    ...extraArgs,
  ]);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + 10_000;
  // Not only a PONG: another suite's Redis on the same port answers one too, while this one
  // exits for want of the port.
  while (!(await answersPing(port)) || !/Ready to accept connections/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}:\n${output}`);
    }
    await sleep(50);
  }
  return {
    child,
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      // A paused (SIGSTOP) server still dies on SIGKILL.
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

/** Whether something on this port answers a RESP PING with +PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (c: Buffer) => {
      reply += c.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
