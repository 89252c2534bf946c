import fc from 'fast-check';
import { generateKeyPairSync } from '../key-pairs';
import { buildApp, expectProblem } from '../helpers';
import { concealedHeader, serveTls, tlsGet, type TlsApp } from '../concealed-client';

const K = 'YmFzZW1lbnQ'; // "basement"
const A = '2BXW7lfFBrrVkZMjlmNNE4Ln7NR4O6_UB2lXJBMJNFQ';
const P = 'A'.repeat(86);
const V = 'A'.repeat(22);
const creds = (o: Record<string, string> = {}) =>
  'Concealed ' +
  Object.entries({ k: K, a: A, p: P, s: '2055', v: V, ...o })
    .map(([n, v]) => `${n}=${v}`)
    .join(', ');

describe('Concealed (routes/concealed.ts, RFC 9729)', () => {
  const ctx = buildApp();
  const get = (path: string, authorization?: string) => {
    const req = ctx.http().get(path);
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  describe('over plain http, GET /concealed/resource', () => {
    it('answers no credentials with 401 and the bare scheme name', async () => {
      expectProblem(await get('/concealed/resource'), {
        status: 401,
        code: 'concealed_credentials_missing',
        challenge: 'Concealed',
      });
      expectProblem(await get('/concealed/resource', 'Bearer x'), {
        status: 401,
        code: 'concealed_credentials_missing',
        challenge: 'Concealed',
      });
    });

    it.each([
      ['no parameters', 'Concealed'],
      ['v missing', `Concealed k=${K}, a=${A}, p=${P}, s=2055`],
      ['k twice', creds() + `, k=${K}`],
      ['a quoted value', creds({ k: `"${K}"` })],
      ['padding', creds({ a: A + '=' })],
      ['s with a leading zero', creds({ s: '02055' })],
      ['s too large', creds({ s: '65536' })],
      ['s negative', creds({ s: '-1' })],
      ['v of 15 bytes', creds({ v: 'A'.repeat(20) })],
      ['no commas', `Concealed k=${K} a=${A}`],
    ])('treats %s as malformed (ignored, RFC 9729 §6.1): 401', async (_name, header) => {
      expectProblem(await get('/concealed/resource', header), {
        status: 401,
        code: 'concealed_malformed',
        challenge: 'Concealed',
      });
    });

    it('answers another signature scheme with concealed_signature_scheme_unsupported', async () => {
      expectProblem(await get('/concealed/resource', creds({ s: '1027' })), {
        status: 401,
        code: 'concealed_signature_scheme_unsupported',
        challenge: 'Concealed',
      });
    });

    it('answers an unknown key ID, or the right ID with another key, with concealed_key_unknown', async () => {
      for (const header of [creds({ k: 'b3RoZXI' }), creds({ a: 'A'.repeat(43) })]) {
        expectProblem(await get('/concealed/resource', header), {
          status: 401,
          code: 'concealed_key_unknown',
          challenge: 'Concealed',
        });
      }
    });

    it('says that TLS is what is missing when the rest is in order', async () => {
      const res = await get('/concealed/resource', creds());
      expectProblem(res, { status: 401, code: 'concealed_tls_required', challenge: 'Concealed' });
      expect(res.body.detail).toMatch(/plain http.*keying material exporter \(RFC 5705\)/);
    });

    it('never gives a 5xx for random parameters', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 200 }), async (rest) => {
          const res = await get(
            '/concealed/resource',
            `Concealed ${rest}`.replace(/[\r\n\0]/g, ''),
          );
          expect(res.status).toBe(401);
        }),
        { numRuns: 60 },
      );
    });
  });

  describe('GET /concealed/hidden (RFC 9729 §6.4: non-probeable)', () => {
    /** What a 404 says, without what names this request (its id, its path). */
    const shape = (body: Record<string, unknown>) => ({
      ...body,
      request_id: undefined,
      instance: undefined,
      explanation: undefined,
      detail: String(body.detail).replace(/\/concealed\/\S+/, '<path>'),
    });

    it('answers every failure, and every other method, as a path no route serves', async () => {
      const nothing = await get('/concealed/nothing-here');
      const nothingPosted = await ctx.http().post('/concealed/nothing-here');
      expect(nothing.status).toBe(404);
      for (const [res, reference] of [
        [await get('/concealed/hidden'), nothing],
        [await get('/concealed/hidden', 'Concealed'), nothing],
        [await get('/concealed/hidden', creds({ k: 'b3RoZXI' })), nothing],
        [await get('/concealed/hidden', creds()), nothing],
        [await ctx.http().post('/concealed/hidden'), nothingPosted],
      ] as const) {
        expectProblem(res, { status: 404, code: 'not_found', challenge: null });
        expect(shape(res.body)).toEqual(shape(reference.body));
        expect(Object.keys(res.headers).sort()).toEqual(Object.keys(reference.headers).sort());
      }
    });
  });

  describe('over TLS 1.3, with a client that exports on its own side of the connection', () => {
    let tls: TlsApp;
    beforeAll(async () => {
      tls = await serveTls(ctx.app);
    });
    afterAll(async () => {
      await tls.close();
    });

    it.each(['/concealed/resource', '/concealed/hidden'])(
      'authenticates the demo key on %s',
      async (path) => {
        const res = await tlsGet(tls.port, path, (s) => concealedHeader(s, tls.port));
        expect(res.status).toBe(200);
        expect(res.headers['www-authenticate']).toBeUndefined();
        expect(res.body).toEqual({ authenticated: true, scheme: 'Concealed', key_id: K });
      },
    );

    it('refuses a verification value that is not this connection’s', async () => {
      const res = await tlsGet(tls.port, '/concealed/resource', (s) =>
        concealedHeader(s, tls.port, { breakVerification: true }),
      );
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 401,
        code: 'concealed_verification_mismatch',
      });
      expect(res.headers['www-authenticate']).toBe('Concealed');
    });

    it('refuses a header replayed on another connection', async () => {
      let captured = '';
      const first = await tlsGet(tls.port, '/concealed/resource', (s) => {
        captured = concealedHeader(s, tls.port);
        return captured;
      });
      expect(first.status).toBe(200);
      const replay = await tlsGet(tls.port, '/concealed/resource', () => captured);
      expect(replay.body.code).toBe('concealed_verification_mismatch');
      const hidden = await tlsGet(tls.port, '/concealed/hidden', () => captured);
      expect({ status: hidden.status, code: hidden.body.code }).toEqual({
        status: 404,
        code: 'not_found',
      });
    });

    it('refuses a context built for another host', async () => {
      const res = await tlsGet(tls.port, '/concealed/resource', (s) =>
        concealedHeader(s, tls.port, { host: 'example.com' }),
      );
      expect(res.body.code).toBe('concealed_verification_mismatch');
    });

    it('refuses a signature over other bytes', async () => {
      const res = await tlsGet(tls.port, '/concealed/resource', (s) =>
        concealedHeader(s, tls.port, { breakSignature: true }),
      );
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 401,
        code: 'concealed_signature_invalid',
      });
    });

    it('refuses a signature by another key under the demo key ID and public key', async () => {
      const { privateKey } = generateKeyPairSync('ed25519');
      const res = await tlsGet(tls.port, '/concealed/resource', (s) =>
        concealedHeader(s, tls.port, { privateKey }),
      );
      expect(res.body.code).toBe('concealed_signature_invalid');
    });

    it('treats TLS 1.2 as no credentials (RFC 9729 §7)', async () => {
      const res = await tlsGet(
        tls.port,
        '/concealed/resource',
        (s) => concealedHeader(s, tls.port),
        { maxVersion: 'TLSv1.2' },
      );
      expect(res.body.code).toBe('concealed_tls_required');
      expect(String(res.body.detail)).toMatch(/TLSv1\.2/);
    });
  });
});
