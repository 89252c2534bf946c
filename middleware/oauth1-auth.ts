import type { Request, RequestHandler } from 'express';
import {
  checkOauth1Request,
  nonceKey,
  OAUTH1_CHALLENGE,
  OAUTH1_TIMESTAMP_WINDOW_SECONDS,
  baseStringUri,
  requestedOauth1Token,
  type Oauth1Expects,
  type Oauth1Request,
  type Oauth1Verified,
} from '../src/auth/oauth1';
import type { Oauth1Grants } from '../src/auth/oauth1-grants';
import { problem, type HttpError } from '../src/http/problems';
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
  /** The credentials of the three-legged flow (RFC 5849 §2), issued into the store. */
  grants: Oauth1Grants;
}

/** What one endpoint takes: which credentials (src/auth/oauth1.ts), and its own parameters. */
export interface Oauth1Endpoint {
  expects: Oauth1Expects;
  /**
   * The endpoint's own checks of a verified request (oauth_callback, oauth_verifier), made
   * before its nonce is remembered: a refused request stores nothing.
   */
  accept?: (verified: Oauth1Verified) => HttpError | undefined;
}

/**
 * Requires an OAuth 1.0a signed request (RFC 5849 §3, judged by src/auth/oauth1.ts) and puts
 * what it verified in `res.locals.oauth1`. `req.body` is the form body's text when the request
 * is application/x-www-form-urlencoded (express.text), since its parameters are signed. Every
 * 401 carries `WWW-Authenticate: OAuth realm="four-oh-one"`; the 400s (RFC 5849 §3.2: a
 * parameter missing, duplicated or unsupported) carry none. The nonce is remembered per visitor,
 * until its timestamp leaves the window, only once the signature verified: no anonymous state.
 */
export function oauth1Auth(
  options: Oauth1AuthOptions,
  endpoint: Oauth1Endpoint = { expects: 'token' },
): RequestHandler {
  const { store, clock, owner, grants } = options;
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
    const now = clock.now();
    const request: Oauth1Request = {
      method: req.method,
      authorization: req.headers.authorization,
      query: q < 0 ? '' : url.slice(q + 1),
      formBody: typeof req.body === 'string' ? req.body : undefined,
      uris,
      secure: req.secure,
      nowSeconds: now / 1000,
      expects: endpoint.expects,
    };
    try {
      const token = requestedOauth1Token(request);
      if (token) request.issued = await grants.lookup(token);
    } catch (err) {
      return next(err);
    }
    const result = checkOauth1Request(request);
    if ('code' in result) return next(refuse(result.code, result.detail));
    const refused = endpoint.accept?.(result);
    if (refused) return next(refused);
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
