import fc from 'fast-check';
import { buildApp, expectProblem, listening } from '../helpers';
import { nonceClaim, type ClientKey, type ProofRequest } from '../../src/auth/gnap';
import { callResource, gnapClient, requestGrant, signedHeaders } from '../gnap-client';

const PUBLIC = 'http://127.0.0.1:3000';
const challenge = (action: 'read' | 'write') =>
  `GNAP as_uri="${PUBLIC}/gnap/grant", referrer="${PUBLIC}/gnap/resource", access="four-oh-one-${action}"`;

describe('GNAP (routes/gnap.ts, RFC 9635)', () => {
  const ctx = buildApp();
  const now = () => Math.floor(ctx.clock.now() / 1000);
  const grantFor = async (
    client = gnapClient(),
    access: unknown[] = ['four-oh-one-read'],
  ): Promise<string> => {
    const res = await requestGrant(ctx.http, client, now(), access);
    expect(res.status).toBe(200);
    return res.body.access_token.value as string;
  };

  describe('GET /gnap/resource without a token', () => {
    it('answers 401 with the RS-first challenge (as_uri, referrer, access)', async () => {
      expectProblem(await ctx.http().get('/gnap/resource'), {
        status: 401,
        code: 'gnap_token_missing',
        challenge: challenge('read'),
      });
      expectProblem(await ctx.http().post('/gnap/resource'), {
        status: 401,
        code: 'gnap_token_missing',
        challenge: challenge('write'),
      });
    });
  });

  describe('methods', () => {
    it('answers another method 405 with Allow naming GET, HEAD, POST and OPTIONS', async () => {
      const res = await ctx.http().delete('/gnap/resource');
      expectProblem(res, { status: 405, code: 'method_not_allowed' });
      expect(res.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    });
  });

  describe('the whole exchange', () => {
    it.each(['ed25519', 'p256'] as const)(
      'grants at once to a %s key and serves the token signed with it',
      async (kind) => {
        const client = gnapClient(kind);
        const res = await requestGrant(ctx.http, client, now(), [
          { type: 'four-oh-one-demo', actions: ['read', 'write'] },
        ]);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body).toEqual({
          access_token: {
            value: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
            access: [{ type: 'four-oh-one-demo', actions: ['read', 'write'] }],
            expires_in: 300,
          },
        });
        const token = res.body.access_token.value as string;
        const got = await callResource(ctx.http, client, token, now());
        expect(got.status).toBe(200);
        expect(got.headers['www-authenticate']).toBeUndefined();
        expect(got.body).toMatchObject({ authenticated: true, method: 'GET', kid: client.kid });
        const body = JSON.stringify({ note: 'hello' });
        const posted = await callResource(ctx.http, client, token, now(), { method: 'POST', body });
        expect(posted.status).toBe(200);
      },
    );

    it('accepts a signature over the address the request was sent to (fetch, a real socket)', async () => {
      const server = await listening(ctx.app);
      try {
        const client = gnapClient('p256');
        const grantUrl = `${server.origin}/gnap/grant`;
        const body = JSON.stringify({
          access_token: { access: ['four-oh-one-read'] },
          client: { key: { proof: 'httpsig', jwk: client.jwk } },
        });
        const grant = await fetch(grantUrl, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            ...signedHeaders(client, { method: 'POST', url: grantUrl, body, created: now() }),
          },
          body,
        });
        expect(grant.status).toBe(200);
        const { access_token } = (await grant.json()) as { access_token: { value: string } };
        const url = `${server.origin}/gnap/resource`;
        const authorization = `GNAP ${access_token.value}`;
        const res = await fetch(url, {
          headers: {
            Authorization: authorization,
            ...signedHeaders(client, { method: 'GET', url, authorization, created: now() }),
          },
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ authenticated: true, kid: client.kid });
      } finally {
        await server.close();
      }
    });
  });

  describe('refusals at the resource', () => {
    it('answers a token it never issued with gnap_token_invalid', async () => {
      expectProblem(await callResource(ctx.http, gnapClient(), 'x'.repeat(43), now()), {
        status: 401,
        code: 'gnap_token_invalid',
        challenge: challenge('read'),
      });
    });

    it('answers an expired token with gnap_token_invalid', async () => {
      const ctx2 = buildApp();
      const client = gnapClient();
      const created = () => Math.floor(ctx2.clock.now() / 1000);
      const res = await requestGrant(ctx2.http, client, created());
      const token = res.body.access_token.value as string;
      ctx2.clock.advance(301_000);
      expectProblem(await callResource(ctx2.http, client, token, created()), {
        status: 401,
        code: 'gnap_token_invalid',
        challenge: challenge('read'),
      });
    });

    it('answers a token sent without a signature with gnap_proof_missing', async () => {
      const token = await grantFor();
      expectProblem(await callResource(ctx.http, undefined, token, now()), {
        status: 401,
        code: 'gnap_proof_missing',
        challenge: challenge('read'),
      });
    });

    it('answers a token signed with another key with gnap_key_mismatch', async () => {
      const token = await grantFor();
      expectProblem(await callResource(ctx.http, gnapClient(), token, now()), {
        status: 401,
        code: 'gnap_key_mismatch',
        challenge: challenge('read'),
      });
    });

    it.each<[string, object]>([
      ['another key under the same kid', { forge: true }],
      ['another target URI', { signedUrl: `${PUBLIC}/gnap/elsewhere` }],
      ['no tag', { tag: null }],
      ['another tag', { tag: 'not-gnap' }],
      ['authorization not covered', { components: ['@method', '@target-uri'] }],
      ['a created time 301 s old', { created: -301 }],
    ])('answers a proof with %s with gnap_proof_invalid', async (_name, how) => {
      const client = gnapClient();
      const token = await grantFor(client);
      const o = how as { forge?: boolean; created?: number };
      const signer = o.forge ? gnapClient('ed25519', client.kid) : client;
      const sign = { ...how, created: now() + (o.created ?? 0) } as Record<string, unknown>;
      delete sign.forge;
      expectProblem(await callResource(ctx.http, signer, token, now(), { sign }), {
        status: 401,
        code: 'gnap_proof_invalid',
        challenge: challenge('read'),
      });
    });

    it('answers a body that is not the one signed with gnap_proof_invalid', async () => {
      const client = gnapClient();
      const token = await grantFor(client, ['four-oh-one-write']);
      const t = ctx.http().post('/gnap/resource');
      const authorization = `GNAP ${token}`;
      const signed = signedHeaders(client, {
        method: 'POST',
        url: t.url,
        authorization,
        body: '{"a":1}',
        created: now(),
      });
      expectProblem(
        await t
          .set({ Authorization: authorization, 'Content-Type': 'application/json', ...signed })
          .send('{"a":2}'),
        { status: 401, code: 'gnap_proof_invalid', challenge: challenge('write') },
      );
    });

    describe('a signature nonce is used once (RFC 9635 §7.3.1)', () => {
      it('answers the same signed request with a nonce, sent again, with gnap_proof_invalid', async () => {
        const client = gnapClient();
        const token = await grantFor(client);
        const created = now();
        const send = () =>
          callResource(ctx.http, client, token, created, { sign: { nonce: 'n-1' } });
        expect((await send()).status).toBe(200);
        const replayed = await send();
        expectProblem(replayed, {
          status: 401,
          code: 'gnap_proof_invalid',
          challenge: challenge('read'),
        });
        expect(replayed.body.detail).toMatch(/nonce was already used/);
        // A new nonce is a new request.
        const fresh = await callResource(ctx.http, client, token, created, {
          sign: { nonce: 'n-2' },
        });
        expect(fresh.status).toBe(200);
      });

      it('lets another key use the same nonce: one client cannot block another', async () => {
        const [a, b] = [gnapClient(), gnapClient()];
        const [ta, tb] = [await grantFor(a), await grantFor(b)];
        const sign = { nonce: 'shared-nonce' };
        expect((await callResource(ctx.http, a, ta, now(), { sign })).status).toBe(200);
        expect((await callResource(ctx.http, b, tb, now(), { sign })).status).toBe(200);
      });

      it('keeps accepting a signature without a nonce within its window (the nonce is a SHOULD)', async () => {
        const client = gnapClient();
        const token = await grantFor(client);
        const created = now();
        for (let i = 0; i < 2; i++) {
          expect((await callResource(ctx.http, client, token, created)).status).toBe(200);
        }
      });

      it('remembers a nonce as one store entry, until its signature is too old anyway', async () => {
        const own = buildApp();
        const client = gnapClient();
        const at = () => Math.floor(own.clock.now() / 1000);
        const grant = await requestGrant(own.http, client, at(), ['four-oh-one-read']);
        const token = grant.body.access_token.value as string;
        const before = (await own.store.usage()).entries;
        const sign = { nonce: 'remembered' };
        expect((await callResource(own.http, client, token, at(), { sign })).status).toBe(200);
        expect((await own.store.usage()).entries).toBe(before + 1);
      });

      it('refuses a replayed grant request with a nonce, issuing no second token', async () => {
        const own = buildApp();
        const client = gnapClient();
        const created = Math.floor(own.clock.now() / 1000);
        const first = await requestGrant(own.http, client, created, undefined, { nonce: 'g-1' });
        expect(first.status).toBe(200);
        const entries = (await own.store.usage()).entries;
        const again = await requestGrant(own.http, client, created, undefined, { nonce: 'g-1' });
        expectProblem(again, {
          status: 401,
          code: 'gnap_grant_invalid_client',
          challenge: `GNAP as_uri="${PUBLIC}/gnap/grant"`,
        });
        expect(again.body.error).toEqual({
          code: 'invalid_client',
          description: expect.stringMatching(/nonce was already used/),
        });
        expect((await own.store.usage()).entries).toBe(entries);
      });
    });

    it('answers a read token on POST with 403 gnap_access_insufficient', async () => {
      const client = gnapClient();
      const token = await grantFor(client, ['four-oh-one-read']);
      expectProblem(
        await callResource(ctx.http, client, token, now(), { method: 'POST', body: '{}' }),
        { status: 403, code: 'gnap_access_insufficient', challenge: challenge('write') },
      );
    });

    it('honours a token only for the visitor it was issued to', async () => {
      const other = buildApp({ env: { TRUST_PROXY: 'loopback' } });
      /** The app as seen from one address (behind the trusted proxy). */
      const from = (ip: string) => () => {
        const r = other.http();
        return {
          get: (path: string) => r.get(path).set('X-Forwarded-For', ip),
          post: (path: string) => r.post(path).set('X-Forwarded-For', ip),
        } as unknown as ReturnType<typeof other.http>;
      };
      const client = gnapClient();
      const created = Math.floor(other.clock.now() / 1000);
      const grant = await requestGrant(from('198.51.100.7'), client, created);
      expect(grant.status).toBe(200);
      const token = grant.body.access_token.value as string;
      const mine = await callResource(from('198.51.100.7'), client, token, created);
      expect(mine.status).toBe(200);
      const theirs = await callResource(from('203.0.113.9'), client, token, created);
      expectProblem(theirs, { status: 401, code: 'gnap_token_invalid' });
    });

    it.each(['GNAP', 'GNAP one two', 'GNAP ' + 'a'.repeat(600), 'GNAP {x}'])(
      'answers %j with 400 gnap_malformed',
      async (authorization) => {
        expectProblem(await ctx.http().get('/gnap/resource').set('Authorization', authorization), {
          status: 400,
          code: 'gnap_malformed',
          challenge: null,
        });
      },
    );
  });

  describe('refusals at the grant endpoint (RFC 9635 §3.6)', () => {
    const post = (body: string, type = 'application/json') =>
      ctx.http().post('/gnap/grant').set('Content-Type', type).send(body);

    it.each<[string, string, string]>([
      ['not JSON', '{', 'application/json'],
      ['JSON that is not an object', '[1]', 'application/json'],
      ['a form', 'a=b', 'application/x-www-form-urlencoded'],
      ['no access_token', '{"client":{"key":{"proof":"httpsig","jwk":{}}}}', 'application/json'],
      ['two tokens', '{"access_token":[{"access":["four-oh-one-read"]}]}', 'application/json'],
      ['an unknown reference', '{"access_token":{"access":["everything"]}}', 'application/json'],
      [
        'an unknown type',
        '{"access_token":{"access":[{"type":"x","actions":["read"]}]}}',
        'application/json',
      ],
      [
        'an unknown action',
        '{"access_token":{"access":[{"type":"four-oh-one-demo","actions":["rm"]}]}}',
        'application/json',
      ],
      ['no client', '{"access_token":{"access":["four-oh-one-read"]}}', 'application/json'],
      [
        'another proof method',
        '{"access_token":{"access":["four-oh-one-read"]},"client":{"key":{"proof":"mtls","jwk":{}}}}',
        'application/json',
      ],
      [
        'a private key',
        '{"access_token":{"access":["four-oh-one-read"]},"client":{"key":{"proof":"httpsig","jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","kid":"k","alg":"EdDSA"}}}}',
        'application/json',
      ],
      [
        'a JWK without kid',
        '{"access_token":{"access":["four-oh-one-read"]},"client":{"key":{"proof":"httpsig","jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"EdDSA"}}}}',
        'application/json',
      ],
      [
        'an RSA key',
        '{"access_token":{"access":["four-oh-one-read"]},"client":{"key":{"proof":"httpsig","jwk":{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"k","alg":"RS256"}}}}',
        'application/json',
      ],
    ])('answers %s with 400 invalid_request', async (_name, body, type) => {
      const res = await post(body, type);
      expectProblem(res, { status: 400, code: 'gnap_grant_invalid_request', challenge: null });
      expect(res.body.error.code).toBe('invalid_request');
    });

    it('answers a bearer flag with 400 invalid_flag', async () => {
      const res = await post('{"access_token":{"access":["four-oh-one-read"],"flags":["bearer"]}}');
      expectProblem(res, { status: 400, code: 'gnap_grant_invalid_flag', challenge: null });
      expect(res.body.error.code).toBe('invalid_flag');
    });

    it('answers an unsigned, a badly signed and an instance-id grant request with 401 invalid_client', async () => {
      const client = gnapClient();
      const body = JSON.stringify({
        access_token: { access: ['four-oh-one-read'] },
        client: { key: { proof: 'httpsig', jwk: client.jwk } },
      });
      const answers = [
        await post(body),
        await requestGrant(ctx.http, client, now(), ['four-oh-one-read'], { keyid: 'other' }),
        await requestGrant(ctx.http, client, now(), ['four-oh-one-read'], { created: now() - 400 }),
        await post(
          '{"access_token":{"access":["four-oh-one-read"]},"client":"7C7C4AZ9KHRS6X63AJAO"}',
        ),
      ];
      for (const res of answers) {
        expectProblem(res, {
          status: 401,
          code: 'gnap_grant_invalid_client',
          challenge: `GNAP as_uri="${PUBLIC}/gnap/grant"`,
        });
        expect(res.body.error.code).toBe('invalid_client');
      }
    });

    it('writes nothing for a refused grant request', async () => {
      const ctx3 = buildApp();
      const before = await ctx3.store.usage();
      await ctx3
        .http()
        .post('/gnap/grant')
        .set('Content-Type', 'application/json')
        .send(
          JSON.stringify({
            access_token: { access: ['four-oh-one-read'] },
            client: { key: { proof: 'httpsig', jwk: gnapClient().jwk } },
          }),
        );
      expect((await ctx3.store.usage()).entries).toBe(before.entries);
    });
  });

  describe('nonceClaim (src/auth/gnap.ts)', () => {
    const key = { jwk: gnapClient().jwk, sigAlg: 'ed25519' } as unknown as ClientKey;
    const proof = (params: string, nowSeconds = 1_000_000): ProofRequest => ({
      method: 'GET',
      targetUris: [],
      signatureInput: `sig1=("@method" "@target-uri");keyid="k"${params};tag="gnap"`,
      body: Buffer.alloc(0),
      nowSeconds,
    });
    it('remembers a nonce until the signature carrying it is too old to be accepted, plus 1 s', () => {
      expect(nonceClaim(proof(';created=1000000;nonce="a"'), key)?.ttlMs).toBe(301_000);
      expect(nonceClaim(proof(';created=999800;nonce="a"'), key)?.ttlMs).toBe(101_000);
      expect(nonceClaim(proof(';created=1000100;nonce="a"'), key)?.ttlMs).toBe(401_000);
      expect(nonceClaim(proof(';created=999700;nonce="a"'), key)?.ttlMs).toBe(1_000);
    });
    it('claims nothing without a nonce', () => {
      expect(nonceClaim(proof(';created=1000000'), key)).toBeUndefined();
    });
    it('keys the claim by the key and the nonce, never the nonce alone', () => {
      const other = { jwk: gnapClient().jwk, sigAlg: 'ed25519' } as unknown as ClientKey;
      const at = (k: ClientKey, nonce: string) =>
        nonceClaim(proof(`;created=1000000;nonce="${nonce}"`), k)?.key;
      expect(at(key, 'a')).toBe(at(key, 'a'));
      expect(at(key, 'a')).not.toBe(at(other, 'a'));
      expect(at(key, 'a')).not.toBe(at(key, 'b'));
      expect(at(key, 'x'.repeat(500))).toMatch(/^gnap:nonce:[A-Za-z0-9_-]{43}$/);
    });
  });

  describe('bad input never gives a 5xx', () => {
    it('holds for random Authorization values at the resource', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 200 }), async (rest) => {
          const value = `GNAP ${rest}`.replace(/[\r\n\0]/g, '');
          const res = await ctx.http().get('/gnap/resource').set('Authorization', value);
          expect([400, 401]).toContain(res.status);
        }),
        { numRuns: 60 },
      );
    });

    it('holds for random signature fields on a valid token', async () => {
      const client = gnapClient();
      const token = await grantFor(client);
      await fc.assert(
        fc.asyncProperty(
          fc.string({ maxLength: 120 }),
          fc.string({ maxLength: 120 }),
          async (input, sig) => {
            const res = await ctx
              .http()
              .get('/gnap/resource')
              .set({
                Authorization: `GNAP ${token}`,
                'Signature-Input': input.replace(/[\r\n\0]/g, '') || 'x',
                Signature: sig.replace(/[\r\n\0]/g, '') || 'y',
              });
            expect(res.status).toBe(401);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('holds for random JSON grant requests, and stores nothing for them', async () => {
      const ctx4 = buildApp();
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
          const res = await ctx4
            .http()
            .post('/gnap/grant')
            .set('Content-Type', 'application/json')
            .send(JSON.stringify(value));
          expect([400, 401]).toContain(res.status);
        }),
        { numRuns: 80 },
      );
      expect((await ctx4.store.usage()).entries).toBe(0);
    });
  });
});
