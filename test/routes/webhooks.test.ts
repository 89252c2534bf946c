import fc from 'fast-check';
import {
  DEMO_WEBHOOK_SECRET,
  parseWebhookSignature,
  signWebhook,
  webhookReplayKey,
} from '../../src/auth/webhook';
import { MemoryStore } from '../../src/store';
import { buildApp, expectProblem, testClock } from '../helpers';

const PATH = '/webhooks/stripe-style';
const BODY = '{"id":"evt_1","type":"ping"}';

describe('POST /webhooks/stripe-style', () => {
  const ctx = buildApp();
  const now = () => Math.floor(ctx.clock.now() / 1000);
  const header = (t: number, body = BODY, secret = DEMO_WEBHOOK_SECRET) =>
    `t=${t},v1=${signWebhook(secret, t, Buffer.from(body))}`;
  const send = (signature: string | undefined, body = BODY) => {
    let req = ctx.http().post(PATH).set('Content-Type', 'application/json');
    if (signature !== undefined) req = req.set('Stripe-Signature', signature);
    return req.send(body);
  };

  it('accepts a delivery signed now over its exact bytes', async () => {
    const res = await send(header(now()));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, bytes: BODY.length });
  });

  it('accepts any of several v1 signatures (a secret being rolled), ignoring v0', async () => {
    const t = now() + 1;
    const good = signWebhook(DEMO_WEBHOOK_SECRET, t, Buffer.from(BODY));
    const res = await send(`t=${t},v0=abc,v1=${'a'.repeat(64)},v1=${good}`);
    expect(res.status).toBe(200);
  });

  it('refuses a missing header, with no challenge', async () => {
    const res = await send(undefined);
    expectProblem(res, { status: 400, code: 'webhook_signature_missing', challenge: null });
  });

  it.each(['', 'sha256=abc', `t=${1},v1=xyz`, `v1=${'a'.repeat(64)}`, `t=1`, 't=1,t=2,v1=x'])(
    'refuses the malformed header %j',
    async (value) => {
      const res = await send(value);
      expectProblem(res, { status: 400, code: 'webhook_signature_malformed', challenge: null });
    },
  );

  it('refuses a signature over other bytes (the body re-serialised), or another secret', async () => {
    const t = now();
    expectProblem(await send(header(t, '{"id": "evt_1", "type": "ping"}')), {
      status: 400,
      code: 'webhook_signature_invalid',
      challenge: null,
    });
    expectProblem(await send(header(t, BODY, 'whsec_other'), BODY), {
      status: 400,
      code: 'webhook_signature_invalid',
      challenge: null,
    });
  });

  it('takes timestamps within 300 s either way, and refuses them beyond', async () => {
    const t = now();
    expect((await send(header(t - 300, '{"a":1}'), '{"a":1}')).status).toBe(200);
    expect((await send(header(t + 300, '{"a":2}'), '{"a":2}')).status).toBe(200);
    for (const off of [-301, 301]) {
      const res = await send(header(t + off, '{"a":3}'), '{"a":3}');
      expectProblem(res, { status: 400, code: 'webhook_signature_expired', challenge: null });
    }
  });

  it('refuses the same signature again within the window, and forgets it when the window ends', async () => {
    const clock = testClock();
    const store = new MemoryStore({ maxEntries: 1000, clock, sweepIntervalMs: 0 });
    const app = buildApp({ clock, store });
    const t = Math.floor(clock.now() / 1000);
    const sig = `t=${t},v1=${signWebhook(DEMO_WEBHOOK_SECRET, t, Buffer.from(BODY))}`;
    const post = () =>
      app
        .http()
        .post(PATH)
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', sig)
        .send(BODY);
    expect((await post()).status).toBe(200);
    const key = webhookReplayKey(parseWebhookSignature(sig)!);
    expect(await store.get(key)).toBe('1');
    clock.advance(299_000);
    expectProblem(await post(), {
      status: 400,
      code: 'webhook_signature_replayed',
      challenge: null,
    });
    clock.advance(2_000);
    // Past the window it is expired, not replayed, and the cache entry has gone with it.
    expectProblem(await post(), {
      status: 400,
      code: 'webhook_signature_expired',
      challenge: null,
    });
    expect(await store.get(key)).toBeUndefined();
  });

  it('refuses an encoded body (the signature is over the bytes sent) and other methods', async () => {
    const res = await ctx
      .http()
      .post(PATH)
      .set('Content-Encoding', 'gzip')
      .set('Stripe-Signature', header(now()))
      .send(BODY);
    expectProblem(res, { status: 415, code: 'media_type_unsupported' });
    const get = await ctx.http().get(PATH);
    expectProblem(get, { status: 405, code: 'method_not_allowed' });
    expect(get.headers.allow).toContain('POST');
  });

  it('never answers 5xx and stores nothing for arbitrary unsigned headers and bodies', async () => {
    const clock = testClock();
    const store = new MemoryStore({ maxEntries: 1000, clock, sweepIntervalMs: 0 });
    const app = buildApp({ clock, store });
    const before = (await store.usage()).entries;
    const t = Math.floor(clock.now() / 1000);
    const value = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .tuple(fc.integer({ min: 0, max: 2 * t }), fc.stringMatching(/^[0-9a-f]{0,70}$/))
        .map(([ts, hex]) => `t=${ts},v1=${hex}`),
    );
    await fc.assert(
      fc.asyncProperty(value, fc.string({ maxLength: 300 }), async (sig, body) => {
        // Header values with control characters cannot be sent at all.
        const safe = sig.replace(/[^\x20-\x7e]/g, '');
        const res = await app
          .http()
          .post(PATH)
          .set('Content-Type', 'text/plain')
          .set('Stripe-Signature', safe)
          .send(body);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
    expect((await store.usage()).entries).toBe(before);
  });
});
