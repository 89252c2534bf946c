import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { sequence } from '../../middleware/sequence';
import { problem } from '../../src/http/problems';
import { check, get } from './check';

/** A middleware that notes its name in res.locals.seen and passes the request on. */
const note =
  (name: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.seen = [...((res.locals.seen as string[] | undefined) ?? []), name];
    next();
  };

describe('sequence()', () => {
  it('runs each middleware in order, then the routes after it', async () => {
    const res = await check(sequence(note('a'), note('b'), note('c')), get, { status: 200 });
    expect(res.body.locals.seen).toEqual(['a', 'b', 'c']);
  });

  it('stops at an error passed to next(), which reaches the error writer', async () => {
    const refuse: RequestHandler = (_req, _res, next) => next(problem('token_missing'));
    const res = await check(sequence(note('a'), refuse, note('c')), get, {
      status: 401,
      code: 'token_missing',
    });
    expect(res.body.locals).toBeUndefined();
  });

  it('turns a synchronous throw into an error for the error writer', async () => {
    const thrower: RequestHandler = () => {
      throw problem('token_expired');
    };
    await check(sequence(note('a'), thrower), get, { status: 401, code: 'token_expired' });
  });

  it('turns a rejected async middleware into an error for the error writer', async () => {
    const rejects: RequestHandler = async () => {
      await Promise.resolve();
      throw problem('token_revoked');
    };
    await check(sequence(rejects, note('b')), get, { status: 401, code: 'token_revoked' });
  });

  it("continues after next('route'), which in a middleware means the next layer", async () => {
    const skip: RequestHandler = (_req, _res, next) => next('route');
    const res = await check(sequence(skip, note('b')), get, { status: 200 });
    expect(res.body.locals.seen).toEqual(['b']);
  });

  it('ends with a middleware that answers: nothing after it runs', async () => {
    const app = express();
    const answer: RequestHandler = (_req, res) => {
      res.status(204).end();
    };
    let after = 0;
    app.use(sequence(answer, note('b')));
    app.use(() => {
      after += 1;
    });
    await request(app).get('/').expect(204);
    expect(after).toBe(0);
  });

  it('throws at once for something that is not a function', () => {
    expect(() => sequence(note('a'), undefined as never)).toThrow(/handler 1 must be a function/);
  });
});
