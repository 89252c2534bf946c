import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app';
import { createServer } from '../../src/http/server';
import { MemoryStore } from '../../src/store';
import { ECHO_NOTE, notEchoed } from '../../src/teaching/echo';
import { buildApp, expectProblem, testClock, testConfig } from '../helpers';

/**
 * The echo family (routes/echo.ts): httpbin's /headers and /anything, which show a learner what
 * their client sent, with every secret decoded or measured but never echoed in full.
 */

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the echo routes', () => {
  const ctx = buildApp();

  describe('GET /headers', () => {
    it('answers the header fields as sent: their case, a repeated field as a list, never cached', async () => {
      const res = await ctx
        .http()
        .get('/headers')
        .set('X-Hello', 'world')
        .set('Accept-Language', ['en', 'fr'] as unknown as string) // sent as two fields by Node
        .expect(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.headers['X-Hello']).toBe('world');
      expect(res.body.headers['Accept-Language']).toEqual(['en', 'fr']);
      expect(res.body.credentials).toEqual({});
      expect(res.body.note).toBe(ECHO_NOTE);
    });

    it('answers HEAD with the headers and no body, OPTIONS with Allow, and 405 to other methods', async () => {
      const head = await ctx.http().head('/headers').expect(200);
      expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(head.text).toBeUndefined();
      const options = await ctx.http().options('/headers').expect(204);
      expect(options.headers.allow).toBe('GET, HEAD, OPTIONS');
      expectProblem(await ctx.http().post('/headers'), {
        status: 405,
        code: 'method_not_allowed',
      });
    });
  });

  describe('Authorization', () => {
    it('shows the Basic user name and only the length of the password', async () => {
      const header = basic('my_username', 'my_password');
      const res = await ctx.http().get('/headers').set('Authorization', header).expect(200);
      expect(res.body.credentials.authorization).toEqual({
        scheme: 'Basic',
        user: 'my_username',
        password: notEchoed(11),
      });
      expect(res.body.headers.Authorization).toBe('[not echoed: see credentials.authorization]');
      expect(res.text).not.toContain('my_password');
      expect(res.text).not.toContain(header.slice(6));
    });

    it('decodes a Bearer JWT’s header and payload, and echoes neither its signature nor the token', async () => {
      const token = ctx.token({ sub: 'ada' });
      const [, , signature] = token.split('.');
      const res = await ctx.http().get('/anything').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      const view = res.body.credentials.authorization;
      expect(view.scheme).toBe('Bearer');
      expect(view.jwt.header).toMatchObject({ typ: 'at+jwt', alg: expect.any(String) });
      expect(view.jwt.payload).toMatchObject({ sub: 'ada', scope: 'data:read' });
      expect(view.signature).toBe(notEchoed(signature?.length ?? -1));
      expect(res.text).not.toContain(token);
      expect(res.text).not.toContain(signature);
    });

    it('measures a Bearer token that is no JWT, and an unknown scheme without naming it', async () => {
      const opaque = await ctx.http().get('/anything').set('Authorization', 'Bearer abc.def-123');
      expect(opaque.body.credentials.authorization).toMatchObject({
        scheme: 'Bearer',
        token: notEchoed(11),
      });
      // A raw key sent with no scheme: its first word may be the secret itself.
      const raw = await ctx.http().get('/anything').set('Authorization', 'sk-live-0123456789');
      expect(raw.body.credentials.authorization.credentials).toBe(notEchoed(18));
      expect(raw.text).not.toContain('sk-live');
    });

    it('shows the Digest parameters but its response hash, and reads Proxy-Authorization too', async () => {
      const res = await ctx
        .http()
        .get('/anything')
        .set(
          'Authorization',
          'Digest username="user", realm="four-oh-one", nonce="n0nce", uri="/anything", response="deadbeefdeadbeef"',
        )
        .set('Proxy-Authorization', basic('proxy-user', 'proxy-secret'));
      expect(res.body.credentials.authorization).toEqual({
        scheme: 'Digest',
        params: {
          username: 'user',
          realm: 'four-oh-one',
          nonce: 'n0nce',
          uri: '/anything',
          response: notEchoed(16),
        },
      });
      expect(res.body.credentials['proxy-authorization']).toMatchObject({ user: 'proxy-user' });
      expect(res.text).not.toMatch(/deadbeef|proxy-secret/);
    });

    it('says what is wrong with a broken header instead of failing', async () => {
      const res = await ctx.http().get('/anything').set('Authorization', 'Basic !!!').expect(200);
      expect(res.body.credentials.authorization).toMatchObject({
        scheme: 'Basic',
        problem: expect.stringContaining('base64'),
      });
    });

    it('never answers 5xx, nor echoes the credentials, whatever Authorization holds', async () => {
      const printable = fc.string({
        unit: fc.constantFrom(
          ...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZabcxyz[\\]^_`{|}~=\t'.split(''),
        ),
        minLength: 12,
        maxLength: 200,
      });
      const scheme = fc.constantFrom('', 'Basic ', 'Bearer ', 'Digest ', 'bearer  ', 'X ');
      await fc.assert(
        fc.asyncProperty(scheme, printable, async (s, secret) => {
          const value = `${s}${secret}`.trim();
          fc.pre(/^\S/.test(value) && value.length > s.length + 11);
          const res = await request(ctx.app).get('/anything').set('Authorization', value);
          expect(res.status).toBe(200);
          const sent = value.slice(s.trim().length).trim();
          expect(res.text).not.toContain(JSON.stringify(sent).slice(1, -1));
        }),
        { numRuns: 150 },
      );
    });
  });

  describe('other secrets', () => {
    it('keeps cookie names and drops their values; measures keys in headers named like secrets', async () => {
      const res = await ctx
        .http()
        .get('/headers')
        .set('Cookie', 'four-oh-one.sid=s%3Aabc.def; theme=dark')
        .set('X-API-Key', 'demo-key-123');
      expect(res.body.headers.Cookie).toBe(
        `four-oh-one.sid=${notEchoed(11)}; theme=${notEchoed(4)}`,
      );
      expect(res.body.headers['X-API-Key']).toBe(notEchoed(12));
      expect(res.text).not.toMatch(/abc\.def|demo-key-123/);
    });

    it('measures secret-named query parameters and body members, at any depth', async () => {
      const res = await ctx
        .http()
        .post('/anything/login?access_token=qwerty&page=2')
        .send({ username: 'ada', password: 'hunter22', nested: { client_secret: 's3cr3t!' } })
        .expect(200);
      expect(res.body).toMatchObject({
        method: 'POST',
        path: '/anything/login',
        query: { access_token: notEchoed(6), page: '2' },
        body: {
          username: 'ada',
          password: notEchoed(8),
          nested: { client_secret: notEchoed(7) },
        },
        contentType: 'application/json',
        origin: expect.stringMatching(/127\.0\.0\.1$/),
      });
      expect(res.text).not.toMatch(/qwerty|hunter22|s3cr3t/);
    });

    it('measures a token wherever it is, whatever its name: header, query, body', async () => {
      const token = ctx.token();
      const res = await ctx
        .http()
        .post(`/anything?next=${token}`)
        .set('X-Upstream', `Bearer ${token}`)
        .set('X-Forwarded-Jwt', token)
        .send({ note: `here: ${token}`, list: [`Basic ${'a'.repeat(12)}`] })
        .expect(200);
      expect(res.text).not.toContain(token.split('.')[1]);
      expect(res.body.headers['X-Upstream']).toBe(notEchoed(token.length + 7));
      expect(res.body.query.next).toBe(notEchoed(token.length));
      expect(res.body.body.list).toEqual([notEchoed(18)]);
    });

    it('parses a form as well', async () => {
      const res = await ctx
        .http()
        .put('/anything')
        .type('form')
        .send({ username: 'my_username', password: 'my_password' })
        .expect(200);
      expect(res.body.body).toEqual({ username: 'my_username', password: notEchoed(11) });
    });
  });

  describe('/anything', () => {
    it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const)(
      'echoes a %s, with no body as null',
      async (method) => {
        const res = await ctx.http()[method.toLowerCase() as 'get']('/anything').expect(200);
        expect(res.body).toMatchObject({ method, path: '/anything', query: {}, body: null });
      },
    );

    it('answers HEAD like GET, without a body', async () => {
      const res = await ctx.http().head('/anything/x').expect(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.text).toBeUndefined();
    });

    it('answers a path deeper than one segment 404', async () => {
      expectProblem(await ctx.http().get('/anything/a/b'), { status: 404, code: 'not_found' });
    });

    it('answers a body over 8 KiB 413, another media type 415, and broken JSON 400', async () => {
      expectProblem(
        await ctx
          .http()
          .post('/anything')
          .send({ text: 'x'.repeat(9000) }),
        { status: 413, code: 'body_too_large' },
      );
      expectProblem(await ctx.http().post('/anything').type('text/plain').send('hello'), {
        status: 415,
        code: 'media_type_unsupported',
      });
      expectProblem(
        await ctx.http().post('/anything').type('application/json').send('{"password": "x",'),
        { status: 400, code: 'body_malformed' },
      );
      expectProblem(await ctx.http().post('/anything').send([1, 2]), {
        status: 400,
        code: 'body_malformed',
      });
    });
  });

  it('keeps no credential in the explanation of a refused echo', async () => {
    const refused = await ctx
      .http()
      .post('/anything?token=q-secret-1')
      .set('Authorization', basic('ada', 'pw-secret-2'))
      .type('text/plain')
      .send('body-secret-3');
    expectProblem(refused, { status: 415, code: 'media_type_unsupported' });
    const id = refused.headers['x-explanation-id'] as string;
    const explanation = await ctx.http().get(`/explain/${id}`).set('Accept', 'application/json');
    expect(explanation.status).toBe(200);
    expect(explanation.text).toContain('media_type_unsupported');
    expect(explanation.text).not.toMatch(/secret-[123]/);
    expect(explanation.text).not.toContain(basic('ada', 'pw-secret-2').slice(6));
  });

  it('creates no state and logs no header, query or body', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const clock = testClock();
    const store = new MemoryStore({ maxEntries: 100, clock, sweepIntervalMs: 0 });
    const app = createApp(testConfig(), {
      store,
      clock,
      logger: pino({ level: 'info' }, sink),
    });
    const http = request(createServer(app));
    await http.get('/headers').expect(200); // whatever the first request of an app writes
    const before = await store.usage();
    await request(createServer(app))
      .post('/anything?api_key=q-secret-1')
      .set('Authorization', basic('grace', 'pw-secret-2'))
      .send({ password: 'body-secret-3' })
      .expect(200);
    expect(await store.usage()).toEqual(before);
    const log = lines.join('');
    expect(log).toContain('"path":"/anything"');
    // No hex-only words here: the log's request ids are random hex and once contained "ada".
    expect(log).not.toMatch(/secret-[123]|grace/);
  });
});
