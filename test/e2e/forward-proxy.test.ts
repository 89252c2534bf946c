import { execFile } from 'node:child_process';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { promisify } from 'node:util';
import { startServer, type StartedServer } from './support';

const run = promisify(execFile);
const CREDENTIALS = 'proxy-user:proxy-password';
const B64 = Buffer.from(CREDENTIALS).toString('base64');

/** curl -si with these arguments; no proxy variables from the environment. */
async function curl(...args: string[]): Promise<{ status: number; head: string; body: string }> {
  const { stdout } = await run('curl', ['-si', '--max-time', '10', ...args], {
    env: { PATH: process.env.PATH ?? '' },
  });
  const split = stdout.indexOf('\r\n\r\n');
  const head = stdout.slice(0, split);
  return {
    status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1]),
    head,
    body: stdout.slice(split + 4),
  };
}

const header = (head: string, name: string) =>
  new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1]?.trim();

describe('the forward proxy, with real curl and Node against the built server', () => {
  let server: StartedServer;
  let other: NetServer;
  let otherConnections = 0;
  beforeAll(async () => {
    server = await startServer({});
    other = createNetServer(() => (otherConnections += 1));
    await new Promise<void>((done) => other.listen(0, '127.0.0.1', done));
  });
  afterAll(async () => {
    await server.stop();
    await new Promise<void>((done) => other.close(() => done()));
  });

  it('curl -x without --proxy-user: 407 with the proxy challenge', async () => {
    const res = await curl('-x', server.url, `${server.url}/headers`);
    expect(res.status).toBe(407);
    expect(header(res.head, 'Proxy-Authenticate')).toBe(
      'Basic realm="four-oh-one proxy", charset="UTF-8"',
    );
    expect(header(res.head, 'WWW-Authenticate')).toBeUndefined();
    expect(JSON.parse(res.body)).toMatchObject({ code: 'proxy_credentials_missing', status: 407 });
  });

  it('curl -x with a wrong --proxy-user: 407 proxy_credentials_invalid', async () => {
    const res = await curl('-x', server.url, '--proxy-user', 'proxy-user:nope', `${server.url}/`);
    expect(res.status).toBe(407);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'proxy_credentials_invalid' });
  });

  it('curl -x --proxy-user: served, Proxy-Authorization not passed on, Via set', async () => {
    const res = await curl('-x', server.url, '--proxy-user', CREDENTIALS, `${server.url}/headers`);
    expect(res.status).toBe(200);
    expect(header(res.head, 'Via')).toBe('1.1 four-oh-one');
    const body = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(Object.keys(body.headers).map((h) => h.toLowerCase())).not.toContain(
      'proxy-authorization',
    );
    expect(res.body).not.toContain(B64);
  });

  it('curl -x --proxy-user to /api/v1/data: a 401 from the origin after the proxy', async () => {
    const res = await curl(
      '-x',
      server.url,
      '--proxy-user',
      CREDENTIALS,
      `${server.url}/api/v1/data`,
    );
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'token_missing' });
    expect(header(res.head, 'WWW-Authenticate')).toMatch(/^Bearer /);
  });

  it('refuses other targets with 403, and connects to none of them', async () => {
    const otherPort = (other.address() as { port: number }).port;
    for (const target of ['http://example.invalid/', `http://127.0.0.1:${otherPort}/`]) {
      const res = await curl('-x', server.url, '--proxy-user', CREDENTIALS, target);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'proxy_target_refused' });
    }
    expect(otherConnections).toBe(0);
  });

  it("serves Node's http client through its proxy setting (an absolute-form request)", async () => {
    const { request } = await import('node:http');
    const answer = await new Promise<{ status: number; via: unknown }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: `${server.url}/status/204`,
          headers: { 'Proxy-Authorization': `Basic ${B64}` },
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, via: res.headers.via }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 204, via: '1.1 four-oh-one' });
  });

  it('never writes the proxy credentials to its log', () => {
    const logs = server.logs.join('');
    expect(logs).toContain('proxy_credentials_missing');
    expect(logs).not.toContain(B64);
    expect(logs).not.toContain('proxy-password');
  });
});

describe('CONNECT through the built server, with real curl -p', () => {
  let server: StartedServer;
  beforeAll(async () => {
    server = await startServer({});
  });
  afterAll(() => server.stop());

  it('without --proxy-user: 407 on the CONNECT, and curl gives up', async () => {
    const failed = await curl('-p', '-x', server.url, `${server.url}/headers`).catch(
      (err: { code?: number; stdout?: string }) => err,
    );
    // curl exits 56 when the proxy refuses the CONNECT.
    expect((failed as { code?: number }).code).toBe(56);
    expect(String((failed as { stdout?: string }).stdout)).toMatch(/^HTTP\/1\.1 407 /);
  });

  it('with --proxy-user: the request travels the tunnel to this very server', async () => {
    const res = await curl(
      '-p',
      '-x',
      server.url,
      '--proxy-user',
      CREDENTIALS,
      `${server.url}/anything?via=tunnel`,
    );
    expect(res.head).toMatch(/^HTTP\/1\.1 200 Connection Established/);
    const body = res.body.slice(res.body.indexOf('{'));
    expect(JSON.parse(body)).toMatchObject({ method: 'GET', query: { via: 'tunnel' } });
  });
});
