import { Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import type { Response } from 'supertest';
import request from 'supertest';
import pino from 'pino';
import { createApp } from '../src/app';
import { loadConfig, type Config } from '../src/config';
import { createServer } from '../src/http/server';
import { isJsonErrorPath, isOAuthPath } from '../src/http/problems';
import { createKeyRing, type KeyRing } from '../src/tokens/keys';
import type { SpecimenBook } from '../src/tokens/specimens';
import { MemoryStore, type Clock, type Store } from '../src/store';
import { issueAccessToken, type IssueOptions } from '../src/tokens/verify';

export const TEST_SECRET = 'four-oh-one-test-secret-of-at-least-32-bytes';

/** A configuration as `npm start` would load it, with a fixed secret and no logging. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', JWT_SECRET: TEST_SECRET, ...env });
}

/** A clock that stands still until moved. */
export interface TestClock extends Clock {
  advance(ms: number): void;
  set(iso: string): void;
}

export function testClock(iso = '2026-11-22T07:00:00Z'): TestClock {
  let t = Date.parse(iso);
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (when) => {
      t = Date.parse(when);
    },
  };
}

export interface TestContext {
  app: ReturnType<typeof createApp>;
  config: Config;
  clock: TestClock;
  keys: KeyRing;
  store: Store;
  specimens: SpecimenBook;
  /** A supertest agent on the real HTTP server (with its header limits and clientError handler). */
  http: () => ReturnType<typeof request>;
  /** Issues a valid access token with the app's keys and clock. */
  token: (options?: Partial<IssueOptions>) => string;
}

/**
 * Each request on a connection of its own (`Connection: close`), as when supertest started a
 * server for each: none waits on, or races the close of, a connection an earlier test left.
 */
const ONE_CONNECTION_EACH = new Agent({ keepAlive: false });

/**
 * The app's requests on its server, which listens (on 127.0.0.1, unreferenced, closed when the
 * test file ends) from the first request on: supertest binds, listens on and closes a server of its own for each request it
 * makes to one that does not listen, ~150 µs of binding alone here, 584 uses in the tests.
 */
function onOwnConnections(agent: ReturnType<typeof request>): ReturnType<typeof request> {
  const methods = agent as unknown as Record<string, (url: string) => { agent(a: Agent): unknown }>;
  for (const method of Object.keys(methods)) {
    const make = methods[method]!;
    methods[method] = (url: string) => make(url).agent(ONE_CONNECTION_EACH) as never;
  }
  return agent;
}

/** The servers `buildApp`'s apps listen on in this test file, closed when the file ends. */
const listeningServers = new Set<Server>();
if (typeof afterAll === 'function') {
  afterAll(async () => {
    const servers = [...listeningServers];
    listeningServers.clear();
    await Promise.all(
      servers.map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
  });
}

/** Builds an app on a memory store and a test clock, with the pieces tests need beside it. */
export function buildApp(
  options: { env?: Record<string, string>; store?: Store; clock?: TestClock } = {},
): TestContext {
  const config = testConfig(options.env);
  const clock = options.clock ?? testClock();
  const store = options.store ?? new MemoryStore({ maxEntries: 10_000, clock, sweepIntervalMs: 0 });
  const keys = createKeyRing(config);
  const app = createApp(config, { store, clock, keys, logger: pino({ level: 'silent' }) });
  const tokenOptions = { keys, jwt: config.jwt, clock, store };
  let server: Server | undefined;
  const requestApp = () => {
    if (server?.listening) return onOwnConnections(request(server));
    if (server === undefined) {
      server = createServer(app);
      server.listen(0, '127.0.0.1');
      server.unref();
      listeningServers.add(server);
    }
    // Not listening yet (the first request): on a server of its own, as supertest makes one.
    return request(createServer(app));
  };
  return {
    app,
    config,
    clock,
    keys,
    store,
    specimens: app.locals.specimens as SpecimenBook,
    http: requestApp,
    token: (o = {}) =>
      issueAccessToken(tokenOptions, {
        sub: 'test-user',
        clientId: 'test-client',
        scope: 'data:read',
        expiresIn: 300,
        ...o,
      }).token,
  };
}

export interface ProblemExpectation {
  status: number;
  code: string;
  /** The exact WWW-Authenticate value, or null when there must be none; undefined: not checked. */
  challenge?: string | null;
}

/** What a stack trace leaves in a body: `at <something>.ts:12`. */
const STACK_FRAME = /\bat .+\.(ts|js):\d+/;
/** RFC 6749 §5.2: `error` and `error_description` are printable ASCII without `"` and `\`. */
const OAUTH_ERROR = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;
const OAUTH_DESCRIPTION = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * Asserts a response is the documented problem: status, content type, body, request id, its
 * occurrence, and the challenge when one is given. One assertion over all of it: a failure shows
 * every fact that differs at once, and a passing answer costs one `expect` (each costs some
 * 70 µs of Jest's bookkeeping, and the scenario tests check thousands of answers).
 */
export function expectProblem(res: Response, expected: ProblemExpectation): void {
  // The OAuth endpoints speak the same members as application/json (RFC 6749 §5.2), always
  // with the OAuth `error` and `error_description` an OAuth library reads.
  const path = new URL(res.request.url).pathname;
  const oauth = isOAuthPath(path);
  const jsonError = isJsonErrorPath(path);
  const body = (res.body ?? {}) as Record<string, unknown>;
  const challenge = expected.challenge !== undefined;
  expect({
    status: res.status,
    code: body.code,
    contentType: res.headers['content-type'],
    cacheControl: res.headers['cache-control'],
    members: {
      type: body.type,
      status: body.status,
      code: body.code,
      request_id: body.request_id,
      title: typeof body.title,
      remedy: typeof body.remedy,
    },
    // GNAP's grant endpoint: RFC 9635 §3.6's error object.
    ...(jsonError && !oauth ? { gnapError: body.error } : {}),
    ...(oauth ? { oauth: { error: body.error, error_description: body.error_description } } : {}),
    occurrence: occurrenceOf(res),
    stackTrace: STACK_FRAME.test(JSON.stringify(body)),
    ...(challenge ? { challenge: res.headers['www-authenticate'] } : {}),
  }).toEqual({
    status: expected.status,
    code: expected.code,
    contentType: jsonError
      ? 'application/json; charset=utf-8'
      : 'application/problem+json; charset=utf-8',
    cacheControl: 'no-store',
    members: {
      type: `/problems/${expected.code}`,
      status: expected.status,
      code: expected.code,
      request_id: res.headers['x-request-id'],
      title: 'string',
      remedy: 'string',
    },
    ...(jsonError && !oauth
      ? { gnapError: { code: expect.any(String), description: expect.any(String) } }
      : {}),
    ...(oauth
      ? {
          oauth: {
            error: expect.stringMatching(OAUTH_ERROR),
            error_description: expect.stringMatching(OAUTH_DESCRIPTION),
          },
        }
      : {}),
    occurrence: expectedOccurrence(res),
    stackTrace: false,
    ...(challenge ? { challenge: expected.challenge ?? undefined } : {}),
  });
}

/** The members that name this occurrence of a problem. */
function occurrenceOf(res: Response): { instance: unknown; explanation?: unknown } {
  const body = (res.body ?? {}) as Record<string, unknown>;
  return res.headers['x-explanation-id'] !== undefined
    ? { instance: body.instance, explanation: body.explanation }
    : { instance: body.instance };
}

/**
 * RFC 9457 §3.1.5: `instance` names this occurrence, never the resource. It is the refusal's
 * explanation, `/explain/<X-Explanation-Id>`, when one is kept, else `urn:uuid:<request id>`.
 */
function expectedOccurrence(res: Response): { instance: unknown; explanation?: unknown } {
  const explanationId = res.headers['x-explanation-id'] as string | undefined;
  return explanationId !== undefined
    ? { instance: `/explain/${explanationId}`, explanation: `/explain/${explanationId}` }
    : {
        instance: expect.stringMatching(
          /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        ),
      };
}

/** Asserts the problem's `instance` (and `explanation`) name this occurrence: see above. */
export function expectOccurrence(res: Response): void {
  expect(occurrenceOf(res)).toEqual(expectedOccurrence(res));
}

/** Asserts the exact WWW-Authenticate value, or that there is none (null). */
export function expectChallenge(res: Response, challenge: string | null): void {
  expect({ challenge: res.headers['www-authenticate'] }).toEqual({
    challenge: challenge ?? undefined,
  });
}

/** An app on a real socket (127.0.0.1, a free port): for clients that need one. */
export interface Listening {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Closes every connection (keep-alive ones too), then the server. */
  close(): Promise<void>;
}

/**
 * Serves `app` through the server's own createServer (its header limit and clientError answers)
 * on a free loopback port, for the clients supertest cannot stand in for: the SDKs, Python, a
 * handshake that needs one connection.
 */
export async function listening(app: express.Application): Promise<Listening> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    origin,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
