import { Agent, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createApp } from '../src/app';
import { createServer } from '../src/http/server';
import { createKeyRing } from '../src/tokens/keys';
import { StoreUnavailableError } from '../src/http/problems';
import { MemoryStore, type Store } from '../src/store';
import { testClock, testConfig } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A memory store that can be told to fail: every call, or only writes (reads still answer). */
function switchableStore(): { store: Store; fail: (what: 'nothing' | 'all' | 'writes') => void } {
  const inner = new MemoryStore({ maxEntries: 10_000, sweepIntervalMs: 0 });
  let failing: 'nothing' | 'all' | 'writes' = 'nothing';
  const writes = new Set(['set', 'setIfAbsent', 'delete', 'increment']);
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'close') return value;
      return (...args: unknown[]) => {
        const down = failing === 'all' || (failing === 'writes' && writes.has(String(prop)));
        if (down) return Promise.reject(new StoreUnavailableError('the store is down (test)'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as Store;
  return { store, fail: (what) => (failing = what) };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('answers during a store outage', () => {
  let server: Server;
  let port: number;
  let connections: number;
  let lines: string[];
  let fail: (what: 'nothing' | 'all' | 'writes') => void;
  let agent: Agent;

  /** One request on the shared keep-alive agent (one socket at most). */
  function send(method: string, path: string, headers: Record<string, string> = {}, body = '') {
    return new Promise<Answer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async function login(): Promise<string> {
    const body = JSON.stringify({ username: 'my_username', password: 'my_password' });
    const res = await send('POST', '/login', { 'Content-Type': 'application/json' }, body);
    expect(res.status).toBe(200);
    const cookie = (res.headers['set-cookie'] ?? [])[0]?.split(';')[0];
    expect(cookie).toMatch(/^four-oh-one\.sid=/);
    return cookie as string;
  }

  const logLines = () =>
    lines
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeEach(async () => {
    lines = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const logger = pino({ level: 'info' }, stream);
    const config = testConfig({ LOG_LEVEL: 'info' });
    const switchable = switchableStore();
    fail = switchable.fail;
    const app = createApp(config, {
      store: switchable.store,
      clock: testClock(),
      keys: createKeyRing(config),
      logger,
    });
    server = createServer(app);
    connections = 0;
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });

  afterEach(async () => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('logs 100 fast 503s as a couple of summary lines and 100 access lines, none with a stack, on one kept-alive connection', async () => {
    const cookie = await login();
    fail('all');
    lines.length = 0;
    const started = Date.now();
    for (let i = 0; i < 50; i += 1) {
      const keepalive = await send('POST', '/keepalive', { Cookie: cookie });
      const readyz = await send('GET', '/readyz');
      for (const res of [keepalive, readyz]) {
        expect(res.status).toBe(503);
        expect((JSON.parse(res.body) as { code: string }).code).toBe('store_unavailable');
        expect(res.headers['retry-after']).toBe('2');
        expect(res.headers.connection).toBe('keep-alive');
      }
    }
    // The login and all 100 answers went over one connection.
    expect(connections).toBe(1);
    await sleep(1100); // the last summary is written a second after the first failure

    const logged = logLines();
    const access = logged.filter(
      (l) => l.msg === 'request completed' || l.msg === 'request errored',
    );
    expect(access).toHaveLength(100);
    for (const line of access) {
      expect(line).toMatchObject({
        level: 40,
        res: { statusCode: 503 },
        code: 'store_unavailable',
      });
      expect(line).not.toHaveProperty('err');
    }
    const summaries = logged.filter((l) => String(l.msg).startsWith('store failure'));
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    // One line at the first failure, then at most one a second (a slow machine takes longer).
    const seconds = Math.ceil((Date.now() - started) / 1000);
    expect(summaries.length).toBeLessThanOrEqual(1 + seconds);
    const counted = summaries.reduce((n, l) => n + Number(l.failures), 0);
    expect(counted).toBeGreaterThanOrEqual(100);
    expect(logged.length).toBe(100 + summaries.length);
    expect(lines.join('')).not.toContain('"stack"');
  });

  it('keeps the connection and logs one line when a session write fails after the answer was sent', async () => {
    const cookie = await login();
    fail('writes');
    lines.length = 0;
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      for (let i = 0; i < 5; i += 1) {
        const res = await send('POST', '/keepalive', { Cookie: cookie });
        expect(res.status).toBeLessThan(600);
        expect(res.headers.connection).toBe('keep-alive');
      }
      await sleep(50);
      expect(connections).toBe(1);
      // Express's own error printer (a console stack trace) never runs.
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
    }
    // Logged all the same, as the outage summary.
    expect(logLines().some((l) => String(l.msg).startsWith('store failure'))).toBe(true);
    expect(lines.join('')).not.toContain('"stack"');
  });
});
