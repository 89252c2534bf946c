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
 * The app's requests on its server, which listens (on 127.0.0.1, unreferenced) from the first
 * request on: supertest binds, listens on and closes a server of its own for each request it
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
    http: () => requestApp(),
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

/** Asserts a response is the documented problem: status, content type, body, request id. */
export function expectProblem(res: Response, expected: ProblemExpectation): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({
    status: expected.status,
    code: expected.code,
  });
  // The OAuth endpoints speak the same members as application/json (RFC 6749 §5.2), always
  // with the OAuth `error` and `error_description` an OAuth library reads.
  const path = new URL(res.request.url).pathname;
  const oauth = isOAuthPath(path);
  expect(res.headers['content-type']).toBe(
    isJsonErrorPath(path)
      ? 'application/json; charset=utf-8'
      : 'application/problem+json; charset=utf-8',
  );
  // GNAP's grant endpoint: RFC 9635 §3.6's error object.
  if (isJsonErrorPath(path) && !oauth) {
    expect(res.body.error).toEqual({ code: expect.any(String), description: expect.any(String) });
  }
  if (oauth) {
    expect(res.body).toMatchObject({
      error: expect.stringMatching(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/),
      error_description: expect.stringMatching(/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/),
    });
  }
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toMatchObject({
    type: `/problems/${expected.code}`,
    status: expected.status,
    code: expected.code,
    request_id: res.headers['x-request-id'],
  });
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.remedy).toBe('string');
  expectOccurrence(res);
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack trace
  if (expected.challenge !== undefined) expectChallenge(res, expected.challenge);
}

/**
 * RFC 9457 §3.1.5: `instance` names this occurrence, never the resource. It is the refusal's
 * explanation, `/explain/<X-Explanation-Id>`, when one is kept, else `urn:uuid:<request id>`.
 */
export function expectOccurrence(res: Response): void {
  const explanationId = res.headers['x-explanation-id'] as string | undefined;
  if (explanationId !== undefined) {
    expect(res.body.instance).toBe(`/explain/${explanationId}`);
    expect(res.body.explanation).toBe(res.body.instance);
  } else {
    expect(res.body.instance).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  }
}

export function expectChallenge(res: Response, challenge: string | null): void {
  if (challenge === null) expect(res.headers['www-authenticate']).toBeUndefined();
  else expect(res.headers['www-authenticate']).toBe(challenge);
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
