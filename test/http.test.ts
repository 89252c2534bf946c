import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createServer } from '../src/http/server';
import { buildApp } from './helpers';

/** Sends raw bytes and returns the raw answer: for requests no well-behaved client can send. */
function raw(server: Server, bytes: string | Buffer): Promise<string> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

/**
 * Like every answer (README, The error contract), one to a request Node could not parse names
 * its request id in X-Request-Id and in the body, the occurrence in `instance`, and a remedy.
 */
function expectIdentified(answer: string): void {
  // And a Date (RFC 9110 §6.6.1), the server's clock, by which a client measures its skew.
  const date = /\r\nDate: ([^\r]+)\r\n/.exec(answer)?.[1] ?? '';
  expect(date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(5000);
  const id = /\r\nX-Request-Id: ([0-9a-f-]{36})\r\n/.exec(answer)?.[1];
  expect(id).toBeDefined();
  expect(bodyOf(answer)).toMatchObject({
    request_id: id,
    instance: `urn:uuid:${id}`,
    remedy: expect.any(String),
  });
}

describe('the HTTP server', () => {
  const ctx = buildApp();
  let server: Server;

  beforeAll((done) => {
    server = createServer(ctx.app).listen(0, '127.0.0.1', done);
  });
  afterAll((done) => {
    server.close(done);
  });

  it('answers a header with a control character with a problem+json 400', async () => {
    const answer = await raw(
      server,
      'GET /api/v1/data HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('Content-Type: application/problem+json; charset=utf-8');
    expect(bodyOf(answer)).toMatchObject({
      status: 400,
      code: 'bad_request',
      type: '/problems/bad_request',
    });
    expectIdentified(answer);
  });

  it('answers a broken request line with a problem+json 400', async () => {
    const answer = await raw(server, 'NOT HTTP AT ALL\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(answer).code).toBe('bad_request');
    expectIdentified(answer);
  });

  it('answers headers over 32 KiB with a problem+json 431', async () => {
    const answer = await raw(
      server,
      `GET /api/v1/data HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40 * 1024)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(answer)).toMatchObject({ status: 431, code: 'header_too_large' });
    expectIdentified(answer);
  });

  it('still judges a 20 KB token: 401 token_malformed, not 431', async () => {
    const res = await ctx
      .http()
      .get('/api/v1/data')
      .set('Authorization', `Bearer ${'A'.repeat(20 * 1024)}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_malformed');
  });

  it('answers binary junk after Bearer with 400 authorization_malformed, never 5xx', async () => {
    const junk = Buffer.concat([
      Buffer.from(
        'GET /api/v1/data HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ',
      ),
      Buffer.from([0x80, 0xff, 0xfe, 0x90, 0xc3, 0xa9]),
      Buffer.from('\r\n\r\n'),
    ]);
    const answer = await raw(server, junk);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(answer).code).toBe('authorization_malformed');
  });
});
