import fc from 'fast-check';
import { REQUEST_PARAMS } from '../../src/oauth/request';
import { buildApp } from '../helpers';
import { SPA } from '../oauth-flow';
import { binaryString } from '../arbitraries';

/**
 * Malformed parameters, generated: /authorize and the authorization_code grant answer them with
 * a 2xx/3xx/4xx, never a 5xx, and write nothing to the store (no anonymous state).
 */
const ctx = buildApp();
const callback = `${ctx.config.publicUrl}/oauth/callback`;

/** Text of every kind: empty, long, control characters, non-ASCII, reserved URL characters. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  binaryString({ maxLength: 40 }),
  fc.constantFrom('', ' ', 'code', 'S256', 'plain', 'openid', SPA, callback, '%zz', '\u0000'),
  fc.string({ minLength: 300, maxLength: 2000 }),
);
/** A parameter value as a query or a form can carry it: text, or the same name repeated. */
const value = fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 3 }));
const name = fc.oneof(fc.constantFrom(...REQUEST_PARAMS), fc.string({ maxLength: 12 }));
const params = fc.dictionary(name, value, { maxKeys: 14 });

/** The query string of a dictionary, with repeated names for arrays. */
function query(dict: Record<string, string | string[]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(dict)) for (const x of [v].flat()) q.append(k, x);
  return q.toString();
}

const entries = async () => (await ctx.store.usage()).entries;

describe('malformed authorization requests', () => {
  it('GET /authorize never answers 5xx and stores nothing', async () => {
    const before = await entries();
    await fc.assert(
      fc.asyncProperty(params, fc.boolean(), async (dict, wellFormedClient) => {
        // Half the runs get past the client checks, to reach the redirected errors.
        const sent = wellFormedClient ? { ...dict, client_id: SPA, redirect_uri: callback } : dict;
        const res = await ctx.http().get(`/authorize?${query(sent)}`);
        expect([200, 303, 400]).toContain(res.status);
        if (res.status === 303) {
          expect(String(res.headers.location).startsWith(`${callback}?`)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
    expect(await entries()).toBe(before);
  });

  it('POST /authorize never answers 5xx and stores nothing without a form it issued', async () => {
    const before = await entries();
    const action = fc.oneof(fc.constantFrom('login', 'approve', 'deny'), text);
    await fc.assert(
      fc.asyncProperty(params, action, async (dict, act) => {
        const res = await ctx
          .http()
          .post('/authorize')
          .type('form')
          .send(query({ ...dict, action: act }));
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    expect(await entries()).toBe(before);
  });
});

describe('malformed authorization_code grants', () => {
  it('POST /auth/token never answers 5xx and stores nothing for a code it never issued', async () => {
    const before = await entries();
    const code = fc.oneof(text, fc.stringMatching(/^[A-Za-z0-9_-]{43}$/));
    await fc.assert(
      fc.asyncProperty(code, value, value, async (c, redirectUri, verifier) => {
        const res = await ctx
          .http()
          .post('/auth/token')
          .type('form')
          .send(
            query({
              grant_type: 'authorization_code',
              client_id: SPA,
              code: c,
              redirect_uri: redirectUri,
              code_verifier: verifier,
            }),
          );
        expect(res.status).toBe(400);
        expect(['invalid_request', 'invalid_grant']).toContain(res.body.error);
      }),
      { numRuns: 150 },
    );
    expect(await entries()).toBe(before);
  });
});
