import { isIP } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { parseBasic } from '../src/auth/basic';
import { basicChallenge } from '../src/auth/challenges';
import { textEqual } from '../src/auth/compare';
import { problem } from '../src/http/problems';

/**
 * The demo proxy's credentials, printed in the README and the registry: the proxy is a sandbox
 * that only ever forwards to this server itself, so its password guards nothing but the lesson.
 */
export const PROXY_USER = 'proxy-user';
export const PROXY_PASSWORD = 'proxy-password';
/** The proxy's protection space: not the origin's, so a client keeps the two apart. */
export const PROXY_REALM = 'four-oh-one proxy';
/** RFC 9110 §7.6.3: a proxy names itself in Via on what it forwards. */
export const PROXY_VIA = '1.1 four-oh-one';

export interface ForwardProxyOptions {
  /** PUBLIC_URL: its origin is this server's own, besides the address a client connected to. */
  publicUrl: string;
}

/** An absolute-form request-target (RFC 9112 §3.2.2): scheme, authority, and the rest as sent. */
const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

/** The request-target as a log line or a page may show it: no userinfo (`user:pass@`). */
function withoutUserinfo(scheme: string, authority: string, rest: string): string {
  const at = authority.lastIndexOf('@');
  return `${scheme}://${at < 0 ? authority : authority.slice(at + 1)}${rest}`;
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

/** Hop-by-hop fields for the proxy alone (RFC 9110 §7.6.1, §11.7.2): never forwarded. */
const PROXY_ONLY = new Set(['proxy-authorization', 'proxy-connection']);

/** The raw header list as the origin receives it: no proxy fields, Host the target's. */
function forwardedRawHeaders(raw: string[], host: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (PROXY_ONLY.has(lower)) continue;
    out.push(name, lower === 'host' ? host : raw[i + 1]!);
  }
  return out;
}

/**
 * A forward proxy that serves only this server (issue 16, item 5): a request in absolute form
 * (`GET http://127.0.0.1:3000/path`, what `curl -x` sends) must carry the proxy's Basic
 * credentials in Proxy-Authorization (else 407 with Proxy-Authenticate), and must name this
 * server (else 403): it is then "forwarded" in-process, as the origin-form request it names,
 * without Proxy-Authorization, with Via. Nothing ever connects anywhere: no SSRF. Origin-form
 * requests pass untouched.
 */
export function forwardProxy(options: ForwardProxyOptions): RequestHandler {
  const publicOrigin = new URL(options.publicUrl).origin;
  const challenge = { 'Proxy-Authenticate': basicChallenge(PROXY_REALM) };

  return function forwardProxyMiddleware(req: Request, res, next) {
    const raw = req.url;
    if (raw.startsWith('/') || raw === '*') {
      next();
      return;
    }
    const form = ABSOLUTE_FORM.exec(raw);
    // What a log line or the explanation keeps of the target: never a password in userinfo.
    req.originalUrl = form ? withoutUserinfo(form[1]!, form[2]!, form[3]!) : '/';
    if (!form) {
      throw problem('bad_request', {
        detail: 'The request-target is neither a path (origin form) nor an absolute http URI.',
      });
    }
    const parsed = parseBasic(req.headers['proxy-authorization']);
    if (parsed.kind !== 'basic') {
      const none = parsed.kind === 'none';
      throw problem(none ? 'proxy_credentials_missing' : 'proxy_credentials_invalid', {
        detail: none
          ? 'A request in absolute form goes through this server as a proxy, and the proxy wants Basic credentials in Proxy-Authorization.'
          : parsed.kind === 'other'
            ? `The proxy takes Basic, not ${parsed.scheme}.`
            : parsed.reason,
        headers: challenge,
      });
    }
    // Both compared, in constant time, whatever the first gave.
    const userOk = textEqual(parsed.user, PROXY_USER);
    const passwordOk = textEqual(parsed.password, PROXY_PASSWORD);
    if (!(userOk && passwordOk)) {
      throw problem('proxy_credentials_invalid', {
        detail: 'The proxy’s user-id or password is wrong.',
        headers: challenge,
      });
    }
    const [, scheme, authority, rest] = form as unknown as [string, string, string, string];
    let target: URL | undefined;
    try {
      target = new URL(`${scheme.toLowerCase()}://${authority}/`);
    } catch {
      target = undefined;
    }
    const local = { address: req.socket.localAddress, port: req.socket.localPort };
    if (!target || target.username || !isOwnTarget(target, local, publicOrigin)) {
      throw problem('proxy_target_refused', {
        detail: `This proxy forwards only to this server (${publicOrigin}, or the address you connected to), never to ${target ? target.origin : 'a malformed authority'}. Nothing was sent there.`,
      });
    }
    // Forwarded: the origin-form request, as the origin would receive it from a proxy.
    const path = rest.startsWith('/') ? rest : `/${rest}`;
    req.url = path;
    req.originalUrl = path;
    req.headers.host = target.host;
    delete req.headers['proxy-authorization'];
    delete req.headers['proxy-connection'];
    req.rawHeaders = forwardedRawHeaders(req.rawHeaders, target.host);
    res.setHeader('Via', PROXY_VIA);
    next();
  };
}
