import { STATUS_CODES } from 'node:http';
import express, { Router, type Request, type RequestHandler } from 'express';
import { apiKeyAuth } from '../middleware/api-key';
import { basicAuth } from '../middleware/basic-auth';
import { digestAuth } from '../middleware/digest-auth';
import { eitherScheme } from '../middleware/either-scheme';
import {
  addressRateLimit,
  OTHER_ACCOUNT,
  refusedWith,
  userAccount,
  type FailureLimiter,
} from '../middleware/rate-limit';
import { parseBasic } from '../src/auth/basic';
import { bearerRefusals, parseBearer, refusalError } from '../src/auth/bearer';
import { basicChallenge, bearerChallenge } from '../src/auth/challenges';
import { textEqual } from '../src/auth/compare';
import { digestAlgorithm, type DigestAlgorithm, type DigestExpectation } from '../src/auth/digest';
import type { Config } from '../src/config';
import { HEADER_CHECKS, traceOf } from '../src/teaching/explain';
import type { Directory } from '../src/tokens/identities';
import {
  methodNotAllowed,
  problem,
  RequestedStatusError,
  routeNotFound,
} from '../src/http/problems';
import type { Clock, Store } from '../src/store';
import type { Visitors } from '../src/http/visitors';

export interface ClassicDeps {
  config: Config;
  clock: Clock;
  store: Store;
  /** The demo users, for the resource that takes Basic or Bearer. */
  directory: Directory;
  /** The strict Bearer guard of /api/v1/data, for the same resource. */
  bearerAuth: RequestHandler;
  /** The budget of refused credentials every secret check shares (middleware/rate-limit.ts). */
  credentials: FailureLimiter;
  /** Digest nonce lifetime; five minutes unless a test says otherwise. */
  nonceTtlMs?: number;
  /** Who is asking: nonce counts are charged to the visitor's store quota. */
  visitors?: Visitors;
}

/**
 * The routes people test HTTP clients against, with httpbin's paths and success bodies
 * (go-httpbin's `Handler()` for the shape), answering every refusal as this server does: a
 * problem body, and a challenge on every 401.
 */
export function classicRouter(deps: ClassicDeps): Router {
  const router = Router();
  const resourceMetadata = `${deps.config.publicUrl}/.well-known/oauth-protected-resource`;
  const pathCredentials = basicAuth({ verify: matchesPath });
  const hiddenPathCredentials = basicAuth({ verify: matchesPath, hidden: true });
  const digest = digestAuth({
    secret: deps.config.jwt.secret,
    store: deps.store,
    clock: deps.clock,
    nonceTtlMs: deps.nonceTtlMs,
    expectFor: digestExpectation,
    owner: deps.visitors?.of,
  });
  // Anyone can answer a Digest challenge here (the credentials are in the URL), and every verified
  // answer stores a nonce count: limit each address so a flood cannot fill the store.
  const digestLimit = addressRateLimit({
    store: deps.store,
    clock: deps.clock,
    name: 'digest-address',
    limit: deps.config.digestRequestsPerMinute,
    windowSeconds: 60,
  });
  // Every refused secret counts against the shared budget. The httpbin routes take whatever
  // credentials their path names, so they have no account: their refusals count per address
  // under the one placeholder account. /hidden-basic-auth refuses with 404: a well-formed Basic
  // header that met that 404 was a wrong guess; past the limit it still answers that 404, to
  // every guess, right or wrong, and never shows a RateLimit header, so it stays hidden.
  const pathLimit = (code: string) =>
    deps.credentials.guard({ account: () => OTHER_ACCOUNT, counts: refusedWith(code) });
  const basicPathLimit = pathLimit('basic_credentials_invalid');
  const hiddenPathLimit = deps.credentials.guard({
    account: () => OTHER_ACCOUNT,
    counts: (req, res) =>
      res.statusCode === 404 && parseBasic(req.headers.authorization).kind === 'basic',
    quiet: true,
    refuse: (_detail, _headers, req) => routeNotFound(req),
  });
  const digestPathLimit = pathLimit('digest_credentials_invalid');
  const apiKeyPathLimit = pathLimit('api_key_header_invalid');
  // The demo users' passwords: counted per (user, address) and per address.
  const demoUserLimit = deps.credentials.guard({
    account(req) {
      const parsed = parseBasic(req.headers.authorization);
      return parsed.kind === 'basic' ? userAccount(deps.directory, parsed.user) : OTHER_ACCOUNT;
    },
    counts: refusedWith('basic_credentials_invalid'),
  });
  // For qop=auth-int the body is hashed too; GET requests rarely have one, but may.
  const rawBody = express.raw({ type: () => true, limit: '8kb' });

  router
    .route('/basic-auth/:user/:passwd')
    .get(userIdWithoutColon, basicPathLimit, pathCredentials, authenticated)
    .all(methodNotAllowed('GET'));
  // Hidden means hidden: other methods, too, get the 404 until the credentials are right.
  router
    .route('/hidden-basic-auth/:user/:passwd')
    .get(hiddenPathLimit, hiddenPathCredentials, authenticated)
    .all(hiddenPathLimit, hiddenPathCredentials, methodNotAllowed('GET'));
  router
    .route('/digest-auth/:qop/:user/:passwd{/:algorithm{/:stale_after}}')
    .get(digestLimit, digestPathLimit, rawBody, digest, authenticated)
    .all(methodNotAllowed('GET'));
  router.route('/bearer').get(lenientBearer(resourceMetadata)).all(methodNotAllowed('GET'));
  router
    .route('/bearer-or-basic')
    .get(
      demoUserLimit,
      eitherScheme(
        {
          scheme: 'Bearer',
          guard: deps.bearerAuth,
          challenge: bearerChallenge({ resourceMetadata }),
        },
        {
          scheme: 'Basic',
          guard: basicAuth({
            verify: (user, password) =>
              deps.directory.authenticateUser(user, password) !== undefined,
          }),
          challenge: basicChallenge(),
        },
      ),
      whoAmI,
    )
    .all(methodNotAllowed('GET'));
  router
    .route('/api-key/:key')
    .get(apiKeyPathLimit, apiKeyAuth({ keyFor: (req) => String(req.params.key) }), apiKeyAccepted)
    .all(methodNotAllowed('GET'));
  router
    .route('/status/:code')
    .get(statusOnRequest)
    .post(statusOnRequest)
    .put(statusOnRequest)
    .patch(statusOnRequest)
    .delete(statusOnRequest)
    .all(methodNotAllowed('GET', 'POST', 'PUT', 'PATCH', 'DELETE'));
  router.route('/redirect/:n').get(redirectHop).all(methodNotAllowed('GET'));
  return router;
}

// --- Basic ------------------------------------------------------------------------------------

/** httpbin's check: the credentials are the ones the path names. */
function matchesPath(user: string, password: string, req: Request): boolean {
  const userOk = textEqual(user, String(req.params.user));
  const passwordOk = textEqual(password, String(req.params.passwd));
  return userOk && passwordOk;
}

/** RFC 7617 §2: no request can authenticate as a user-id with a colon, so the path is refused. */
const userIdWithoutColon: RequestHandler = function userIdWithoutColon(req, _res, next) {
  if (String(req.params.user).includes(':')) {
    throw problem('parameter_invalid', {
      detail: 'A Basic user-id cannot contain ":" (RFC 7617 §2): the first colon ends it.',
    });
  }
  next();
};

/** httpbin's success body for Basic and Digest. */
const authenticated: RequestHandler = function authenticated(_req, res) {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ authenticated: true, user: res.locals.basicUser ?? res.locals.digestUser });
};

// --- Digest -----------------------------------------------------------------------------------

/**
 * Offered when the path names no algorithm, in order of preference (RFC 7616 §3.7). SHA-256
 * leads because every current Digest client computes it right; curl before 8.8 sent SHA-256
 * hashes for SHA-512-256.
 */
const PREFERENCE: readonly DigestAlgorithm[] = ['SHA-256', 'SHA-512-256', 'MD5'];
const MAX_STALE_AFTER = 1000;
const MAX_PATH_CREDENTIAL = 256;

/** What /digest-auth/:qop/:user/:passwd/:algorithm?/:stale_after? asks for; 400 when it cannot be. */
function digestExpectation(req: Request): DigestExpectation {
  // Named parameters are strings; only wildcards (none here) would be arrays.
  const params = req.params as Record<string, string | undefined>;
  const { qop, user, passwd, algorithm, stale_after: staleAfter } = params;
  if (qop !== 'auth' && qop !== 'auth-int') {
    throw problem('parameter_invalid', {
      detail: 'qop must be auth or auth-int (RFC 7616 §3.3).',
    });
  }
  for (const value of [user, passwd]) {
    if (value === undefined || value.length > MAX_PATH_CREDENTIAL) {
      throw problem('parameter_invalid', {
        detail: `The user and password in the path must be 1-${MAX_PATH_CREDENTIAL} characters.`,
      });
    }
  }
  let algorithms = PREFERENCE;
  if (algorithm !== undefined) {
    const named = digestAlgorithm(algorithm);
    if (named === undefined) {
      throw problem('parameter_invalid', {
        detail:
          'algorithm must be MD5, SHA-256 or SHA-512-256, optionally with -sess (RFC 7616 §3.2), or httpbin’s SHA-512.',
      });
    }
    algorithms = [named];
  }
  let staleAfterUses: number | undefined;
  if (staleAfter !== undefined && staleAfter !== 'never') {
    if (!/^\d{1,4}$/.test(staleAfter) || Number(staleAfter) > MAX_STALE_AFTER) {
      throw problem('parameter_invalid', {
        detail: `stale_after must be "never" or a number of requests from 0 to ${MAX_STALE_AFTER}.`,
      });
    }
    staleAfterUses = Number(staleAfter);
  }
  return {
    user: user as string,
    password: passwd as string,
    qop,
    algorithms,
    staleAfter: staleAfterUses,
  };
}

// --- Bearer, Bearer-or-Basic, API key ---------------------------------------------------------

/** For /explain: /bearer checks the header's shape only, never the token. */
const LENIENT_GUARD = 'any Bearer token (httpbin’s /bearer: the header’s shape only)';

/** What /bearer says to no token and to another scheme. */
const LENIENT_WORDS = {
  none: 'Send any token as "Authorization: Bearer <token>".',
  other: (scheme: string) => `This resource accepts the Bearer scheme, not ${scheme}.`,
};

/**
 * httpbin's /bearer: any syntactically valid token is accepted and echoed. The lenient contrast
 * to /api/v1/data, which verifies it; refusals are still this server's problems and challenges.
 */
function lenientBearer(resourceMetadata: string): RequestHandler {
  const judge = bearerRefusals(resourceMetadata, LENIENT_WORDS);
  return function lenientBearer(req, res) {
    const judged = judge(parseBearer(req.headers.authorization));
    if (judged.kind === 'refused') {
      res.locals.trace = traceOf(LENIENT_GUARD, HEADER_CHECKS, judged.check, {
        facts: judged.facts,
      });
      throw refusalError(judged);
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ authenticated: true, token: judged.token });
  };
}

/** Who passed /bearer-or-basic, and by which scheme. */
const whoAmI: RequestHandler = function whoAmI(_req, res) {
  res.setHeader('Cache-Control', 'no-store');
  const claims = res.locals.auth?.claims;
  res.json(
    claims
      ? { authenticated: true, scheme: 'Bearer', sub: claims.sub }
      : { authenticated: true, scheme: 'Basic', user: res.locals.basicUser },
  );
};

const apiKeyAccepted: RequestHandler = function apiKeyAccepted(_req, res) {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ authenticated: true });
};

// --- /status/:code and /redirect/:n -----------------------------------------------------------

/** httpbin's redirect statuses (plus 308, as go-httpbin) point here. */
const REDIRECTS = new Set([301, 302, 303, 305, 307, 308]);
const REDIRECT_LOCATION = '/redirect/1';
const MAX_REDIRECTS = 10;
/** httpbin's teapot (RFC 2324 §2.3.2), answered as httpbin does: it is a joke, not an error. */
const TEAPOT = `
    -=[ teapot ]=-

       _...._
     .'  _ _ \`.
    | ."\` ^ \`". _,
    \\_;\`"---"\`|//
      |       ;/
      \\_     _/
        \`"""\`
`;

/** httpbin's /status/:code: the status asked for, with a problem body for errors. */
const statusOnRequest: RequestHandler = function statusOnRequest(req, res) {
  const raw = String(req.params.code);
  const status = /^\d{3}$/.test(raw) ? Number(raw) : NaN;
  if (!(status >= 100 && status <= 599)) {
    throw problem('parameter_invalid', {
      detail: 'code must be one HTTP status from 200 to 599 (weighted lists are not served).',
    });
  }
  if (status < 200) {
    throw problem('parameter_invalid', {
      detail: `${status} is an interim status (RFC 9110 §15.2): it cannot end a request. Ask for 200-599.`,
    });
  }
  if (status === 401) {
    throw problem('status_unauthorized', {
      detail: 'You asked for a 401 (GET /status/401); no credentials will satisfy it.',
      headers: { 'WWW-Authenticate': basicChallenge() },
    });
  }
  if (status === 407) {
    throw problem('proxy_auth_required', {
      detail: 'You asked for a 407 (GET /status/407): a proxy would want its own credentials.',
      headers: { 'Proxy-Authenticate': basicChallenge() },
    });
  }
  if (status === 418) {
    res.status(418).setHeader('X-More-Info', 'http://tools.ietf.org/html/rfc2324');
    res.type('text/plain').send(TEAPOT);
    return;
  }
  if (status >= 400) {
    throw new RequestedStatusError(
      status,
      `You asked for ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd() + '.',
    );
  }
  if (REDIRECTS.has(status)) res.setHeader('Location', REDIRECT_LOCATION);
  res.status(status).end();
};

/** httpbin's /redirect/:n, far enough for /status/3xx: n more hops, the last to /status/200. */
const redirectHop: RequestHandler = function redirectHop(req, res) {
  const raw = String(req.params.n);
  const n = /^\d{1,2}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_REDIRECTS)) {
    throw problem('parameter_invalid', {
      detail: `n must be a number of redirects from 1 to ${MAX_REDIRECTS}.`,
    });
  }
  res.redirect(302, n === 1 ? '/status/200' : `/redirect/${n - 1}`);
};
