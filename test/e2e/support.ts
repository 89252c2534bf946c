import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** What the e2e tests share: the compiled entry point, free ports, and Debian's Chromium. */
export const ROOT = join(__dirname, '..', '..');
/** The compiled server; `npm test` builds it first (the pretest script). */
export const ENTRY = join(ROOT, 'dist', 'src', 'server.js');

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Debian's Chromium (never a browser download); CHROMIUM_PATH overrides, as .ci/run sets it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags this machine needs (env/machines/node-svc.md): headless, offline, no sandbox as root. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const chromiumFound = existsSync(CHROMIUM);

/**
 * `describe` for browser suites: skipped, with one loud warning, only when no Chromium is found
 * outside CI; under CI=true a missing Chromium fails in the suite's beforeAll, never a skip.
 */
export function browserSuite(what: string): jest.Describe {
  const underCi = process.env.CI === 'true';
  if (!chromiumFound && !underCi) {
    console.warn(
      `\n*** WARNING: no Chromium at ${CHROMIUM}: the ${what} browser tests will be SKIPPED. ` +
        'Install Debian’s (apt-get install chromium) or set CHROMIUM_PATH, then run npm test again. ***\n',
    );
  }
  return chromiumFound || underCi ? describe : describe.skip;
}

export interface StartedServer {
  child: ChildProcessWithoutNullStreams;
  port: number;
  logs: string[];
}

/**
 * Starts the compiled server with exactly this environment (PORT=0 unless given) and resolves
 * once its "listening" log line names the port; rejects if it exits or is silent for 10 s.
 */
export function startServer(env: Record<string, string>): Promise<StartedServer> {
  const child = spawn(process.execPath, [ENTRY], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
  });
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${logs.join('')}`));
    }, 10_000);
    child.stderr.on('data', (c: Buffer) => logs.push(c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      logs.push(c.toString());
      const match = /"port":(\d+)/.exec(logs.join(''));
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), logs });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${logs.join('')}`));
    });
  });
}

/** The exit code of a child process, once it has exited. */
export function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

/** Chromium in a fresh temporary profile; `close()` ends it and removes the profile. */
export async function launchChromium(
  viewport: { width: number; height: number },
  flags: string[] = CHROMIUM_FLAGS,
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'four-oh-one-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: flags,
    timeout: 30_000,
    viewport,
  });
  context.setDefaultTimeout(10_000);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Debian's redis-server (.ci/run installs it); REDIS_SERVER overrides. */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
export const redisServerFound = existsSync(REDIS_SERVER);

/**
 * `describe` for suites that start their own redis-server (fault injection needs a Redis of its
 * own to pause, kill and restart, never the shared one): skipped loudly outside CI when there is
 * none; under CI=true a missing redis-server fails in startRedis, never a skip.
 */
export function redisServerSuite(what: string): jest.Describe {
  if (!redisServerFound && process.env.CI !== 'true') {
    console.warn(
      `\n*** WARNING: no redis-server at ${REDIS_SERVER}: the ${what} tests will be SKIPPED. ` +
        'Install Debian’s (apt-get install redis-server) or set REDIS_SERVER, then run npm test again. ***\n',
    );
    return describe.skip;
  }
  return describe;
}

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
  const port = at ?? (await freePort());
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
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
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

/** Debian's nginx, the load balancer of the topology test (.ci/run installs it); NGINX_PATH overrides. */
export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
export const nginxFound = existsSync(NGINX);

/**
 * `describe` for suites that need nginx: skipped, with one loud warning, only when none is found
 * outside CI; under CI=true a missing nginx fails in the suite's beforeAll, never a skip.
 */
export function nginxSuite(what: string): jest.Describe {
  const underCi = process.env.CI === 'true';
  if (!nginxFound && !underCi) {
    console.warn(
      `\n*** WARNING: no nginx at ${NGINX}: the ${what} tests will be SKIPPED. ` +
        'Install Debian’s (apt-get install nginx) or set NGINX_PATH, then run npm test again. ***\n',
    );
  }
  return nginxFound || underCi ? describe : describe.skip;
}
