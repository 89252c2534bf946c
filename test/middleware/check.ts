import express, { type RequestHandler } from 'express';
import pino from 'pino';
import request, { type Response, type Test } from 'supertest';
import { requestId } from '../../middleware/request-id';
import { problemHandler } from '../../src/http/problems';

/** What one request through a middleware must answer. */
export interface Expected {
  status: number;
  /** The problem code of a refusal; leave out for a request the middleware lets through. */
  code?: string;
  /** Headers with their exact value or a pattern, or null where the header must be absent. */
  headers?: Record<string, string | RegExp | null>;
}

/** The body the final handler answers with: what the middleware left for the routes after it. */
export interface Passed {
  passed: true;
  locals: Record<string, unknown>;
}

/** Sends one request to an app. */
export type Send = (agent: ReturnType<typeof request>) => Test;

/** GET /, with nothing else. */
export const get: Send = (agent) => agent.get('/');

/** GET / with one request header. */
export const withHeader =
  (name: string, value: string): Send =>
  (agent) =>
    agent.get('/').set(name, value);

/** GET / with `Authorization: Bearer <token>`. */
export const withBearer = (token: string): Send => withHeader('Authorization', `Bearer ${token}`);

/**
 * After helmet's test helper `check(middleware, expectedHeaders)`: a tiny app of its own for
 * each request, holding only the request id (the error writer names it), the middleware under
 * test, a final handler answering 200 with what the middleware left in `res.locals`, and the one
 * error writer. Asserts status, problem code and headers; returns the response for the rest.
 */
export async function check(
  middleware: RequestHandler | RequestHandler[],
  send: Send,
  expected: Expected,
  /** App settings the middleware reads, e.g. `trust proxy`. */
  settings: Record<string, unknown> = {},
): Promise<Response> {
  const app = express();
  for (const [name, value] of Object.entries(settings)) app.set(name, value);
  app.use(requestId());
  app.use(middleware);
  app.use(function passed(_req, res) {
    const { trace: _trace, ...locals } = res.locals;
    res.json({ passed: true, locals } satisfies Passed);
  });
  app.use(problemHandler(pino({ level: 'silent' })));
  const res = await send(request(app));
  expect({ status: res.status, code: res.body?.code }).toEqual({
    status: expected.status,
    code: expected.code,
  });
  if (expected.code === undefined) expect(res.body.passed).toBe(true);
  else expect(res.body.request_id).toBe(res.headers['x-request-id']);
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    const actual = res.headers[name.toLowerCase()];
    if (value === null) expect({ [name]: actual }).toEqual({ [name]: undefined });
    else if (value instanceof RegExp) expect(actual).toMatch(value);
    else expect({ [name]: actual }).toEqual({ [name]: value });
  }
  return res;
}

/** A stand-in for bearerAuth: the request is authenticated with these claims. */
export function authenticatedAs(claims: Record<string, unknown>): RequestHandler {
  return function authenticatedAs(_req, res, next) {
    res.locals.auth = {
      claims: { sub: 'u', exp: 0, iat: 0, ...claims } as never,
      kid: 'test',
    };
    next();
  };
}
