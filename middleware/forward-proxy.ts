import type { Request, RequestHandler } from 'express';
import { problem } from '../src/http/problems';
import {
  isOwnTarget,
  PROXY_VIA,
  proxyCredentialRefusal,
  proxyTargetRefusal,
} from '../src/http/proxy';

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
 * requests pass untouched. (CONNECT: src/http/proxy.ts.)
 */
export function forwardProxy(options: ForwardProxyOptions): RequestHandler {
  const publicOrigin = new URL(options.publicUrl).origin;

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
    const refusal = proxyCredentialRefusal(req.headers['proxy-authorization']);
    if (refusal) throw refusal;
    const [, scheme, authority, rest] = form as unknown as [string, string, string, string];
    let target: URL | undefined;
    try {
      target = new URL(`${scheme.toLowerCase()}://${authority}/`);
    } catch {
      target = undefined;
    }
    const local = { address: req.socket.localAddress, port: req.socket.localPort };
    if (!target || target.username || !isOwnTarget(target, local, publicOrigin)) {
      throw proxyTargetRefusal(target ? target.origin : 'a malformed authority', publicOrigin);
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
