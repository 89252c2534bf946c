import fc from 'fast-check';
import request from 'supertest';
import { buildApp, expectProblem, listening, type Listening } from '../helpers';
import {
  hobaAuthorization,
  hobaChallengeParams,
  hobaKey,
  originOf,
  registrationForm,
  type HobaKey,
  type SignOptions,
} from '../hoba-client';

const PATH = '/hoba/resource';
const REGISTER = '/.well-known/hoba/register';
const CHALLENGE = /^HOBA challenge="[A-Za-z0-9_-]{48}", max-age="60", realm="four-oh-one"$/;

describe('HOBA (routes/hoba.ts, RFC 7486)', () => {
  // One listening server: the origin a client signs (with its port) must stay the same.
  const ctx = buildApp();
  let server: Listening;
  beforeAll(async () => {
    server = await listening(ctx.app);
  });
  afterAll(() => server.close());
  const http = () => request(server.origin);
  const key = hobaKey();
  const get = (authorization?: string) => {
    const req = http().get(PATH);
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };
  const post = (form: Record<string, string>, authorization?: string) => {
    const req = http().post(REGISTER).type('form');
    return (authorization === undefined ? req : req.set('Authorization', authorization)).send(form);
  };
  /** A 401's challenge, signed as `o` says (the right origin unless told otherwise). */
  const signed = async (k: HobaKey, o: Partial<SignOptions> = {}, path = PATH) => {
    const res = path === PATH ? await get() : await post(registrationForm(k));
    expect(res.status).toBe(401);
    const origin = originOf(res.request.url);
    return hobaAuthorization(k, res.headers['www-authenticate'], { origin, ...o });
  };
  const register = async (k: HobaKey) => post(registrationForm(k), await signed(k, {}, REGISTER));

  it('answers no credentials, and another scheme, with the challenge of §3', async () => {
    for (const res of [await get(), await get('Basic dXNlcjpwZW5jaWw=')]) {
      expectProblem(res, { status: 401, code: 'hoba_credentials_missing' });
      expect(res.headers['www-authenticate']).toMatch(CHALLENGE);
    }
    const a = hobaChallengeParams((await get()).headers['www-authenticate']);
    const b = hobaChallengeParams((await get()).headers['www-authenticate']);
    expect(a.challenge).not.toBe(b.challenge);
  });

  it('registers a key with a request signed by it (Hobareg: regok), then signs in with it', async () => {
    const unsigned = await post(registrationForm(key));
    expectProblem(unsigned, { status: 401, code: 'hoba_credentials_missing' });
    expect(unsigned.headers['www-authenticate']).toMatch(CHALLENGE);
    const reg = await register(key);
    expect(reg.status).toBe(200);
    expect(reg.headers.hobareg).toBe('regok');
    expect(reg.body).toEqual({
      registered: true,
      kid: key.kid,
      kidtype: '0',
      did: 'jest',
      expires_in: 3600,
    });
    const ok = await get(await signed(key));
    expect(ok.status).toBe(200);
    expect(ok.headers['www-authenticate']).toBeUndefined();
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.body).toEqual({ authenticated: true, kid: key.kid, did: 'jest' });
  });

  it('refuses the same result twice: each challenge answers one request', async () => {
    await register(key);
    const authorization = await signed(key);
    expect((await get(authorization)).status).toBe(200);
    const again = await get(authorization);
    expectProblem(again, { status: 401, code: 'hoba_challenge_used' });
    expect(again.headers['www-authenticate']).toMatch(CHALLENGE);
  });

  it('refuses a challenge older than its max-age', async () => {
    await register(key);
    const authorization = await signed(key);
    ctx.clock.advance(61_000);
    expectProblem(await get(authorization), { status: 401, code: 'hoba_challenge_expired' });
  });

  it('refuses a challenge it never issued, before looking at the key', async () => {
    const made = `HOBA result="${key.kid}.${'A'.repeat(48)}.bm9uY2U.c2ln"`;
    expectProblem(await get(made), { status: 401, code: 'hoba_challenge_unknown' });
  });

  it('refuses a kid nobody registered', async () => {
    const stranger = hobaKey();
    expectProblem(await get(await signed(stranger)), { status: 401, code: 'hoba_kid_unknown' });
  });

  it('refuses a registered kid signed by another key', async () => {
    await register(key);
    const other = hobaKey();
    const res = await get(await signed(key, { signer: other.privateKey }));
    expectProblem(res, { status: 401, code: 'hoba_signature_invalid' });
    expect(res.headers['www-authenticate']).toMatch(CHALLENGE);
  });

  it('names the origin without its port, and the missing realm, as the mistakes they are', async () => {
    await register(key);
    const res = await get();
    const origin = originOf(res.request.url).replace(/:\d+$/, '');
    const noPort = hobaAuthorization(key, res.headers['www-authenticate'], { origin });
    const wrongOrigin = await get(noPort);
    expectProblem(wrongOrigin, { status: 401, code: 'hoba_origin_mismatch' });
    expect(wrongOrigin.body.detail).toContain(`"${origin}"`);
    expectProblem(await get(await signed(key, { realm: '' })), {
      status: 401,
      code: 'hoba_realm_mismatch',
    });
    // A mistake spends nothing: the challenge can still be answered rightly.
    const retry = hobaAuthorization(key, res.headers['www-authenticate'], {
      origin: originOf(res.request.url),
    });
    expect((await get(retry)).status).toBe(200);
  });

  it.each([
    ['no result', 'HOBA'],
    ['three parts', 'HOBA result="a.b.c"'],
    ['five parts', 'HOBA result="a.b.c.d.e"'],
    ['a part not base64url', 'HOBA result="a.b+.c.d"'],
    ['result twice', 'HOBA result="a.b.c.d", result="a.b.c.d"'],
    ['a kid too long', `HOBA result="${'a'.repeat(129)}.b.c.d"`],
    ['a header too long to read', `HOBA result="a.b.c.${'d'.repeat(2000)}"`],
  ])(
    'answers a result with %s with 400 hoba_malformed and no challenge',
    async (_label, authorization) => {
      expectProblem(await get(authorization), {
        status: 400,
        code: 'hoba_malformed',
        challenge: null,
      });
    },
  );

  it.each([
    [{ alg: '1' }, 'RSA-SHA1'],
    [{ kidtype: '3' }, 'an unknown kidtype'],
    [{ didtype: '1' }, 'an unknown didtype'],
    [{ kid: 'not-the-hash' }, 'a kidtype 0 kid that is not the key’s hash'],
    [{ pub: 'garbage' }, 'no PEM'],
    [{ did: '' }, 'no did'],
  ] as [Record<string, string>, string][])(
    'refuses a registration with %p (%s), storing nothing',
    async (change) => {
      const fresh = hobaKey();
      const authorization = await signed(fresh, {}, REGISTER);
      expectProblem(await post({ ...registrationForm(fresh), ...change }, authorization), {
        status: 400,
        code: 'hoba_registration_invalid',
        challenge: null,
      });
      expectProblem(await get(await signed(fresh)), { status: 401, code: 'hoba_kid_unknown' });
    },
  );

  it('refuses a private key as pub, and a key under 2048 bits', async () => {
    const fresh = hobaKey();
    const priv = fresh.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expectProblem(
      await post({ ...registrationForm(fresh), pub: priv }, await signed(fresh, {}, REGISTER)),
      { status: 400, code: 'hoba_registration_invalid' },
    );
    const small = hobaKey(1024);
    expectProblem(await post(registrationForm(small), await signed(small, {}, REGISTER)), {
      status: 400,
      code: 'hoba_registration_invalid',
    });
  });

  it('refuses a registration signed by a key other than the one it registers', async () => {
    const fresh = hobaKey();
    const thief = hobaKey();
    const authorization = await signed(fresh, { signer: thief.privateKey }, REGISTER);
    expectProblem(await post(registrationForm(fresh), authorization), {
      status: 401,
      code: 'hoba_signature_invalid',
    });
    const otherKid = await signed(thief, {}, REGISTER);
    expectProblem(await post(registrationForm(fresh), otherKid), {
      status: 400,
      code: 'hoba_registration_invalid',
    });
  });

  it('bounds the registrations of one visitor', async () => {
    const own = await listening(buildApp().app);
    const reg = async (k: HobaKey) => {
      const first = await request(own.origin).post(REGISTER).type('form').send(registrationForm(k));
      const authorization = hobaAuthorization(k, first.headers['www-authenticate'], {
        origin: own.origin,
      });
      return request(own.origin)
        .post(REGISTER)
        .type('form')
        .set('Authorization', authorization)
        .send(registrationForm(k));
    };
    for (let i = 0; i < 5; i++) expect((await reg(hobaKey())).status).toBe(200);
    const over = await reg(hobaKey());
    expectProblem(over, { status: 429, code: 'visitor_quota_exceeded' });
    expect(over.headers['retry-after']).toBe('3600');
    await own.close();
  });

  it('never answers random Authorization headers with a 5xx', async () => {
    const part = fc.oneof(fc.string(), fc.base64String(), fc.constantFrom('', 'A'.repeat(48)));
    const value = fc.oneof(
      fc.string(),
      fc.tuple(part, part, part, part).map((p) => `HOBA result="${p.join('.')}"`),
      fc.string().map((s) => `HOBA ${s}`),
    );
    await fc.assert(
      fc.asyncProperty(value, async (authorization) => {
        let res;
        try {
          res = await get(authorization);
        } catch {
          return; // a value superagent refuses to send (a control character) never reaches us
        }
        expect(res.status).toBeLessThan(500);
        expect([400, 401]).toContain(res.status);
      }),
      { numRuns: 150 },
    );
  });

  it('never answers random registration forms with a 5xx', async () => {
    const form = fc.dictionary(
      fc.constantFrom('kidtype', 'kid', 'didtype', 'did', 'alg', 'pub', 'x'),
      fc.oneof(fc.string(), fc.constantFrom('0', '1', '2', key.kid, key.pem)),
    );
    await fc.assert(
      fc.asyncProperty(form, async (f) => {
        const res = await post(f, `HOBA result="${key.kid}.${'A'.repeat(48)}.bm9uY2U.c2ln"`);
        expect([400, 401]).toContain(res.status);
      }),
      { numRuns: 100 },
    );
  });
});
