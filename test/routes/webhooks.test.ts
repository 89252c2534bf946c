import fc from 'fast-check';
import {
  DEMO_WEBHOOK_SECRET,
  parseWebhookSignature,
  signWebhook,
  webhookReplayKey,
} from '../../src/auth/webhook';
import {
  ACCEPT_SIGNATURE,
  contentDigest,
  DEMO_SIGNATURE_KEYID,
  parseSignatureInput,
  signatureBase,
  signBase,
} from '../../src/auth/message-signature';
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

describe('POST /signatures/rfc9421', () => {
  const ctx = buildApp();
  const PATH9421 = '/signatures/rfc9421';
  const DIGEST = contentDigest(Buffer.from(BODY));
  const now = () => Math.floor(ctx.clock.now() / 1000);
  const params = (created: number, components = '"@method" "@path" "content-digest"') =>
    `(${components});created=${created};keyid="${DEMO_SIGNATURE_KEYID}";alg="hmac-sha256"`;
  const sign = (p: string, digest = DIGEST, path = PATH9421) =>
    signBase(
      signatureBase(parseSignatureInput(`sig1=${p}`)!, {
        '@method': 'POST',
        '@path': path,
        'content-digest': digest,
      }),
    ).toString('base64');
  const send = (headers: Record<string, string>, body = BODY) => {
    let req = ctx.http().post(PATH9421).set('Content-Type', 'application/json');
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req.send(body);
  };
  const signed = (p: string, digest = DIGEST) => ({
    'Content-Digest': digest,
    'Signature-Input': `sig1=${p}`,
    Signature: `sig1=:${sign(p, digest)}:`,
  });
  const refused = (res: Awaited<ReturnType<typeof send>>, code: string) => {
    expectProblem(res, { status: 400, code, challenge: null });
    expect(res.headers['accept-signature']).toBe(ACCEPT_SIGNATURE);
  };

  it('accepts a signature created now, and one of several labels', async () => {
    const res = await send(signed(params(now())));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ verified: true, bytes: BODY.length });
    const p = params(now());
    const two = await send({
      'Content-Digest': DIGEST,
      'Signature-Input': `sig1=${p}, other=("@method");created=1`,
      Signature: `other=:AAAA:, sig1=:${sign(p)}:`,
    });
    expect(two.status).toBe(200);
  });

  it('refuses with Accept-Signature: missing, malformed, unknown key, uncovered, forged, old', async () => {
    refused(await send({}), 'http_signature_missing');
    refused(await send({ 'Signature-Input': 'sig1=("@method"' }), 'http_signature_malformed');
    refused(await send({ Signature: 'sig1=:AAAA:' }), 'http_signature_malformed');
    const other = params(now()).replace(DEMO_SIGNATURE_KEYID, 'someone-else');
    refused(await send(signed(other)), 'http_signature_keyid_unknown');
    refused(
      await send(signed(params(now(), '"@method" "@path"'))),
      'http_signature_components_missing',
    );
    refused(
      await send(signed(params(now(), '"@method" "@path" "content-digest" "@authority"'))),
      'http_signature_components_missing',
    );
    const { 'Content-Digest': _d, ...noDigest } = signed(params(now()));
    refused(await send(noDigest), 'http_signature_components_missing');
    refused(
      await send({ ...signed(params(now())), Signature: `sig1=:${'A'.repeat(43)}=:` }),
      'http_signature_invalid',
    );
    // A changed body with the old digest: the signature holds, the digest does not.
    refused(await send(signed(params(now())), '{"id":"evt_2"}'), 'http_signature_invalid');
    // `created` is inside the signed parameters: changing it breaks the signature.
    const h = signed(params(now()));
    refused(
      await send({ ...h, 'Signature-Input': `sig1=${params(now() - 1)}` }),
      'http_signature_invalid',
    );
    refused(await send(signed(params(now() - 301))), 'http_signature_expired');
    refused(await send(signed(params(now() + 301))), 'http_signature_expired');
    expect((await send(signed(params(now() - 300)))).status).toBe(200);
  });

  it('never answers 5xx and stores nothing for arbitrary fields and bodies', async () => {
    const clock = testClock();
    const store = new MemoryStore({ maxEntries: 1000, clock, sweepIntervalMs: 0 });
    const app = buildApp({ clock, store });
    const before = (await store.usage()).entries;
    const field = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .tuple(
          fc.array(fc.constantFrom('"@method"', '"@path"', '"content-digest"', '"x"', '@', '('), {
            maxLength: 5,
          }),
          fc.integer(),
          fc.string({ maxLength: 20 }),
        )
        .map(([c, n, k]) => `sig1=(${c.join(' ')});created=${n};keyid="${k}"`),
    );
    const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '');
    await fc.assert(
      fc.asyncProperty(field, field, fc.string({ maxLength: 100 }), async (input, sig, body) => {
        const res = await app
          .http()
          .post(PATH9421)
          .set('Content-Type', 'text/plain')
          .set('Signature-Input', printable(input))
          .set('Signature', printable(sig))
          .set('Content-Digest', printable(body.slice(0, 20)))
          .send(body);
        expect(res.status).toBe(400);
        expect(res.headers['accept-signature']).toBe(ACCEPT_SIGNATURE);
      }),
      { numRuns: 60 },
    );
    expect((await store.usage()).entries).toBe(before);
  });
});
