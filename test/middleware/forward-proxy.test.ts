import dns from 'node:dns';
import {
  connect as netConnect,
  createServer as createNetServer,
  type Server as NetServer,
} from 'node:net';
import type { Server } from 'node:http';
import fc from 'fast-check';
import pino from 'pino';
import { createApp } from '../../src/app';
import { createServer } from '../../src/http/server';
import { MemoryStore } from '../../src/store';
import { isOwnTarget } from '../../src/http/proxy';
import { redactPath } from '../../src/http/redact';
import { buildApp, expectProblem, testClock, testConfig } from '../helpers';
import { asResponse, PROXY_BASIC, viaProxy } from '../proxy-request';

const CHALLENGE = 'Basic realm="four-oh-one proxy", charset="UTF-8"';

const listen = <T extends Server | NetServer>(server: T) =>
  new Promise<T>((done) => server.listen(0, '127.0.0.1', () => done(server)));
const close = (server: Server | NetServer) =>
  new Promise<void>((done) => server.close(() => done()));
const portOf = (server: Server | NetServer) => (server.address() as { port: number }).port;

describe('forward proxy (absolute-form requests)', () => {
  const logged: string[] = [];
  const config = testConfig({ PUBLIC_URL: 'http://api.example.test:8080' });
  const clock = testClock();
  const app = createApp(config, {
    store: new MemoryStore({ maxEntries: 10_000, clock, sweepIntervalMs: 0 }),
    clock,
    logger: pino({ level: 'info' }, { write: (line: string) => logged.push(line) }),
  });
  let server: Server;
  // Another server on this machine: the proxy must never connect to it.
  let other: NetServer;
  let otherConnections = 0;
  beforeAll(async () => {
    server = await listen(createServer(app));
    other = await listen(createNetServer(() => (otherConnections += 1)));
  });
  afterAll(async () => {
    await close(server);
    await close(other);
  });
  const own = () => `http://127.0.0.1:${portOf(server)}`;

  it('answers 407 with Proxy-Authenticate, and no WWW-Authenticate, without credentials', async () => {
    const res = await viaProxy(server, `${own()}/api/v1/data`);
    expectProblem(asResponse(res), { status: 407, code: 'proxy_credentials_missing' });
    expect(res.headers['proxy-authenticate']).toBe(CHALLENGE);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it.each([
    ['a wrong password', `Basic ${Buffer.from('proxy-user:nope').toString('base64')}`],
    ['a wrong user', `Basic ${Buffer.from('someone:proxy-password').toString('base64')}`],
    ['another scheme', 'Bearer abc'],
    ['a malformed Basic value', 'Basic !!!'],
  ])('answers 407 proxy_credentials_invalid for %s', async (_what, value) => {
    const res = await viaProxy(server, `${own()}/headers`, { 'Proxy-Authorization': value });
    expectProblem(asResponse(res), { status: 407, code: 'proxy_credentials_invalid' });
    expect(res.headers['proxy-authenticate']).toBe(CHALLENGE);
  });

  it('forwards to itself with the right credentials: the origin then judges its own', async () => {
    const res = await viaProxy(server, `${own()}/api/v1/data`, {
      'Proxy-Authorization': PROXY_BASIC,
    });
    // Past the proxy, the origin wants its Bearer token: a 401 after the 407.
    expectProblem(asResponse(res), { status: 401, code: 'token_missing' });
    expect(res.headers.via).toBe('1.1 four-oh-one');
  });

  it('forwards the path and query as sent, to PUBLIC_URL and to localhost on its own port', async () => {
    for (const base of [`http://localhost:${portOf(server)}`, 'http://api.example.test:8080']) {
      const res = await viaProxy(server, `${base}/anything/x?a=1`, {
        'Proxy-Authorization': PROXY_BASIC,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ query: { a: '1' }, method: 'GET' });
      expect(res.body.path).toBe('/anything/x');
      expect((res.body.headers as Record<string, string>).Host).toBe(new URL(base).host);
    }
  });

  it('refuses every other target without connecting or resolving anything', async () => {
    const lookup = jest.spyOn(dns, 'lookup');
    const targets = [
      'http://example.invalid/',
      `http://127.0.0.1:${portOf(other)}/`,
      `https://127.0.0.1:${portOf(server)}/`,
      `http://127.0.0.2:${portOf(server)}/`,
      `http://user:pw@127.0.0.1:${portOf(server)}/`,
      'http://169.254.169.254/latest/meta-data/',
      'ftp://127.0.0.1/',
    ];
    try {
      for (const target of targets) {
        const res = await viaProxy(server, target, { 'Proxy-Authorization': PROXY_BASIC });
        expectProblem(asResponse(res), { status: 403, code: 'proxy_target_refused' });
        expect(res.headers.via).toBeUndefined();
      }
      expect(lookup).not.toHaveBeenCalled();
    } finally {
      lookup.mockRestore();
    }
    expect(otherConnections).toBe(0);
  });

  it('asks for credentials before it judges the target', async () => {
    const res = await viaProxy(server, 'http://example.invalid/');
    expectProblem(asResponse(res), { status: 407, code: 'proxy_credentials_missing' });
  });

  it('never logs Proxy-Authorization nor userinfo from the target', async () => {
    logged.length = 0;
    await viaProxy(server, `http://user:s3cret-pw@127.0.0.1:${portOf(server)}/headers`, {
      'Proxy-Authorization': `Basic ${Buffer.from('proxy-user:wrong-pw-9').toString('base64')}`,
    });
    await viaProxy(server, `${own()}/headers`, { 'Proxy-Authorization': PROXY_BASIC });
    // pino-http writes on 'finish'; let it run.
    await new Promise((r) => setImmediate(r));
    const text = logged.join('\n');
    expect(logged.length).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain('s3cret-pw');
    expect(text).not.toContain(PROXY_BASIC.slice(6));
    expect(text).not.toContain(Buffer.from('proxy-user:wrong-pw-9').toString('base64'));
    expect(text).not.toMatch(/proxy-password|wrong-pw-9/);
  });

  it('leaves origin-form requests alone', async () => {
    const res = await viaProxy(server, '/headers');
    expect(res.status).toBe(200);
    expect(res.headers.via).toBeUndefined();
  });

  it('never answers a 5xx, whatever Proxy-Authorization holds', async () => {
    const value = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
      fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
      fc
        .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) })
        .map((s) => `Basic ${s}`),
    );
    await fc.assert(
      fc.asyncProperty(value, fc.boolean(), async (v, foreign) => {
        const target = foreign ? 'http://example.invalid/x' : `${own()}/headers`;
        const res = await viaProxy(server, target, { 'Proxy-Authorization': v });
        expect(res.status).toBeLessThan(500);
        expect([200, 403, 407]).toContain(res.status);
      }),
      { numRuns: 60 },
    );
  });
});

describe('isOwnTarget', () => {
  const local = { address: '::ffff:127.0.0.1', port: 3000 };
  const publicOrigin = 'https://api.example.test';
  it.each([
    ['http://127.0.0.1:3000/', true],
    ['http://localhost:3000/', true],
    ['https://api.example.test/', true],
    ['http://api.example.test/', false],
    ['http://127.0.0.1:3001/', false],
    ['http://127.0.0.1/', false],
    ['http://10.0.0.1:3000/', false],
  ])('%s: %s', (url, own) => {
    expect(isOwnTarget(new URL(url), local, publicOrigin)).toBe(own);
  });
});

describe('redactPath and absolute URIs', () => {
  it('drops the userinfo of an absolute URI, and keeps the rest', () => {
    expect(redactPath('http://user:pw@127.0.0.1:3000/headers')).toBe(
      'http://[redacted]@127.0.0.1:3000/headers',
    );
    expect(redactPath('http://127.0.0.1:3000/a@b')).toBe('http://127.0.0.1:3000/a@b');
  });
});

describe('CONNECT, the tunnel of an HTTPS proxy', () => {
  const { app } = buildApp();
  let server: Server;
  let other: NetServer;
  let otherConnections = 0;
  beforeAll(async () => {
    server = await listen(createServer(app));
    other = await listen(createNetServer(() => (otherConnections += 1)));
  });
  afterAll(async () => {
    await close(server);
    await close(other);
  });

  /** Sends `lines` on a fresh connection, then `after` once the first answer's head is in. */
  function converse(lines: string[], after?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = netConnect(portOf(server), '127.0.0.1');
      let text = '';
      let sent = false;
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (after && !sent && text.includes('\r\n\r\n')) {
          sent = true;
          socket.write(after);
        }
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }
  const own = () => `127.0.0.1:${portOf(server)}`;

  it('answers 407 with the proxy challenge without credentials, then closes', async () => {
    const text = await converse([`CONNECT ${own()} HTTP/1.1`, `Host: ${own()}`]);
    expect(text).toMatch(/^HTTP\/1\.1 407 Proxy Authentication Required\r\n/);
    expect(text).toContain(`Proxy-Authenticate: ${CHALLENGE}\r\n`);
    expect(text).toContain('"code":"proxy_credentials_missing"');
  });

  it('tunnels to this very listener with the credentials', async () => {
    const text = await converse(
      [`CONNECT ${own()} HTTP/1.1`, `Host: ${own()}`, `Proxy-Authorization: ${PROXY_BASIC}`],
      `GET /headers HTTP/1.1\r\nHost: ${own()}\r\nConnection: close\r\n\r\n`,
    );
    expect(text).toMatch(
      /^HTTP\/1\.1 200 Connection Established\r\nVia: 1\.1 four-oh-one\r\nX-Request-Id: [0-9a-f-]{36}\r\nDate: [^\r]+\r\n\r\n/,
    );
    // The answer of the request sent inside the tunnel, from the server itself.
    expect(text).toMatch(/\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(text).not.toContain(PROXY_BASIC.slice(6));
  });

  it('refuses every other target with 403, and connects to none', async () => {
    for (const target of ['example.invalid:443', `127.0.0.1:${portOf(other)}`, 'nonsense']) {
      const text = await converse([
        `CONNECT ${target} HTTP/1.1`,
        `Host: ${target}`,
        `Proxy-Authorization: ${PROXY_BASIC}`,
      ]);
      expect(text).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(text).toContain('"code":"proxy_target_refused"');
    }
    expect(otherConnections).toBe(0);
  });
});
