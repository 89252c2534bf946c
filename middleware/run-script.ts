import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import {
  bearerChallenge,
  bearerChallenges,
  challenges,
  cookieChallenge,
  dpopChallenge,
} from '../src/auth/challenges';
import { jsonOrForm } from '../src/http/body';
import { acceptedSoFar, firstOnConnection } from '../src/http/connections';
import { problem, StoreUnavailableError, type HttpError } from '../src/http/problems';
import { storeFailureLog } from '../src/http/outage-log';
import { scriptedFailure } from '../src/http/scripted';
import type { Visitors, VisitorTag } from '../src/http/visitors';
import type { RunBook, Run } from '../src/runs/book';
import {
  bearerExp,
  isResourceRequest,
  proofNonce,
  requestKind,
  retryAfterSeconds,
  type Fingerprinter,
  type RunRecord,
} from '../src/runs/record';
import { ELSEWHERE } from '../src/runs/rules';
import {
  counts,
  expiries,
  SCRIPTED_LATENCY_MS,
  stepFor,
  type StepAnswer,
} from '../src/runs/scripts';
import { problemCatalog } from '../src/scenarios/catalog';
import type { Clock } from '../src/store';
import type { DpopNonces } from '../src/tokens/dpop';

export interface RunScriptOptions {
  book: RunBook;
  visitors: Visitors;
  fingerprint: Fingerprinter;
  clock: Clock;
  /** The session cookie's name, for the scripted session_absolute_expired challenge. */
  cookieName: string;
  /** RFC 9728 metadata URL, named in the scripted Bearer challenges like in every other. */
  resourceMetadata?: string;
  /** The server's DPoP nonces (src/tokens/dpop.ts), for the dpop-nonce script. */
  nonces: DpopNonces;
  /** Told when a record could not be stored; the answer was sent already. */
  logger?: Logger;
  /** How long a scripted answer waits (tests shorten it); SCRIPTED_LATENCY_MS unless told. */
  latencyMs?: number;
}

/**
 * For a request that names a run (middleware/run-tag.ts): finds the run (404 run_not_found or
 * run_expired, and the request is not served), numbers the request, answers it as the run's
 * script says (src/runs/scripts.ts) or lets the routes answer, and records it after the answer,
 * in one store write. Runs after the CORS policy, so a scripted refusal carries CORS headers.
 */
export function runScript(options: RunScriptOptions): RequestHandler {
  const { book, visitors, fingerprint, clock, cookieName, nonces, logger } = options;
  if (!book || typeof book.find !== 'function')
    throw new TypeError('runScript: book must be a RunBook');
  if (!nonces || typeof nonces.check !== 'function')
    throw new TypeError('runScript: nonces must be DpopNonces');
  const latencyMs = options.latencyMs ?? SCRIPTED_LATENCY_MS;
  const resourceMetadata = options.resourceMetadata;
  const bearer = bearerChallenges(resourceMetadata);
  // Two challenges in one field (RFC 9110 §11.6.1), the one without an error first: a client
  // that reads only the first scheme never finds Bearer's invalid_token.
  const twoChallenges = challenges(
    dpopChallenge({ resourceMetadata }),
    bearer.invalidToken('token_expired'),
  );
  const nonceChallenge = dpopChallenge({
    error: 'use_dpop_nonce',
    code: 'dpop_nonce_required',
    resourceMetadata,
  });
  // A gateway's 401: the standard challenge, nothing else that says why (no description).
  const gatewayChallenge = bearerChallenge({ error: 'invalid_token', resourceMetadata });
  const scopeChallenge = bearerChallenge({
    error: 'insufficient_scope',
    errorDescription: problemCatalog.insufficient_scope.title,
    scope: 'data:read',
    resourceMetadata: options.resourceMetadata,
  });
  const parseBody = jsonOrForm();

  /** The scripted refusal of a step (a redirect is answered, not thrown). */
  const refusal = (answer: StepAnswer, which: string): HttpError | undefined => {
    const extensions = { scripted: true };
    switch (answer) {
      case 'token_expired':
        return scriptedFailure('401', which, extensions, bearer.invalidToken('token_expired'));
      case 'two_challenges':
        return scriptedFailure('401', which, extensions, twoChallenges);
      case 'use_dpop_nonce':
        return problem('dpop_nonce_required', {
          detail: `${which}: this resource demands a nonce in every DPoP proof. Make a new proof whose nonce is this answer's DPoP-Nonce and retry once, with the same token.`,
          headers: { 'WWW-Authenticate': nonceChallenge, 'DPoP-Nonce': nonces.issue() },
          extensions,
        });
      case 'rate_limited':
        return scriptedFailure('429', which, extensions, '');
      case 'store_unavailable':
        return scriptedFailure('503', which, extensions, '');
      case 'insufficient_scope':
        return problem('insufficient_scope', {
          detail: `${which}: this token is valid, but its scope is not enough here. A new token with the same grant would be refused the same way.`,
          headers: { 'WWW-Authenticate': scopeChallenge },
          extensions: { ...extensions, required_scope: 'data:read' },
        });
      case 'session_absolute_expired':
        return problem('session_absolute_expired', {
          detail: `${which}: the session reached its absolute timeout. No keepalive extends it: log in again.`,
          headers: { 'WWW-Authenticate': cookieChallenge(cookieName) },
          extensions,
        });
      case 'redirect_elsewhere':
      case 'gateway_body':
        return undefined;
    }
  };

  /** What the run's script answers this request, if anything. */
  const scripted = async (
    req: Request,
    res: Response,
    visitor: VisitorTag,
    run: Run,
    path: string,
  ): Promise<StepAnswer | undefined> => {
    const script = run.script;
    const authorization = req.headers.authorization;
    if (isResourceRequest(path, authorization !== undefined)) {
      const expire = expiries(script);
      if (expire.length > 0) {
        const slots = Math.max(...expire.map((e) => e.credential));
        const ordinal = await book.ordinal(visitor, run, fingerprint(authorization!), slots);
        const step = expire.find((e) => e.credential === ordinal);
        if (
          step &&
          ordinal !== undefined &&
          (await book.use(visitor, run, ordinal)) >= step.fromUse
        ) {
          return step.answer;
        }
      }
      if (counts(script, 'dpop') && DPOP_SCHEME.test(authorization!)) {
        const answer = stepFor(script, 'dpop', await book.nth(visitor, run, 'dpop'));
        // The resource demands a nonce: a proof with one this server gave is let through.
        const nonce = proofNonce(headerText(req.headers.dpop));
        if (answer !== 'use_dpop_nonce' || nonce === undefined || !nonces.check(nonce)) {
          if (answer !== undefined) return answer;
        }
      }
      if (counts(script, 'resource')) {
        return stepFor(script, 'resource', await book.nth(visitor, run, 'resource'));
      }
      return undefined;
    }
    if (path === '/keepalive' && counts(script, 'keepalive')) {
      return stepFor(script, 'keepalive', await book.nth(visitor, run, 'keepalive'));
    }
    if (req.method === 'POST' && path === '/auth/token' && counts(script, 'refresh')) {
      await parse(req, res, parseBody);
      if ((req.body as Record<string, unknown>).grant_type !== 'refresh_token') return undefined;
      return stepFor(script, 'refresh', await book.nth(visitor, run, 'refresh'));
    }
    return undefined;
  };

  /** Stores the request's record once it is answered. Never throws: it runs in a listener. */
  const recordAfterAnswer = (
    req: Request,
    res: Response,
    visitor: VisitorTag,
    run: Run,
    n: number,
    conn: number | undefined,
  ) => {
    const tag = res.locals.run!;
    const authorization = req.headers.authorization;
    const credential =
      authorization ?? headerText(req.headers['x-api-key']) ?? headerText(req.headers.cookie);
    // A token answer's access token, by its fingerprint: the report can then tell a client that
    // reused a refresh token after using what it gave from one that refreshed concurrently.
    let issued: string | undefined;
    if (req.method === 'POST' && tag.path === '/auth/token') {
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        const token = (body as { access_token?: unknown } | null)?.access_token;
        if (typeof token === 'string') issued = fingerprint(token);
        return json(body);
      };
    }
    // When the answer was written, from which moment the client may read it. 'finish' comes once
    // the write is handed to the kernel, and on a busy event loop some time later still: timed
    // there, a client that waited exactly its Retry-After once looked 100 ms early (a whole
    // `npm test` on two busy cores, 2026-12-03). A report must not accuse a correct client.
    let writtenAt: number | undefined;
    const end = res.end;
    res.end = function endTimed(this: Response, ...args: unknown[]) {
      writtenAt ??= clock.now();
      return (end as (...a: unknown[]) => Response).apply(this, args);
    } as typeof res.end;
    const onDone = () => {
      res.removeListener('finish', onDone);
      res.removeListener('close', onDone);
      try {
        const body = req.body as Record<string, unknown> | undefined;
        const refreshToken = body?.refresh_token;
        const retryAfter = retryAfterSeconds(res.getHeader('retry-after'));
        const code = res.locals.problemCode;
        const nonceGiven = headerText(res.getHeader('dpop-nonce') as string | undefined);
        const sentNonce = proofNonce(headerText(req.headers.dpop));
        const record: RunRecord = {
          n,
          at: tag.at,
          ms: (writtenAt ?? clock.now()) - tag.at,
          method: req.method,
          path: tag.path.slice(0, 200),
          host: (req.headers.host ?? '').slice(0, 100),
          kind: requestKind(req.method, tag.path, body, authorization !== undefined),
          ...(credential !== undefined && { credential: fingerprint(credential) }),
          ...(typeof refreshToken === 'string' && { refresh_token: fingerprint(refreshToken) }),
          ...(issued !== undefined && { issued }),
          ...(bearerExp(authorization) !== undefined && { token_exp: bearerExp(authorization) }),
          status: res.statusCode,
          ...(code !== undefined && { code }),
          ...(retryAfter !== undefined && { retry_after: retryAfter }),
          ...(tag.scripted === true && { scripted: true }),
          ...(tag.step !== undefined && { step: tag.step }),
          ...(nonceGiven !== undefined && { nonce_given: fingerprint(nonceGiven) }),
          ...(sentNonce !== undefined && { proof_nonce: fingerprint(sentNonce) }),
          last_arrived: book.latest(visitor, run, n),
          ...(conn !== undefined && { conn }),
          ...acceptedSoFar(req.socket),
        };
        book.record(visitor, run, record).catch((err: unknown) => {
          if (err instanceof StoreUnavailableError && logger) {
            storeFailureLog(logger).note('run record', err);
          } else {
            logger?.warn(
              { requestId: res.locals.requestId, error: String(err) },
              'run record not stored',
            );
          }
        });
      } catch (err) {
        logger?.error({ err, requestId: res.locals.requestId }, 'run record not built');
      }
    };
    res.on('finish', onDone);
    res.on('close', onDone);
  };

  return async function runScriptMiddleware(req, res, next) {
    const tag = res.locals.run;
    if (tag === undefined) {
      next();
      return;
    }
    const conn = firstOnConnection(req);
    const visitor = visitors.of(req);
    const run = await book.find(visitor, tag.id);
    const n = await book.arrive(visitor, run);
    recordAfterAnswer(req, res, visitor, run, n, conn);
    const answer = await scripted(req, res, visitor, run, tag.path);
    if (answer === undefined) {
      next();
      return;
    }
    tag.scripted = true;
    tag.step = answer;
    await sleep(latencyMs);
    const which = `Scripted by run ${run.id} (script "${run.script.name}", request ${n})`;
    const error = refusal(answer, which);
    if (error) throw error;
    res.setHeader('Cache-Control', 'no-store');
    if (answer === 'gateway_body') {
      // Not this server's problem+json on purpose: what a gateway in front of an API answers,
      // so that only a client that reads the challenge knows what to do (gateway-body script).
      res.setHeader('WWW-Authenticate', gatewayChallenge);
      res.status(401).type('html').send(GATEWAY_BODY);
      return;
    }
    // Outside the protected resource, in the run: a client that follows it with its credential
    // shows in the report (credential_sent_elsewhere).
    const prefix = tag.via === 'path' ? `/runs/${run.id}` : '';
    res.redirect(307, `${prefix}${ELSEWHERE}${tag.path}`);
  };
}

/** `Authorization: DPoP …` (RFC 9449 §7.1). */
const DPOP_SCHEME = /^dpop\s/i;

/** A gateway's default 401 page: it says who refused, never why. */
const GATEWAY_BODY =
  '<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>gateway</center>\r\n</body>\r\n</html>\r\n';

/** One header field's text, or undefined. */
function headerText(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Runs body parsers in turn (as the token endpoint would), rejecting with their error. */
function parse(req: Request, res: Response, handlers: RequestHandler[]): Promise<void> {
  return handlers.reduce(
    (done, handler) =>
      done.then(
        () =>
          new Promise<void>((resolve, reject) => {
            const result = handler(req, res, (err?: unknown) =>
              err ? reject(err as Error) : resolve(),
            ) as unknown;
            if (result instanceof Promise) result.catch(reject);
          }),
      ),
    Promise.resolve(),
  );
}
