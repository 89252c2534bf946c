import { Agent, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticateMessage, negotiateMessage } from '../src/auth/ntlm';
import type { ProxyAnswer } from './proxy-request';

/** One request on an agent's connection, with the local port that tells connections apart. */
export function send(
  server: Server,
  agent: Agent | false,
  path: string,
  headers: Record<string, string> = {},
): Promise<ProxyAnswer & { localPort: number }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      const localPort = res.socket.localPort ?? 0;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // not JSON
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text,
          request: { url: `http://127.0.0.1:${port}${path}` },
          localPort,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A keep-alive agent with one connection: every request on it shares one TCP connection. */
export const oneConnection = () => new Agent({ keepAlive: true, maxSockets: 1 });

export interface Handshake {
  challenge: Awaited<ReturnType<typeof send>>;
  final: Awaited<ReturnType<typeof send>>;
  /** The AUTHENTICATE message sent, base64. */
  type3: string;
}

/**
 * The NTLM handshake as curl runs it, with this repository's client half (src/auth/ntlm.ts): type
 * 1, the 401's type 2, type 3 on the same connection (or on `thirdOn`, to break it).
 */
export async function ntlmHandshake(
  server: Server,
  path: string,
  options: {
    scheme?: 'NTLM' | 'Negotiate';
    user: string;
    password: string;
    domain?: string;
    version?: 'ntlmv1' | 'ntlmv2';
    /** The connection to run the handshake on; a fresh one, closed afterwards, if absent. */
    agent?: Agent;
    thirdOn?: Agent | false;
  },
): Promise<Handshake> {
  const scheme = options.scheme ?? 'NTLM';
  const agent = options.agent ?? oneConnection();
  try {
    const challenge = await send(server, agent, path, {
      Authorization: `${scheme} ${negotiateMessage().toString('base64')}`,
    });
    const www = String(challenge.headers['www-authenticate'] ?? '');
    const type2 = Buffer.from(www.slice(scheme.length + 1), 'base64');
    const type3 = authenticateMessage({
      user: options.user,
      password: options.password,
      domain: options.domain,
      challenge: type2,
      time: Buffer.alloc(8, 1),
      clientChallenge: Buffer.alloc(8, 7),
      version: options.version,
    }).toString('base64');
    const final = await send(server, options.thirdOn ?? agent, path, {
      Authorization: `${scheme} ${type3}`,
    });
    return { challenge, final, type3 };
  } finally {
    if (options.agent === undefined) agent.destroy();
  }
}
