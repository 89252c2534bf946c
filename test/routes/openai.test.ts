import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import OpenAI from 'openai';
import pino from 'pino';
import request, { type Response } from 'supertest';
import { createApp } from '../../src/app';
import { createServer } from '../../src/http/server';
import { MemoryStore } from '../../src/store';
import { buildApp, expectProblem, testConfig, type TestContext } from '../helpers';
import { binaryString } from '../arbitraries';

/** The default DEMO_OPENAI_KEY. */
const KEY = 'sk-demo-four-oh-one';
/** The request id from the article's error message: a sane id, so the server keeps it. */
const ARTICLE_REQUEST_ID = '20251231141907730597702a9EzKd3G';

/** RFC 9728: every challenge names the resource metadata, under the test config's PUBLIC_URL. */
const METADATA = 'resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource"';
const NO_CREDENTIALS = `Bearer realm="four-oh-one", ${METADATA}`;
const invalidToken = (description: string) =>
  `Bearer realm="four-oh-one", error="invalid_token", error_description="${description}", ${METADATA}`;
const INVALID_REQUEST = `Bearer realm="four-oh-one", error="invalid_request", error_description="Authorization header is malformed", ${METADATA}`;

interface EnvelopeExpectation {
  status: number;
  /** OpenAI's `code`. */
  code: string;
  /** The message before ` (request id: …)`; a RegExp to match it, a string to equal it. */
  message?: string | RegExp;
  param?: string | null;
  type?: string;
  /** The exact WWW-Authenticate value, or null for none. */
  challenge: string | null;
}

/** Asserts OpenAI's error envelope, with the X-Request-Id header quoted at the end of the message. */
function expectEnvelope(res: Response, expected: EnvelopeExpectation): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({
    status: expected.status,
    code: expected.code,
  });
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-store');
  const requestId = res.headers['x-request-id'];
  expect(requestId).toEqual(expect.any(String));
  expect(res.body).toEqual({
    error: {
      message: expect.any(String),
      type: expected.type ?? 'invalid_request_error',
      param: expected.param ?? null,
      code: expected.code,
    },
  });
  const suffix = ` (request id: ${requestId})`;
  const message: string = res.body.error.message;
  expect(message.endsWith(suffix)).toBe(true);
  const text = message.slice(0, -suffix.length);
  if (typeof expected.message === 'string') expect(text).toBe(expected.message);
  else if (expected.message) expect(text).toMatch(expected.message);
  if (expected.challenge === null) expect(res.headers['www-authenticate']).toBeUndefined();
  else expect(res.headers['www-authenticate']).toBe(expected.challenge);
}

const chatBody = (content = 'Hello there, server') => ({
  model: 'four-oh-one-echo',
  messages: [
    { role: 'system' as const, content: 'You are terse.' },
    { role: 'user' as const, content },
  ],
});

/** A token issued ten minutes ago that lived one: issued on a clock moved back, then put back. */
function expiredToken(ctx: TestContext): string {
  ctx.clock.advance(-600_000);
  try {
    return ctx.token({ expiresIn: 60 });
  } finally {
    ctx.clock.advance(600_000);
  }
}

/** The `data:` payloads of a server-sent event stream. */
const events = (text: string) =>
  text
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      expect(e.startsWith('data: ')).toBe(true);
      return e.slice('data: '.length);
    });

describe('the OpenAI-compatible API (/v1/*)', () => {
  const ctx = buildApp();
  const now = Math.floor(ctx.clock.now() / 1000);

  describe('GET /v1/models/{model}', () => {
    it('answers the model object for a model it serves', async () => {
      const res = await ctx
        .http()
        .get('/v1/models/four-oh-one-echo')
        .set('Authorization', `Bearer ${KEY}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toEqual({
        id: 'four-oh-one-echo',
        object: 'model',
        created: 1767225600,
        owned_by: 'four-oh-one',
      });
    });

    it('answers 404 model_not_found, param "model", for a model it does not serve', async () => {
      const res = await ctx.http().get('/v1/models/gpt-4o').set('Authorization', `Bearer ${KEY}`);
      expectEnvelope(res, {
        status: 404,
        code: 'model_not_found',
        message: "The model 'gpt-4o' does not exist",
        param: 'model',
        challenge: null,
      });
    });

    it('judges the key first: a wrong key hears 401 whatever the model', async () => {
      const res = await ctx.http().get('/v1/models/gpt-4o').set('Authorization', 'Bearer sk-wrong');
      expectEnvelope(res, {
        status: 401,
        code: 'invalid_api_key',
        message: 'Invalid Token',
        challenge: invalidToken('API key is invalid'),
      });
    });

    it('answers 405 in the envelope for another method', async () => {
      const res = await ctx.http().delete('/v1/models/four-oh-one-echo');
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(res.body.error.code).toBe('method_not_allowed');
    });
  });

  describe('GET /v1/models', () => {
    describe('with the demo API key', () => {
      it('lists the echo model in OpenAI’s shape', async () => {
        const res = await ctx.http().get('/v1/models').set('Authorization', `Bearer ${KEY}`);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.body).toEqual({
          object: 'list',
          data: [
            {
              id: 'four-oh-one-echo',
              object: 'model',
              created: 1767225600,
              owned_by: 'four-oh-one',
            },
          ],
        });
        expect(res.headers['www-authenticate']).toBeUndefined();
      });
    });

    describe('with an access token this server issued', () => {
      it('answers 200 too', async () => {
        const res = await ctx
          .http()
          .get('/v1/models')
          .set('Authorization', `Bearer ${ctx.token()}`);
        expect(res.status).toBe(200);
        expect(res.body.data[0].id).toBe('four-oh-one-echo');
      });
    });

    describe('with no key', () => {
      it('answers 401 in the envelope, with a challenge without error (RFC 6750 §3.1)', async () => {
        expectEnvelope(await ctx.http().get('/v1/models'), {
          status: 401,
          code: 'invalid_api_key',
          message: /^You didn't provide an API key\. /,
          challenge: NO_CREDENTIALS,
        });
      });
    });

    describe('with a wrong key', () => {
      it('answers 401 "Invalid Token (request id: …)", as in the article', async () => {
        const res = await ctx.http().get('/v1/models').set('Authorization', 'Bearer sk-wrong');
        expectEnvelope(res, {
          status: 401,
          code: 'invalid_api_key',
          message: 'Invalid Token',
          challenge: invalidToken('API key is invalid'),
        });
      });

      it('quotes the client’s own X-Request-Id, such as the article’s', async () => {
        const res = await ctx
          .http()
          .get('/v1/models')
          .set('X-Request-Id', ARTICLE_REQUEST_ID)
          .set('Authorization', 'Bearer sk-wrong');
        expect(res.headers['x-request-id']).toBe(ARTICLE_REQUEST_ID);
        expect(res.body.error.message).toBe(`Invalid Token (request id: ${ARTICLE_REQUEST_ID})`);
      });

      it('refuses a key that differs from the demo key only in length or case', async () => {
        for (const key of [`${KEY}x`, KEY.slice(0, -1), KEY.toUpperCase()]) {
          const res = await ctx.http().get('/v1/models').set('Authorization', `Bearer ${key}`);
          expect(res.status).toBe(401);
        }
      });
    });

    describe('with an expired access token', () => {
      it('answers 401 Invalid Token; the challenge says why', async () => {
        const token = expiredToken(ctx);
        const res = await ctx.http().get('/v1/models').set('Authorization', `Bearer ${token}`);
        expectEnvelope(res, {
          status: 401,
          code: 'invalid_api_key',
          message: 'Invalid Token',
          challenge: invalidToken('Access token expired'),
        });
      });
    });

    describe('with a JWT signed by someone else (the jwt.io sample)', () => {
      it('answers 401 Invalid Token with the signature problem in the challenge', async () => {
        const jwtIo =
          'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
        const res = await ctx.http().get('/v1/models').set('Authorization', `Bearer ${jwtIo}`);
        expectEnvelope(res, {
          status: 401,
          code: 'invalid_api_key',
          message: 'Invalid Token',
          challenge: invalidToken('Access token signature is invalid'),
        });
      });
    });

    describe('with another scheme', () => {
      it('answers 401 with the Bearer challenge and no error', async () => {
        const res = await ctx.http().get('/v1/models').set('Authorization', `Basic ${KEY}`);
        expectEnvelope(res, {
          status: 401,
          code: 'invalid_api_key',
          message: /Authorization: Bearer YOUR_KEY.*not with the Basic scheme/,
          challenge: NO_CREDENTIALS,
        });
      });
    });

    describe('with a malformed Authorization header', () => {
      it.each([['Bearer'], ['Bearer '], [`Bearer ${KEY} ${KEY}`], ['Bearer sk,wrong']])(
        '"%s" answers 400 invalid_request, still in the envelope',
        async (header) => {
          const res = await ctx.http().get('/v1/models').set('Authorization', header);
          expectEnvelope(res, {
            status: 400,
            code: 'invalid_api_key',
            challenge: INVALID_REQUEST,
          });
        },
      );
    });

    // The same reading of how a key was presented as on /api/v1/data (RFC 9110 §5.3, RFC 6750 §2).
    describe('with the key presented otherwise than in one Authorization header', () => {
      const invalidRequest = (title: string) =>
        `Bearer realm="four-oh-one", error="invalid_request", error_description="${title}", ${METADATA}`;

      it('answers two Authorization fields 400, in the envelope', async () => {
        const res = await ctx
          .http()
          .get('/v1/models')
          .set('Authorization', [`Bearer ${KEY}`, 'Bearer sk-wrong'] as unknown as string);
        expectEnvelope(res, {
          status: 400,
          code: 'invalid_api_key',
          message: /2 Authorization fields/,
          challenge: invalidRequest('Authorization header sent more than once'),
        });
      });

      it('answers the key in the header and in the query 400', async () => {
        const res = await ctx
          .http()
          .get(`/v1/models?access_token=${KEY}`)
          .set('Authorization', `Bearer ${KEY}`);
        expectEnvelope(res, {
          status: 400,
          code: 'invalid_api_key',
          challenge: invalidRequest('Access token sent in more than one way'),
        });
      });

      it('answers the key only in the query 401, saying where it goes', async () => {
        const res = await ctx.http().get(`/v1/models?access_token=${KEY}`);
        expectEnvelope(res, {
          status: 401,
          code: 'invalid_api_key',
          message: /Authorization header only, not as the access_token query parameter/,
          challenge: NO_CREDENTIALS,
        });
      });

      it.each(['api_key', 'apikey', 'API-KEY'])(
        'answers the key as ?%s= 401 api_key_in_query_refused, teaching the header',
        async (param) => {
          const res = await ctx.http().get(`/v1/models?${param}=${KEY}`);
          expectEnvelope(res, {
            status: 401,
            code: 'invalid_api_key',
            message: new RegExp(`Authorization header only, not as the ${param} query parameter`),
            challenge: NO_CREDENTIALS,
          });
          expect(res.body.error.message).toContain('Authorization: Bearer <key>');
          expect(res.body.error.message).not.toContain(KEY);
        },
      );

      it('answers ?api_key= beside the key in the header 400: two methods', async () => {
        const res = await ctx
          .http()
          .get(`/v1/models?api_key=${KEY}`)
          .set('Authorization', `Bearer ${KEY}`);
        expectEnvelope(res, {
          status: 400,
          code: 'invalid_api_key',
          message: /another as the api_key query parameter/,
          challenge: invalidRequest('Access token sent in more than one way'),
        });
      });

      it('answers the key only in a form body 401, saying where it goes', async () => {
        const res = await ctx
          .http()
          .post('/v1/chat/completions')
          .type('form')
          .send({ access_token: KEY, model: 'four-oh-one-echo' });
        expectEnvelope(res, {
          status: 401,
          code: 'invalid_api_key',
          message: /not as access_token in a form body/,
          challenge: NO_CREDENTIALS,
        });
      });
    });

    describe('with another method', () => {
      it('answers 405 with Allow, before looking at credentials', async () => {
        const res = await ctx.http().delete('/v1/models');
        expectEnvelope(res, { status: 405, code: 'method_not_allowed', challenge: null });
        expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
      });
    });

    describe('spelled in upper case', () => {
      it('is the same route, with the same envelope', async () => {
        expectEnvelope(await ctx.http().get('/V1/Models'), {
          status: 401,
          code: 'invalid_api_key',
          challenge: NO_CREDENTIALS,
        });
      });
    });
  });

  describe('an unknown /v1 path', () => {
    it('answers 404 unknown_url in the envelope', async () => {
      const res = await ctx.http().get('/v1/engines').set('Authorization', `Bearer ${KEY}`);
      expectEnvelope(res, {
        status: 404,
        code: 'unknown_url',
        message: 'No route serves GET /v1/engines.',
        challenge: null,
      });
    });
  });

  describe('outside /v1', () => {
    it('errors stay problem+json (/api/v1 is not /v1)', async () => {
      expectProblem(await ctx.http().get('/api/v1/data'), {
        status: 401,
        code: 'token_missing',
      });
      expectProblem(await ctx.http().get('/v1x'), { status: 404, code: 'not_found' });
    });
  });

  describe('POST /v1/chat/completions', () => {
    const post = (auth = `Bearer ${KEY}`) =>
      ctx.http().post('/v1/chat/completions').set('Authorization', auth);

    describe('with the demo key', () => {
      it('answers a deterministic echo of the last user message in OpenAI’s shape', async () => {
        const res = await post().send(chatBody());
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        const content =
          'You said: "Hello there, server". This is four-oh-one\'s echo model; your key works.';
        expect(res.body).toEqual({
          id: `chatcmpl-${res.headers['x-request-id']}`,
          object: 'chat.completion',
          created: now,
          model: 'four-oh-one-echo',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content, refusal: null },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 6, completion_tokens: 13, total_tokens: 19 },
        });
      });

      it('echoes the model it was asked for', async () => {
        const res = await post().send({ ...chatBody(), model: 'gpt-4o-mini' });
        expect(res.body.model).toBe('gpt-4o-mini');
      });

      it('says so when there is no user message', async () => {
        const res = await post().send({
          model: 'm',
          messages: [{ role: 'system', content: 'x' }],
        });
        expect(res.body.choices[0].message.content).toBe('There is no user message to echo.');
      });
    });

    describe('with an access token', () => {
      it('answers 200', async () => {
        const res = await post(`Bearer ${ctx.token()}`).send(chatBody());
        expect(res.status).toBe(200);
        expect(res.body.object).toBe('chat.completion');
      });
    });

    describe('with a wrong key', () => {
      it('answers 401 before reading the body', async () => {
        const res = await post('Bearer sk-wrong')
          .set('Content-Type', 'application/json')
          .send('{not json');
        expectEnvelope(res, {
          status: 401,
          code: 'invalid_api_key',
          message: 'Invalid Token',
          challenge: invalidToken('API key is invalid'),
        });
      });
    });

    describe('with no key', () => {
      it('answers 401 with a challenge without error', async () => {
        const res = await ctx.http().post('/v1/chat/completions').send(chatBody());
        expectEnvelope(res, { status: 401, code: 'invalid_api_key', challenge: NO_CREDENTIALS });
      });
    });

    describe('with a body that is not JSON', () => {
      it('answers 400 body_malformed in the envelope', async () => {
        const res = await post().set('Content-Type', 'application/json').send('{"model": ');
        expectEnvelope(res, {
          status: 400,
          code: 'body_malformed',
          message: 'The request body could not be parsed as its Content-Type says.',
          challenge: null,
        });
      });

      it('answers 415 to another media type', async () => {
        const res = await post().type('form').send('model=x');
        expectEnvelope(res, { status: 415, code: 'media_type_unsupported', challenge: null });
      });

      it('answers 413 above 64 KiB', async () => {
        const res = await post().send(chatBody('x'.repeat(70 * 1024)));
        expectEnvelope(res, { status: 413, code: 'body_too_large', challenge: null });
      });
    });

    describe('with an invalid body', () => {
      const user = { role: 'user', content: 'hi' };
      it.each([
        ['no body', undefined, null, 'The request body must be a JSON object.'],
        ['an array', [], null, 'The request body must be a JSON object.'],
        ['no model', { messages: [user] }, 'model', "Missing required parameter: 'model'."],
        ['a numeric model', { model: 4, messages: [user] }, 'model', /^Invalid type for 'model'/],
        ['no messages', { model: 'm' }, 'messages', "Missing required parameter: 'messages'."],
        ['messages not an array', { model: 'm', messages: 'hi' }, 'messages', /expected an array/],
        ['empty messages', { model: 'm', messages: [] }, 'messages', /empty array/],
        [
          'a message that is a string',
          { model: 'm', messages: ['hi'] },
          'messages[0]',
          /messages\[0\]/,
        ],
        [
          'an unknown role',
          { model: 'm', messages: [user, { role: 'robot', content: 'x' }] },
          'messages[1].role',
          /expected one of system, developer, user, assistant, tool/,
        ],
        [
          'content that is not a string',
          { model: 'm', messages: [{ role: 'user', content: [{ type: 'text' }] }] },
          'messages[0].content',
          /expected a string/,
        ],
        [
          'stream that is not a boolean',
          { model: 'm', messages: [user], stream: 'yes' },
          'stream',
          /boolean/,
        ],
        [
          'stream_options that is not an object',
          { model: 'm', messages: [user], stream_options: true },
          'stream_options',
          /object/,
        ],
      ] as const)(
        '%s answers 400 body_invalid naming the param',
        async (_name, body, param, message) => {
          const req = post();
          const res = await (body === undefined ? req : req.send(body as object));
          expectEnvelope(res, {
            status: 400,
            code: 'body_invalid',
            param,
            message,
            challenge: null,
          });
        },
      );
    });

    describe('with stream: true', () => {
      it('answers server-sent chunks that add up to the same reply, then [DONE]', async () => {
        const plain = await post().send(chatBody());
        const res = await post()
          .send({ ...chatBody(), stream: true })
          .buffer(true)
          .parse((r, done) => {
            let text = '';
            r.setEncoding('utf8');
            r.on('data', (c: string) => (text += c));
            r.on('end', () => done(null, text));
          });
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        expect(res.headers['cache-control']).toBe('no-store');
        const data = events(res.body as string);
        expect(data.at(-1)).toBe('[DONE]');
        const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
        for (const c of chunks) {
          expect(c).toMatchObject({
            id: `chatcmpl-${res.headers['x-request-id']}`,
            object: 'chat.completion.chunk',
            created: now,
            model: 'four-oh-one-echo',
          });
        }
        expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
        expect(chunks.at(-1).choices[0]).toEqual({
          index: 0,
          delta: {},
          logprobs: null,
          finish_reason: 'stop',
        });
        const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
        expect(text).toBe(plain.body.choices[0].message.content);
        expect(chunks.length).toBeGreaterThan(3);
      });

      it('ends with a usage chunk when stream_options.include_usage is set', async () => {
        const res = await post()
          .send({ ...chatBody(), stream: true, stream_options: { include_usage: true } })
          .buffer(true)
          .parse((r, done) => {
            let text = '';
            r.setEncoding('utf8');
            r.on('data', (c: string) => (text += c));
            r.on('end', () => done(null, text));
          });
        const data = events(res.body as string);
        expect(data.at(-1)).toBe('[DONE]');
        expect(JSON.parse(data.at(-2) as string)).toMatchObject({
          choices: [],
          usage: { prompt_tokens: 6, completion_tokens: 13, total_tokens: 19 },
        });
      });
    });

    describe('with another method', () => {
      it('answers 405 with Allow', async () => {
        const res = await ctx.http().get('/v1/chat/completions');
        expectEnvelope(res, { status: 405, code: 'method_not_allowed', challenge: null });
        expect(res.headers.allow).toBe('POST, OPTIONS');
      });
    });

    it('never answers 5xx, whatever the Authorization header and body hold (property)', async () => {
      const app = ctx.app;
      // Header values Node lets a client send: no CR, LF or NUL, latin1 only.
      const headerChar = fc
        .integer({ min: 0x20, max: 0xff })
        .filter((c) => c !== 0x7f)
        .map((c) => String.fromCharCode(c));
      const authorization = fc.oneof(
        fc.constant(undefined),
        fc.constant(`Bearer ${KEY}`),
        fc.constant(`Bearer ${KEY}`),
        fc.string({ unit: headerChar, maxLength: 120 }),
        fc.string({ unit: headerChar, maxLength: 120 }).map((s) => `Bearer ${s}`),
      );
      const message = fc.record(
        {
          role: fc.oneof(fc.constantFrom('user', 'system'), fc.jsonValue()),
          content: fc.jsonValue(),
        },
        { requiredKeys: [] },
      );
      const body = fc.oneof(
        binaryString({ maxLength: 200 }),
        fc.json(),
        fc
          .record(
            {
              model: fc.oneof(fc.string(), fc.jsonValue()),
              messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.jsonValue()),
              stream: fc.oneof(fc.boolean(), fc.jsonValue()),
              stream_options: fc.oneof(fc.record({ include_usage: fc.boolean() }), fc.jsonValue()),
            },
            { requiredKeys: [] },
          )
          .map((b) => JSON.stringify(b)),
      );
      await fc.assert(
        fc.asyncProperty(authorization, body, async (auth, raw) => {
          let req = request(app)
            .post('/v1/chat/completions')
            .set('Content-Type', 'application/json');
          if (auth !== undefined) req = req.set('Authorization', auth);
          const res = await req.send(raw);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
            expect(res.body.error.message).toContain(
              `(request id: ${res.headers['x-request-id']})`,
            );
          }
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('the log line of a refused request', () => {
    it('carries our problem code and the real reason', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
      const app = createApp(testConfig(), {
        store: new MemoryStore({ maxEntries: 100, sweepIntervalMs: 0 }),
        logger,
      });
      const res = await request(app).get('/v1/models').set('Authorization', 'Bearer sk-wrong');
      const entry = lines
        .map((l) => JSON.parse(l))
        .find((l) => l.requestId === res.headers['x-request-id']);
      expect(entry).toMatchObject({
        code: 'api_key_invalid',
        reason: expect.stringContaining('neither the API key nor an access token'),
        res: { statusCode: 401 },
      });
      expect(lines.join('\n')).not.toContain('sk-wrong');
    });
  });
});

describe('the official openai SDK against this server', () => {
  const ctx = buildApp();
  let server: Server;
  let baseURL: string;
  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL, maxRetries: 0 });

  beforeAll(async () => {
    server = createServer(ctx.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** What the SDK rejects with; fails the test if the call succeeds or rejects with anything else. */
  async function authenticationError(
    call: Promise<unknown>,
  ): Promise<InstanceType<typeof OpenAI.AuthenticationError>> {
    const err = await call.then(
      () => {
        throw new Error('expected the call to be refused');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    return err as InstanceType<typeof OpenAI.AuthenticationError>;
  }

  function expectInvalidToken(err: InstanceType<typeof OpenAI.AuthenticationError>): void {
    expect(err.status).toBe(401);
    expect(err.requestID).toEqual(expect.any(String));
    expect(err.requestID).toBe(err.headers.get('x-request-id'));
    expect(err.message).toContain(`Invalid Token (request id: ${err.requestID})`);
    expect(err.code).toBe('invalid_api_key');
    expect(err.type).toBe('invalid_request_error');
    expect(err.param).toBeNull();
    expect(err.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="four-oh-one", error="invalid_token"/,
    );
  }

  describe('with a wrong key', () => {
    it('models.list() rejects with AuthenticationError: 401 Invalid Token (request id: …)', async () => {
      expectInvalidToken(await authenticationError(client('sk-wrong').models.list()));
    });

    it('chat.completions.create() rejects the same way', async () => {
      const call = client('sk-wrong').chat.completions.create(chatBody());
      expectInvalidToken(await authenticationError(call));
    });
  });

  describe('with the demo key', () => {
    it('lists the models', async () => {
      const page = await client(KEY).models.list();
      expect(page.data.map((m) => m.id)).toEqual(['four-oh-one-echo']);
    });

    it('retrieves a model', async () => {
      const model = await client(KEY).models.retrieve('four-oh-one-echo');
      expect(model).toMatchObject({ id: 'four-oh-one-echo', object: 'model' });
    });

    it('rejects an unknown model with NotFoundError, code model_not_found', async () => {
      const err = await client(KEY)
        .models.retrieve('gpt-does-not-exist')
        .then(
          () => {
            throw new Error('expected the call to be refused');
          },
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      const notFound = err as InstanceType<typeof OpenAI.NotFoundError>;
      expect(notFound.status).toBe(404);
      expect(notFound.code).toBe('model_not_found');
      expect(notFound.param).toBe('model');
      expect(notFound.type).toBe('invalid_request_error');
      expect(notFound.message).toContain("The model 'gpt-does-not-exist' does not exist");
    });

    it('gets a chat completion', async () => {
      const completion = await client(KEY).chat.completions.create(chatBody('Hi'));
      expect(completion.choices[0]?.message.content).toMatch(/^You said: "Hi"\./);
      expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    });

    it('streams a chat completion chunk by chunk', async () => {
      const stream = await client(KEY).chat.completions.create({ ...chatBody('Hi'), stream: true });
      let text = '';
      let chunks = 0;
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        chunks += 1;
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(chunks).toBeGreaterThan(3);
      expect(finish).toBe('stop');
      expect(text).toMatch(/^You said: "Hi"\. This is four-oh-one's echo model; your key works\.$/);
    });
  });

  describe('with an expired access token', () => {
    it('works after the article’s fix: refresh the token and retry once', async () => {
      let token = expiredToken(ctx);
      let refreshed = 0;
      const refreshToken = () => {
        refreshed += 1;
        return ctx.token();
      };
      // The article's call_api_with_retry: on 401 with "Invalid Token", get a new token, retry once.
      async function callWithRetry() {
        try {
          return await client(token).chat.completions.create(chatBody('again'));
        } catch (err) {
          if (
            !(err instanceof OpenAI.AuthenticationError) ||
            !err.message.includes('Invalid Token')
          )
            throw err;
          token = refreshToken();
          return client(token).chat.completions.create(chatBody('again'));
        }
      }
      const completion = await callWithRetry();
      expect(refreshed).toBe(1);
      expect(completion.choices[0]?.message.content).toMatch(/^You said: "again"/);
    });
  });
});
