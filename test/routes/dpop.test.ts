import { createHash, randomUUID, sign, type KeyObject } from 'node:crypto';
import { generateKeyPairSync } from '../key-pairs';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { jwkThumbprint } from '../../src/tokens/dpop';
import { buildApp, expectProblem, type TestContext } from '../helpers';

/** A client's own DPoP key, made with node:crypto: the server knows nothing of it beforehand. */
class Client {
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
  readonly jkt: string;

  constructor(private readonly ctx: TestContext) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.jwk = pair.publicKey.export({ format: 'jwk' });
    this.jkt = jwkThumbprint(this.jwk) as string;
  }

  /** A proof for this request, made on the server's clock, with a fresh jti. */
  proof(method: string, path: string, extra: Record<string, unknown> = {}): string {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const claims = {
      jti: randomUUID(),
      htm: method,
      htu: `${this.ctx.config.publicUrl}${path}`,
      iat: Math.floor(this.ctx.clock.now() / 1000),
      ...extra,
    };
    const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: this.jwk })}.${b64(claims)}`;
    const sig = sign('sha256', Buffer.from(input), {
      key: this.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${input}.${sig.toString('base64url')}`;
  }

  /** A proof for a resource request with this token (ath). */
  resourceProof(token: string, path = '/api/v1/data', extra: Record<string, unknown> = {}) {
    const ath = createHash('sha256').update(token).digest('base64url');
    return this.proof('GET', path, { ath, ...extra });
  }
}

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

const PASSWORD_GRANT = {
  grant_type: 'password',
  username: 'my_username',
  password: 'my_password',
  client_id: 'four-oh-one-public',
};

describe('DPoP (RFC 9449)', () => {
  const ctx = buildApp();
  const http = () => ctx.http();

  async function tokens(client: Client, body: Record<string, string> = PASSWORD_GRANT) {
    const res = await http()
      .post('/auth/token')
      .type('form')
      .set('DPoP', client.proof('POST', '/auth/token'))
      .send(body);
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token?: string; token_type: string };
  }

  describe('the refusals of how a token was presented, on a route that takes DPoP', () => {
    it('name both schemes where the challenges offer both; routes without DPoP name Bearer only', async () => {
      const none = await http().get('/api/v1/data');
      expectProblem(none, { status: 401, code: 'token_missing' });
      expect(none.body.detail).toBe(
        'Send an access token as "Authorization: Bearer <token>", or a DPoP-bound one as "Authorization: DPoP <token>" with a DPoP proof (RFC 9449).',
      );
      const basic = await http().get('/api/v1/data').set('Authorization', 'Basic dXNlcjpwdw==');
      expectProblem(basic, { status: 401, code: 'auth_scheme_unsupported' });
      expect(basic.body.detail).toBe(
        'This resource accepts the Bearer and DPoP schemes, not Basic.',
      );
      const admin = await http().get('/admin').set('Authorization', 'Basic dXNlcjpwdw==');
      expectProblem(admin, { status: 401, code: 'auth_scheme_unsupported' });
      expect(admin.body.detail).toBe('This resource accepts the Bearer scheme, not Basic.');
    });
  });

  describe('POST /auth/token with a DPoP proof', () => {
    it('issues DPoP-bound access and refresh tokens to a public client (password grant)', async () => {
      const client = new Client(ctx);
      const body = await tokens(client);
      expect(body.token_type).toBe('DPoP');
      expect(claimsOf(body.access_token).cnf).toEqual({ jkt: client.jkt });
      expect(claimsOf(body.refresh_token ?? '').cnf).toEqual({ jkt: client.jkt });
    });

    it('binds the access token of a confidential client (client_credentials), not a refresh token', async () => {
      const client = new Client(ctx);
      const res = await http()
        .post('/auth/token')
        .auth('YOUR_VALID_API_KEY', 'YOUR_VALID_API_SECRET')
        .type('form')
        .set('DPoP', client.proof('POST', '/auth/token'))
        .send({ grant_type: 'client_credentials' });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('DPoP');
      expect(claimsOf(res.body.access_token).cnf).toEqual({ jkt: client.jkt });
      expect(res.body.refresh_token).toBeUndefined();
    });

    it('issues Bearer tokens, without cnf, to a request without a proof', async () => {
      const res = await http().post('/auth/token').type('form').send(PASSWORD_GRANT).expect(200);
      expect(res.body.token_type).toBe('Bearer');
      expect(claimsOf(res.body.access_token).cnf).toBeUndefined();
      expect(claimsOf(res.body.refresh_token).cnf).toBeUndefined();
    });

    it('answers 400 invalid_dpop_proof to a proof for another URL, and to a replayed one', async () => {
      const client = new Client(ctx);
      const wrong = await http()
        .post('/auth/token')
        .type('form')
        .set('DPoP', client.proof('POST', '/auth/revoke'))
        .send(PASSWORD_GRANT);
      expectOAuthError(wrong, 400, 'grant_dpop_proof_invalid', 'invalid_dpop_proof');
      const proof = client.proof('POST', '/auth/token');
      await http()
        .post('/auth/token')
        .type('form')
        .set('DPoP', proof)
        .send(PASSWORD_GRANT)
        .expect(200);
      const again = await http()
        .post('/auth/token')
        .type('form')
        .set('DPoP', proof)
        .send(PASSWORD_GRANT);
      expectOAuthError(again, 400, 'grant_dpop_proof_invalid', 'invalid_dpop_proof');
    });

    it('demands a nonce with dpop_nonce=required: 400 use_dpop_nonce, then tokens with it', async () => {
      const client = new Client(ctx);
      const body = { ...PASSWORD_GRANT, dpop_nonce: 'required' };
      const first = await http()
        .post('/auth/token')
        .type('form')
        .set('DPoP', client.proof('POST', '/auth/token'))
        .send(body);
      expectOAuthError(first, 400, 'grant_dpop_nonce_required', 'use_dpop_nonce');
      const nonce = first.headers['dpop-nonce'];
      expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
      const retry = await http()
        .post('/auth/token')
        .type('form')
        .set('DPoP', client.proof('POST', '/auth/token', { nonce }))
        .send(body);
      expect(retry.status).toBe(200);
      expect(retry.body.token_type).toBe('DPoP');
    });

    it('refreshes a bound refresh token only with a proof of its key, and keeps it bound', async () => {
      const client = new Client(ctx);
      const { refresh_token: rt = '' } = await tokens(client);
      const refresh = { grant_type: 'refresh_token', refresh_token: rt };
      const without = await http().post('/auth/token').type('form').send(refresh);
      expectOAuthError(without, 400, 'grant_dpop_key_mismatch', 'invalid_grant');
      const other = new Client(ctx);
      const otherKey = await http()
        .post('/auth/token')
        .type('form')
        .set('DPoP', other.proof('POST', '/auth/token'))
        .send(refresh);
      expectOAuthError(otherKey, 400, 'grant_dpop_key_mismatch', 'invalid_grant');
      const rotated = await tokens(client, refresh);
      expect(rotated.token_type).toBe('DPoP');
      expect(claimsOf(rotated.access_token).cnf).toEqual({ jkt: client.jkt });
      expect(claimsOf(rotated.refresh_token ?? '').cnf).toEqual({ jkt: client.jkt });
    });

    it('introspects a bound token as token_type DPoP with its cnf', async () => {
      const { access_token: token } = await tokens(new Client(ctx));
      const res = await http()
        .post('/auth/introspect')
        .auth('YOUR_VALID_API_KEY', 'YOUR_VALID_API_SECRET')
        .type('form')
        .send({ token })
        .expect(200);
      expect(res.body).toMatchObject({ active: true, token_type: 'DPoP' });
      expect(res.body.cnf).toEqual({ jkt: expect.any(String) });
    });
  });

  describe('GET /api/v1/data with Authorization: DPoP', () => {
    it('answers 200 to the bound token with a proof of its key, once per proof', async () => {
      const client = new Client(ctx);
      const { access_token: token } = await tokens(client);
      const proof = client.resourceProof(token);
      const ok = await http()
        .get('/api/v1/data')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', proof);
      expect(ok.status).toBe(200);
      expect(ok.body.caller.sub).toBe('my_username');
      const replay = await http()
        .get('/api/v1/data')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', proof);
      expectProblem(replay, { status: 401, code: 'dpop_proof_replayed' });
      expect(replay.headers['www-authenticate']).toMatch(
        /^DPoP realm="four-oh-one", error="invalid_dpop_proof", .*algs="ES256 EdDSA PS256 RS256"/,
      );
      // A new proof works again.
      await http()
        .get('/api/v1/data')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', client.resourceProof(token))
        .expect(200);
    });

    it('refuses the bound token sent as Bearer (RFC 9449 §7.2)', async () => {
      const { access_token: token } = await tokens(new Client(ctx));
      const res = await http().get('/api/v1/data').set('Authorization', `Bearer ${token}`);
      expectProblem(res, { status: 401, code: 'token_sender_constrained' });
    });

    it.each([
      ['no proof', 'dpop_proof_missing', 'invalid_dpop_proof', () => undefined],
      [
        'a proof by another key',
        'dpop_key_mismatch',
        'invalid_token',
        (_c: Client, t: string, ctx2: TestContext) => new Client(ctx2).resourceProof(t),
      ],
      [
        'a proof for another token',
        'dpop_proof_ath_mismatch',
        'invalid_dpop_proof',
        (c: Client) => c.resourceProof('other'),
      ],
      [
        'a proof for POST',
        'dpop_proof_htm_mismatch',
        'invalid_dpop_proof',
        (c: Client, t: string) =>
          c.proof('POST', '/api/v1/data', {
            ath: createHash('sha256').update(t).digest('base64url'),
          }),
      ],
      [
        'a proof for another path',
        'dpop_proof_htu_mismatch',
        'invalid_dpop_proof',
        (c: Client, t: string) => c.resourceProof(t, '/api/v1/flaky'),
      ],
      [
        'a proof from ten minutes ago',
        'dpop_proof_stale',
        'invalid_dpop_proof',
        (c: Client, t: string, x: TestContext) =>
          c.resourceProof(t, '/api/v1/data', { iat: Math.floor(x.clock.now() / 1000) - 600 }),
      ],
      [
        'a proof from ten minutes ahead',
        'dpop_proof_future',
        'invalid_dpop_proof',
        (c: Client, t: string, x: TestContext) =>
          c.resourceProof(t, '/api/v1/data', { iat: Math.floor(x.clock.now() / 1000) + 600 }),
      ],
      ['a proof that is no JWT', 'dpop_proof_invalid', 'invalid_dpop_proof', () => 'not.a.proof'],
    ] as const)('with %s answers 401 %s', async (_name, code, error, makeProof) => {
      const client = new Client(ctx);
      const { access_token: token } = await tokens(client);
      let req = http().get('/api/v1/data').set('Authorization', `DPoP ${token}`);
      const proof = makeProof(client, token, ctx);
      if (proof !== undefined) req = req.set('DPoP', proof);
      const res = await req;
      expectProblem(res, { status: 401, code });
      expect(res.headers['www-authenticate']).toContain(
        `DPoP realm="four-oh-one", error="${error}"`,
      );
    });

    it('refuses an unbound token sent with the DPoP scheme', async () => {
      const client = new Client(ctx);
      const token = ctx.token();
      const res = await http()
        .get('/api/v1/data')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', client.resourceProof(token));
      expectProblem(res, { status: 401, code: 'dpop_token_unbound' });
    });

    it('writes nothing to the store for a refused proof', async () => {
      const before = (await ctx.store.usage()).entries;
      const client = new Client(ctx);
      const { access_token: token } = await tokens(client);
      const mid = (await ctx.store.usage()).entries;
      await http()
        .get('/api/v1/data')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', client.resourceProof('other'))
        .expect(401);
      expect((await ctx.store.usage()).entries).toBe(mid);
      expect(mid).toBeGreaterThanOrEqual(before);
    });
  });

  describe('GET /api/v1/dpop/nonce', () => {
    it('answers 401 use_dpop_nonce with a DPoP-Nonce, then 200 to a proof that carries it', async () => {
      const client = new Client(ctx);
      const { access_token: token } = await tokens(client);
      const first = await http()
        .get('/api/v1/dpop/nonce')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', client.resourceProof(token, '/api/v1/dpop/nonce'));
      expectProblem(first, { status: 401, code: 'dpop_nonce_required' });
      expect(first.headers['www-authenticate']).toContain('error="use_dpop_nonce"');
      const nonce = first.headers['dpop-nonce'];
      expect(nonce).toEqual(expect.any(String));
      await http()
        .get('/api/v1/dpop/nonce')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', client.resourceProof(token, '/api/v1/dpop/nonce', { nonce }))
        .expect(200);
    });
  });

  describe('metadata and CORS', () => {
    it.each([
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/.well-known/oauth-protected-resource',
    ])('%s lists dpop_signing_alg_values_supported', async (path) => {
      const res = await http().get(path).expect(200);
      expect(res.body.dpop_signing_alg_values_supported).toEqual([
        'ES256',
        'EdDSA',
        'PS256',
        'RS256',
      ]);
    });

    it('lets a page send DPoP and read DPoP-Nonce', async () => {
      const origin = ctx.config.cors.origins[0] ?? '';
      const pre = await http()
        .options('/api/v1/data')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization,dpop')
        .expect(204);
      expect(pre.headers['access-control-allow-headers']).toContain('DPoP');
      const res = await http().get('/api/v1/dpop/nonce').set('Origin', origin);
      expect(res.headers['access-control-expose-headers']).toContain('DPoP-Nonce');
    });
  });

  describe('on any input', () => {
    it('answers a problem, never a 5xx, whatever the DPoP header and token hold', async () => {
      const { access_token: token } = await tokens(new Client(ctx));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 300 })),
          fc.boolean(),
          async (proof, withToken) => {
            const header = proof.replace(/[^\t\x20-\x7e]/g, '');
            const res = await http()
              .get('/api/v1/data')
              .set('Authorization', `DPoP ${withToken ? token : 'x'}`)
              .set('DPoP', header);
            return [400, 401].includes(res.status) && typeof res.body.code === 'string';
          },
        ),
        { numRuns: 60 },
      );
    });
  });
});

function expectOAuthError(res: Response, status: number, code: string, error: string): void {
  expect({ status: res.status, code: res.body.code, error: res.body.error }).toEqual({
    status,
    code,
    error,
  });
}
