import fc from 'fast-check';
import { bearerAuth, parseAuthorization } from '../../middleware/bearer-auth';
import { buildApp, expectProblem } from '../helpers';

const METADATA = 'resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource"';
const NO_ERROR = `Bearer realm="four-oh-one", ${METADATA}`;
const INVALID_REQUEST = `Bearer realm="four-oh-one", error="invalid_request", error_description="Authorization header is malformed", ${METADATA}`;

describe('parseAuthorization', () => {
  // After go-httpbin's TestBearer table.
  it.each([
    [undefined, 'none'],
    ['', 'none'],
    ['   ', 'none'],
    ['Bearer', 'malformed'],
    ['Bearer ', 'malformed'],
    ['bearer', 'malformed'],
    ['Bearer x y', 'malformed'],
    ['Bearer\tx', 'malformed'],
    ['Bearer x=y', 'malformed'],
    ['Bearer "x"', 'malformed'],
    ['Bearer x,y', 'malformed'],
    ['Bearer \u00e9t\u00e9', 'malformed'],
    ['Bearer1 x', 'other'],
    ['xBearer x', 'other'],
    ['Basic dXNlcjpwYXNz', 'other'],
    ['Token abc', 'other'],
    ['Digest username="a"', 'other'],
    ['\u00ff\u00fe junk', 'other'],
    ['bearer x', 'bearer'],
    ['BEARER x', 'bearer'],
    ['Bearer  x', 'bearer'],
    ['Bearer a.b.c', 'bearer'],
    ['Bearer abc+/~-_.==', 'bearer'],
  ])('classifies %j as %s', (header, kind) => {
    expect(parseAuthorization(header).kind).toBe(kind);
  });

  it('returns the token without the scheme', () => {
    expect(parseAuthorization('bearer  a.b.c')).toEqual({ kind: 'bearer', token: 'a.b.c' });
  });

  it('never echoes more than 32 characters of an unknown scheme', () => {
    const parsed = parseAuthorization(`${'S'.repeat(500)} x`);
    expect(parsed).toEqual({ kind: 'other', scheme: 'S'.repeat(32) });
  });

  it('never throws and classifies every input (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constant(undefined)),
        (h) => {
          const parsed = parseAuthorization(h);
          expect(['none', 'other', 'malformed', 'bearer']).toContain(parsed.kind);
          if (parsed.kind === 'bearer') expect(parsed.token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('accepts every b64token after the scheme, in any case (property)', () => {
    const b64char = fc.constantFrom(...'ABCxyz019-._~+/'.split(''));
    fc.assert(
      fc.property(
        fc.string({ unit: b64char, minLength: 1, maxLength: 64 }),
        fc.string({ unit: fc.constant('='), maxLength: 2 }),
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR'),
        (body, pad, scheme) => {
          expect(parseAuthorization(`${scheme} ${body}${pad}`)).toEqual({
            kind: 'bearer',
            token: body + pad,
          });
        },
      ),
    );
  });
});

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
        challenge: `Bearer realm="four-oh-one", error="invalid_token", error_description="Access token expired", ${METADATA}`,
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
