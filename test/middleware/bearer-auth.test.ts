import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import fc from 'fast-check';
import { bearerAuth, REPEAT_THRESHOLD } from '../../middleware/bearer-auth';
import { createServer } from '../../src/http/server';
import { StoreUnavailableError } from '../../src/http/problems';
import { MemoryStore, type Store } from '../../src/store';
import { isNumericDate, type Verdict } from '../../src/tokens/verify';
import { buildApp, expectProblem } from '../helpers';
import { check, get, type Send, withBearer } from './check';

const METADATA = 'resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource"';
/** /api/v1/data takes DPoP too: every challenge of its Bearer guard offers it (RFC 9449 §7.2). */
const DPOP_OFFER = 'DPoP algs="ES256 EdDSA PS256 RS256"';
const NO_ERROR = `Bearer realm="four-oh-one", ${METADATA}, ${DPOP_OFFER}`;
const INVALID_REQUEST = `Bearer realm="four-oh-one", error="invalid_request", error_description="Authorization header is malformed", ${METADATA}, ${DPOP_OFFER}`;

describe('bearerAuth()', () => {
  it('throws at once without a verify function', () => {
    expect(() => bearerAuth({} as never)).toThrow(TypeError);
  });
});

describe('GET /api/v1/data', () => {
  const ctx = buildApp();

  describe('without credentials', () => {
    it('answers 401 token_missing with a challenge that has no error', async () => {
      expectProblem(await ctx.http().get('/api/v1/data'), {
        status: 401,
        code: 'token_missing',
        challenge: NO_ERROR,
      });
    });
    it('treats an empty Authorization header as none', async () => {
      const res = await ctx.http().get('/api/v1/data').set('Authorization', '');
      expectProblem(res, { status: 401, code: 'token_missing', challenge: NO_ERROR });
    });
  });

  describe('with a malformed header', () => {
    it.each(['Bearer', 'Bearer a b', 'Bearer "quoted"', 'Bearer x=y', 'Bearer \u00e9'])(
      '%j answers 400 invalid_request',
      async (header) => {
        const res = await ctx.http().get('/api/v1/data').set('Authorization', header);
        expectProblem(res, {
          status: 400,
          code: 'authorization_malformed',
          challenge: INVALID_REQUEST,
        });
      },
    );
  });

  describe('with another scheme', () => {
    it.each(['Basic dXNlcjpwYXNz', 'Token abc', 'Bearer1 abc', 'xBearer abc', '\u00ff\u00fe'])(
      '%j answers 401 without error',
      async (header) => {
        const res = await ctx.http().get('/api/v1/data').set('Authorization', header);
        expectProblem(res, { status: 401, code: 'auth_scheme_unsupported', challenge: NO_ERROR });
      },
    );
  });

  // RFC 9110 §5.3 and RFC 6750 §2, §3, §3.1: one field, and the header method only.
  describe('with the token presented otherwise than in one Authorization header', () => {
    const invalidRequest = (title: string) =>
      `Bearer realm="four-oh-one", error="invalid_request", error_description="${title}", ${METADATA}, ${DPOP_OFFER}`;
    const REPEATED = invalidRequest('Authorization header sent more than once');
    const MULTIPLE = invalidRequest('Access token sent in more than one way');

    it('answers two Authorization fields 400 authorization_repeated, whichever comes first', async () => {
      const expired = ctx.token({ expiresIn: -600 });
      for (const values of [
        [ctx.token(), expired],
        [expired, ctx.token()],
        [ctx.token(), ctx.token()],
      ]) {
        const res = await ctx
          .http()
          .get('/api/v1/data')
          .set('Authorization', values.map((t) => `Bearer ${t}`) as unknown as string);
        expectProblem(res, { status: 400, code: 'authorization_repeated', challenge: REPEATED });
        expect(res.body.detail).toContain('2 Authorization fields');
      }
    });

    it('counts Authorization fields in any case, as they came on the wire', async () => {
      const server = createServer(ctx.app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const token = ctx.token();
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.end(
              `GET /api/v1/data HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
                `AUTHORIZATION: Bearer ${token}\r\nConnection: close\r\n\r\n`,
            );
          });
          let text = '';
          socket.on('data', (c: Buffer) => (text += c.toString()));
          socket.on('end', () => resolve(text));
          socket.on('error', reject);
        });
        expect(answer).toMatch(/^HTTP\/1\.1 400 /);
        expect(answer).toContain('"code":"authorization_repeated"');
      } finally {
        server.close();
      }
    });

    it.each([
      ['?access_token=abc', 'the query'],
      ['?x=1&access_token=', 'the query, empty'],
      ['?access%5Ftoken=abc', 'the query, percent-encoded'],
    ])('answers a header plus %s (%s) 400 token_multiple_methods', async (query) => {
      const res = await ctx
        .http()
        .get(`/api/v1/data${query}`)
        .set('Authorization', `Bearer ${ctx.token()}`);
      expectProblem(res, { status: 400, code: 'token_multiple_methods', challenge: MULTIPLE });
    });

    it('answers a token only in the query 401 token_in_query_refused, without error', async () => {
      const res = await ctx.http().get(`/api/v1/data?access_token=${ctx.token()}`);
      expectProblem(res, { status: 401, code: 'token_in_query_refused', challenge: NO_ERROR });
      // Another scheme in the header does not carry a bearer token: the query is the lesson.
      const basic = await ctx
        .http()
        .get('/api/v1/data?access_token=abc')
        .set('Authorization', 'Basic dXNlcjpwYXNz');
      expectProblem(basic, { status: 401, code: 'token_in_query_refused', challenge: NO_ERROR });
    });

    it('reads only a parameter named access_token', async () => {
      for (const query of ['?access_tokens=abc', '?token=abc', '?x=access_token']) {
        const res = await ctx.http().get(`/api/v1/data${query}`);
        expectProblem(res, { status: 401, code: 'token_missing', challenge: NO_ERROR });
      }
    });

    it('answers a token only in a form body 401 token_in_body_refused, without error', async () => {
      const res = await ctx
        .http()
        .get('/api/v1/data')
        .type('form')
        .send({ access_token: ctx.token() });
      expectProblem(res, { status: 401, code: 'token_in_body_refused', challenge: NO_ERROR });
    });

    it('reads access_token from a form body only (RFC 6750 §2.2), not from JSON', async () => {
      const json = await ctx.http().get('/api/v1/data').send({ access_token: ctx.token() });
      expectProblem(json, { status: 401, code: 'token_missing', challenge: NO_ERROR });
      const other = await ctx.http().get('/api/v1/data').type('form').send({ token: 'abc' });
      expectProblem(other, { status: 401, code: 'token_missing', challenge: NO_ERROR });
    });

    it('answers a form body it cannot read as no token (401), never with a new status', async () => {
      for (const [type, body] of [
        ['form', `access_token=${'a'.repeat(20_000)}`],
        ['application/x-www-form-urlencoded; charset=koi8-r', 'access_token=abc'],
      ]) {
        const res = await ctx
          .http()
          .get('/api/v1/data')
          .type(type as string)
          .send(body as string);
        expectProblem(res, { status: 401, code: 'token_missing', challenge: NO_ERROR });
      }
    });

    it('leaves the body of a request with an Authorization header to the route', async () => {
      const res = await ctx
        .http()
        .get('/api/v1/data')
        .set('Authorization', `Bearer ${ctx.token()}`)
        .type('form')
        .send({ access_token: 'abc' });
      expect(res.status).toBe(200);
    });
  });

  describe('with a valid token', () => {
    it('answers 200 with the caller, and no challenge', async () => {
      const res = await ctx
        .http()
        .get('/api/v1/data')
        .set('Authorization', `Bearer ${ctx.token()}`);
      expect(res.status).toBe(200);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.caller).toMatchObject({
        sub: 'test-user',
        client_id: 'test-client',
        scope: 'data:read',
      });
    });
    it('answers HEAD without a body', async () => {
      const res = await ctx
        .http()
        .head('/api/v1/data')
        .set('Authorization', `Bearer ${ctx.token()}`);
      expect(res.status).toBe(200);
      expect(res.text).toBeUndefined();
    });
  });

  describe('with a token that expires', () => {
    it('works until exp plus the clock tolerance, then answers token_expired with both times', async () => {
      const token = ctx.token({ expiresIn: 60 });
      const get = () => ctx.http().get('/api/v1/data').set('Authorization', `Bearer ${token}`);
      expect((await get()).status).toBe(200);
      ctx.clock.advance((60 + 29) * 1000);
      expect((await get()).status).toBe(200);
      ctx.clock.advance(1000);
      const res = await get();
      expectProblem(res, {
        status: 401,
        code: 'token_expired',
        challenge: `Bearer realm="four-oh-one", error="invalid_token", error_description="Access token expired", ${METADATA}, ${DPOP_OFFER}`,
      });
      expect(res.body.detail).toBe(
        'The token expired at 2026-11-22T07:01:00Z; server time is 2026-11-22T07:01:30Z (tolerance 30s).',
      );
      expect(res.text).not.toContain(token);
    });
  });

  it('never answers 5xx, whatever the header holds (property)', async () => {
    // Header values Node lets a client send: no CR, LF or NUL, latin1 only.
    const headerChar = fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: headerChar, maxLength: 200 }),
          fc.string({ unit: headerChar, maxLength: 200 }).map((s) => `Bearer ${s}`),
          fc
            .string({ unit: headerChar, maxLength: 200 })
            .map((s) => `Bearer ${Buffer.from(s).toString('base64url')}.e30.x`),
        ),
        async (header) => {
          const res = await ctx.http().get('/api/v1/data').set('Authorization', header);
          expect([400, 401]).toContain(res.status);
          expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
          expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="four-oh-one"/);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('a signed token whose times are no times', () => {
  const ctx = buildApp();
  const now = Math.floor(ctx.clock.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: ctx.config.jwt.issuer,
    sub: 'my_username',
    aud: ctx.config.jwt.audience,
    exp: now + 300,
    iat: now,
    auth_time: now,
    jti: 'times-1',
    client_id: 'test-client',
    scope: 'data:read',
    type: 'user',
  };
  /**
   * Signs a payload with `claim` set to `raw`, JSON text as sent: `1e400` parses to Infinity,
   * which JSON.stringify could never write. Signed by hand with the app's own key.
   */
  const signWith = (claim: string, raw: string) => {
    const rest = JSON.stringify({ ...claims, [claim]: undefined });
    const payload = `${rest.slice(0, -1)},${JSON.stringify(claim)}:${raw}}`;
    const header = { alg: 'HS256', typ: 'at+jwt', kid: ctx.keys.signing.kid };
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
    const sig = createHmac('sha256', ctx.keys.signing.signKey).update(input).digest('base64url');
    return `${input}.${sig}`;
  };
  /** The routes that read these times: expiry, a role refused after every check, step-up. */
  const ROUTES = ['/api/v1/data', '/admin', '/account/security'];

  const cases = ['exp', 'iat', 'nbf', 'auth_time'].flatMap((claim) =>
    ['1e300', '9e15', '-9e15', '-1', '1e400', '-1e400', '253402300800', '"soon"'].map(
      (raw) => [claim, raw] as const,
    ),
  );

  it.each(cases)(
    'answers 401 token_claims_invalid for %s = %s, and keeps serving',
    async (claim, raw) => {
      const token = signWith(claim, raw);
      for (const path of ROUTES) {
        const res = await ctx.http().get(path).set('Authorization', `Bearer ${token}`);
        // Only the resource that takes DPoP offers it (/admin and /account/security do not).
        const offer = path === '/api/v1/data' ? `, ${DPOP_OFFER}` : '';
        expectProblem(res, {
          status: 401,
          code: 'token_claims_invalid',
          challenge: `Bearer realm="four-oh-one", error="invalid_token", error_description="Access token claims are incomplete", ${METADATA}${offer}`,
        });
        expect(res.body.detail).toContain(claim);
      }
      // The explanation's finish listener ran for each refusal; the process is still answering.
      await ctx.http().get('/healthz').expect(200);
    },
  );

  it('accepts the same claims with ordinary times (the table above changes one claim only)', async () => {
    const token = signWith('exp', String(now + 600));
    await ctx.http().get('/api/v1/data').set('Authorization', `Bearer ${token}`).expect(200);
    await ctx.http().get('/account/security').set('Authorization', `Bearer ${token}`).expect(200);
  });

  it('never answers 5xx, whatever number a time claim holds (property)', async () => {
    const raw = fc.oneof(
      fc
        .double()
        .map((v) =>
          Number.isFinite(v)
            ? JSON.stringify(v)
            : Number.isNaN(v)
              ? 'null'
              : v > 0
                ? '1e400'
                : '-1e400',
        ),
      fc.integer({ min: now - 1_000_000, max: now + 1_000_000 }).map(String),
      fc.constantFrom('1e308', '-0', '0.5', '253402300799', '253402300799.5', '8.64e12', '8.64e15'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('exp', 'iat', 'nbf', 'auth_time'),
        raw,
        async (claim, value) => {
          const token = signWith(claim, value);
          const parsed: unknown = JSON.parse(value);
          for (const path of ROUTES) {
            const res = await ctx.http().get(path).set('Authorization', `Bearer ${token}`);
            expect(res.status).toBeLessThan(500);
            if (!isNumericDate(parsed)) {
              expect({ path, code: res.body.code }).toEqual({ path, code: 'token_claims_invalid' });
            }
          }
        },
      ),
      { numRuns: 120 },
    );
    await ctx.http().get('/healthz').expect(200);
  });
});

/** A store that is down: every call rejects as a real outage does. */
class DownStore implements Store {
  readonly kind = 'memory';
  private down = (): Promise<never> =>
    Promise.reject(new StoreUnavailableError('store is down (test)'));
  get = this.down;
  getMany = this.down;
  set = this.down;
  setIfAbsent = this.down;
  delete = this.down;
  increment = this.down;
  ping = this.down;
  usage = this.down;
  close = async () => {};
}

describe('with the store down', () => {
  it('answers an expired token 401 token_expired, not 503: the refusal count is best effort', async () => {
    const ctx = buildApp({ store: new DownStore() });
    const issuedAt = Math.floor(ctx.clock.now() / 1000) - 3600;
    const token = ctx.token({ issuedAt, expiresIn: 300 });
    for (let i = 0; i < 4; i += 1) {
      const res = await ctx.http().get('/api/v1/data').set('Authorization', `Bearer ${token}`);
      expectProblem(res, { status: 401, code: 'token_expired' });
      expect(res.body.refused_count).toBeUndefined();
    }
  });

  it('still answers 503 where the store must be read: a token that passed every other check', async () => {
    const ctx = buildApp({ store: new DownStore() });
    const res = await ctx.http().get('/api/v1/data').set('Authorization', `Bearer ${ctx.token()}`);
    expectProblem(res, { status: 503, code: 'store_unavailable' });
  });
});

describe('bearerAuth() with only itself in the app', () => {
  const CHALLENGE = 'Bearer realm="four-oh-one", resource_metadata="http://x/m"';
  const EXPIRED = `Bearer realm="four-oh-one", error="invalid_token", error_description="Access token expired", resource_metadata="http://x/m"`;
  /** Accepts "good"; refuses anything else as expired, with the token itself as its jti. */
  const verify = async (token: string): Promise<Verdict> =>
    token === 'good'
      ? { ok: true, claims: { sub: 'alice' } as never, kid: 'k1' }
      : { ok: false, code: 'token_expired', detail: 'Expired.', jti: token };

  it('puts the verified caller in res.locals.auth', async () => {
    const res = await check(bearerAuth({ verify }), withBearer('good'), { status: 200 });
    expect(res.body.locals.auth).toEqual({ claims: { sub: 'alice' }, kid: 'k1' });
  });

  it.each([
    { name: 'no token', send: get, status: 401, code: 'token_missing', challenge: CHALLENGE },
    {
      name: 'a refused token',
      send: withBearer('old'),
      status: 401,
      code: 'token_expired',
      challenge: EXPIRED,
    },
    {
      name: 'a token in the query',
      send: ((a) => a.get('/?access_token=good')) as Send,
      status: 401,
      code: 'token_in_query_refused',
      challenge: CHALLENGE,
    },
  ])('answers $name with $status $code', async ({ send, status, code, challenge }) => {
    const guard = bearerAuth({ verify, resourceMetadata: 'http://x/m' });
    await check(guard, send, { status, code, headers: { 'WWW-Authenticate': challenge } });
  });

  it('sends the challenge it is given alongside every Bearer one, in the same field', async () => {
    const guard = bearerAuth({ verify, resourceMetadata: 'http://x/m', alongside: DPOP_OFFER });
    for (const [send, code, challenge] of [
      [get, 'token_missing', CHALLENGE],
      [withBearer('old'), 'token_expired', EXPIRED],
      [withBearer('a b'), 'authorization_malformed', undefined],
    ] as const) {
      const res = await check(guard, send, {
        status: code === 'authorization_malformed' ? 400 : 401,
        code,
      });
      const value = res.headers['www-authenticate'] as string;
      if (challenge !== undefined) expect(value).toBe(`${challenge}, ${DPOP_OFFER}`);
      // RFC 9449 §7.2 Figure 18: the error is the Bearer challenge's; the DPoP one has only algs.
      expect(value.endsWith(`", ${DPOP_OFFER}`)).toBe(true);
      expect(value.match(/error=/g)?.length ?? 0).toBe(code === 'token_missing' ? 0 : 1);
    }
  });

  it(`says so from the ${REPEAT_THRESHOLD}rd refusal of one token in a minute, and never counts specimens`, async () => {
    const store = new MemoryStore({ maxEntries: 100, sweepIntervalMs: 0 });
    const guard = bearerAuth({ verify, store });
    const expired = { status: 401, code: 'token_expired' };
    for (let i = 1; i < REPEAT_THRESHOLD; i++) {
      const res = await check(guard, withBearer('again'), expired);
      expect(res.body.refused_count).toBeUndefined();
    }
    const res = await check(guard, withBearer('again'), expired);
    expect(res.body.refused_count).toBe(REPEAT_THRESHOLD);
    expect(res.body.detail).toMatch(/^Expired\. This same token has been refused 3 times/);
    for (let i = 0; i < REPEAT_THRESHOLD; i++) {
      const specimen = await check(guard, withBearer('specimen-1'), expired);
      expect(specimen.body.refused_count).toBeUndefined();
    }
  });
});
