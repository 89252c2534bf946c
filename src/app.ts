import express from 'express';
import session from 'express-session';
import pino, { type Logger } from 'pino';
import pinoHttp from 'pino-http';
import { answeringErrors } from '../middleware/answer-errors';
import { bearerAuth } from '../middleware/bearer-auth';
import { corsPolicy } from '../middleware/cors-policy';
import { dpopAuth } from '../middleware/dpop-auth';
import { explainRecorder } from '../middleware/explain-recorder';
import { forwardProxy } from '../middleware/forward-proxy';
import { hstsWhenSecure } from '../middleware/hsts';
import { openaiAuth } from '../middleware/openai-auth';
import { clientCredentialLimit } from '../middleware/client-auth';
import { authorizeLoginLimit, failureLimiter, loginRateLimit } from '../middleware/rate-limit';
import { requestId } from '../middleware/request-id';
import { runScript } from '../middleware/run-script';
import { runTag } from '../middleware/run-tag';
import { requireRecentLogin } from '../middleware/require-recent-login';
import { requireRole } from '../middleware/require-role';
import { requireScope } from '../middleware/require-scope';
import { securityHeaders } from '../middleware/security-headers';
import { sequence } from '../middleware/sequence';
import { sessionAuth } from '../middleware/session-auth';
import { adminRouter } from '../routes/admin';
import { bearerRouter } from '../routes/bearer';
import { catalogRouter } from '../routes/catalog';
import { classicRouter } from '../routes/classic';
import { webhooksRouter } from '../routes/webhooks';
import { pushRouter } from '../routes/push';
import { privacypassRouter } from '../routes/privacypass';
import { DPOP_OFFER } from './auth/challenges';
import { vapidSpecimens } from './auth/vapid';
import { ntlmRouter } from '../routes/ntlm';
import { oauth1Router } from '../routes/oauth1';
import { Oauth1Grants } from './auth/oauth1-grants';
import { scramRouter } from '../routes/scram';
import { gnapRouter } from '../routes/gnap';
import { hobaRouter } from '../routes/hoba';
import { mutualRouter } from '../routes/mutual';
import { concealedRouter } from '../routes/concealed';
import { DEMO_WEBHOOK_SECRET } from './auth/webhook';
import { corsRouter } from '../routes/cors';
import { corsBrokenRouter } from '../routes/cors-broken';
import { echoRouter } from '../routes/echo';
import { explainRouter } from '../routes/explain';
import { healthRouter } from '../routes/health';
import { frontDoor } from '../routes/home';
import { sessionRouter } from '../routes/session';
import { sourcesRouter } from '../routes/sources';
import { openaiRouter } from '../routes/openai';
import { openapiRouter } from '../routes/openapi';
import { playgroundRouter } from '../routes/playground';
import { runsRouter } from '../routes/runs';
import { tokensRouter } from '../routes/tokens';
import { authorizeRouter } from '../routes/authorize';
import { registeredClients } from './oauth/clients';
import { CodeFlow } from './oauth/codes';
import { formKeys } from './oauth/forms';
import { digestSpecimens } from './auth/digest';
import type { Config } from './config';
import { ExplanationBook } from './teaching/explain';
import { traceNow } from './teaching/trace';
import { Directory } from './tokens/identities';
import { TokenService } from './tokens/issuer';
import { MfaChallenges } from './tokens/mfa';
import { createKeyRing, type KeyRing } from './tokens/keys';
import { notFound, pathOf, problemHandler } from './http/problems';
import { redactPath } from './http/redact';
import { registryFor, registrySettings, sessionCookieName } from './scenarios';
import { SpecimenBook } from './tokens/specimens';
import { systemClock, type Clock, type Store } from './store';
import { StoreEpoch } from './store/epoch';
import { mintExpiredSessions, SessionStore } from './store/session-store';
import { createTokenVerifier } from './tokens/verify';
import { dpopNonces } from './tokens/dpop';
import { createVisitors } from './http/visitors';
import { RunBook } from './runs/book';
import { DeferredRouters, pathGate } from '../middleware/path-gate';
import { fingerprinter } from './runs/record';

/** What the app is built from, besides configuration; tests inject their own. */
export interface Deps {
  store: Store;
  clock?: Clock;
  logger?: Logger;
  keys?: KeyRing;
  /** Makes request ids; injected by tests that want fixed ids. */
  generateRequestId?: () => string;
  /** True once the process is shutting down: /readyz then answers 503 (src/server.ts). */
  draining?: () => boolean;
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
  const store = deps.store;
  // Tokens issued before the store lost its data are refused (src/store/epoch.ts).
  const epoch = new StoreEpoch(store, clock, clock.now(), logger);
  const tokenOptions = { keys, jwt: config.jwt, clock, store, epoch };
  const verify = createTokenVerifier(tokenOptions);
  // Cookie sessions (second article, section 2). Secure deployments get `Secure` and the
  // `__Host-` prefix, which browsers only accept over TLS with Path=/ and no Domain.
  const cookieName = sessionCookieName(config.session.cookieSecure);
  // The registry as this configuration answers it: what /scenarios, /problems, the playground
  // and /openapi.json show is what the server does here (its origins, cookie name, URLs).
  // Filled when a page first needs it (registryFor keeps it), not while the server starts.
  const settings = registrySettings(config);
  const registry = () => registryFor(settings);
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.session.cookieSecure,
  };
  const sessionSecret = config.session.secret.toString('base64');
  const sessionStore = new SessionStore(store, () => clock.now(), cookieOptions);
  const sessions = session({
    name: cookieName,
    secret: sessionSecret,
    store: sessionStore,
    resave: false,
    saveUninitialized: false, // anonymous requests create nothing
    // Never destroy on the way out: when a session's load failed (a Redis stall), express-session
    // would otherwise delete the very session it could not read. Logout destroys explicitly.
    unset: 'keep',
    cookie: cookieOptions,
  });
  const specimens = new SpecimenBook({
    ...tokenOptions,
    stepUpMaxAgeSeconds: config.tokens.stepUpMaxAgeSeconds,
    confidentialClientId: config.demo.apiKey,
    publicUrl: config.publicUrl,
    sessions: () =>
      mintExpiredSessions({
        store: sessionStore,
        now: clock.now(),
        secret: sessionSecret,
        cookieName,
        idleMs: config.session.idleSeconds * 1000,
        absoluteMs: config.session.absoluteSeconds * 1000,
      }),
    // Signed with the secret the Digest routes check nonces with (routes/classic.ts).
    digest: (now) => digestSpecimens(config.jwt.secret, now),
    // VAPID JWTs for this push service's origin (routes/push.ts).
    vapid: (now) => vapidSpecimens(new URL(config.publicUrl).origin, now),
  });
  const tokens = new TokenService({ ...tokenOptions, tokens: config.tokens }, verify);
  const directory = new Directory(config.demo);
  // The authorization-code flow's codes and pending consents (src/oauth/codes.ts).
  const codeFlow = new CodeFlow({ store, clock, config, keys, service: tokens });
  // One budget of refused secrets for every place a password or key is checked, but /login,
  // which keeps its own (stricter) one: middleware/rate-limit.ts.
  const credentials = failureLimiter({
    store,
    clock,
    logger,
    name: 'credentials',
    limits: config.credentialLimits,
  });
  // Who is asking, as a tag: every write a visitor causes is charged to it (src/http/visitors.ts).
  const visitors = createVisitors(config.session.secret);
  // RFC 9728 §5.1: every Bearer challenge says where to find the resource's metadata.
  const resourceMetadata = `${config.publicUrl}/.well-known/oauth-protected-resource`;
  const bearerOptions = { verify, resourceMetadata, store, logger, owner: visitors.of };
  const requireBearer = bearerAuth(bearerOptions);
  // DPoP (RFC 9449): /api/v1/* take `Authorization: DPoP` with a proof too; other schemes go on
  // to the Bearer guard, whose challenges there offer DPoP beside Bearer (RFC 9449 §7.2). Nonces are stateless (an HMAC of the minute); the specimen key's proofs
  // never write to the replay cache (src/tokens/specimens.ts).
  const nonces = dpopNonces(config.session.secret, clock);
  const dpopOptions = {
    bearer: bearerAuth({ ...bearerOptions, alongside: DPOP_OFFER }),
    verify,
    publicUrl: config.publicUrl,
    clock,
    store,
    owner: visitors.of,
    nonces,
    readOnlyKey: (jkt: string) => jkt === specimens.dpopJkt,
    resourceMetadata,
  };
  const requireBearerOrDpop = dpopAuth(dpopOptions);
  const requireDpopNonce = dpopAuth({ ...dpopOptions, requireNonce: true });
  // Scopes are real (RFC 6749 §3.3, RFC 6750 §3.1): the data routes need data:read; /admin needs
  // the admin role (who the user is) and then the admin scope (what this token was granted).
  const requireDataRead = requireScope('data:read', { resourceMetadata });
  const requireAdmin = [requireRole('admin'), requireScope('admin', { resourceMetadata })];

  const app = express();
  // Tests and the playground fire registry triggers with the very specimens this app minted.
  app.locals.specimens = specimens;
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 2);
  app.set('etag', false);
  // Each family's router, entered only by requests for its paths (middleware/path-gate.ts).
  const mount = (router: express.Router) => app.use(pathGate(router));
  // The families after the hot ones, built after the server listens (or by their first request):
  // their building was most of createApp, which a start-up waits for (issue 17, goal 3).
  const cold = new DeferredRouters();
  const later = (build: () => express.Router) => app.use(cold.add(build));

  // In memory, explanations sit on a shelf of their own where the oldest give way, so a flood
  // of refusals never fills the store that holds sessions and revocations. With Redis, the
  // shared store, so that any instance can explain a request another one answered.
  const explanations = new ExplanationBook({
    store: store.kind === 'memory' ? undefined : store,
    now: () => clock.now(),
    perAddressPerMinute: config.explainPerAddressPerMinute,
  });
  // What every request passes, as one layer (middleware/sequence.ts): its id, the explanation
  // claim, the access log line, helmet's headers (worked out once) and HSTS over TLS.
  app.use(
    sequence(
      requestId({ generate: deps.generateRequestId }),
      explainRecorder({
        book: explanations,
        clock,
        toleranceSeconds: config.jwt.clockToleranceSeconds,
        logger,
      }),
      // A silent logger writes nothing: no access-log middleware at all then (bench/RESULTS.md).
      ...(logger.isLevelEnabled('fatal') ? [accessLog(logger)] : []),
      // A JSON API with server-rendered HTML docs: helmet's defaults (strict CSP, no sniffing,
      // ...) fit both, except upgrade-insecure-requests, which would break the pages on
      // plain-http localhost where learners run the server.
      securityHeaders({
        contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
        strictTransportSecurity: false,
      }),
      hstsWhenSecure(),
      // A request in absolute form (curl -x) is a proxy request: 407 without the proxy's
      // credentials, 403 for any other server, else served here as the path it names.
      forwardProxy({ publicUrl: config.publicUrl }),
      // A request in a run (X-Run-Id, or under a run's base URL /runs/{id}/): named here, its
      // prefix taken off, so that every route below serves it as usual (routes/runs.ts).
      runTag({ clock }),
    ),
  );

  // CORS set-ups that are wrong on purpose, for the demo page and the browser tests; mounted
  // before the real policy, which therefore never touches /cors/broken/*.
  mount(
    corsBrokenRouter({
      origins: config.cors.origins,
      bearerAuth: requireBearer,
      requireDataRead,
      session: sessions,
      sessionAuth: sessionAuth({ clock, cookieName, cookieOptions }),
    }),
  );
  // The CORS policy before every router: preflights are answered before any authentication,
  // and every 401 and 403 to an allowed origin carries the headers that let its script read it.
  app.use(corsPolicy({ origins: config.cors.origins }));
  // A request in a run: found, numbered, answered as the run's script says or passed on, and
  // recorded after its answer (middleware/run-script.ts). Untagged requests pass at once.
  const runs = new RunBook({ store, clock, perVisitor: config.runsPerAddress });
  app.use(
    runScript({
      book: runs,
      visitors,
      fingerprint: fingerprinter(config.session.secret),
      clock,
      cookieName,
      resourceMetadata,
      nonces,
      logger,
    }),
  );
  mount(
    corsRouter({
      frontDoor: frontDoor({
        registry,
        baseUrl: config.publicUrl,
        corsDemoUrl: corsDemoUrl(config),
      }),
    }),
  );
  // The one error writer: registered after the hot routers and last (see below), and handed the
  // hot guards' refusals directly (middleware/answer-errors.ts): no router in between has an
  // error handler, and walking them cost a refusal more than writing it (bench/RESULTS.md).
  const writeErrors = problemHandler(logger);
  const refusingHere = (guard: express.RequestHandler) => answeringErrors(guard, writeErrors);
  // The hot paths first: each router a request passes costs a little (measured in bench/).
  mount(healthRouter(store, { draining: deps.draining, epoch }));
  mount(
    bearerRouter({
      bearerAuth: refusingHere(requireBearerOrDpop),
      dpopNonceAuth: refusingHere(requireDpopNonce),
      requireDataRead,
      store,
      resourceMetadata,
      visitors,
    }),
  );
  // The cookie session and the OpenAI-compatible API are hot paths too: mounted after them,
  // GET /me and GET /v1/models passed some sixty route layers (and their refusals as many
  // again on the way to the error writer). No router above or below serves their paths.
  mount(
    sessionRouter({
      config,
      directory,
      clock,
      session: sessions,
      sessionAuth: refusingHere(sessionAuth({ clock, cookieName, cookieOptions })),
      loginRateLimit: loginRateLimit({ store, clock, directory, logger, ...config.loginLimits }),
      cookieName,
      cookieOptions,
      visitors,
      mfa: new MfaChallenges({ store, clock }),
    }),
  );
  const apiKey = config.demo.openaiKey;
  mount(
    openaiRouter({
      openaiAuth: refusingHere(openaiAuth({ verify, apiKey, resourceMetadata })),
      clock,
    }),
  );
  // The error writer (the one registered last, the same function) here too: any other error on
  // the routes above goes straight to it instead of passing every router below, which an error
  // skips anyway.
  app.use(writeErrors);
  later(() => catalogRouter({ specimens, baseUrl: config.publicUrl, registry: registry() }));
  later(() => sourcesRouter());
  later(() => explainRouter({ book: explanations }));
  later(() =>
    runsRouter({
      book: runs,
      visitors,
      publicUrl: config.publicUrl,
      origins: config.cors.origins,
    }),
  );
  later(() =>
    playgroundRouter({
      specimens,
      baseUrl: config.publicUrl,
      corsDemoUrl: corsDemoUrl(config),
      registry: registry(),
    }),
  );
  later(() => openapiRouter({ publicUrl: config.publicUrl, cookieName, registry: registry() }));
  later(() =>
    tokensRouter({
      config,
      directory,
      service: tokens,
      keys,
      specimens,
      bearerAuth: requireBearer,
      requireAdmin,
      credentialLimit: clientCredentialLimit(credentials, directory),
      visitors,
      codeFlow,
      clock,
      store,
      nonces,
      dpopReadOnlyKey: (jkt) => jkt === specimens.dpopJkt,
    }),
  );
  // The login forms of /authorize and /oauth1/authorize, on the budget of POST /login.
  const formLoginLimit = authorizeLoginLimit(
    failureLimiter({
      store,
      clock,
      logger,
      name: 'login',
      limits: config.loginLimits,
      what: 'failed logins',
    }),
    directory,
  );
  later(() =>
    authorizeRouter({
      config,
      clients: registeredClients(config),
      directory,
      flow: codeFlow,
      forms: formKeys(config.session.secret),
      clock,
      visitors,
      loginLimit: formLoginLimit,
      bearerAuth: requireBearer,
      requireOpenid: requireScope('openid', { resourceMetadata }),
    }),
  );
  later(() =>
    adminRouter({
      bearerAuth: requireBearer,
      requireAdmin,
      requireRecentLogin: requireRecentLogin({
        maxAgeSeconds: config.tokens.stepUpMaxAgeSeconds,
        clock,
        resourceMetadata,
      }),
    }),
  );
  later(() =>
    classicRouter({
      config,
      clock,
      store,
      directory,
      bearerAuth: requireBearer,
      credentials,
      visitors,
    }),
  );
  // Stripe-style signed webhooks: the signing secret is published (src/auth/webhook.ts).
  later(() =>
    webhooksRouter({ secret: DEMO_WEBHOOK_SECRET, store, clock, owner: (req) => visitors.of(req) }),
  );
  // A Web Push service with one subscription restricted to a published VAPID key (RFC 8292).
  later(() =>
    pushRouter({ publicUrl: config.publicUrl, clock, store, owner: (req) => visitors.of(req) }),
  );
  // Privacy Pass (RFC 9577): PrivateToken tokens of a published demo issuer, spent once each.
  later(() =>
    privacypassRouter({
      secret: config.jwt.secret,
      issuerName: new URL(config.publicUrl).host,
      store,
      clock,
      owner: (req) => visitors.of(req),
    }),
  );
  // Negotiate and NTLM: the handshake's challenge lives with the TCP connection (routes/ntlm.ts).
  later(() => ntlmRouter({ config, clock, credentials, owner: (req) => visitors.of(req) }));
  // OAuth 1.0a signed requests with the published demo credentials (src/auth/oauth1.ts).
  later(() =>
    oauth1Router({
      store,
      clock,
      publicUrl: config.publicUrl,
      owner: (req) => visitors.of(req),
      grants: new Oauth1Grants(store, clock),
      directory,
      corsOrigins: config.cors.origins,
      loginLimit: formLoginLimit,
      demoUsers: `${config.demo.username} and ${config.demo.adminUsername} (the README gives their passwords)`,
    }),
  );
  // SCRAM over HTTP: two rounds of 401, the exchange kept under its sid in the store.
  later(() => scramRouter({ config, store, credentials, owner: (req) => visitors.of(req) }));
  // GNAP: an immediate grant bound to the client's key, and a resource that checks its proof.
  later(() =>
    gnapRouter({ store, clock, publicUrl: config.publicUrl, owner: (req) => visitors.of(req) }),
  );
  // HOBA: keys registered per visitor, challenges that need no state until answered.
  later(() => hobaRouter({ config, store, clock, credentials, owner: (req) => visitors.of(req) }));
  // Mutual (RFC 8120): the challenge and the client messages; no state, no exchange completes.
  later(() => mutualRouter({ publicUrl: config.publicUrl }));
  // Concealed (RFC 9729): over TLS 1.3 only; on plain http each refusal says what is missing.
  later(() => concealedRouter());
  // httpbin's echo: what the client sent, its secrets decoded but never echoed (no state).
  later(() => echoRouter());

  app.use(notFound);
  app.use(writeErrors);
  cold.start();
  return app;
}

/**
 * pino-http's access line: one JSON line per answer, no headers, no query, secrets in paths
 * redacted; a refusal's line names its request id, code, reason and trace.
 */
function accessLog(logger: Logger): express.RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (_req, res) => (res as Res).locals?.requestId ?? '',
    // Never log headers: they hold tokens, cookies and passwords. Never log the query either,
    // nor a password or key that the path itself carries (/basic-auth/:user/:passwd).
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({
        method: req.method,
        path: redactPath(pathOf(req.url ?? '')),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => accessLogLevel(res.statusCode, err),
    customSuccessObject: (_req, res, value: object) => withRejection(res as Res, value),
    customErrorObject: (_req, res, _err, value: object) =>
      withRejection(res as Res, withoutSyntheticError(res as Res, value)),
  });
}

/** The CORS demo page on its own port (src/server.ts starts it), if it is on. */
function corsDemoUrl(config: Config): string | undefined {
  if (config.cors.demoPort === 0) return undefined;
  const url = new URL(config.publicUrl);
  url.port = String(config.cors.demoPort);
  return `${url.origin}/`;
}

/**
 * An access line's level: a 503 is the server doing its job during an outage or a drain
 * (summarised elsewhere, src/http/outage-log.ts), so it warns; other 5xx are errors.
 */
function accessLogLevel(status: number, err: unknown): 'info' | 'warn' | 'error' {
  if (status === 503) return 'warn';
  return err || status >= 500 ? 'error' : 'info';
}

/**
 * pino-http puts an Error "failed with status code N" with its own stack on every 5xx line. When
 * the answer is a problem we wrote, its code says more, and the real error (a 500's) is logged
 * once by the error handler: the access line stays one short line.
 */
function withoutSyntheticError(res: Res, value: object): object {
  if (!res.locals?.problemCode) return value;
  const { err: _synthetic, ...rest } = value as { err?: unknown };
  return rest;
}

/**
 * The log line of a refused request names its request id, problem code and reason (a 404's
 * reason repeats the path, so credentials in it are redacted there too). Runs in pino-http's
 * `finish` listener, where a throw would end the process: it cannot throw.
 */
function withRejection(res: Res, value: object): object {
  const locals = res.locals ?? {};
  const detail = locals.problemDetail;
  return {
    ...value,
    requestId: locals.requestId,
    ...(locals.problemCode
      ? {
          code: locals.problemCode,
          reason: typeof detail === 'string' ? redactPath(detail) : detail,
        }
      : {}),
    ...(locals.problemCode && locals.trace ? { trace: traceNow(locals) } : {}),
  };
}
