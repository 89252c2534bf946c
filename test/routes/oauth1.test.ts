import { createHmac, createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import OAuth from 'oauth-1.0a';
import {
  DEMO_OAUTH1_CONSUMER_KEY,
  DEMO_OAUTH1_CONSUMER_SECRET,
  DEMO_OAUTH1_TOKEN,
  DEMO_OAUTH1_TOKEN_SECRET,
  OAUTH1_CHALLENGE,
} from '../../src/auth/oauth1';
import { buildApp, expectProblem, type TestContext } from '../helpers';

/**
 * /oauth1/resource against an independent signer: the oauth-1.0a package from npm, which builds
 * the base string and the Authorization header itself. Its clock is the app's injected one.
 */

const PATH = '/oauth1/resource';
const HOST = 'api.four-oh-one.test';
const TOKEN = { key: DEMO_OAUTH1_TOKEN, secret: DEMO_OAUTH1_TOKEN_SECRET };
const RSA_PRIVATE_KEY = readFileSync(
  join(__dirname, '..', '..', 'examples', 'oauth1', 'rsa-demo-private-key.pem'),
  'utf8',
);

type Method = 'HMAC-SHA1' | 'HMAC-SHA256' | 'RSA-SHA1';

/** An oauth-1.0a signer with the demo consumer, reading the app's clock. */
function signer(ctx: TestContext, method: Method = 'HMAC-SHA1'): OAuth {
  const oauth = new OAuth({
    consumer: { key: DEMO_OAUTH1_CONSUMER_KEY, secret: DEMO_OAUTH1_CONSUMER_SECRET },
    signature_method: method,
    hash_function: (base, key) =>
      method === 'RSA-SHA1'
        ? createSign('RSA-SHA1').update(base).sign(RSA_PRIVATE_KEY, 'base64')
        : createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key)
            .update(base)
            .digest('base64'),
  });
  oauth.getTimeStamp = () => Math.floor(ctx.clock.now() / 1000);
  return oauth;
}

/** The Authorization value oauth-1.0a writes for a request to `url`. */
function authorization(
  oauth: OAuth,
  request: { url: string; method: string; data?: Record<string, string> },
  token: OAuth.Token | null = TOKEN,
): string {
  return oauth.toHeader(oauth.authorize(request, token ?? undefined)).Authorization;
}

describe('GET|POST /oauth1/resource', () => {
  const ctx = buildApp();
  const url = (query = '') => `http://${HOST}${PATH}${query}`;

  it.each(['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1'] as const)(
    'serves a GET with a query, signed %s by oauth-1.0a',
    async (method) => {
      const query = '?file=vacation.jpg&note=a%20b%21%2A%27%28%29~';
      const auth = authorization(signer(ctx, method), { url: url(query), method: 'GET' });
      const res = await ctx
        .http()
        .get(`${PATH}${query}`)
        .set('Host', HOST)
        .set('Authorization', auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        authenticated: true,
        scheme: 'OAuth',
        consumer_key: DEMO_OAUTH1_CONSUMER_KEY,
        token: DEMO_OAUTH1_TOKEN,
        user: 'user',
        signature_method: method,
        transmission: 'header',
      });
    },
  );

  it('serves a POST whose form body is signed too', async () => {
    const data = { status: 'Hello Ladies + Gentlemen, a signed OAuth request!' };
    const auth = authorization(signer(ctx), { url: url(), method: 'POST', data });
    const res = await ctx
      .http()
      .post(PATH)
      .set('Host', HOST)
      .set('Authorization', auth)
      .type('form')
      .send(new URLSearchParams(data).toString());
    expect(res.status).toBe(200);
    // The same request with the body changed is refused.
    const changed = await ctx
      .http()
      .post(PATH)
      .set('Host', HOST)
      .set('Authorization', authorization(signer(ctx), { url: url(), method: 'POST', data }))
      .type('form')
      .send('status=Goodbye');
    expectProblem(changed, {
      status: 401,
      code: 'oauth1_signature_invalid',
      challenge: OAUTH1_CHALLENGE,
    });
  });

  it('serves the protocol parameters sent in the form body or in the query (RFC 5849 §3.5.2-3)', async () => {
    const oauth = signer(ctx);
    const inBody = oauth.authorize({ url: url(), method: 'POST' }, TOKEN);
    const body = await ctx
      .http()
      .post(PATH)
      .set('Host', HOST)
      .type('form')
      .send(new URLSearchParams(inBody as unknown as Record<string, string>).toString());
    expect(body.status).toBe(200);
    expect(body.body.transmission).toBe('body');
    const inQuery = oauth.authorize({ url: url(), method: 'GET' }, TOKEN);
    const query = await ctx
      .http()
      .get(
        `${PATH}?${new URLSearchParams(inQuery as unknown as Record<string, string>).toString()}`,
      )
      .set('Host', HOST);
    expect(query.status).toBe(200);
    expect(query.body.transmission).toBe('query');
  });

  it('serves a request signed with the client credentials alone (two-legged)', async () => {
    const auth = authorization(signer(ctx), { url: url(), method: 'GET' }, null);
    const res = await ctx.http().get(PATH).set('Host', HOST).set('Authorization', auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token: null, user: null });
  });

  it('serves a request signed for PUBLIC_URL that reaches it under another Host', async () => {
    const auth = authorization(signer(ctx), {
      url: `${ctx.config.publicUrl}${PATH}`,
      method: 'GET',
    });
    const res = await ctx.http().get(PATH).set('Host', 'internal:8080').set('Authorization', auth);
    expect(res.status).toBe(200);
  });

  it('refuses the same signed request a second time, with the OAuth challenge', async () => {
    const auth = authorization(signer(ctx), { url: url(), method: 'GET' });
    const send = () => ctx.http().get(PATH).set('Host', HOST).set('Authorization', auth);
    expect((await send()).status).toBe(200);
    expectProblem(await send(), {
      status: 401,
      code: 'oauth1_nonce_reused',
      challenge: OAUTH1_CHALLENGE,
    });
  });

  it('remembers no nonce of a request whose signature did not verify', async () => {
    const oauth = signer(ctx);
    oauth.getNonce = () => 'the-same-nonce-twice';
    const forged = authorization(oauth, { url: url('?forged=1'), method: 'GET' });
    const forgedRes = await ctx.http().get(PATH).set('Host', HOST).set('Authorization', forged);
    expectProblem(forgedRes, {
      status: 401,
      code: 'oauth1_signature_invalid',
      challenge: OAUTH1_CHALLENGE,
    });
    const good = authorization(oauth, { url: url(), method: 'GET' });
    expect((await ctx.http().get(PATH).set('Host', HOST).set('Authorization', good)).status).toBe(
      200,
    );
  });

  it('tells a signature over a form-encoded (or encodeURIComponent) base string from a wrong one', async () => {
    const query = '?status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21';
    for (const encode of [
      (s: string) => encodeURIComponent(s),
      (s: string) => new URLSearchParams({ x: s }).toString().slice(2),
    ]) {
      const oauth = signer(ctx);
      oauth.percentEncode = encode;
      const auth = authorization(oauth, { url: url(query), method: 'GET' });
      const res = await ctx
        .http()
        .get(`${PATH}${query}`)
        .set('Host', HOST)
        .set('Authorization', auth);
      expectProblem(res, {
        status: 401,
        code: 'oauth1_signature_encoding',
        challenge: OAUTH1_CHALLENGE,
      });
    }
  });

  it('refuses a request signed for https when it came over http', async () => {
    const auth = authorization(signer(ctx), { url: `https://${HOST}${PATH}`, method: 'GET' });
    const res = await ctx.http().get(PATH).set('Host', HOST).set('Authorization', auth);
    expectProblem(res, {
      status: 401,
      code: 'oauth1_signature_invalid',
      challenge: OAUTH1_CHALLENGE,
    });
  });

  it('refuses a timestamp that left the window, before the nonce is looked at', async () => {
    const auth = authorization(signer(ctx), { url: url(), method: 'GET' });
    ctx.clock.advance(301_000);
    const res = await ctx.http().get(PATH).set('Host', HOST).set('Authorization', auth);
    expectProblem(res, {
      status: 401,
      code: 'oauth1_timestamp_invalid',
      challenge: OAUTH1_CHALLENGE,
    });
  });

  it('answers the 400s of RFC 5849 §3.2 without a challenge', async () => {
    const res = await ctx
      .http()
      .get(PATH)
      .set('Authorization', 'OAuth oauth_consumer_key="four-oh-one-consumer"');
    expectProblem(res, { status: 400, code: 'oauth1_parameter_missing', challenge: null });
  });

  it('allows GET and POST only', async () => {
    expectProblem(await ctx.http().put(PATH), { status: 405, code: 'method_not_allowed' });
  });

  it('never answers malformed credentials with a 5xx', async () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(
        'oauth_consumer_key',
        'oauth_signature_method',
        '="',
        '"',
        ', ',
        '%',
        '%E2',
        'HMAC-SHA1',
        'PLAINTEXT',
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 10 }), async (pieces) => {
        const value = `OAuth ${pieces.join('')}`.replace(/[^\x20-\x7e]/g, '');
        const res = await ctx.http().get(PATH).set('Authorization', value);
        expect([400, 401]).toContain(res.status);
      }),
      { numRuns: 60 },
    );
  });
});

describe('PLAINTEXT (RFC 5849 §3.4.4)', () => {
  const ctx = buildApp({ env: { TRUST_PROXY: 'loopback' } });
  const plaintext = (proto: string) =>
    ctx
      .http()
      .get(PATH)
      .set('X-Forwarded-Proto', proto)
      .set(
        'Authorization',
        `OAuth oauth_consumer_key="${DEMO_OAUTH1_CONSUMER_KEY}", oauth_token="${DEMO_OAUTH1_TOKEN}", oauth_signature_method="PLAINTEXT", oauth_signature="${DEMO_OAUTH1_CONSUMER_SECRET}%26${DEMO_OAUTH1_TOKEN_SECRET}"`,
      );

  it('is served over https (here behind a TLS-terminating proxy)', async () => {
    expect((await plaintext('https')).status).toBe(200);
  });

  it('is refused over plain http, where it would send the secrets in the clear', async () => {
    expectProblem(await plaintext('http'), {
      status: 400,
      code: 'oauth1_signature_method_unsupported',
      challenge: null,
    });
  });
});

describe('the replay cache, per visitor', () => {
  const ctx = buildApp({ env: { TRUST_PROXY: 'loopback' } });
  it('remembers a nonce for the visitor who sent it, not for everyone', async () => {
    const auth = authorization(signer(ctx), { url: `http://${HOST}${PATH}`, method: 'GET' });
    const from = (ip: string) =>
      ctx.http().get(PATH).set('Host', HOST).set('X-Forwarded-For', ip).set('Authorization', auth);
    expect((await from('203.0.113.1')).status).toBe(200);
    expect((await from('203.0.113.1')).status).toBe(401);
    expect((await from('198.51.100.2')).status).toBe(200);
  });
});
