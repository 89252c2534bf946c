import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Response } from 'supertest';

/** The demo proxy's credentials as curl --proxy-user sends them (middleware/forward-proxy.ts). */
export const PROXY_BASIC = `Basic ${Buffer.from('proxy-user:proxy-password').toString('base64')}`;

export interface ProxyAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  text: string;
  /** As supertest has it, so that test/helpers.ts's expectProblem reads the path. */
  request: { url: string };
}

/**
 * Sends one request in absolute form (`GET http://…/path HTTP/1.1`, what a client sends to a
 * forward proxy) to a listening server, with Node's own http client: the target is `path`, the
 * connection goes to the server's port whatever the target names.
 */
export function viaProxy(
  server: Server,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<ProxyAnswer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path: target, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown>;
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = {};
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text,
            request: { url: `http://127.0.0.1:${port}/` },
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The answer as test/helpers.ts's assertions take it. */
export const asResponse = (a: ProxyAnswer) => a as unknown as Response;
