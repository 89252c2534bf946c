import type { Request, RequestHandler } from 'express';
import { parseBasic } from '../src/auth/basic';
import { basicChallenge, REALM } from '../src/auth/challenges';
import { BASIC_CHECKS, BASIC_GUARD, traceOf } from '../src/teaching/explain';
import { problem, routeNotFound } from '../src/http/problems';

export interface BasicAuthOptions {
  /** Whether the credentials are right; may read the request (httpbin's routes name them in the path). */
  verify: (user: string, password: string, req: Request) => boolean | Promise<boolean>;
  /** The protection space named in the challenge; defaults to this server's realm. */
  realm?: string;
  /**
   * Answer every refusal as this server's plain 404, without a challenge, so that the resource
   * cannot be told apart from one that does not exist (httpbin's hidden-basic-auth).
   */
  hidden?: boolean;
}

/**
 * Requires HTTP Basic credentials (RFC 7617) that `verify` accepts, puts the user-id in
 * `res.locals.basicUser`, and refuses everything else: 401 with a Basic challenge for missing or
 * wrong credentials, 400 for a header that is not Basic syntax (or 404 for all, when hidden).
 */
export function basicAuth(options: BasicAuthOptions): RequestHandler {
  if (typeof options?.verify !== 'function') {
    throw new TypeError('basicAuth: verify must be a function');
  }
  const realm = options.realm ?? REALM;
  if (typeof realm !== 'string' || realm === '') {
    throw new TypeError('basicAuth: realm must be a non-empty string');
  }
  const { verify, hidden = false } = options;
  const headers = { 'WWW-Authenticate': basicChallenge(realm) };

  return async function basicAuthMiddleware(req, res, next) {
    const parsed = parseBasic(req.headers.authorization);
    const ok = parsed.kind === 'basic' && (await verify(parsed.user, parsed.password, req));
    if (ok) {
      res.locals.basicUser = parsed.user;
      next();
      return;
    }
    if (hidden) {
      // Word for word what an unknown path gets, and no trace of its own, so that /explain tells
      // it apart no more than the answer does.
      throw routeNotFound(req);
    }
    const fail = (check: (typeof BASIC_CHECKS)[number], facts?: Record<string, string>) => {
      res.locals.trace = traceOf(BASIC_GUARD, BASIC_CHECKS, check, facts ? { facts } : {});
    };
    switch (parsed.kind) {
      case 'none':
        fail('credentials sent');
        throw problem('basic_credentials_missing', {
          detail: 'Send "Authorization: Basic <base64 of user-id:password>".',
          headers,
        });
      case 'other':
        fail('scheme is Basic', { scheme: parsed.scheme });
        throw problem('basic_credentials_missing', {
          detail: `This resource accepts the Basic scheme, not ${parsed.scheme}.`,
          headers,
        });
      case 'malformed':
        fail('one base64 "user-id:password"');
        throw problem('basic_malformed', { detail: parsed.reason });
      case 'basic':
        fail('user-id and password match');
        throw problem('basic_credentials_invalid', {
          detail: 'The user-id or the password is wrong.',
          headers,
        });
    }
  };
}
