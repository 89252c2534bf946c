import { Router, type RequestHandler } from 'express';
import { bearerChallenges, DPOP_OFFER } from '../src/auth/challenges';
import { methodNotAllowed, problem } from '../src/http/problems';
import { SCRIPTED_STATUSES, scriptedFailure, type ScriptedStatus } from '../src/http/scripted';
import { traceOf } from '../src/teaching/explain';
import { isoTime } from '../src/tokens/times';
import type { Store } from '../src/store';
import type { Visitors } from '../src/http/visitors';

/**
 * Section 1 of the article: `GET /api/v1/data` with `Authorization: Bearer <jwt>`.
 * The route reads as a sentence: a valid bearer token gets the data.
 */
export function bearerRouter(deps: {
  /** Bearer, or DPoP with a proof (middleware/dpop-auth.ts). */
  bearerAuth: RequestHandler;
  /** The same, demanding a server nonce in every DPoP proof (RFC 9449 §9). */
  dpopNonceAuth: RequestHandler;
  /** The data routes need the `data:read` scope (middleware/require-scope.ts). */
  requireDataRead: RequestHandler;
  store: Store;
  /**
   * RFC 9728 metadata URL, named in the scripted challenge like in every other, which offers
   * DPoP beside Bearer like the guard's (RFC 9449 §7.2).
   */
  resourceMetadata?: string;
  visitors: Visitors;
}): Router {
  const router = Router();
  const scriptedChallenge = bearerChallenges(deps.resourceMetadata, DPOP_OFFER).invalidToken(
    'token_expired',
  );
  router
    .route('/api/v1/data')
    .get(deps.bearerAuth, deps.requireDataRead, getData)
    .all(methodNotAllowed('GET'));
  // The data again, where every DPoP proof must carry a server nonce: 401 use_dpop_nonce with
  // a DPoP-Nonce header first, then 200 with a proof that carries it (RFC 9449 §9).
  router
    .route('/api/v1/dpop/nonce')
    .get(deps.dpopNonceAuth, deps.requireDataRead, getData)
    .all(methodNotAllowed('GET'));
  router
    .route('/api/v1/flaky')
    .get(deps.bearerAuth, deps.requireDataRead, flaky(deps.store, deps.visitors, scriptedChallenge))
    .all(methodNotAllowed('GET'));
  return router;
}

const FLAKY_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const FLAKY_WINDOW_MS = 10 * 60 * 1000;
const FLAKY_MAX_FAILURES = 10;

/** One query parameter as a single string, or a 400 naming it (a repeated one is an array). */
function queryText(value: unknown, name: string, rule: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw problem('parameter_invalid', { detail: `"${name}" must be given once: ${rule}` });
  }
  return value;
}

/** Reads `fail`, `key` and `status`: a count (with its key) or "always", and the failure's status. */
function flakyScript(query: Record<string, unknown>): {
  failures: number | 'always';
  key: string | undefined;
  status: ScriptedStatus;
} {
  const failRule = `a whole number from 0 to ${FLAKY_MAX_FAILURES}, or "always".`;
  const fail = queryText(query.fail, 'fail', failRule);
  const always = fail === 'always';
  if (
    !always &&
    (fail === undefined || !/^\d{1,2}$/.test(fail) || Number(fail) > FLAKY_MAX_FAILURES)
  ) {
    throw problem('parameter_invalid', { detail: `"fail" must be ${failRule}` });
  }
  const keyRule = '1-64 characters of A-Z, a-z, 0-9, "_" and "-".';
  const key = queryText(query.key, 'key', keyRule);
  // A count needs a key to count under; "always" counts nothing, so it needs none.
  if ((key === undefined && !always) || (key !== undefined && !FLAKY_KEY.test(key))) {
    throw problem('parameter_invalid', { detail: `"key" must be ${keyRule}` });
  }
  const statusRule = '401 (the default), 429 or 503.';
  const status = queryText(query.status, 'status', statusRule) ?? '401';
  if (!SCRIPTED_STATUSES.includes(status as ScriptedStatus)) {
    throw problem('parameter_invalid', { detail: `"status" must be ${statusRule}` });
  }
  return { failures: always ? 'always' : Number(fail), key, status: status as ScriptedStatus };
}

/**
 * A deterministic target for retry logic: with a valid token, the first `fail` calls for `key`
 * answer a scripted failure, later ones 200; `fail=always` fails every call and counts nothing.
 * The failure is 401 token_expired (refresh, then retry), or with `status=429` a 429 with
 * Retry-After and RateLimit fields (wait, then retry) or with `status=503` a store outage (keep
 * the token, retry later): what a client must tell apart. Counters are per visitor, caller and
 * key, in the store (charged to the visitor), and expire ten minutes after the first call; only
 * authenticated calls with a count create one, and nothing is ever locked: it is a script.
 */
function flaky(store: Store, visitors: Visitors, challenge: string): RequestHandler {
  return async function flakyHandler(req, res) {
    const { failures, key, status } = flakyScript(req.query);
    let attempt: number | undefined;
    if (failures !== 'always') {
      const sub = res.locals.auth?.claims.sub ?? '';
      // Per visitor too: everyone shares the demo accounts, and one visitor's script must not
      // spend another's scripted failures.
      const visitor = visitors.of(req);
      attempt = await store.increment(`flaky:${visitor}:${sub}:${key}`, FLAKY_WINDOW_MS, visitor);
    }
    if (failures === 'always' || (attempt !== undefined && attempt <= failures)) {
      const which =
        failures === 'always'
          ? 'Scripted failure (fail=always)'
          : `Scripted failure ${attempt} of ${failures} for key "${key}"`;
      const extensions =
        failures === 'always' ? { scripted: true } : { scripted: true, attempt, failures };
      // The token passed every check (bearerAuth's trace is the usual one); the script refused.
      res.locals.trace = traceOf(SCRIPT_GUARD, SCRIPT_CHECKS, SCRIPT_CHECKS[1], {
        facts: { fail: String(failures), status },
      });
      throw scriptedFailure(status, which, extensions, challenge);
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ message: 'Success after scripted failures.', attempt, failures, key });
  };
}

/** For /explain: what a scripted failure passed, and the step that failed on purpose. */
const SCRIPT_GUARD = 'scripted failures (GET /api/v1/flaky)';
const SCRIPT_CHECKS = ['valid access token with data:read', 'past the scripted failures'];

/** What every caller of the data routes gets, besides who it is. */
const DATA = {
  message: 'Here is your data.',
  data: [
    { id: 1, name: 'alpha' },
    { id: 2, name: 'beta' },
  ],
};

/** The caller, as the data routes describe it. */
interface Caller {
  sub: unknown;
  client_id: unknown;
  scope: unknown;
  expires_at: string;
}

/**
 * The data answer's JSON as `res.json` writes it with the app's two-space `json spaces`, its
 * constant part serialized once: of the valid-token path's own work, pretty-printing the whole
 * body was the largest part (bench/RESULTS.md). Undefined when the text would not be the same
 * (other spaces, a claim that is no string): then `res.json` writes it, as it does when the app
 * sets `json escape` or `json replacer`.
 */
export function dataJson(spaces: unknown, caller: Caller): string | undefined {
  const { sub, client_id: clientId, scope, expires_at: expiresAt } = caller;
  if (spaces !== 2 || typeof sub !== 'string' || typeof clientId !== 'string') return undefined;
  if (typeof scope !== 'string') return undefined;
  return (
    DATA_HEAD +
    JSON.stringify(sub) +
    ',\n    "client_id": ' +
    JSON.stringify(clientId) +
    ',\n    "scope": ' +
    JSON.stringify(scope) +
    ',\n    "expires_at": ' +
    JSON.stringify(expiresAt) +
    '\n  }\n}'
  );
}
const DATA_HEAD = `${JSON.stringify(DATA, null, 2).slice(0, -2)},\n  "caller": {\n    "sub": `;

const getData: RequestHandler = function getData(req, res) {
  const claims = res.locals.auth?.claims;
  res.setHeader('Cache-Control', 'no-store');
  const caller = claims && {
    sub: claims.sub,
    client_id: claims.client_id,
    scope: claims.scope ?? '',
    expires_at: isoTime(claims.exp),
  };
  // res.json's other settings (escape, replacer), as Express leaves them: unset.
  const { app } = req;
  const plain = app.get('json escape') === undefined && app.get('json replacer') === undefined;
  const json = caller && plain ? dataJson(app.get('json spaces'), caller) : undefined;
  if (json === undefined) {
    res.json({ ...DATA, caller });
    return;
  }
  // What res.json sets and sends, with the text it would have written.
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.send(json);
};
