import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseBasic } from '../auth/basic';
import { basicChallenge } from '../auth/challenges';
import { textEqual } from '../auth/compare';
import { problem, rawProblem, type HttpError } from './problems';

/**
 * The forward proxy this server is for itself (issue 16, item 5): its demo credentials, the check
 * of Proxy-Authorization, which targets are its own, and CONNECT. Absolute-form requests are
 * judged in middleware/forward-proxy.ts; CONNECT never reaches Express (src/http/server.ts).
 */

/**
 * The demo proxy's credentials, printed in the README and the registry: the proxy only ever
 * forwards to this server itself, so its password guards nothing but the lesson.
 */
export const PROXY_USER = 'proxy-user';
export const PROXY_PASSWORD = 'proxy-password';
/** The proxy's protection space: not the origin's, so a client keeps the two apart. */
export const PROXY_REALM = 'four-oh-one proxy';
/** RFC 9110 §7.6.3: a proxy names itself in Via on what it forwards. */
export const PROXY_VIA = '1.1 four-oh-one';

const CHALLENGE = { 'Proxy-Authenticate': basicChallenge(PROXY_REALM) };

/** The refusal a Proxy-Authorization value earns (407), or undefined when it is the proxy's. */
export function proxyCredentialRefusal(header: string | undefined): HttpError | undefined {
  const parsed = parseBasic(header);
  if (parsed.kind === 'none') {
    return problem('proxy_credentials_missing', {
      detail:
        'A request in absolute form, or a CONNECT, goes through this server as a proxy, and the proxy wants Basic credentials in Proxy-Authorization.',
      headers: CHALLENGE,
    });
  }
  if (parsed.kind !== 'basic') {
    return problem('proxy_credentials_invalid', {
      detail:
        parsed.kind === 'other' ? `The proxy takes Basic, not ${parsed.scheme}.` : parsed.reason,
      headers: CHALLENGE,
    });
  }
  // Both compared, in constant time, whatever the first gave.
  const userOk = textEqual(parsed.user, PROXY_USER);
  const passwordOk = textEqual(parsed.password, PROXY_PASSWORD);
  if (userOk && passwordOk) return undefined;
  return problem('proxy_credentials_invalid', {
    detail: 'The proxy’s user-id or password is wrong.',
    headers: CHALLENGE,
  });
}

/**
 * The refusal of a target that is not this server; nothing was resolved or connected. Without
 * `publicOrigin`, a CONNECT's: a tunnel goes only to the address the client connected to.
 */
export function proxyTargetRefusal(target: string, publicOrigin?: string): HttpError {
  const own = publicOrigin
    ? `${publicOrigin}, or the address you connected to`
    : 'the address and port you connected to';
  return problem('proxy_target_refused', {
    detail: `This proxy goes only to this server (${own}), never to ${target}. Nothing was sent there.`,
  });
}

/** The address a socket is on, without the IPv4-mapped prefix, and without IPv6 brackets. */
const bare = (address: string) => address.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');

function isLoopback(address: string): boolean {
  const a = bare(address);
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/**
 * Whether a target is this server: PUBLIC_URL's origin, or plain http to the very address and
 * port the client connected to (`localhost` counting as the loopback address it names).
 */
export function isOwnTarget(
  target: URL,
  local: { address: string | undefined; port: number | undefined },
  publicOrigin: string,
): boolean {
  if (target.origin === publicOrigin) return true;
  if (target.protocol !== 'http:' || local.address === undefined) return false;
  if (Number(target.port || 80) !== local.port) return false;
  const host = bare(target.hostname);
  if (host === 'localhost') return isLoopback(local.address);
  return host === bare(local.address);
}

/**
 * CONNECT (RFC 9110 §9.3.6), the tunnel an HTTPS proxy opens: with the proxy's credentials and
 * this server's own address and port as the target (`127.0.0.1:3000`, or `localhost:3000` on
 * loopback), a TCP tunnel to that very listener; otherwise 407 or 403 on the socket, then close.
 * It never connects anywhere else.
 */
export function connectToSelf(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const client = req.socket as Socket;
  const local = { address: client.localAddress, port: client.localPort };
  let target: URL | undefined;
  try {
    // Authority form (RFC 9112 §3.2.3): host and port, nothing else.
    target = /^[^/?#@\s]+:\d+$/.test(req.url ?? '') ? new URL(`http://${req.url}/`) : undefined;
  } catch {
    target = undefined;
  }
  const refusal =
    proxyCredentialRefusal(req.headers['proxy-authorization']) ??
    (target && isOwnTarget(target, local, 'null')
      ? undefined
      : proxyTargetRefusal(target ? target.host : 'a target not in host:port form'));
  if (refusal) {
    socket.end(rawProblem(refusal));
    return;
  }
  if (local.port === undefined) {
    socket.destroy();
    return;
  }
  const upstream = connect({ host: local.address, port: local.port });
  upstream.on('error', () => socket.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('connect', () => {
    // Like every answer here, with a request id and Date (src/http/server.ts).
    socket.write(
      `HTTP/1.1 200 Connection Established\r\nVia: ${PROXY_VIA}\r\n` +
        `X-Request-Id: ${randomUUID()}\r\nDate: ${new Date().toUTCString()}\r\n\r\n`,
    );
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
}
