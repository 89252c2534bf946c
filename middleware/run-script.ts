import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { bearerChallenge, bearerChallenges, cookieChallenge } from '../src/auth/challenges';
import { jsonOrForm } from '../src/http/body';
import { problem, StoreUnavailableError, type HttpError } from '../src/http/problems';
import { storeFailureLog } from '../src/http/outage-log';
import { scriptedFailure } from '../src/http/scripted';
import type { Visitors, VisitorTag } from '../src/http/visitors';
import type { RunBook, Run } from '../src/runs/book';
import {
  bearerExp,
  isResourceRequest,
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

export interface RunScriptOptions {
  book: RunBook;
  visitors: Visitors;
  fingerprint: Fingerprinter;
  clock: Clock;
  /** The session cookie's name, for the scripted session_absolute_expired challenge. */
  cookieName: string;
  /** RFC 9728 metadata URL, named in the scripted Bearer challenges like in every other. */
  resourceMetadata?: string;
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
  const { book, visitors, fingerprint, clock, cookieName, logger } = options;
  if (!book || typeof book.find !== 'function')
    throw new TypeError('runScript: book must be a RunBook');
  const latencyMs = options.latencyMs ?? SCRIPTED_LATENCY_MS;
  const challenges = bearerChallenges(options.resourceMetadata);
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
        return scriptedFailure('401', which, extensions, challenges.invalidToken('token_expired'));
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
          return 'token_expired';
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
    const onDone = () => {
      res.removeListener('finish', onDone);
      res.removeListener('close', onDone);
      try {
        const body = req.body as Record<string, unknown> | undefined;
        const refreshToken = body?.refresh_token;
        const retryAfter = retryAfterSeconds(res.getHeader('retry-after'));
        const code = res.locals.problemCode;
        const record: RunRecord = {
          n,
          at: tag.at,
          ms: clock.now() - tag.at,
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
          last_arrived: book.latest(visitor, run, n),
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
    const visitor = visitors.of(req);
    const run = await book.find(visitor, tag.id);
    const n = await book.arrive(visitor, run);
    recordAfterAnswer(req, res, visitor, run, n);
    const answer = await scripted(req, res, visitor, run, tag.path);
    if (answer === undefined) {
      next();
      return;
    }
    tag.scripted = true;
    await sleep(latencyMs);
    const which = `Scripted by run ${run.id} (script "${run.script.name}", request ${n})`;
    const error = refusal(answer, which);
    if (error) throw error;
    // Outside the protected resource, in the run: a client that follows it with its credential
    // shows in the report (credential_sent_elsewhere).
    const prefix = tag.via === 'path' ? `/runs/${run.id}` : '';
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(307, `${prefix}${ELSEWHERE}${tag.path}`);
  };
}

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
