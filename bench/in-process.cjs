// One build's server in this process, for the tools that compare builds or count instructions
// (bench/in-process-ab.cjs, bench/instructions.cjs): the app of a dist/ on a loopback listener,
// the tokens of issue 17's targets, and a raw keep-alive client that pipelines requests.
'use strict';
const { Buffer } = require('node:buffer');
const net = require('node:net');

const SECRET = 'four-oh-one-bench-secret-0123456789abcdef';

/** Starts `dist`'s app (LOG_LEVEL `logLevel`, written to /dev/null when not silent). */
async function start(dist, logLevel = 'silent') {
  const { createApp } = require(`${dist}/src/app.js`);
  const { loadConfig } = require(`${dist}/src/config.js`);
  const { createStore } = require(`${dist}/src/store/index.js`);
  const { createServer } = require(`${dist}/src/http/server.js`);
  const { createKeyRing } = require(`${dist}/src/tokens/keys.js`);
  const { issueAccessToken } = require(`${dist}/src/tokens/verify.js`);
  const config = loadConfig({
    PORT: '1',
    HOST: '127.0.0.1',
    LOG_LEVEL: logLevel,
    JWT_SECRET: SECRET,
    PUBLIC_URL: 'http://127.0.0.1:1',
    CORS_DEMO_PORT: '0',
  });
  const store = createStore(config, {});
  const pino = require(require.resolve('pino', { paths: [dist] }));
  const logger = pino(
    { level: config.logLevel },
    logLevel === 'silent' ? undefined : pino.destination('/dev/null'),
  );
  const server = createServer(createApp(config, { store, logger }));
  server.keepAliveTimeout = 600_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const keys = createKeyRing(config);
  const issue = { sub: 'bench', clientId: 'bench', scope: 'data:read', expiresIn: 3600 };
  const valid = issueAccessToken(
    { keys, jwt: config.jwt, clock: { now: () => Date.now() } },
    issue,
  );
  const expired = issueAccessToken(
    { keys, jwt: config.jwt, clock: { now: () => Date.now() - 2 * 3600 * 1000 } },
    { ...issue, expiresIn: 60 },
  );
  const last = valid.token.slice(-1) === 'A' ? 'B' : 'A';
  const bad = `${valid.token.slice(0, -5)}${last}AAAA`;
  return {
    dist,
    server,
    port: server.address().port,
    valid: valid.token,
    expired: expired.token,
    bad,
  };
}

/** Issue 17's targets on a started build: [name, path, headers]. */
function targetsOf(b) {
  return [
    ['healthz', '/healthz', {}],
    ['valid', '/api/v1/data', { authorization: `Bearer ${b.valid}` }],
    ['none', '/api/v1/data', {}],
    ['expired', '/api/v1/data', { authorization: `Bearer ${b.expired}` }],
    ['badsig', '/api/v1/data', { authorization: `Bearer ${b.bad}` }],
    ['v1key', '/v1/models', { authorization: 'Bearer sk-not-the-demo-key' }],
    ['me', '/me', {}],
  ];
}

/** One keep-alive connection; `request(raw, k)` writes k requests at once, resolves on the last answer. */
class Client {
  constructor(port) {
    this.port = port;
  }
  connect() {
    return new Promise((resolve, reject) => {
      this.sock = net.connect(this.port, '127.0.0.1', resolve);
      this.sock.on('error', reject);
      this.sock.setNoDelay(true);
      this.buf = Buffer.alloc(0);
      this.sock.on('data', (d) => {
        this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
        this.check();
      });
    });
  }
  check() {
    if (!this.pending) return;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buf.subarray(0, end).toString('latin1');
    const m = /\r\ncontent-length: *(\d+)/i.exec(head);
    const len = m ? Number(m[1]) : 0;
    if (this.buf.length < end + 4 + len) return;
    const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
    this.buf = this.buf.subarray(end + 4 + len);
    this.left -= 1;
    if (this.left > 0) return this.check();
    const p = this.pending;
    this.pending = undefined;
    p({ head, body });
  }
  request(raw, k = 1) {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.left = k;
      this.sock.write(k === 1 ? raw : raw.repeat(k));
    });
  }
}

const raw = (p, headers) =>
  `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n` +
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('') +
  '\r\n';

module.exports = { start, targetsOf, Client, raw };
