import type { Request, RequestHandler } from 'express';
import {
  checkOauth1Request,
  nonceKey,
  OAUTH1_CHALLENGE,
  OAUTH1_TIMESTAMP_WINDOW_SECONDS,
  baseStringUri,
} from '../src/auth/oauth1';
import { problem } from '../src/http/problems';
import type { VisitorTag } from '../src/http/visitors';
import { problemCatalog } from '../src/scenarios/catalog';
import type { Clock, Store } from '../src/store';

export interface Oauth1AuthOptions {
  store: Store;
  clock: Clock;
  /** PUBLIC_URL: a client behind a proxy that rewrites Host signs this origin's URI instead. */
  publicUrl: string;
  /** Who sent it: each remembered nonce is charged to the visitor's store quota. */
  owner: (req: Request) => VisitorTag;
}

/**
 * Requires an OAuth 1.0a signed request (RFC 5849 §3, judged by src/auth/oauth1.ts) and puts
 * what it verified in `res.locals.oauth1`. `req.body` is the form body's text when the request
 * is application/x-www-form-urlencoded (express.text), since its parameters are signed. Every
 * 401 carries `WWW-Authenticate: OAuth realm="four-oh-one"`; the 400s (RFC 5849 §3.2: a
 * parameter missing, duplicated or unsupported) carry none. The nonce is remembered per visitor,
 * until its timestamp leaves the window, only once the signature verified: no anonymous state.
 */
export function oauth1Auth(options: Oauth1AuthOptions): RequestHandler {
  const { store, clock, owner } = options;
  if (!store || typeof clock?.now !== 'function' || typeof owner !== 'function') {
    throw new TypeError('oauth1Auth: store, clock and owner are required');
  }
  const publicOrigin = new URL(options.publicUrl);
  const refuse = (code: keyof typeof problemCatalog & `oauth1_${string}`, detail: string) =>
    problem(code, {
      detail,
      ...(problemCatalog[code].status === 401
        ? { headers: { 'WWW-Authenticate': OAUTH1_CHALLENGE } }
        : {}),
    });
  return async function oauth1AuthMiddleware(req, res, next) {
    const url = req.originalUrl;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const uris = [baseStringUri(req.protocol, req.host ?? '', path)];
    const viaPublic = baseStringUri(publicOrigin.protocol.slice(0, -1), publicOrigin.host, path);
    if (viaPublic !== uris[0]) uris.push(viaPublic);
    const authorization = req.headers.authorization;
    const now = clock.now();
    const result = checkOauth1Request({
      method: req.method,
      authorization,
      query: q < 0 ? '' : url.slice(q + 1),
      formBody: typeof req.body === 'string' ? req.body : undefined,
      uris,
      secure: req.secure,
      nowSeconds: now / 1000,
    });
    if ('code' in result) return next(refuse(result.code, result.detail));
    if (result.nonce !== undefined && result.timestamp !== undefined) {
      try {
        // Kept until the timestamp leaves the window: after that the request is refused anyway.
        const ttl = (Number(result.timestamp) + OAUTH1_TIMESTAMP_WINDOW_SECONDS) * 1000 - now;
        const key = nonceKey(owner(req), {
          consumerKey: result.consumerKey,
          token: result.token,
          timestamp: result.timestamp,
          nonce: result.nonce,
        });
        if (!(await store.setIfAbsent(key, '1', Math.max(1000, ttl), owner(req)))) {
          return next(
            refuse(
              'oauth1_nonce_reused',
              'This nonce was used already with this timestamp and these credentials; sign again with a new oauth_nonce (RFC 5849 §3.3).',
            ),
          );
        }
      } catch (err) {
        return next(err);
      }
    }
    res.locals.oauth1 = result;
    next();
  };
}
