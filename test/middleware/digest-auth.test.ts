import { createHash, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { digestAuth } from '../../middleware/digest-auth';
import { DEFAULT_NONCE_TTL_MS } from '../../src/auth/digest';
import { problem } from '../../src/http/problems';
import { MemoryStore } from '../../src/store';
import { RedisStore } from '../../src/store/redis';
import { buildApp, expectProblem, testClock, type TestContext } from '../helpers';
import { describeRedis, redisUrl } from '../redis';
import { check, get, type Send } from './check';

// --- A Digest client written from RFC 7616 alone, independent of the middleware ----------------

const NODE_HASH: Record<string, string> = {
  md5: 'md5',
  'sha-256': 'sha256',
  'sha-512-256': 'sha512-256',
  'sha-512': 'sha512',
};

/** The parameters of each challenge in a WWW-Authenticate value (this server's own shape). */
function challengesOf(res: Response): Record<string, string>[] {
  const header = String(res.headers['www-authenticate'] ?? '');
  return header
    .split(/,\s*(?=Digest )/)
    .filter((c) => c.startsWith('Digest '))
    .map((c) => {
      const params: Record<string, string> = {};
      for (const m of c.slice(7).matchAll(/([a-z]+)=(?:"([^"]*)"|([^,\s]+))/g)) {
        params[m[1] as string] = (m[2] ?? m[3]) as string;
      }
      return params;
    });
}

interface Answer {
  user?: string;
  password?: string;
  method?: string;
  uri: string;
  body?: Buffer;
  nc?: number;
  cnonce?: string;
  /** Extra, replaced (raw, quoted as given) or, when undefined, dropped parameters. */
  override?: Record<string, string | undefined>;
}

/** `Authorization: Digest …` answering one challenge, computed as RFC 7616 §3.4 says. */
function answer(ch: Record<string, string>, a: Answer): string {
  const alg = (ch.algorithm ?? 'MD5').toLowerCase();
  const sess = alg.endsWith('-sess');
  const hashName = NODE_HASH[sess ? alg.slice(0, -5) : alg];
  const H = (data: string | Buffer) =>
    createHash(hashName as string)
      .update(data)
      .digest('hex');
  const user = a.user ?? 'user';
  const nc = (a.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = a.cnonce ?? 'Y2xpZW50LW5vbmNl';
  const qop = ch.qop as string;
  let ha1 = H(`${user}:${ch.realm}:${a.password ?? 'passwd'}`);
  if (sess) ha1 = H(`${ha1}:${ch.nonce}:${cnonce}`);
  const a2 =
    qop === 'auth-int'
      ? `${a.method ?? 'GET'}:${a.uri}:${H(a.body ?? Buffer.alloc(0))}`
      : `${a.method ?? 'GET'}:${a.uri}`;
  const response = H(`${ha1}:${ch.nonce}:${nc}:${cnonce}:${qop}:${H(a2)}`);
  const params: Record<string, string | undefined> = {
    username: `"${user}"`,
    realm: `"${ch.realm}"`,
    nonce: `"${ch.nonce}"`,
    uri: `"${a.uri}"`,
    algorithm: ch.algorithm ?? 'MD5',
    qop,
    nc,
    cnonce: `"${cnonce}"`,
    response: `"${response}"`,
    opaque: `"${ch.opaque}"`,
    ...a.override,
  };
  return `Digest ${Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}`;
}

/** The Digest handshake: a bare request, then the answer to the first challenge (or `pick`). */
async function handshake(
  ctx: TestContext,
  uri: string,
  a: Omit<Answer, 'uri'> = {},
  pick = 0,
): Promise<{ first: Response; res: Response; challenge: Record<string, string> }> {
  const first = await ctx.http().get(uri);
  const challenge = challengesOf(first)[pick] as Record<string, string>;
  const res = await ctx
    .http()
    .get(uri)
    .set('Authorization', answer(challenge, { ...a, uri }));
  return { first, res, challenge };
}

/** Every field of one name as sent, before Node's client joins them with ", ". */
function rawFields(res: Response, name: string): string[] {
  const raw = (res as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
  return raw.filter((_, i) => i % 2 === 1 && raw[i - 1]?.toLowerCase() === name.toLowerCase());
}

const digestChallenge = (algorithm: string, qop: string, stale = false) =>
  new RegExp(
    `^Digest realm="four-oh-one", qop="${qop}", algorithm=${algorithm}, nonce="[A-Za-z0-9_-]{43}", opaque="[0-9a-f]{32}", charset=UTF-8${stale ? ', stale=true' : ''}$`,
  );

describe('digestAuth()', () => {
  const store = new MemoryStore({ maxEntries: 10, sweepIntervalMs: 0 });
  const good = {
    secret: Buffer.alloc(32, 1),
    store,
    clock: testClock(),
    expectFor: () => ({
      user: 'u',
      password: 'p',
      qop: 'auth' as const,
      algorithms: ['MD5' as const],
    }),
  };

  it('throws at once on bad options', () => {
    expect(() => digestAuth({ ...good, secret: Buffer.alloc(8) })).toThrow(
      'digestAuth: secret must be a Buffer of at least 16 bytes',
    );
    expect(() => digestAuth({ ...good, store: undefined as never })).toThrow(
      'digestAuth: store is required',
    );
    expect(() => digestAuth({ ...good, clock: {} as never })).toThrow(
      'digestAuth: clock is required',
    );
    expect(() => digestAuth({ ...good, expectFor: 'x' as never })).toThrow(
      'digestAuth: expectFor must be a function',
    );
    expect(() => digestAuth({ ...good, nonceTtlMs: 10 })).toThrow(
      'digestAuth: nonceTtlMs must be a whole number of at least 1000',
    );
  });
});

describe('digestAuth() with only itself in the app', () => {
  const clock = testClock();
  const want = {
    user: 'u',
    password: 'p',
    qop: 'auth' as const,
    algorithms: ['SHA-256', 'MD5'] as const,
  };
  const guard = (store = new MemoryStore({ maxEntries: 100, sweepIntervalMs: 0 })) =>
    digestAuth({ secret: Buffer.alloc(32, 1), store, clock, expectFor: () => want });

  /** The first challenge of a refusal, answered as RFC 7616 says (the client above). */
  async function answered(uri = '/x', a: Omit<Answer, 'uri'> = {}): Promise<Send> {
    const first = await check(guard(), (agent) => agent.get(uri), {
      status: 401,
      code: 'digest_credentials_missing',
    });
    const challenge = challengesOf(first)[0] as Record<string, string>;
    const authorization = answer(challenge, { user: 'u', password: 'p', ...a, uri });
    return (agent) => agent.get(uri).set('Authorization', authorization);
  }

  it('refuses no credentials with one challenge field per algorithm, sharing a nonce', async () => {
    const res = await check(guard(), get, { status: 401, code: 'digest_credentials_missing' });
    const fields = rawFields(res, 'WWW-Authenticate');
    expect(fields).toEqual([
      expect.stringMatching(digestChallenge('SHA-256', 'auth')),
      expect.stringMatching(digestChallenge('MD5', 'auth')),
    ]);
    expect(new Set(fields.map((f) => /nonce="([^"]+)"/.exec(f)?.[1])).size).toBe(1);
  });

  it('refuses a header that is not Digest syntax with 400 and no challenge', async () => {
    await check(guard(), (agent) => agent.get('/').set('Authorization', 'Digest a="open'), {
      status: 400,
      code: 'digest_malformed',
      headers: { 'WWW-Authenticate': null },
    });
  });

  it('lets a right answer through: the user in res.locals, and Authentication-Info', async () => {
    const res = await check(guard(), await answered(), {
      status: 200,
      headers: {
        'Authentication-Info': /^qop=auth, rspauth="[0-9a-f]{64}", cnonce="[^"]+", nc=00000001$/,
      },
    });
    expect(res.body.locals.digestUser).toBe('u');
  });

  it('refuses a wrong password with fresh challenges', async () => {
    await check(guard(), await answered('/x', { password: 'wrong' }), {
      status: 401,
      code: 'digest_credentials_invalid',
      headers: {
        'WWW-Authenticate': /^Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, /,
      },
    });
  });

  it('answers the problem expectFor throws for a route it cannot judge', async () => {
    const bad = digestAuth({
      secret: Buffer.alloc(32, 1),
      store: new MemoryStore({ maxEntries: 10, sweepIntervalMs: 0 }),
      clock,
      expectFor: () => {
        throw problem('parameter_invalid', { detail: 'No such qop.' });
      },
    });
    await check(bad, get, {
      status: 400,
      code: 'parameter_invalid',
      headers: { 'WWW-Authenticate': null },
    });
  });
});

// --- Through the app ----------------------------------------------------------------------------

describe('Digest at GET /digest-auth/:qop/:user/:passwd/:algorithm', () => {
  const ctx = buildApp();

  describe.each(['auth', 'auth-int'])('qop=%s', (qop) => {
    it.each([
      'MD5',
      'MD5-sess',
      'SHA-256',
      'SHA-256-sess',
      'SHA-512-256',
      'SHA-512-256-sess',
      'SHA-512',
    ])('completes the handshake with %s', async (algorithm) => {
      const uri = `/digest-auth/${qop}/user/passwd/${algorithm}`;
      const { first, res } = await handshake(ctx, uri);
      expectProblem(first, { status: 401, code: 'digest_credentials_missing' });
      expect(first.headers['www-authenticate']).toMatch(digestChallenge(algorithm, qop));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ authenticated: true, user: 'user' });
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.headers['authentication-info']).toMatch(
        new RegExp(`^qop=${qop}, rspauth="[0-9a-f]+", cnonce="Y2xpZW50LW5vbmNl", nc=00000001$`),
      );
    });
  });

  it('hashes the request body for auth-int', async () => {
    const uri = '/digest-auth/auth-int/user/passwd/SHA-256';
    const first = await ctx.http().get(uri);
    const [ch] = challengesOf(first);
    const body = Buffer.from('{"hello":"world"}');
    const send = (hashed: Buffer) =>
      ctx
        .http()
        .get(uri)
        .set('Content-Type', 'application/json')
        .set(
          'Authorization',
          answer(ch as Record<string, string>, { uri, body: hashed, nc: hashed.length }),
        )
        .send(body.toString());
    expect((await send(body)).status).toBe(200);
    expectProblem(await send(Buffer.from('{"hello":"there"}')), {
      status: 401,
      code: 'digest_credentials_invalid',
    });
  });

  it('answers HEAD with the method in A2', async () => {
    const uri = '/digest-auth/auth/user/passwd/MD5';
    const [ch] = challengesOf(await ctx.http().get(uri));
    const auth = (method: string, nc: number) =>
      answer(ch as Record<string, string>, { uri, method, nc });
    expect((await ctx.http().head(uri).set('Authorization', auth('HEAD', 1))).status).toBe(200);
    expect((await ctx.http().head(uri).set('Authorization', auth('GET', 2))).status).toBe(401);
  });

  it('offers SHA-256, SHA-512-256 and MD5, in that order, as three fields when no algorithm is named', async () => {
    const uri = '/digest-auth/auth/user/passwd';
    const first = await ctx.http().get(uri);
    const fields = rawFields(first, 'WWW-Authenticate');
    expect(fields).toHaveLength(3);
    fields.forEach((field, i) => {
      expect(field).toMatch(
        digestChallenge(['SHA-256', 'SHA-512-256', 'MD5'][i] as string, 'auth'),
      );
    });
    const nonces = new Set(challengesOf(first).map((c) => c.nonce));
    expect(nonces.size).toBe(1);
    for (const pick of [0, 1, 2]) {
      const { res } = await handshake(ctx, uri, {}, pick);
      expect(res.status).toBe(200);
    }
  });

  it('reads user names in UTF-8, raw or as username* (RFC 8187)', async () => {
    const uri = '/digest-auth/auth/J%C3%A4s%C3%B8n/p%C3%A4ss/SHA-256';
    const [ch] = challengesOf(await ctx.http().get(uri));
    const c = ch as Record<string, string>;
    const raw = answer(c, { uri, user: 'Jäsøn', password: 'päss' });
    // Header bytes travel as latin-1 characters: send the UTF-8 bytes of the name that way.
    const utf8Bytes = raw.replace('"Jäsøn"', `"${Buffer.from('Jäsøn').toString('latin1')}"`);
    expect((await ctx.http().get(uri).set('Authorization', utf8Bytes)).status).toBe(200);
    // What Python requests sends: the name's latin-1 bytes (its hash still uses UTF-8).
    const latin1 = answer(c, { uri, user: 'Jäsøn', password: 'päss', nc: 3 });
    expect((await ctx.http().get(uri).set('Authorization', latin1)).status).toBe(200);
    const extended = answer(c, {
      uri,
      user: 'Jäsøn',
      password: 'päss',
      nc: 2,
      override: { username: undefined, 'username*': "UTF-8''J%C3%A4s%C3%B8n" },
    });
    expect((await ctx.http().get(uri).set('Authorization', extended)).status).toBe(200);
  });

  it('accepts a hashed user name (userhash=true, RFC 7616 §3.4.4)', async () => {
    const uri = '/digest-auth/auth/user/passwd/SHA-256';
    const [ch] = challengesOf(await ctx.http().get(uri));
    const hashed = createHash('sha256').update('user:four-oh-one').digest('hex');
    const header = answer(ch as Record<string, string>, {
      uri,
      override: { username: `"${hashed}"`, userhash: 'true' },
    });
    expect((await ctx.http().get(uri).set('Authorization', header)).status).toBe(200);
  });

  describe('refusals', () => {
    const uri = '/digest-auth/auth/user/passwd/SHA-256';
    let ch: Record<string, string>;
    beforeEach(async () => {
      ch = challengesOf(await ctx.http().get(uri))[0] as Record<string, string>;
    });
    const send = (header: string, path = uri) => ctx.http().get(path).set('Authorization', header);

    it.each([
      ['a wrong password', { password: 'wrong' }, 'digest_credentials_invalid'],
      ['a wrong user name', { user: 'admin' }, 'digest_credentials_invalid'],
      ['another realm', { override: { realm: '"elsewhere"' } }, 'digest_credentials_invalid'],
      ['a response over another method', { method: 'POST' }, 'digest_credentials_invalid'],
      ['a made-up nonce', { override: { nonce: '"bm90LWEtbm9uY2U"' } }, 'digest_nonce_invalid'],
      ['a wrong opaque', { override: { opaque: '"0123"' } }, 'digest_nonce_invalid'],
    ] as const)('answers %s with 401 %s and fresh challenges', async (_name, a, code) => {
      const res = await send(answer(ch, { uri, ...a }));
      expectProblem(res, { status: 401, code });
      expect(res.headers['www-authenticate']).toMatch(digestChallenge('SHA-256', 'auth'));
      expect(challengesOf(res)[0]?.nonce).not.toBe(ch.nonce);
    });

    it('answers a response made for another uri with 400 digest_uri_mismatch', async () => {
      const res = await send(answer(ch, { uri: '/digest-auth/auth/user/passwd/SHA-256?x=1' }));
      expectProblem(res, { status: 400, code: 'digest_uri_mismatch', challenge: null });
      const other = await send(answer(ch, { uri }), `${uri}?x=1`);
      expectProblem(other, { status: 400, code: 'digest_uri_mismatch', challenge: null });
    });

    it.each([
      ['a duplicated parameter', { override: { Realm: '"four-oh-one"' } }],
      ['a missing nc', { override: { nc: undefined } }],
      ['an unclosed quote', { override: { cnonce: '"abc' } }],
      ['a value with spaces but no quotes', { override: { cnonce: 'a b' } }],
      ['nc 00000000', { override: { nc: '00000000' } }],
    ] as const)('answers %s with 400 digest_malformed and no challenge', async (_name, a) => {
      expectProblem(await send(answer(ch, { uri, ...a })), {
        status: 400,
        code: 'digest_malformed',
        challenge: null,
      });
    });

    // RFC 7616 §3.3, §3.7: what the client needs is this route's challenge (httpbin answers so).
    it.each([
      ['an algorithm not offered (wget: MD5 only)', { override: { algorithm: 'MD5' } }],
      ['no algorithm, which means MD5', { override: { algorithm: undefined } }],
      ['a qop not offered', { override: { qop: 'auth-int' } }],
      ['a quoted algorithm that is not offered', { override: { algorithm: '"SHA-512-256"' } }],
      ['an algorithm that does not exist', { override: { algorithm: 'SHA-1' } }],
    ] as const)('answers %s with 401 digest_not_offered and fresh challenges', async (_name, a) => {
      const res = await send(answer(ch, { uri, ...a }));
      expectProblem(res, { status: 401, code: 'digest_not_offered' });
      expect(res.headers['www-authenticate']).toMatch(digestChallenge('SHA-256', 'auth'));
      expect(challengesOf(res)[0]?.nonce).not.toBe(ch.nonce);
    });

    it('lets a client that answered another route with MD5 recover with the fresh challenge', async () => {
      const md5Uri = '/digest-auth/auth/user/passwd/MD5';
      const [md5] = challengesOf(await ctx.http().get(md5Uri));
      const m = md5 as Record<string, string>;
      expect((await send(answer(m, { uri: md5Uri }), md5Uri)).status).toBe(200);
      // requests.Session: the same challenge, answered preemptively on the SHA-256 route.
      const preemptive = await send(answer(m, { uri, nc: 2 }));
      expectProblem(preemptive, { status: 401, code: 'digest_not_offered' });
      const [fresh] = challengesOf(preemptive);
      expect((await send(answer(fresh as Record<string, string>, { uri }))).status).toBe(200);
    });

    it('accepts values quoted or not, in any order, with odd spacing (RFC 9110 §11.2)', async () => {
      const header = answer(ch, { uri, override: { algorithm: '"SHA-256"', qop: '"auth"' } })
        .replace('Digest ', 'digest  ,')
        .replace(/, /g, ' ,\t');
      expect((await send(header)).status).toBe(200);
    });

    it('answers another scheme with 401 digest_credentials_missing', async () => {
      const res = await send('Basic dXNlcjpwYXNzd2Q=');
      expectProblem(res, { status: 401, code: 'digest_credentials_missing' });
      expect(res.headers['www-authenticate']).toMatch(digestChallenge('SHA-256', 'auth'));
    });
  });

  describe('nonce lifetime (clock injected)', () => {
    const uri = '/digest-auth/auth/user/passwd/MD5';

    it('answers a correct response with an expired nonce with stale=true, and the new nonce works', async () => {
      const local = buildApp();
      const [ch] = challengesOf(await local.http().get(uri));
      const c = ch as Record<string, string>;
      expect((await local.http().get(uri).set('Authorization', answer(c, { uri }))).status).toBe(
        200,
      );
      local.clock.advance(DEFAULT_NONCE_TTL_MS);
      expect(
        (
          await local
            .http()
            .get(uri)
            .set('Authorization', answer(c, { uri, nc: 2 }))
        ).status,
      ).toBe(200);
      local.clock.advance(1);
      const stale = await local
        .http()
        .get(uri)
        .set('Authorization', answer(c, { uri, nc: 3 }));
      expectProblem(stale, { status: 401, code: 'digest_nonce_stale' });
      expect(stale.headers['www-authenticate']).toMatch(digestChallenge('MD5', 'auth', true));
      const [fresh] = challengesOf(stale);
      const retry = await local
        .http()
        .get(uri)
        .set('Authorization', answer(fresh as Record<string, string>, { uri }));
      expect(retry.status).toBe(200);
    });

    it('does not say stale to a wrong password with an expired nonce', async () => {
      const local = buildApp();
      const [ch] = challengesOf(await local.http().get(uri));
      local.clock.advance(DEFAULT_NONCE_TTL_MS + 1);
      const res = await local
        .http()
        .get(uri)
        .set('Authorization', answer(ch as Record<string, string>, { uri, password: 'x' }));
      expectProblem(res, { status: 401, code: 'digest_credentials_invalid' });
      expect(res.headers['www-authenticate']).not.toContain('stale');
    });

    it('goes stale after stale_after requests, as httpbin’s stale_after does', async () => {
      const path = '/digest-auth/auth/user/passwd/MD5/2';
      const [ch] = challengesOf(await ctx.http().get(path));
      const c = ch as Record<string, string>;
      const use = (nc: number) =>
        ctx
          .http()
          .get(path)
          .set('Authorization', answer(c, { uri: path, nc }));
      expect((await use(1)).status).toBe(200);
      expect((await use(2)).status).toBe(200);
      const third = await use(3);
      expectProblem(third, { status: 401, code: 'digest_nonce_stale' });
      expect(third.headers['www-authenticate']).toMatch(digestChallenge('MD5', 'auth', true));
    });

    it('lets stale_after=0 refuse every nonce, and never go stale when "never"', async () => {
      const zero = '/digest-auth/auth/user/passwd/MD5/0';
      const { res } = await handshake(ctx, zero);
      expectProblem(res, { status: 401, code: 'digest_nonce_stale' });
      const never = '/digest-auth/auth/user/passwd/MD5/never';
      const [ch] = challengesOf(await ctx.http().get(never));
      for (let nc = 1; nc <= 5; nc++) {
        const r = await ctx
          .http()
          .get(never)
          .set('Authorization', answer(ch as Record<string, string>, { uri: never, nc }));
        expect(r.status).toBe(200);
      }
    });
  });

  describe('replay', () => {
    const uri = '/digest-auth/auth/user/passwd/SHA-256';

    it('refuses a nonce count used before, and accepts the next one', async () => {
      const [ch] = challengesOf(await ctx.http().get(uri));
      const c = ch as Record<string, string>;
      const header = answer(c, { uri });
      expect((await ctx.http().get(uri).set('Authorization', header)).status).toBe(200);
      const replay = await ctx.http().get(uri).set('Authorization', header);
      expectProblem(replay, { status: 401, code: 'digest_nonce_replayed' });
      expect(replay.headers['www-authenticate']).toMatch(digestChallenge('SHA-256', 'auth'));
      expect(
        (
          await ctx
            .http()
            .get(uri)
            .set('Authorization', answer(c, { uri, nc: 2 }))
        ).status,
      ).toBe(200);
    });

    it('is refused by another instance sharing the store and secret', async () => {
      const store = new MemoryStore({ maxEntries: 1000, sweepIntervalMs: 0 });
      const a = buildApp({ store });
      const b = buildApp({ store });
      const [ch] = challengesOf(await a.http().get(uri));
      const header = answer(ch as Record<string, string>, { uri });
      expect((await b.http().get(uri).set('Authorization', header)).status).toBe(200);
      expectProblem(await a.http().get(uri).set('Authorization', header), {
        status: 401,
        code: 'digest_nonce_replayed',
      });
    });

    it('keeps state only for verified responses, and no longer than the nonce lives', async () => {
      const clock = testClock();
      const store = new MemoryStore({ maxEntries: 1000, clock, sweepIntervalMs: 0 });
      const local = buildApp({ store, clock });
      const [ch] = challengesOf(await local.http().get(uri));
      const c = ch as Record<string, string>;
      const garbage = [
        undefined,
        'Digest nonsense',
        answer(c, { uri, password: 'wrong' }),
        answer(c, { uri, override: { nonce: '"forged"' } }),
        answer(c, { uri, override: { nc: '0' } }),
        'Basic dXNlcjpwYXNzd2Q=',
      ];
      // Every request also counts towards the per-address limit, and a wrong password towards the
      // limits on refused credentials: those counters (a few per address and window, `rl:…`) are
      // the only thing an unverified request may leave behind.
      const written = new Set<string>();
      for (const method of ['set', 'setIfAbsent', 'increment'] as const) {
        const original = store[method].bind(store) as (...a: unknown[]) => Promise<unknown>;
        jest.spyOn(store, method).mockImplementation(((key: string, ...rest: unknown[]) => {
          written.add(key);
          return original(key, ...rest);
        }) as never);
      }
      const stateKeys = () => [...written].filter((k) => !k.startsWith('rl:'));
      for (const header of garbage) {
        const req = local.http().get(uri);
        await (header === undefined ? req : req.set('Authorization', header));
      }
      expect(stateKeys()).toEqual([]);
      expect((await local.http().get(uri).set('Authorization', answer(c, { uri }))).status).toBe(
        200,
      );
      expect(stateKeys()).toHaveLength(1);
      clock.advance(DEFAULT_NONCE_TTL_MS);
      store.sweep();
      expect(store.size).toBe(0);
    });
  });

  it('never answers 5xx, whatever the header holds (property)', async () => {
    const uri = '/digest-auth/auth/user/passwd/SHA-256';
    // Each run from its own address (trusted X-Forwarded-For), so the per-address limit on
    // /digest-auth (tested in test/routes/classic.test.ts) does not turn runs into 429s.
    const proxied = buildApp({ env: { TRUST_PROXY: 'true' } });
    let run = 0;
    const [ch] = challengesOf(await proxied.http().get(uri));
    const c = ch as Record<string, string>;
    const headerChar = fc
      .integer({ min: 0x20, max: 0xff })
      .filter((x) => x !== 0x7f)
      .map((x) => String.fromCharCode(x));
    const text = fc.string({ unit: headerChar, maxLength: 60 });
    const names = fc.constantFrom(
      'username',
      'username*',
      'realm',
      'nonce',
      'uri',
      'response',
      'qop',
      'nc',
      'cnonce',
      'opaque',
      'algorithm',
      'userhash',
      'REALM',
    );
    const param = fc
      .tuple(names, text, fc.constantFrom('"', '', "'"))
      .map(([k, v, q]) => `${k}=${q}${v}${q}`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: headerChar, maxLength: 200 }),
          text.map((s) => `Digest ${s}`),
          fc.array(param, { maxLength: 14 }).map((ps) => `Digest ${ps.join(', ')}`),
          // A real answer with one parameter replaced, dropped or repeated.
          fc
            .tuple(
              names,
              text,
              fc.constantFrom('replace', 'drop', 'repeat'),
              fc.integer({ min: 1, max: 1e6 }),
            )
            .map(([k, v, how, nc]) => {
              const base = answer(c, { uri, nc });
              const re = new RegExp(`(^Digest |, )${k.replace('*', '\\*')}=("[^"]*"|[^,]*)`);
              if (how === 'drop') return base.replace(re, '$1').replace('Digest , ', 'Digest ');
              if (how === 'repeat') return `${base}, ${k}="${v.replace(/["\\]/g, '')}"`;
              return base.replace(re, `$1${k}="${v.replace(/["\\]/g, '')}"`);
            }),
        ),
        async (header) => {
          run += 1;
          const res = await proxied
            .http()
            .get(uri)
            .set('X-Forwarded-For', `10.${(run >> 16) & 255}.${(run >> 8) & 255}.${run & 255}`)
            .set('Authorization', header);
          expect([200, 400, 401]).toContain(res.status);
          if (res.status !== 200) {
            expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
          }
          if (res.status === 401) expect(res.headers['www-authenticate']).toMatch(/^Digest realm=/);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describeRedis('Digest replay across instances in Redis', () => {
  const prefix = `four-oh-one:test:digest:${randomUUID()}:`;
  const stores: RedisStore[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it('refuses on one instance a nonce count another instance accepted', async () => {
    const instance = async () => {
      const store = new RedisStore({ url: redisUrl as string, prefix });
      await store.connect();
      stores.push(store);
      return buildApp({ store });
    };
    const [a, b] = [await instance(), await instance()];
    const uri = '/digest-auth/auth/user/passwd/SHA-256';
    const [ch] = challengesOf(await a.http().get(uri));
    const header = answer(ch as Record<string, string>, { uri });
    expect((await b.http().get(uri).set('Authorization', header)).status).toBe(200);
    expectProblem(await a.http().get(uri).set('Authorization', header), {
      status: 401,
      code: 'digest_nonce_replayed',
    });
  });
});
