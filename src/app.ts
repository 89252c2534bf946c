import express from 'express';
import helmet from 'helmet';
import pino, { type Logger } from 'pino';
import pinoHttp from 'pino-http';
import { bearerAuth } from '../middleware/bearer-auth';
import { openaiAuth } from '../middleware/openai-auth';
import { requestId } from '../middleware/request-id';
import { bearerRouter } from '../routes/bearer';
import { catalogRouter } from '../routes/catalog';
import { healthRouter } from '../routes/health';
import { openaiRouter } from '../routes/openai';
import type { Config } from './config';
import { createKeyRing, type KeyRing } from './keys';
import { notFound, problemHandler } from './problems';
import { SpecimenBook } from './specimens';
import { systemClock, type Clock, type Store } from './store';
import { createTokenVerifier } from './tokens';

/** What the app is built from, besides configuration; tests inject their own. */
export interface Deps {
  store: Store;
  clock?: Clock;
  logger?: Logger;
  keys?: KeyRing;
  /** Makes request ids; injected by tests that want fixed ids. */
  generateRequestId?: () => string;
}

type Res = { locals?: Partial<Express.Locals>; statusCode: number };

/**
 * Assembles the application. Never listens: src/server.ts does, and tests hand the app to
 * supertest. Everything that can be computed once (keys, challenges, the verifier) is built here.
 */
export function createApp(config: Config, deps: Deps): express.Application {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? pino({ level: config.logLevel });
  const keys = deps.keys ?? createKeyRing(config);
  const tokenOptions = { keys, jwt: config.jwt, clock, store: deps.store };
  const verify = createTokenVerifier(tokenOptions);
  const specimens = new SpecimenBook(tokenOptions);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 2);

  app.use(requestId({ generate: deps.generateRequestId }));
  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => (res as Res).locals?.requestId ?? '',
      // Never log headers: they hold tokens, cookies and passwords. Never log the query either.
      serializers: {
        req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({
          method: req.method,
          path: req.url?.split('?')[0],
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      customSuccessObject: (_req, res, value: object) => withRejection(res as Res, value),
      customErrorObject: (_req, res, _err, value: object) => withRejection(res as Res, value),
    }),
  );
  // A JSON API with server-rendered HTML docs: helmet's defaults (strict CSP, no sniffing, ...)
  // fit both, except upgrade-insecure-requests, which would break the pages on plain-http
  // localhost where learners run the server.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));

  app.use(healthRouter(deps.store));
  app.use(catalogRouter({ specimens, baseUrl: config.publicUrl }));
  app.use(bearerRouter({ bearerAuth: bearerAuth({ verify }) }));
  app.use(
    openaiRouter({ openaiAuth: openaiAuth({ verify, apiKey: config.demo.openaiKey }), clock }),
  );

  app.use(notFound);
  app.use(problemHandler(logger));
  return app;
}

/** The log line of a refused request names its request id, problem code and reason. */
function withRejection(res: Res, value: object): object {
  const locals = res.locals ?? {};
  return {
    ...value,
    requestId: locals.requestId,
    ...(locals.problemCode ? { code: locals.problemCode, reason: locals.problemDetail } : {}),
  };
}
