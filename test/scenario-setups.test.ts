import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../src/app';
import { DEMO_WEBHOOK_SECRET, signWebhook } from '../src/auth/webhook';
import { parseSignatureInput, signatureBase, signBase } from '../src/auth/message-signature';
import { createServer } from '../src/http/server';
import { StoreFullError, StoreUnavailableError } from '../src/http/problems';
import { defaultScenarios, type Scenario } from '../src/scenarios';
import { fillBody, fillHeaders, type Specimens } from '../src/tokens/specimens';
import { MemoryStore, type Store } from '../src/store';
import {
  buildApp,
  expectProblem,
  listening,
  testClock,
  testConfig,
  type Listening,
  type TestContext,
} from './helpers';
import { formFields, pkce, runFlow, toConsent, WEB } from './oauth-flow';
import { asResponse, PROXY_BASIC, viaProxy } from './proxy-request';
import { ntlmHandshake } from './ntlm-handshake';
import { approvedVerifier, signedGet, signedPost, temporary } from './oauth1-legs';
import { scramExchange } from './scram-client';
import { callResource, gnapClient, requestGrant } from './gnap-client';
import { hobaAuthorization, hobaKey, registrationForm, type SignOptions } from './hoba-client';
import { concealedHeader, serveTls, tlsGet, type TlsApp } from './concealed-client';

const scenarios = defaultScenarios();

/**
 * The cards the table test cannot fire (test/scenarios.test.ts): their answer needs a state no
 * stateless replay can make. Each is set up here as its `setup` says, and its trigger must then
 * give the documented answer, so that these cards are as true as the fired ones.
 */

const card = (id: string): Scenario => {
  const s = scenarios.find((x) => x.id === id);
  if (!s) throw new Error(`no scenario ${id}`);
  return s;
};

function fire(http: () => ReturnType<typeof request>, s: Scenario, specimens: Specimens) {
  let req = http()[s.trigger.method.toLowerCase() as 'get'](s.trigger.path);
  // A list is one field per value: superagent sends a header set to an array once per value.
  for (const [name, value] of Object.entries(fillHeaders(s.trigger.headers, specimens))) {
    req = req.set(name, value as string);
  }
  if (s.trigger.body !== undefined) {
    const body = fillBody(s.trigger.body, specimens);
    req = s.trigger.contentType === 'form' ? req.type('form').send(body) : req.send(body);
  }
  return req;
}

async function expectDocumented(res: request.Response, s: Scenario): Promise<void> {
  const { code, status, challenge, challengePattern } = s.expect;
  expectProblem(res, {
    status,
    code: code as string,
    ...(challengePattern === undefined ? { challenge } : {}),
  });
  if (challengePattern !== undefined) {
    expect(res.headers['www-authenticate']).toMatch(new RegExp(`^${challengePattern}$`));
  }
  for (const [name, value] of Object.entries(s.expect.headers ?? {})) {
    expect(res.headers[name.toLowerCase()]).toBe(value);
  }
}

/** A store that answers until told to fail, then throws the given error on every call. */
function breakable(inner: Store): { store: Store; fail: (err: Error | undefined) => void } {
  let failure: Error | undefined;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'kind') return value;
      return (...args: unknown[]) => {
        if (failure && prop !== 'close') return Promise.reject(failure);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, fail: (err) => (failure = err) };
}

/** Which cards are realised here; any other unfired card must say why it cannot be. */
const REALISED = new Set([
  'auth-token-refresh-retry',
  'session-too-many-attempts',
  'auth-token-too-many-attempts',
  'session-csrf-token-missing',
  'session-csrf-token-mismatch',
  'session-mfa-code-invalid',
  'digest-auth-replayed',
  'digest-auth-rate-limited',
  'platform-store-unavailable',
  'platform-store-full',
  'platform-visitor-quota',
  'platform-shutting-down',
  'proxy-auth-missing',
  'proxy-auth-wrong',
  'proxy-auth-forwarded',
  'proxy-target-refused',
  'oauth-authorize-deny',
  'oauth-authorize-answered-twice',
  'oauth-token-code-expired',
  'oauth-token-code-reused',
  'oauth-token-pkce-mismatch',
  'oauth-token-redirect-mismatch',
  'oauth-token-client-mismatch',
  'webhook-signature-valid',
  'webhook-signature-replayed',
  'http-signature-valid',
  'privatetoken-valid',
  'privatetoken-spent',
  'ntlm-handshake-complete',
  'negotiate-handshake-complete',
  'ntlm-wrong-password',
  'ntlm-unknown-user',
  'runs-limit-reached',
  'oauth1-valid',
  'oauth1-signature-invalid',
  'oauth1-signature-encoding',
  'oauth1-nonce-reused',
  'oauth1-token-temporary',
  'oauth1-verifier-invalid',
  'oauth1-callback-invalid',
  'scram-complete',
  'scram-proof-invalid',
  'scram-replayed',
  'gnap-complete',
  'gnap-proof-missing',
  'gnap-proof-invalid',
  'gnap-key-mismatch',
  'gnap-access-insufficient',
  'hoba-register-complete',
  'hoba-complete',
  'hoba-challenge-expired',
  'hoba-challenge-used',
  'hoba-kid-unknown',
  'hoba-signature-invalid',
  'hoba-origin-mismatch',
  'hoba-realm-mismatch',
  'concealed-complete',
  'concealed-verification-mismatch',
  'concealed-signature-invalid',
]);
/** Unfired cards no test can set up, and why. */
const NOT_REALISABLE: Record<string, string> = {
  'platform-internal-error': 'it is the answer to a bug; test/problems.test.ts covers the writer',
};

describe('the cards the table test does not fire', () => {
  it('are each set up here, or say why they cannot be', () => {
    const unfired = scenarios.filter((s) => s.trigger.fired === false).map((s) => s.id);
    expect(unfired.filter((id) => !REALISED.has(id) && !(id in NOT_REALISABLE))).toEqual([]);
  });

  describe('auth-token-refresh-retry', () => {
    it('answers as documented: the same pair again, and the family lives on', async () => {
      const s = card('auth-token-refresh-retry');
      const ctx = buildApp();
      expect(s.trigger.method).toBe('POST');
      const send = (refresh_token: string) =>
        ctx
          .http()
          .post(s.trigger.path)
          .type('form')
          .send({ ...s.trigger.body, refresh_token });
      const login = await ctx
        .http()
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'password', username: 'my_username', password: 'my_password' });
      const first = await send(login.body.refresh_token);
      ctx.clock.advance(5000);
      const again = await send(login.body.refresh_token);
      expect(again.status).toBe(s.expect.status);
      expect(again.body).toEqual(first.body);
      expect((await send(again.body.refresh_token)).status).toBe(200);
    });
  });

  describe('webhook-signature-valid and webhook-signature-replayed', () => {
    it('answer as documented: a delivery signed now, then the same one again', async () => {
      const valid = card('webhook-signature-valid');
      const replayed = card('webhook-signature-replayed');
      const ctx = buildApp();
      const t = Math.floor(ctx.clock.now() / 1000);
      const body = Buffer.from(JSON.stringify(valid.trigger.body));
      const signature = `t=${t},v1=${signWebhook(DEMO_WEBHOOK_SECRET, t, body)}`;
      const send = (s: Scenario) =>
        ctx.http().post(s.trigger.path).set('Stripe-Signature', signature).send(s.trigger.body);
      const first = await send(valid);
      expect(first.status).toBe(valid.expect.status);
      expect(first.headers['www-authenticate']).toBeUndefined();
      ctx.clock.advance(10_000);
      await expectDocumented(await send(replayed), replayed);
    });
  });

  describe('privatetoken-valid and privatetoken-spent', () => {
    it('answer as documented: a token from the demo issuer redeemed once, then again', async () => {
      const ctx = buildApp();
      const first = await ctx.http().get('/privacypass/resource');
      const challenge = /challenge="([^"]+)"/.exec(String(first.headers['www-authenticate']))![1];
      const issued = await ctx
        .http()
        .post('/privacypass/demo-issuer')
        .send({ challenge })
        .expect(200);
      const redeem = () =>
        ctx
          .http()
          .get(card('privatetoken-valid').trigger.path)
          .set('Authorization', `PrivateToken token="${issued.body.token as string}"`);
      const ok = await redeem();
      expect(ok.status).toBe(card('privatetoken-valid').expect.status);
      const spent = card('privatetoken-spent');
      const again = await redeem();
      expectProblem(again, { status: spent.expect.status, code: spent.expect.code! });
      expect(again.headers['www-authenticate']).toMatch(
        new RegExp(`^${spent.expect.challengePattern!}$`),
      );
    });
  });

  describe('http-signature-valid', () => {
    it('answers as documented when signed with created set to now', async () => {
      const s = card('http-signature-valid');
      const ctx = buildApp();
      const input = parseSignatureInput(
        (s.trigger.headers!['Signature-Input'] as string).replace(
          '<now>',
          String(Math.floor(ctx.clock.now() / 1000)),
        ),
      )!;
      const digest = s.trigger.headers!['Content-Digest'] as string;
      const base = signatureBase(input, {
        '@method': s.trigger.method,
        '@path': s.trigger.path,
        'content-digest': digest,
      });
      const res = await ctx
        .http()
        .post(s.trigger.path)
        .set('Content-Digest', digest)
        .set('Signature-Input', `${input.label}=${input.params}`)
        .set('Signature', `${input.label}=:${signBase(base).toString('base64')}:`)
        .send(s.trigger.body);
      expect(res.status).toBe(s.expect.status);
      expect(res.body).toEqual({ verified: true, bytes: JSON.stringify(s.trigger.body).length });
    });
  });

  describe('the OAuth 1.0a three-legged cards, with temporary credentials got now', () => {
    const ctx = buildApp();

    it('oauth1-token-temporary answers as documented to the temporary credentials at the resource', async () => {
      const s = card('oauth1-token-temporary');
      await expectDocumented(await signedGet(ctx, s.trigger.path, await temporary(ctx)), s);
    });

    it('oauth1-verifier-invalid answers as documented to another verifier after the approval', async () => {
      const s = card('oauth1-verifier-invalid');
      const temp = await temporary(ctx);
      await approvedVerifier(ctx, temp.key);
      const res = await signedPost(
        ctx,
        s.trigger.path,
        { oauth_verifier: 'not-the-verifier' },
        temp,
      );
      await expectDocumented(res, s);
    });

    it('oauth1-callback-invalid answers as documented to a callback on another site', async () => {
      const s = card('oauth1-callback-invalid');
      const res = await signedPost(ctx, s.trigger.path, {
        oauth_callback: 'https://evil.example/callback',
      });
      await expectDocumented(res, s);
    });
  });

  describe('the OAuth 1.0a cards signed now', () => {
    const ctx = buildApp();
    /** The card's request signed now by oauth-1.0a (npm) for PUBLIC_URL, as a client behind a proxy would. */
    const signed = (
      s: Scenario,
      options: { tokenSecret?: string; formEncoding?: boolean } = {},
    ) => {
      const oauth = new OAuth({
        consumer: { key: 'four-oh-one-consumer', secret: 'four-oh-one-consumer-secret' },
        signature_method: 'HMAC-SHA1',
        hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
      });
      oauth.getTimeStamp = () => Math.floor(ctx.clock.now() / 1000);
      if (options.formEncoding) {
        oauth.percentEncode = (value) => new URLSearchParams({ x: value }).toString().slice(2);
      }
      const data = oauth.authorize(
        { url: `${ctx.config.publicUrl}${s.trigger.path}`, method: s.trigger.method },
        { key: 'four-oh-one-token', secret: options.tokenSecret ?? 'four-oh-one-token-secret' },
      );
      return ctx
        .http()
        .get(s.trigger.path)
        .set('Authorization', oauth.toHeader(data).Authorization);
    };

    it('oauth1-valid is served', async () => {
      const s = card('oauth1-valid');
      const res = await signed(s);
      expect(res.status).toBe(s.expect.status);
      expect(res.body).toMatchObject({ authenticated: true, token: 'four-oh-one-token' });
    });

    it('oauth1-signature-invalid answers as documented with another token secret', async () => {
      const s = card('oauth1-signature-invalid');
      await expectDocumented(await signed(s, { tokenSecret: 'wrong-secret' }), s);
    });

    it('oauth1-signature-encoding answers as documented when signed with the form encoding', async () => {
      const s = card('oauth1-signature-encoding');
      await expectDocumented(await signed(s, { formEncoding: true }), s);
    });

    it('oauth1-nonce-reused answers as documented to the same signed request, sent again', async () => {
      const s = card('oauth1-nonce-reused');
      const first = signed(s);
      const auth = first.get('Authorization');
      expect((await first).status).toBe(200);
      const again = await ctx.http().get(s.trigger.path).set('Authorization', auth);
      await expectDocumented(again, s);
    });
  });

  describe('session-mfa-code-invalid', () => {
    it('answers as documented with the mfa_token of a login and a wrong code', async () => {
      const s = card('session-mfa-code-invalid');
      const ctx = buildApp();
      const login = await ctx
        .http()
        .post('/login')
        .type('form')
        .send({ username: 'mfa_user', password: 'my_password' });
      expectProblem(login, { status: 401, code: 'mfa_required' });
      const res = await ctx
        .http()
        .post(s.trigger.path)
        .type('form')
        .send({ ...s.trigger.body, mfa_token: login.body.mfa_token });
      await expectDocumented(res, s);
      expect(res.body.attempts_remaining).toBe(4);
    });
  });

  describe('runs-limit-reached', () => {
    it('answers as documented to the sixth run an address opens within the window', async () => {
      const s = card('runs-limit-reached');
      const ctx = buildApp();
      const specimens = await ctx.specimens.get();
      for (let i = 0; i < 5; i++) expect((await fire(ctx.http, s, specimens)).status).toBe(201);
      await expectDocumented(await fire(ctx.http, s, specimens), s);
    });
  });

  describe('session-too-many-attempts', () => {
    it('answers as documented once the account’s failures from this address are spent', async () => {
      const s = card('session-too-many-attempts');
      const ctx = buildApp({ env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '2' } });
      const specimens = await ctx.specimens.get();
      for (let i = 0; i < 2; i++) expect((await fire(ctx.http, s, specimens)).status).toBe(401);
      const res = await fire(ctx.http, s, specimens);
      await expectDocumented(res, s);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('auth-token-too-many-attempts', () => {
    it('answers as documented once the client’s failures from this address are spent', async () => {
      const s = card('auth-token-too-many-attempts');
      const ctx = buildApp({ env: { CREDENTIAL_MAX_FAILURES_PER_ACCOUNT: '2' } });
      const specimens = await ctx.specimens.get();
      for (let i = 0; i < 2; i++) expect((await fire(ctx.http, s, specimens)).status).toBe(401);
      const res = await fire(ctx.http, s, specimens);
      await expectDocumented(res, s);
      expect(res.body.error).toBe('slow_down');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.headers.ratelimit).toMatch(/; r=0; t=\d+/);
      expect(res.headers['ratelimit-policy']).toMatch(/"credentials-account"; q=2; w=60/);
    });
  });

  describe('session-csrf-token-missing and session-csrf-token-mismatch', () => {
    const ctx = buildApp();
    const login = async () => {
      const res = await ctx
        .http()
        .post('/login')
        .type('form')
        .send({ username: 'my_username', password: 'my_password' })
        .expect(200);
      return {
        cookie: String(res.headers['set-cookie']).split(';')[0] as string,
        token: res.body.csrf_token as string,
      };
    };
    /** The card's request, with a live session's cookie for the placeholder. */
    const send = (s: Scenario, cookie: string, token?: string) => {
      let req = ctx.http().post(s.trigger.path).set('Cookie', cookie);
      for (const [name, value] of Object.entries(s.trigger.headers ?? {})) {
        if (name !== 'Cookie' && name !== 'X-CSRF-Token') req = req.set(name, String(value));
      }
      return token === undefined ? req : req.set('X-CSRF-Token', token);
    };

    it('answers as documented without the token, and counts no heartbeat', async () => {
      const s = card('session-csrf-token-missing');
      const { cookie, token } = await login();
      const before = (await ctx.http().get('/me').set('Cookie', cookie)).body;
      ctx.clock.advance(5000);
      await expectDocumented(await send(s, cookie), s);
      const after = (await ctx.http().get('/me').set('Cookie', cookie)).body;
      expect(after.csrf_token).toBe(token);
      // /me counts as activity itself; the refused heartbeat did not move the idle deadline.
      expect(Date.parse(after.idle_expires_at) - Date.parse(before.idle_expires_at)).toBe(5000);
      expect((await send(s, cookie, token)).status).toBe(200);
    });

    it('answers as documented with another session’s token', async () => {
      const s = card('session-csrf-token-mismatch');
      const first = await login();
      const second = await login();
      expect(second.token).not.toBe(first.token);
      await expectDocumented(await send(s, first.cookie, second.token), s);
      expect((await send(s, first.cookie, first.token)).status).toBe(200);
    });
  });

  describe('digest-auth-rate-limited', () => {
    it('answers as documented past DIGEST_MAX_REQUESTS_PER_MINUTE', async () => {
      const s = card('digest-auth-rate-limited');
      const ctx = buildApp({ env: { DIGEST_MAX_REQUESTS_PER_MINUTE: '1' } });
      const specimens = await ctx.specimens.get();
      expect((await fire(ctx.http, s, specimens)).status).toBe(401);
      const res = await fire(ctx.http, s, specimens);
      await expectDocumented(res, s);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('digest-auth-replayed', () => {
    it('answers as documented when a verified answer comes again', async () => {
      const s = card('digest-auth-replayed');
      const ctx = buildApp();
      const { digestResponse } = await import('../src/auth/digest');
      const first = await ctx.http().get(s.trigger.path);
      const challenge = String(first.headers['www-authenticate']);
      const nonce = /nonce="([^"]+)"/.exec(challenge)?.[1] ?? '';
      const opaque = /opaque="([^"]+)"/.exec(challenge)?.[1] ?? '';
      const response = digestResponse({
        algorithm: 'SHA-256',
        username: 'user',
        realm: 'four-oh-one',
        password: 'passwd',
        method: 'GET',
        uri: s.trigger.path,
        nonce,
        nc: '00000001',
        cnonce: 'c',
        qop: 'auth',
      });
      const header = `Digest username="user", realm="four-oh-one", nonce="${nonce}", uri="${s.trigger.path}", algorithm=SHA-256, response="${response}", qop=auth, nc=00000001, cnonce="c", opaque="${opaque}"`;
      expect((await ctx.http().get(s.trigger.path).set('Authorization', header)).status).toBe(200);
      await expectDocumented(await ctx.http().get(s.trigger.path).set('Authorization', header), s);
    });
  });

  describe('platform-visitor-quota', () => {
    it('answers as documented once the address holds VISITOR_MAX_ENTRIES', async () => {
      const s = card('platform-visitor-quota');
      // As src/store/index.ts builds the store for VISITOR_MAX_ENTRIES=10.
      const clock = testClock();
      const store = new MemoryStore({
        maxEntries: 10_000,
        clock,
        sweepIntervalMs: 0,
        ownerQuota: { maxEntries: 10, maxBytes: 1_000_000 },
      });
      const ctx = buildApp({ store, clock, env: { VISITOR_MAX_ENTRIES: '10' } });
      const specimens = await ctx.specimens.get();
      let res = await fire(ctx.http, s, specimens);
      for (let i = 0; i < 20 && res.status === 200; i++) res = await fire(ctx.http, s, specimens);
      await expectDocumented(res, s);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('with a store that fails', () => {
    async function brokenApp(): Promise<{
      ctx: TestContext;
      specimens: Specimens;
      fail: (err: Error | undefined) => void;
    }> {
      const clock = testClock();
      const inner = new MemoryStore({ maxEntries: 10_000, clock, sweepIntervalMs: 0 });
      const { store, fail } = breakable(inner);
      const ctx = buildApp({ store, clock });
      // Specimens are minted (written) while the store still answers.
      const specimens = await ctx.specimens.get();
      return { ctx, specimens, fail };
    }

    it('platform-store-unavailable answers as documented while the store is down', async () => {
      const s = card('platform-store-unavailable');
      const { ctx, specimens, fail } = await brokenApp();
      fail(new StoreUnavailableError('connection refused'));
      await expectDocumented(await fire(ctx.http, s, specimens), s);
    });

    it('platform-store-full answers as documented while the store is full', async () => {
      const s = card('platform-store-full');
      const { ctx, specimens, fail } = await brokenApp();
      fail(new StoreFullError('STORE_MAX_ENTRIES reached'));
      await expectDocumented(await fire(ctx.http, s, specimens), s);
    });
  });

  describe('the forward-proxy cards, in absolute form over a real socket', () => {
    const { app } = buildApp();
    const server = createServer(app);
    beforeAll(() => new Promise<void>((done) => server.listen(0, '127.0.0.1', done)));
    afterAll(() => new Promise<void>((done) => server.close(() => done())));
    const own = () => `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    it('proxy-auth-missing answers as documented', async () => {
      const s = card('proxy-auth-missing');
      expect(s.trigger.headers).toBeUndefined();
      await expectDocumented(asResponse(await viaProxy(server, `${own()}${s.trigger.path}`)), s);
    });

    it('proxy-auth-wrong answers as documented', async () => {
      const s = card('proxy-auth-wrong');
      const headers = s.trigger.headers as Record<string, string>;
      expect(headers['Proxy-Authorization']).not.toBe(PROXY_BASIC);
      const res = await viaProxy(server, `${own()}${s.trigger.path}`, headers);
      await expectDocumented(asResponse(res), s);
    });

    it('proxy-auth-forwarded answers as documented, without Proxy-Authorization', async () => {
      const s = card('proxy-auth-forwarded');
      expect(s.trigger.headers?.['Proxy-Authorization']).toBe(PROXY_BASIC);
      const res = await viaProxy(server, `${own()}${s.trigger.path}`, {
        'Proxy-Authorization': PROXY_BASIC,
      });
      expect(res.status).toBe(s.expect.status);
      expect(res.headers.via).toBe(s.expect.headers?.Via);
      expect(res.headers['proxy-authenticate']).toBeUndefined();
      expect(res.text).not.toMatch(/proxy-authorization/i);
      expect(res.text).not.toContain(PROXY_BASIC.slice(6));
    });

    it('proxy-target-refused answers as documented', async () => {
      const s = card('proxy-target-refused');
      const res = await viaProxy(server, `http://example.invalid${s.trigger.path}`, {
        'Proxy-Authorization': PROXY_BASIC,
      });
      await expectDocumented(asResponse(res), s);
    });
  });

  describe('the NTLM cards, with the handshake on one keep-alive connection', () => {
    const { app, config } = buildApp();
    const server = createServer(app);
    beforeAll(() => new Promise<void>((done) => server.listen(0, '127.0.0.1', done)));
    afterAll(() => new Promise<void>((done) => server.close(() => done())));
    const demo = { user: config.demo.username, password: config.demo.password };

    it.each([
      ['ntlm-handshake-complete', demo],
      ['negotiate-handshake-complete', demo],
      ['ntlm-wrong-password', { ...demo, password: 'wrong' }],
      ['ntlm-unknown-user', { ...demo, user: 'nobody' }],
    ])('%s answers as documented', async (id, credentials) => {
      const s = card(id);
      const scheme = String(s.trigger.headers?.Authorization).split(' ')[0] as 'NTLM';
      const h = await ntlmHandshake(server, s.trigger.path, { scheme, ...credentials });
      expect(h.final.localPort).toBe(h.challenge.localPort);
      if (s.expect.status === 200) {
        expect(h.final.status).toBe(200);
        expect(h.final.headers['www-authenticate']).toBeUndefined();
      } else {
        await expectDocumented(asResponse(h.final), s);
      }
    });
  });

  describe('the GNAP cards, with a client that grants itself a token and signs (test/gnap-client.ts)', () => {
    const ctx = buildApp();
    const now = () => Math.floor(ctx.clock.now() / 1000);
    const granted = async (access = ['four-oh-one-read']) => {
      const client = gnapClient();
      const res = await requestGrant(ctx.http, client, now(), access);
      expect(res.status).toBe(200);
      return { client, token: res.body.access_token.value as string };
    };

    it('gnap-complete answers as documented', async () => {
      const s = card('gnap-complete');
      const { client, token } = await granted();
      const res = await callResource(ctx.http, client, token, now());
      expect(res.status).toBe(s.expect.status);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('gnap-proof-missing answers as documented', async () => {
      const { token } = await granted();
      await expectDocumented(
        await callResource(ctx.http, undefined, token, now()),
        card('gnap-proof-missing'),
      );
    });

    it('gnap-proof-invalid answers as documented', async () => {
      const { client, token } = await granted();
      const res = await callResource(ctx.http, client, token, now(), {
        sign: { signedUrl: 'http://127.0.0.1:3000/gnap/other' },
      });
      await expectDocumented(res, card('gnap-proof-invalid'));
    });

    it('gnap-key-mismatch answers as documented', async () => {
      const { token } = await granted();
      await expectDocumented(
        await callResource(ctx.http, gnapClient(), token, now()),
        card('gnap-key-mismatch'),
      );
    });

    it('gnap-access-insufficient answers as documented', async () => {
      const { client, token } = await granted(['four-oh-one-read']);
      const res = await callResource(ctx.http, client, token, now(), {
        method: 'POST',
        body: '{}',
      });
      await expectDocumented(res, card('gnap-access-insufficient'));
    });
  });

  describe('the Concealed cards, over TLS 1.3 with a client that exports on its side', () => {
    const ctx = buildApp();
    let tls: TlsApp;
    beforeAll(async () => {
      tls = await serveTls(ctx.app);
    });
    afterAll(async () => {
      await tls.close();
    });
    const documented = (
      res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
      s: Scenario,
    ) => {
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: s.expect.status,
        code: s.expect.code,
      });
      expect(res.headers['www-authenticate']).toBe(s.expect.challenge ?? undefined);
    };

    it('concealed-complete answers as documented', async () => {
      const s = card('concealed-complete');
      const res = await tlsGet(tls.port, s.trigger.path, (socket) =>
        concealedHeader(socket, tls.port),
      );
      expect(res.status).toBe(s.expect.status);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('concealed-verification-mismatch answers as documented', async () => {
      const s = card('concealed-verification-mismatch');
      let captured = '';
      await tlsGet(tls.port, s.trigger.path, (socket) => {
        captured = concealedHeader(socket, tls.port);
        return captured;
      });
      documented(await tlsGet(tls.port, s.trigger.path, () => captured), s);
    });

    it('concealed-signature-invalid answers as documented', async () => {
      const s = card('concealed-signature-invalid');
      const res = await tlsGet(tls.port, s.trigger.path, (socket) =>
        concealedHeader(socket, tls.port, { breakSignature: true }),
      );
      documented(res, s);
    });
  });

  describe('the SCRAM cards, with the two rounds run by an RFC 5802 client', () => {
    const ctx = buildApp();
    const exchange = (s: Scenario, password: string) => {
      const mechanism = String(s.trigger.headers?.Authorization).split(' ')[0] as 'SCRAM-SHA-256';
      const send = (authorization: string) =>
        ctx.http().get(s.trigger.path).set('Authorization', authorization);
      return scramExchange(send, { mechanism, user: 'user', password }).then((r) => ({
        ...r,
        send,
      }));
    };

    it('scram-complete answers as documented, with a server signature the client verifies', async () => {
      const s = card('scram-complete');
      const r = await exchange(s, 'pencil');
      expect(r.final.status).toBe(s.expect.status);
      expect(r.final.headers['www-authenticate']).toBeUndefined();
      expect(r.serverVerified).toBe(true);
    });

    it('scram-proof-invalid answers as documented', async () => {
      const s = card('scram-proof-invalid');
      await expectDocumented((await exchange(s, 'not-pencil')).final, s);
    });

    it('scram-replayed answers as documented', async () => {
      const s = card('scram-replayed');
      const r = await exchange(s, 'pencil');
      expect(r.final.status).toBe(200);
      await expectDocumented(await r.send(r.finalAuthorization), s);
    });
  });

  describe('the HOBA cards, with a key made and registered by a node:crypto client', () => {
    // One listening server, so that the origin the client signs keeps its port.
    const ctx = buildApp();
    let server: Listening;
    beforeAll(async () => {
      server = await listening(ctx.app);
    });
    afterAll(() => server.close());
    const key = hobaKey();
    /** The card's request, with a result over a fresh challenge signed as `o` says. */
    const fireSigned = async (s: Scenario, o: Partial<SignOptions> = {}, k = key) => {
      const first = await request(server.origin)[s.trigger.method === 'POST' ? 'post' : 'get'](
        s.trigger.path,
      );
      const authorization = hobaAuthorization(k, first.headers['www-authenticate'], {
        origin: server.origin,
        ...o,
      });
      const req =
        s.trigger.method === 'POST'
          ? request(server.origin).post(s.trigger.path).type('form').send(registrationForm(k))
          : request(server.origin).get(s.trigger.path);
      return { authorization, res: await req.set('Authorization', authorization) };
    };
    beforeAll(async () => {
      expect((await fireSigned(card('hoba-register-complete'))).res.status).toBe(200);
    });

    it('hoba-register-complete answers as documented', async () => {
      const s = card('hoba-register-complete');
      const { res } = await fireSigned(s, {}, hobaKey());
      expect(res.status).toBe(s.expect.status);
      expect(res.headers.hobareg).toBe(s.expect.headers?.Hobareg);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('hoba-complete answers as documented', async () => {
      const s = card('hoba-complete');
      const { res } = await fireSigned(s);
      expect(res.status).toBe(s.expect.status);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('hoba-challenge-used answers as documented', async () => {
      const s = card('hoba-challenge-used');
      const { authorization, res } = await fireSigned(s);
      expect(res.status).toBe(200);
      await expectDocumented(
        await request(server.origin).get(s.trigger.path).set('Authorization', authorization),
        s,
      );
    });

    it('hoba-challenge-expired answers as documented', async () => {
      const s = card('hoba-challenge-expired');
      const first = await request(server.origin).get(s.trigger.path);
      const authorization = hobaAuthorization(key, first.headers['www-authenticate'], {
        origin: server.origin,
      });
      ctx.clock.advance(61_000);
      await expectDocumented(
        await request(server.origin).get(s.trigger.path).set('Authorization', authorization),
        s,
      );
    });

    it.each([
      ['hoba-kid-unknown', () => ({ k: hobaKey(), o: {} })],
      ['hoba-signature-invalid', () => ({ k: key, o: { signer: hobaKey().privateKey } })],
      [
        'hoba-origin-mismatch',
        () => ({ k: key, o: { origin: server.origin.replace(/:\d+$/, '') } }),
      ],
      ['hoba-realm-mismatch', () => ({ k: key, o: { realm: '' } })],
    ] as const)('%s answers as documented', async (id, make) => {
      const s = card(id);
      const { k, o } = make();
      await expectDocumented((await fireSigned(s, o, k)).res, s);
    });
  });

  describe('platform-shutting-down', () => {
    it('answers as documented while the instance drains', async () => {
      const s = card('platform-shutting-down');
      const config = testConfig();
      const app = createApp(config, {
        store: new MemoryStore({ maxEntries: 1000, clock: testClock(), sweepIntervalMs: 0 }),
        clock: testClock(),
        logger: pino({ level: 'silent' }),
        draining: () => true,
      });
      const res = await request(createServer(app)).get(s.trigger.path);
      await expectDocumented(res, s);
    });
  });

  describe('the authorization-code cards, after a real flow (test/oauth-flow.ts)', () => {
    const callback = `${testConfig().publicUrl}/oauth/callback`;

    /** A code from a real flow (as `clientId`), and the trigger's body with it filled in. */
    async function codeFor(ctx: TestContext, s: Scenario, clientId?: string) {
      const flow = await runFlow(ctx.http, { redirectUri: callback, clientId });
      const body = { ...(s.trigger.body as Record<string, string>) };
      body.code = flow.params.get('code') ?? '';
      if (body.code_verifier?.startsWith('<')) body.code_verifier = flow.pkce.verifier;
      return body;
    }
    const post = (ctx: TestContext, s: Scenario, body: Record<string, string>) =>
      ctx.http().post(s.trigger.path).type('form').send(body);

    it('oauth-token-code-expired answers as documented 61 seconds after the redirect', async () => {
      const s = card('oauth-token-code-expired');
      const ctx = buildApp();
      const body = await codeFor(ctx, s);
      ctx.clock.advance(61_000);
      await expectDocumented(await post(ctx, s, body), s);
    });

    it('oauth-token-code-reused answers as documented, and revokes the first answer', async () => {
      const s = card('oauth-token-code-reused');
      const ctx = buildApp();
      const body = await codeFor(ctx, s);
      const first = await post(ctx, s, body);
      expect(first.status).toBe(200);
      await expectDocumented(await post(ctx, s, body), s);
      const data = await ctx
        .http()
        .get('/api/v1/data')
        .auth(first.body.access_token, { type: 'bearer' });
      expectProblem(data, { status: 401, code: 'token_revoked' });
    });

    it.each(['oauth-token-pkce-mismatch', 'oauth-token-redirect-mismatch'])(
      '%s answers as documented',
      async (id) => {
        const s = card(id);
        const ctx = buildApp();
        await expectDocumented(await post(ctx, s, await codeFor(ctx, s)), s);
      },
    );

    it('oauth-token-client-mismatch answers as documented for a code issued to the web client', async () => {
      const s = card('oauth-token-client-mismatch');
      const ctx = buildApp();
      await expectDocumented(await post(ctx, s, await codeFor(ctx, s, WEB)), s);
    });

    /** The consent form of a real flow: its pending id and csrf_token. */
    async function consentForm(ctx: TestContext) {
      const { consent } = await toConsent(
        ctx.http,
        { redirectUri: callback, state: 'af0ifjsldkj' },
        pkce(),
      );
      const fields = formFields(consent.text);
      return { pending: fields.pending ?? '', csrf_token: fields.csrf_token ?? '' };
    }

    it('oauth-authorize-deny answers as documented: access_denied on the redirect', async () => {
      const s = card('oauth-authorize-deny');
      const ctx = buildApp();
      const res = await ctx
        .http()
        .post(s.trigger.path)
        .type('form')
        .send({ ...(await consentForm(ctx)), action: 'deny' });
      expect(res.status).toBe(s.expect.status);
      for (const [name, value] of Object.entries(s.expect.headers ?? {})) {
        expect(res.headers[name]).toBe(
          value
            .replace('{{issuer_in_query}}', encodeURIComponent(ctx.config.jwt.issuer))
            .replaceAll('{{public_url}}', ctx.config.publicUrl),
        );
      }
    });

    it('oauth-authorize-answered-twice answers as documented', async () => {
      const s = card('oauth-authorize-answered-twice');
      const ctx = buildApp();
      const form = { ...(await consentForm(ctx)), action: 'approve' };
      expect((await ctx.http().post(s.trigger.path).type('form').send(form)).status).toBe(303);
      await expectDocumented(await ctx.http().post(s.trigger.path).type('form').send(form), s);
    });
  });
});
