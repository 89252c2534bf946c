import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import webpush from 'web-push';
import { createApp } from '../../src/app';
import {
  DEMO_SUBSCRIPTION_AUTH,
  DEMO_SUBSCRIPTION_P256DH,
  DEMO_VAPID_PRIVATE_KEY,
  DEMO_VAPID_PUBLIC_KEY,
  OTHER_VAPID_PRIVATE_KEY,
  OTHER_VAPID_PUBLIC_KEY,
  signVapidJwt,
} from '../../src/auth/vapid';
import { MemoryStore } from '../../src/store';
import { buildApp, expectProblem, testClock, testConfig } from '../helpers';

const PATH = '/push/demo';
const demoKeys = { publicKey: DEMO_VAPID_PUBLIC_KEY, privateKey: DEMO_VAPID_PRIVATE_KEY };
const otherKeys = { publicKey: OTHER_VAPID_PUBLIC_KEY, privateKey: OTHER_VAPID_PRIVATE_KEY };
const SUBJECT = 'mailto:push@four-oh-one.example';

describe('GET /push/subscription', () => {
  const ctx = buildApp();
  it('publishes the demo subscription as PushSubscription.toJSON() has it, and its key', async () => {
    const res = await ctx.http().get('/push/subscription').expect(200);
    expect(res.body).toMatchObject({
      endpoint: `${ctx.config.publicUrl}${PATH}`,
      keys: { p256dh: DEMO_SUBSCRIPTION_P256DH, auth: DEMO_SUBSCRIPTION_AUTH },
      applicationServerKey: DEMO_VAPID_PUBLIC_KEY,
      demo: { vapid: demoKeys },
    });
  });
});

describe('POST /push/demo', () => {
  // web-push signs with the real clock: the server's must agree.
  const ctx = buildApp({ clock: testClock(new Date().toISOString()) });
  const now = () => Math.floor(ctx.clock.now() / 1000);
  const audience = new URL(ctx.config.publicUrl).origin;
  const claims = (o: Record<string, unknown> = {}) => ({
    aud: audience,
    exp: now() + 3600,
    sub: SUBJECT,
    ...o,
  });
  const send = (authorization: string | undefined, headers: Record<string, string> = {}) => {
    let req = ctx.http().post(PATH).set('TTL', '60');
    if (authorization !== undefined) req = req.set('Authorization', authorization);
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req;
  };
  const vapid = (c = claims(), keys = demoKeys, k = keys.publicKey) =>
    `vapid t=${signVapidJwt(c, keys)}, k=${k}`;

  it('accepts a message signed by the subscription key: 201, Location, TTL 0', async () => {
    const res = await send(vapid());
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/^\/push\/messages\/[0-9a-f-]{36}$/);
    expect(res.headers.ttl).toBe('0');
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.body).toEqual({ accepted: true, bytes: 0, credentials: 'vapid', delivered: false });
  });

  it('takes the parameters in any order, quoted, with unknown ones ignored (RFC 8292 §3)', async () => {
    const t = signVapidJwt(claims());
    const res = await send(`VAPID k="${DEMO_VAPID_PUBLIC_KEY}",realm="x" ,t=${t}`);
    expect(res.status).toBe(201);
  });

  it('answers 401 with no WWW-Authenticate without credentials (RFC 8292 §3, §4.2)', async () => {
    const res = await send(undefined);
    expectProblem(res, { status: 401, code: 'vapid_credentials_missing', challenge: null });
  });

  it.each([
    ['vapid t=a, t=b, k=c', 'vapid_credentials_malformed', 400],
    ['vapid t="open', 'vapid_credentials_malformed', 400],
    [`vapid t=a.b.c, k=${DEMO_VAPID_PUBLIC_KEY.slice(0, -2)}`, 'vapid_credentials_malformed', 400],
    [`vapid t=a.b, k=${DEMO_VAPID_PUBLIC_KEY}`, 'vapid_credentials_malformed', 400],
    [`vapid t=e30.e30.e30, k=${'B'.repeat(87)}`, 'vapid_credentials_malformed', 400],
    [`vapid k=${DEMO_VAPID_PUBLIC_KEY}`, 'vapid_credentials_incomplete', 403],
    ['vapid', 'vapid_credentials_incomplete', 403],
    ['WebPush a.b.c', 'vapid_credentials_incomplete', 403],
    ['WebPush a b', 'vapid_credentials_malformed', 400],
    ['Basic dXNlcjpwYXNz', 'vapid_credentials_missing', 401],
  ])('refuses %j as %s', async (authorization, code, status) => {
    const res = await send(authorization);
    expectProblem(res, { status, code, challenge: null });
  });

  it('refuses another key (403 key mismatch) before looking at the signature', async () => {
    const res = await send(vapid(claims(), otherKeys));
    expectProblem(res, { status: 403, code: 'vapid_key_mismatch', challenge: null });
  });

  it('refuses a JWT signed by another key under the subscription key', async () => {
    const res = await send(vapid(claims(), otherKeys, DEMO_VAPID_PUBLIC_KEY));
    expectProblem(res, { status: 403, code: 'vapid_signature_invalid', challenge: null });
  });

  it('refuses any alg but ES256, whatever the signature', async () => {
    const t = signVapidJwt(claims(), demoKeys, { typ: 'JWT', alg: 'ES384' });
    const res = await send(`vapid t=${t}, k=${DEMO_VAPID_PUBLIC_KEY}`);
    expectProblem(res, { status: 403, code: 'vapid_signature_invalid', challenge: null });
  });

  it.each([
    [{ aud: `${audience}/` }, 'vapid_audience_mismatch'],
    [{ aud: [audience] }, 'vapid_audience_mismatch'],
    [{ exp: undefined }, 'vapid_token_expired'],
    [{ sub: 'push@example.com' }, 'vapid_subject_invalid'],
    [{ sub: 'http://example.com/contact' }, 'vapid_subject_invalid'],
  ])('refuses the claims %j as %s', async (override, code) => {
    const c: Record<string, unknown> = claims(override);
    for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
    const res = await send(vapid(c as never));
    expectProblem(res, { status: 403, code, challenge: null });
  });

  it('takes exp up to exactly 24 hours ahead, and the second past', async () => {
    expect((await send(vapid(claims({ exp: now() + 86400 })))).status).toBe(201);
    const res = await send(vapid(claims({ exp: now() + 86401 })));
    expectProblem(res, { status: 403, code: 'vapid_expiry_too_far', challenge: null });
    const past = await send(vapid(claims({ exp: now() })));
    expectProblem(past, { status: 403, code: 'vapid_token_expired', challenge: null });
  });

  it('checks the message after the credentials: TTL, then aes128gcm', async () => {
    const noTtl = await ctx.http().post(PATH).set('Authorization', vapid());
    expectProblem(noTtl, { status: 400, code: 'push_ttl_missing', challenge: null });
    const clear = await send(vapid()).set('Content-Type', 'text/plain').send('hello');
    expectProblem(clear, { status: 415, code: 'push_encoding_unsupported', challenge: null });
    const aesgcm = await send(vapid(), { 'Content-Encoding': 'aesgcm' }).send(Buffer.alloc(40));
    expectProblem(aesgcm, { status: 415, code: 'push_encoding_unsupported', challenge: null });
    const big = await send(vapid(), { 'Content-Encoding': 'aes128gcm' }).send(Buffer.alloc(4097));
    expectProblem(big, { status: 413, code: 'body_too_large', challenge: null });
  });

  describe('with web-push (npm) building the request', () => {
    const subscription = {
      endpoint: `${ctx.config.publicUrl}${PATH}`,
      keys: { p256dh: DEMO_SUBSCRIPTION_P256DH, auth: DEMO_SUBSCRIPTION_AUTH },
    };
    const deliver = (details: webpush.RequestDetails) => {
      let req = ctx.http().post(new URL(details.endpoint).pathname);
      for (const [k, v] of Object.entries(details.headers)) req = req.set(k, String(v));
      return details.body ? req.send(details.body) : req;
    };

    it('pushes an aes128gcm payload with vapid t=…, k=…', async () => {
      const details = webpush.generateRequestDetails(subscription, 'Hello from web-push', {
        vapidDetails: { subject: SUBJECT, ...demoKeys },
        TTL: 60,
      });
      expect(String(details.headers.Authorization)).toMatch(/^vapid t=[\w.-]+, k=/);
      const res = await deliver(details);
      expect(res.status).toBe(201);
      expect(res.body.bytes).toBe(details.body.length);
    });

    it('pushes with the obsolete WebPush + Crypto-Key form and aesgcm', async () => {
      const details = webpush.generateRequestDetails(subscription, 'Hello', {
        vapidDetails: { subject: SUBJECT, ...demoKeys },
        contentEncoding: 'aesgcm',
      });
      expect(String(details.headers.Authorization)).toMatch(/^WebPush /);
      const res = await deliver(details);
      expect({ status: res.status, credentials: res.body.credentials }).toEqual({
        status: 201,
        credentials: 'WebPush',
      });
    });

    it('is refused 403 with keys the subscription was not made with', async () => {
      const details = webpush.generateRequestDetails(subscription, 'Hello', {
        vapidDetails: { subject: SUBJECT, ...otherKeys },
      });
      expectProblem(await deliver(details), {
        status: 403,
        code: 'vapid_key_mismatch',
        challenge: null,
      });
    });
  });

  it('never answers 5xx, whatever the credentials (property)', async () => {
    const t = signVapidJwt(claims());
    const part = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(t, DEMO_VAPID_PUBLIC_KEY, '"', ',', '=', 't=', 'k=', ' ', 'a.b.c'),
    );
    const value = fc
      .tuple(fc.constantFrom('vapid ', 'WebPush ', 'vapid', ''), fc.array(part, { maxLength: 6 }))
      .map(([s, parts]) => `${s}${parts.join('')}`.replace(/[\r\n\0]/g, ''));
    await fc.assert(
      fc.asyncProperty(value, fc.option(value), async (authorization, cryptoKey) => {
        let req = ctx.http().post(PATH).set('TTL', '1');
        if (authorization.trim() !== '') req = req.set('Authorization', authorization);
        if (cryptoKey) req = req.set('Crypto-Key', cryptoKey);
        const res = await req;
        expect([201, 400, 401, 403]).toContain(res.status);
        expect(res.headers['www-authenticate']).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });
});

describe("a visitor's own subscription: POST /push/subscriptions, /push/s/:id", () => {
  // web-push signs with the real clock: the server's must agree.
  const ctx = buildApp({ clock: testClock(new Date().toISOString()) });
  const own = webpush.generateVAPIDKeys();

  async function subscribe(applicationServerKey: string = own.publicKey) {
    const res = await ctx.http().post('/push/subscriptions').send({ applicationServerKey });
    expect(res.status).toBe(201);
    return res.body as webpush.PushSubscription & { expirationTime: number };
  }
  const deliver = (details: webpush.RequestDetails) => {
    let req = ctx.http().post(new URL(details.endpoint).pathname);
    for (const [k, v] of Object.entries(details.headers)) req = req.set(k, String(v));
    return details.body ? req.send(details.body) : req;
  };
  const message = (subscription: webpush.PushSubscription, keys = own) =>
    webpush.generateRequestDetails(subscription, 'Hello from my own server', {
      vapidDetails: { subject: SUBJECT, ...keys },
      TTL: 60,
    });

  it('makes a subscription restricted to the key it names, that web-push pushes to with that key', async () => {
    const res = await ctx
      .http()
      .post('/push/subscriptions')
      .send({ applicationServerKey: own.publicKey });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const id = /^\/push\/s\/([A-Za-z0-9_-]{22})$/.exec(res.headers.location!)?.[1];
    expect(id).toBeDefined();
    expect(res.body).toEqual({
      endpoint: `${ctx.config.publicUrl}/push/s/${id}`,
      expirationTime: ctx.clock.now() + 3600_000,
      keys: { p256dh: DEMO_SUBSCRIPTION_P256DH, auth: DEMO_SUBSCRIPTION_AUTH },
      applicationServerKey: own.publicKey,
    });
    const pushed = await deliver(message(res.body));
    expect(pushed.status).toBe(201);
    expect(pushed.body).toMatchObject({ accepted: true, credentials: 'vapid' });
  });

  it('refuses the published demo key at a subscription made with another (403), and no credentials (401)', async () => {
    const subscription = await subscribe();
    expectProblem(await deliver(message(subscription, demoKeys)), {
      status: 403,
      code: 'vapid_key_mismatch',
      challenge: null,
    });
    const bare = await ctx.http().post(new URL(subscription.endpoint).pathname).set('TTL', '60');
    expectProblem(bare, { status: 401, code: 'vapid_credentials_missing', challenge: null });
  });

  it('answers 410 Gone once the subscription is deleted, or expired, or for one never made', async () => {
    const subscription = await subscribe();
    const path = new URL(subscription.endpoint).pathname;
    expect((await ctx.http().delete(path)).status).toBe(204);
    const gone = { status: 410, code: 'push_subscription_gone' as const, challenge: null };
    expectProblem(await deliver(message(subscription)), gone);
    expectProblem(await ctx.http().delete(path), gone);
    const later = await subscribe();
    ctx.clock.advance(3600_000 + 1);
    expectProblem(await ctx.http().post(new URL(later.endpoint).pathname), gone);
    expectProblem(await ctx.http().post('/push/s/not-an-id'), gone);
  });

  it('refuses anything but a P-256 public key, and stores nothing (property)', async () => {
    const before = (await ctx.store.usage()).entries;
    const bad = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.constant(own.publicKey.slice(1)),
      fc.constant(Buffer.alloc(65, 4).toString('base64url')),
      fc.constant(DEMO_SUBSCRIPTION_AUTH),
    );
    await fc.assert(
      fc.asyncProperty(bad, async (applicationServerKey) => {
        const res = await ctx.http().post('/push/subscriptions').send({ applicationServerKey });
        expectProblem(res, { status: 400, code: 'parameter_invalid' });
      }),
      { numRuns: 60 },
    );
    for (const body of ['not json', '[]', '{"applicationServerKey": 7}']) {
      const res = await ctx
        .http()
        .post('/push/subscriptions')
        .set('Content-Type', 'application/json')
        .send(body);
      expect([400]).toContain(res.status);
    }
    expect((await ctx.store.usage()).entries).toBe(before);
  });
});

describe('web-push sendNotification over TLS', () => {
  // web-push sends over https only: the app is served with a throwaway self-signed certificate.
  let dir: string;
  let server: https.Server;
  let endpoint: string;
  const agent = new https.Agent({ rejectUnauthorized: false });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'push-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=127.0.0.1',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
    server = https.createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (req, res) => handler(req, res),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const publicUrl = `https://127.0.0.1:${port}`;
    const clock = testClock(new Date().toISOString());
    const app = createApp(testConfig({ PUBLIC_URL: publicUrl }), {
      store: new MemoryStore({ maxEntries: 1000, clock, sweepIntervalMs: 0 }),
      clock: { now: () => Date.now() },
      logger: pino({ level: 'silent' }),
    });
    handler = app;
    endpoint = `${publicUrl}${PATH}`;
  });

  afterAll(async () => {
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const subscription = () => ({
    endpoint,
    keys: { p256dh: DEMO_SUBSCRIPTION_P256DH, auth: DEMO_SUBSCRIPTION_AUTH },
  });

  it('delivers: sendNotification resolves with 201', async () => {
    const result = await webpush.sendNotification(subscription(), 'Hello', {
      vapidDetails: { subject: SUBJECT, ...demoKeys },
      agent,
    });
    expect(result.statusCode).toBe(201);
    expect(result.headers.location).toMatch(/^\/push\/messages\//);
  });

  it('rejects with a WebPushError carrying the 403 for another key', async () => {
    await expect(
      webpush.sendNotification(subscription(), 'Hello', {
        vapidDetails: { subject: SUBJECT, ...otherKeys },
        agent,
      }),
    ).rejects.toMatchObject({
      statusCode: 403,
      body: expect.stringContaining('vapid_key_mismatch'),
    });
  });

  it('rejects with the 401 when sent without vapidDetails', async () => {
    await expect(
      webpush.sendNotification(subscription(), 'Hello', { vapidDetails: null as never, agent }),
    ).rejects.toMatchObject({ statusCode: 401 });
  });
});
