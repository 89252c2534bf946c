import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import type { RequestListener } from 'node:http';

/**
 * A Concealed client (RFC 9729) for the tests, written from RFC 9729 §3 with node:crypto and
 * node:tls only, independent of src/auth/concealed.ts: it connects with TLS, exports the keying
 * material on its own side of the connection (RFC 5705), signs, and sends one raw HTTP/1.1
 * request on that connection. No Concealed client exists in npm or Debian.
 */

/** The published demo key: seed = SHA-256("four-oh-one concealed demo key"), key ID "basement". */
export function demoKey(): { privateKey: KeyObject; raw: Buffer } {
  const seed = createHash('sha256').update('four-oh-one concealed demo key').digest();
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const raw = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
  return { privateKey, raw };
}

const varint = (n: number) => (n < 64 ? Buffer.from([n]) : Buffer.from([0x40 | (n >> 8), n & 255]));
const lp = (b: Buffer) => Buffer.concat([varint(b.length), b]);
const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);

export interface Authenticator {
  keyId?: string;
  privateKey?: KeyObject;
  publicKey?: Buffer;
  scheme?: number;
  /** Change the exporter output's verification bytes, or what is signed, to test refusals. */
  breakVerification?: boolean;
  breakSignature?: boolean;
  host?: string;
}

/** The Authorization value for this connection (RFC 9729 §3, §4). */
export function concealedHeader(socket: TLSSocket, port: number, a: Authenticator = {}): string {
  const demo = demoKey();
  const keyId = Buffer.from(a.keyId ?? 'basement');
  const publicKey = a.publicKey ?? demo.raw;
  const scheme = a.scheme ?? 0x0807;
  const context = Buffer.concat([
    u16(scheme),
    lp(keyId),
    lp(publicKey),
    lp(Buffer.from('https')),
    lp(Buffer.from(a.host ?? 'localhost')),
    u16(port),
    lp(Buffer.alloc(0)),
  ]);
  const out = socket.exportKeyingMaterial(48, 'EXPORTER-HTTP-Concealed-Authentication', context);
  const input = Buffer.from(out.subarray(0, 32));
  if (a.breakSignature) input[0]! ^= 1;
  const content = Buffer.concat([
    Buffer.alloc(64, 0x20),
    Buffer.from('HTTP Concealed Authentication'),
    Buffer.from([0]),
    input,
  ]);
  const proof = sign(null, content, a.privateKey ?? demo.privateKey);
  const v = Buffer.from(out.subarray(32, 48));
  if (a.breakVerification) v[0]! ^= 1;
  const b = (x: Buffer) => x.toString('base64url');
  return `Concealed k=${b(keyId)}, a=${b(publicKey)}, p=${b(proof)}, s=${scheme}, v=${b(v)}`;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/**
 * One GET over a new TLS connection to localhost:port. `authorization` is given the connected
 * socket and returns the header to send (or undefined for none).
 */
export function tlsGet(
  port: number,
  path: string,
  authorization: (socket: TLSSocket) => string | undefined,
  tls: { maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      rejectUnauthorized: false,
      ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}),
    });
    const chunks: Buffer[] = [];
    socket.on('error', reject);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      let body = rest.join('\r\n\r\n');
      if (headers['transfer-encoding'] === 'chunked') {
        let out = '';
        for (let i = 0; ;) {
          const eol = body.indexOf('\r\n', i);
          const size = parseInt(body.slice(i, eol), 16);
          if (!size) break;
          out += body.slice(eol + 2, eol + 2 + size);
          i = eol + 2 + size + 2;
        }
        body = out;
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: JSON.parse(body) as Record<string, unknown>,
      });
    });
    socket.on('secureConnect', () => {
      const auth = authorization(socket);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: localhost:${port}\r\n` +
          (auth === undefined ? '' : `Authorization: ${auth}\r\n`) +
          'Connection: close\r\n\r\n',
      );
    });
  });
}

export interface TlsApp {
  port: number;
  close(): Promise<void>;
}

/** Serves a request listener (the app) over TLS with a self-signed P-256 certificate. */
export async function serveTls(app: RequestListener): Promise<TlsApp> {
  const dir = mkdtempSync(join(tmpdir(), 'four-oh-one-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const server: Server = createServer(
      {
        key: readFileSync(join(dir, 'key.pem')),
        cert: readFileSync(join(dir, 'cert.pem')),
        minVersion: 'TLSv1.2',
      },
      app,
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return {
      port,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
