import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import request from 'supertest';
import { answeringErrors } from '../../middleware/answer-errors';
import { problem, toHttpError } from '../../src/http/problems';

/**
 * An app where the guard's route sits in a router, behind a later route and a later router of
 * the same path, each noting that it ran; `writer` and the app's last error handler say who
 * answered the error.
 */
function appWith(guard: RequestHandler, after: RequestHandler = (_req, res) => res.json('ok')) {
  const seen: string[] = [];
  const note =
    (name: string): RequestHandler =>
    (_req, _res, next) => {
      seen.push(name);
      next();
    };
  const errorsBy =
    (name: string): ErrorRequestHandler =>
    (err, _req, res, _next) => {
      seen.push(name);
      res.status(toHttpError(err).status).json({ by: name, code: toHttpError(err).code });
    };
  const router = express.Router();
  router.get('/x', answeringErrors(guard, errorsBy('writer')), after);
  router.get('/x', note('later route'));
  const app = express();
  app.use(router);
  app.use(note('later router'));
  app.use(errorsBy('app'));
  return { app, seen };
}

describe('answeringErrors()', () => {
  it.each<[string, RequestHandler]>([
    [
      'a synchronous throw',
      () => {
        throw problem('token_missing');
      },
    ],
    ['next(err)', (_req, _res, next) => next(problem('token_missing'))],
    [
      'a rejected promise',
      async () => {
        await Promise.resolve();
        throw problem('token_missing');
      },
    ],
  ])('hands %s straight to the writer, past no later handler', async (_name, guard) => {
    const { app, seen } = appWith(guard);
    const res = await request(app).get('/x');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ by: 'writer', code: 'token_missing' });
    expect(seen).toEqual(['writer']);
  });

  it('passes the request on as the handler says', async () => {
    const { app, seen } = appWith((_req, _res, next) => next());
    const res = await request(app).get('/x');
    expect(res.body).toBe('ok');
    expect(seen).toEqual([]);
    const skip = appWith((_req, _res, next) => next('route'));
    await request(skip.app).get('/x').expect(404);
    expect(skip.seen).toEqual(['later route', 'later router']);
  });

  it("leaves the later handlers' errors to the router", async () => {
    const { app, seen } = appWith(
      (_req, _res, next) => next(),
      () => {
        throw problem('insufficient_scope');
      },
    );
    const res = await request(app).get('/x');
    expect(res.body).toEqual({ by: 'app', code: 'insufficient_scope' });
    expect(seen).toEqual(['app']);
  });

  it('refuses what is not a handler', () => {
    expect(() => answeringErrors(undefined as never, () => undefined)).toThrow(TypeError);
  });
});
