import fc from 'fast-check';
import express, { type Router } from 'express';
import pino from 'pino';
import request from 'supertest';
import { explainRecorder } from '../middleware/explain-recorder';
import { requestId } from '../middleware/request-id';
import { dataJson } from '../routes/bearer';
import { servedPaths } from '../middleware/path-gate';
import { isoTime } from '../src/tokens/times';
import { createApp } from '../src/app';
import {
  openAiErrorBody,
  openAiErrorJson,
  HttpError,
  problem,
  problemBody,
  problemHandler,
  problemBytes,
  problemJson,
  plainExtensions,
  RequestedStatusError,
} from '../src/http/problems';
import { problemCatalog, type ProblemCode } from '../src/scenarios/catalog';
import { MemoryStore } from '../src/store';
import { bearerTrace, ExplanationBook, traceOf } from '../src/teaching/explain';
import { traceNow } from '../src/teaching/trace';
import { bearerAuth } from '../middleware/bearer-auth';
import { openaiAuth } from '../middleware/openai-auth';
import { sessionAuth } from '../middleware/session-auth';
import { buildApp, testClock, testConfig } from './helpers';
import { binaryString } from './arbitraries';

/** What every request costs (issue 17): nothing is built that the answer does not need. */
describe('the per-request path', () => {
  describe('the access log', () => {
    const appWith = (level: string) => {
      const logger = pino({ level }, { write: () => undefined });
      const child = jest.spyOn(logger, 'child');
      const clock = testClock();
      const store = new MemoryStore({ maxEntries: 10_000, clock, sweepIntervalMs: 0 });
      const app = createApp(testConfig(), { store, clock, logger });
      return { app, child };
    };

    it('is not built at all when the level is silent', async () => {
      const { app, child } = appWith('silent');
      await request(app).get('/healthz').expect(200);
      await request(app).get('/api/v1/data').expect(401);
      expect(child).not.toHaveBeenCalled();
    });

    it('runs for every answer when the level writes', async () => {
      const { app, child } = appWith('info');
      await request(app).get('/healthz').expect(200);
      expect(child).toHaveBeenCalled();
    });
  });

  describe('the explanation recorder', () => {
    /** How many 'finish' and 'close' listeners the answer carries when the route runs. */
    const listeners = async (withRecorder: boolean, refuse: boolean) => {
      const clock = testClock();
      const app = express();
      app.use(requestId());
      if (withRecorder) {
        const book = new ExplanationBook({ now: () => clock.now(), perAddressPerMinute: 10 });
        app.use(explainRecorder({ book, clock, toleranceSeconds: 30 }));
      }
      let counted = -1;
      app.get('/', (_req, res, next) => {
        if (refuse) {
          // The writer claims the explanation while writing the refusal; count after that.
          res.once('finish', () => undefined);
          next(problem('token_missing'));
          counted = res.listenerCount('finish') + res.listenerCount('close');
          return;
        }
        counted = res.listenerCount('finish') + res.listenerCount('close');
        res.json({});
      });
      app.use(problemHandler(pino({ level: 'silent' })));
      await request(app).get('/');
      return counted;
    };

    it('adds no listener to an answer that is not a refusal', async () => {
      expect(await listeners(true, false)).toBe(await listeners(false, false));
    });

    it('listens for the end of a refusal it explains', async () => {
      expect(await listeners(true, true)).toBeGreaterThan(await listeners(false, true));
    });
  });

  describe('a problem', () => {
    it('captures no stack when it is a refusal (4xx): its code says where it came from', () => {
      expect(problem('token_missing').stack).not.toMatch(/\n\s+at /);
      expect(problem('visitor_quota_exceeded').stack).not.toMatch(/\n\s+at /);
    });

    it('keeps its stack when it is a failure (5xx)', () => {
      expect(problem('internal_error').stack).toMatch(/\n\s+at /);
    });

    it('has its name on its prototype and a cause only when it was given one', () => {
      const err = problem('token_missing');
      expect(err.name).toBe('HttpError');
      expect(Object.getOwnPropertyNames(err)).not.toEqual(expect.arrayContaining(['name']));
      expect(Object.hasOwn(err, 'cause')).toBe(false);
      const cause = new Error('why');
      expect(problem('internal_error', { cause }).cause).toBe(cause);
      expect(String(err)).toBe(`HttpError: ${problemCatalog.token_missing.title}`);
    });

    it('leaves the stack depth of every other error as it was', () => {
      const before = Error.stackTraceLimit;
      problem('token_missing');
      expect(Error.stackTraceLimit).toBe(before);
      expect(new Error('x').stack).toMatch(/\n\s+at /);
    });
  });

  describe('a hot guard', () => {
    // A synchronous throw from a request's callback costs V8 a message with its source
    // position (bench/RESULTS.md, tenth round): the guards hand their refusals to next().
    const config = testConfig();
    const verify = jest.fn(async () => ({
      ok: false as const,
      code: 'token_expired' as const,
      detail: 'expired',
      check: 'exp: not expired' as const,
    }));
    const call = async (guard: express.RequestHandler, headers: Record<string, string>) => {
      let thrown: unknown;
      let passed: { code?: string } | undefined;
      let trace: unknown;
      const app = express();
      app.get('/', (req, res) => {
        const fail = (err: unknown) => {
          thrown = err;
          res.status(500).end();
        };
        try {
          const result: unknown = guard(req, res, (err?: unknown) => {
            passed = err as typeof passed;
            trace = traceNow(res.locals);
            res.status(204).end();
          });
          if (result instanceof Promise) result.catch(fail);
        } catch (err) {
          fail(err);
        }
      });
      const res = await request(app).get('/').set(headers);
      expect(thrown).toBeUndefined();
      expect(res.status).toBe(204);
      return { err: passed, trace };
    };

    it.each([
      ['bearerAuth, no token', () => bearerAuth({ verify }), {}, 'token_missing'],
      [
        'bearerAuth, a refused token',
        () => bearerAuth({ verify }),
        { authorization: 'Bearer a.b.c' },
        'token_expired',
      ],
      [
        'openaiAuth, no key',
        () => openaiAuth({ verify, apiKey: config.demo.openaiKey }),
        {},
        'token_missing',
      ],
      [
        'openaiAuth, a wrong key',
        () => openaiAuth({ verify, apiKey: config.demo.openaiKey }),
        { authorization: 'Bearer sk-wrong' },
        'api_key_invalid',
      ],
      [
        'openaiAuth, a refused token',
        () => openaiAuth({ verify, apiKey: config.demo.openaiKey }),
        { authorization: 'Bearer a.b.c' },
        'token_expired',
      ],
      [
        'sessionAuth, no cookie',
        () => sessionAuth({ clock: testClock(), cookieName: 'sid', cookieOptions: {} as never }),
        {},
        'session_missing',
      ],
    ] as const)(
      '%s: passes its refusal to next(), with its trace, and throws nothing',
      async (_name, guard, headers, code) => {
        const { err, trace } = await call(guard(), headers);
        expect(err).toBeInstanceOf(HttpError);
        expect(err?.code).toBe(code);
        expect(trace).toMatchObject({ guard: expect.any(String) });
      },
    );
  });

  describe('a decision trace', () => {
    it('shares the lists its checks give, frozen, and carries its own times and facts', () => {
      const expired = (exp: string) =>
        bearerTrace('exp: not expired', { times: { exp }, facts: { kid: 'k1' } })!;
      const [a, b] = [expired('2026-01-01T00:00:00Z'), expired('2026-01-02T00:00:00Z')];
      expect(a).not.toBe(b);
      expect(a.passed).toBe(b.passed);
      expect(a.not_reached).toBe(b.not_reached);
      expect(Object.isFrozen(a.passed) && Object.isFrozen(a.not_reached)).toBe(true);
      expect(a.times).toEqual({ exp: '2026-01-01T00:00:00Z' });
      expect(b.times).toEqual({ exp: '2026-01-02T00:00:00Z' });
      expect(a.passed).toContain('signature verifies');
      expect(a.failed).toBe('exp: not expired');
      expect(a.not_reached).not.toContain('exp: not expired');
    });

    it("is right for checks of a caller's own, past what it keeps", () => {
      const checks = Array.from({ length: 100 }, (_, i) => `check ${i}`);
      for (let i = 0; i < 100; i++) {
        const trace = traceOf('guard', checks, `check ${i}`, { notApplicable: ['check 99'] });
        expect(trace.passed).toEqual(checks.slice(0, i).filter((c) => c !== 'check 99'));
        expect(trace.failed).toBe(`check ${i}`);
        expect(trace.not_reached).toEqual(checks.slice(i + 1).filter((c) => c !== 'check 99'));
        expect(trace.not_applicable).toEqual(i === 99 ? undefined : ['check 99']);
      }
    });
  });

  describe('a problem body', () => {
    const codes = Object.keys(problemCatalog) as ProblemCode[];
    const cases = codes.flatMap((code) =>
      [undefined, 'A "quoted" détail, with \\ and a\nnewline \u2028.'].flatMap((detail) =>
        [undefined, '/explain/0b1c2d3e-aaaa-4bbb-8ccc-000000000000'].map(
          (explanation) => [code, detail, explanation] as const,
        ),
      ),
    );

    it.each(cases)(
      '%s (detail %j, explanation %j) is serialized from its constant parts byte for byte',
      (code, detail, explanation) => {
        const err = problem(code, { detail });
        const instance = explanation ?? 'urn:uuid:0b1c2d3e-aaaa-4bbb-8ccc-000000000000';
        const requestId = 'client-id:1.2_3';
        const body = problemBody(err, instance, requestId);
        const expected = JSON.stringify(
          explanation === undefined ? body : { ...body, explanation },
        );
        expect(problemJson(err, instance, requestId, explanation)).toBe(expected);
        // As written to the socket: the same UTF-8 bytes, or (a detail beyond ASCII) the text.
        const bytes = problemBytes(err, instance, requestId, explanation);
        if (detail === undefined) {
          expect(Buffer.from(bytes!, 'latin1')).toEqual(Buffer.from(expected, 'utf8'));
        } else {
          expect(bytes).toBeUndefined();
        }
      },
    );

    it('writes a body with a typographic apostrophe as the UTF-8 bytes it is (curl sees ’)', async () => {
      const ctx = buildApp();
      const expired = ctx.token({ expiresIn: 60 });
      ctx.clock.advance(3_600_000);
      const res = await ctx
        .http()
        .get('/api/v1/data')
        .set('Authorization', `Bearer ${expired}`)
        .buffer(true)
        .parse((r, done) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => done(null, Buffer.concat(chunks)));
        });
      expect(res.status).toBe(401);
      const raw = res.body as Buffer;
      expect(Number(res.headers['content-length'])).toBe(raw.length);
      const text = raw.toString('utf8');
      expect(text).toContain('the server’s disagree');
      expect(JSON.parse(text)).toMatchObject({
        code: 'token_expired',
        remedy: problemCatalog.token_expired.remedy,
      });
    });

    it.each(cases.filter(([, , explanation]) => explanation === undefined))(
      '%s (detail %j) in the OpenAI envelope is serialized from its constant parts byte for byte',
      (code, detail) => {
        for (const err of [
          problem(code, { detail }),
          problem(code, { detail, extensions: { param: 'model' } }),
          new RequestedStatusError(503, detail ?? 'asked'),
        ]) {
          for (const requestId of ['client-id:1.2_3', 'a "quoted" \\ id']) {
            expect(openAiErrorJson(err, requestId)).toBe(
              JSON.stringify(openAiErrorBody(err, requestId)),
            );
          }
        }
      },
    );

    it.each([
      [{ refused_count: 3 }, 'a detail'],
      [{ scripted: true, attempt: 2, failures: 3 }, undefined],
      [{ detail: 'from an extension', error: 'x' }, undefined],
      [{ detail: 'loses to the detail', type: 'loses to the type', code: 'and the code' }, 'd'],
      [{ explanation: 'an extension of that name' }, undefined],
      [{ 'a "quoted" name': 'v', ratio: 0.5, negative: -0 }, undefined],
    ])('with plain extensions %j is serialized byte for byte too', (extensions, detail) => {
      const err = problem('token_expired', { detail, extensions });
      expect(plainExtensions(err.extensions)).toBe(true);
      const body = problemBody(err, 'urn:uuid:x', 'r');
      const explanation = '/explain/x';
      const expected = JSON.stringify('explanation' in body ? body : { ...body, explanation });
      expect(problemJson(err, 'urn:uuid:x', 'r', explanation)).toBe(expected);
    });

    it('is serialized byte for byte whatever its detail, ids and plain extensions hold', () => {
      const text = fc.oneof(
        binaryString(),
        fc.string(),
        fc.constantFrom('', '"', '\\', '\u2028', '\ud800', 'é'),
      );
      fc.assert(
        fc.property(
          fc.constantFrom(...codes),
          fc.option(text, { nil: undefined }),
          text,
          text,
          fc.dictionary(
            fc.string().filter((n) => !(n in Object.prototype) && !/^\d+$/.test(n)),
            fc.oneof(
              text,
              fc.integer(),
              fc.double({ noNaN: true, noDefaultInfinity: true }),
              fc.boolean(),
            ),
            { maxKeys: 3 },
          ),
          fc.option(text, { nil: undefined }),
          (code, detail, instance, requestId, extensions, explanation) => {
            const err = problem(code, { detail, extensions });
            expect(plainExtensions(err.extensions)).toBe(true);
            const body = problemBody(err, instance, requestId);
            const expected = JSON.stringify(
              explanation === undefined || 'explanation' in body ? body : { ...body, explanation },
            );
            expect(problemJson(err, instance, requestId, explanation)).toBe(expected);
            const bytes = problemBytes(err, instance, requestId, explanation);
            if (bytes !== undefined) {
              expect(Buffer.from(bytes, 'latin1')).toEqual(Buffer.from(expected, 'utf8'));
            }
            const envelope = openAiErrorJson(err, requestId);
            expect(envelope).toBe(JSON.stringify(openAiErrorBody(err, requestId)));
          },
        ),
        { numRuns: 2000 },
      );
    });

    it.each([
      [{ toString: 'x' }],
      [{ ['__proto__']: 'x' }],
      [{ 1: 'an index' }],
      [{ list: ['a'] }],
      [{ nested: { a: 1 } }],
      [{ missing: undefined }],
      [{ big: Infinity }],
      [{ nothing: null }],
    ])('leaves %j to the generic path', (extensions) => {
      expect(plainExtensions(extensions)).toBe(false);
    });

    it('carries the status asked for, not the catalog one, for a requested status', () => {
      const err = new RequestedStatusError(418, "I'm a teapot.");
      expect(JSON.parse(problemJson(err, 'urn:uuid:x', 'r'))).toEqual(
        problemBody(err, 'urn:uuid:x', 'r'),
      );
    });
  });
});

describe("the app's routers (middleware/path-gate.ts)", () => {
  interface Layer {
    name?: string;
    handle?: { name?: string; stack?: unknown[] };
  }
  const newApp = () => {
    const clock = testClock();
    const store = new MemoryStore({ maxEntries: 10_000, clock, sweepIntervalMs: 0 });
    return createApp(testConfig(), { store, clock, logger: pino({ level: 'silent' }) });
  };
  const layers = () => (newApp() as unknown as { router: { stack: Layer[] } }).router.stack;

  it('are each entered only by requests for their own paths', () => {
    // A router mounted as is (its paths could not be read: a middleware for every path) is
    // entered by every request that reaches it. The cold families are gated once built.
    const routers = layers().filter((l) => Array.isArray(l.handle?.stack));
    const gates = ['pathGateMiddleware', 'deferredRouterMiddleware'];
    const ungated = routers.filter(
      (l) => !gates.includes(l.handle?.name ?? '') || servedPaths(l.handle as Router) === undefined,
    );
    expect(routers.length).toBeGreaterThanOrEqual(27);
    expect(ungated.map((l) => l.name)).toEqual([]);
  });

  it('are built with the app for the hot paths, after it for the other families', () => {
    const names = layers().map((l) => l.handle?.name);
    // cors-broken, the front door, health, bearer, the cookie session, /v1: built at once.
    expect(names.filter((n) => n === 'pathGateMiddleware')).toHaveLength(6);
    // Every family after the hot ones: built after the server listens (DeferredRouters).
    expect(names.filter((n) => n === 'deferredRouterMiddleware').length).toBeGreaterThanOrEqual(20);
  });

  it('pass a request for another family on, and serve their own', async () => {
    const app = newApp();
    await request(app).get('/HEALTHZ/').expect(200);
    const missing = await request(app).get('/healthz/x').expect(404);
    expect(missing.body.code).toBe('not_found');
    const echo = await request(app).get('/Anything/a').expect(200);
    expect(echo.body.path).toBe('/Anything/a');
  });
});

describe('the data answer (routes/bearer.ts dataJson)', () => {
  const callers = [
    {
      sub: 'alice',
      client_id: 'demo-client',
      scope: 'data:read',
      expires_at: '2026-12-01T00:00:00.000Z',
    },
    {
      sub: 'a "quoted" \\ sub\u2028',
      client_id: 'c\n',
      scope: '',
      expires_at: '1970-01-01T00:00:00.000Z',
    },
  ];

  it.each(callers)('is the text res.json writes with two spaces (%j)', (caller) => {
    expect(dataJson(2, caller)).toBe(
      JSON.stringify(
        {
          message: 'Here is your data.',
          data: [
            { id: 1, name: 'alpha' },
            { id: 2, name: 'beta' },
          ],
          caller,
        },
        null,
        2,
      ),
    );
  });

  // Remembered per exp (a few hundred at most), and always what toISOString writes: more values
  // than it keeps, each asked twice, in an order that revisits old ones.
  it('writes expires_at as Date#toISOString, for any exp, however many it has seen', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }),
            fc.double({ min: -1e10, max: 1e10, noNaN: true }),
          ),
          { minLength: 300, maxLength: 600 },
        ),
        (exps) => {
          const asked = [...exps, ...[...exps].reverse()];
          expect(asked.map(isoTime)).toEqual(
            asked.map((exp) => new Date(exp * 1000).toISOString()),
          );
        },
      ),
      { numRuns: 20 },
    );
  });

  it('leaves to res.json what it would not write the same', () => {
    expect(dataJson(4, callers[0]!)).toBeUndefined();
    expect(dataJson(2, { ...callers[0]!, sub: 7 })).toBeUndefined();
    expect(dataJson(2, { ...callers[0]!, scope: ['a'] })).toBeUndefined();
  });
});
