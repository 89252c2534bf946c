import nodeCrypto, { createHmac, type KeyObject } from 'node:crypto';
import { generateKeyPairSync } from './key-pairs';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { createKeyRing, KeyRing, RETIRED_DEMO_KID_PREFIX, type Key } from '../src/tokens/keys';
import { StoreUnavailableError } from '../src/http/problems';
import { MemoryStore } from '../src/store';
import {
  createTokenVerifier,
  familyRevokedKey,
  issueAccessToken,
  revokedKey,
  subjectRevokedKey,
  type TokenOptions,
  type Verdict,
} from '../src/tokens/verify';
import { testClock, testConfig, type TestClock } from './helpers';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('the access-token verifier', () => {
  // Keys and configuration never change; what a test can change (the clock, the store, the
  // verifier's memory of signatures) is made anew for each test, so that no test depends on
  // another having run before it.
  const config = testConfig();
  const keys = createKeyRing(config);
  let clock: TestClock;
  let store: MemoryStore;
  let options: TokenOptions;
  let verify: ReturnType<typeof createTokenVerifier>;
  beforeEach(() => {
    clock = testClock();
    store = new MemoryStore({ maxEntries: 1000, clock, sweepIntervalMs: 0 });
    options = { keys, jwt: config.jwt, clock, store };
    verify = createTokenVerifier(options);
  });
  const issue = (expiresIn = 300) =>
    issueAccessToken(options, { sub: 'u1', clientId: 'c1', expiresIn });
  const claimsNow = () => {
    const now = Math.floor(clock.now() / 1000);
    return {
      iss: config.jwt.issuer,
      sub: 'u1',
      aud: config.jwt.audience,
      exp: now + 300,
      iat: now,
      jti: 'j1',
      client_id: 'c1',
    };
  };
  const refused = (verdict: Verdict) => (verdict.ok ? 'ok' : verdict.code);
  /** Signs by hand with the real secret: jsonwebtoken will not sign bad claims, and adds iat. */
  const hmacSign = (claims: object) => {
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: keys.signing.kid })}.${b64(claims)}`;
    return `${input}.${createHmac('sha256', keys.signing.signKey).update(input).digest('base64url')}`;
  };

  it('accepts a token it issued, and returns its claims and kid', async () => {
    const { token, claims } = issue();
    expect(await verify(token)).toEqual({ ok: true, claims, kid: keys.signing.kid });
  });

  it('accepts a token signed with its ES256 key', async () => {
    const es = keys.firstOf('ES256');
    if (!es) throw new Error('no ES256 key');
    const token = keys.sign(claimsNow(), { typ: 'at+jwt' }, es);
    expect(await verify(token)).toMatchObject({ ok: true, kid: es.kid });
  });

  it('accepts a token without kid as signed by the current key', async () => {
    const token = jwt.sign(claimsNow(), keys.signing.signKey, {
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'at+jwt' },
    });
    expect(refused(await verify(token))).toBe('ok');
  });

  it('accepts typ application/at+jwt in any case, and an aud array naming this audience', async () => {
    const token = jwt.sign(
      { ...claimsNow(), aud: ['other', config.jwt.audience] },
      keys.signing.signKey,
      {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'Application/AT+JWT', kid: keys.signing.kid },
      },
    );
    expect(refused(await verify(token))).toBe('ok');
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s', async (alg) => {
    const token = `${b64({ alg, typ: 'at+jwt' })}.${b64(claimsNow())}.`;
    expect(refused(await verify(token))).toBe('token_algorithm_rejected');
  });

  it('refuses a token with no alg at all', async () => {
    expect(refused(await verify(`${b64({ typ: 'at+jwt' })}.${b64(claimsNow())}.x`))).toBe(
      'token_algorithm_rejected',
    );
  });

  it('refuses ES256 claimed for the HMAC key', async () => {
    const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: keys.signing.kid })}.${b64(claimsNow())}`;
    expect(refused(await verify(`${input}.c2ln`))).toBe('token_algorithm_rejected');
  });

  it('refuses HS256 against the ES256 key even when the HMAC uses its public key (confusion)', async () => {
    const es = keys.firstOf('ES256');
    if (!es) throw new Error('no ES256 key');
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: es.kid })}.${b64(claimsNow())}`;
    const pem = String(es.verifyKey.export({ type: 'spki', format: 'pem' }));
    const sig = createHmac('sha256', pem).update(input).digest('base64url');
    expect(refused(await verify(`${input}.${sig}`))).toBe('token_algorithm_rejected');
  });

  it('refuses a kid that is not a string as malformed', async () => {
    const token = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 7 })}.${b64(claimsNow())}.x`;
    expect(refused(await verify(token))).toBe('token_malformed');
  });

  describe('JOSE details (RFC 7515, RFC 7519, RFC 8725)', () => {
    const text = (t: string) => Buffer.from(t).toString('base64url');
    /** Signs a header and payload written as exact JSON text with the real secret. */
    const signText = (header: string, payload: string) => {
      const input = `${text(header)}.${text(payload)}`;
      return `${input}.${createHmac('sha256', keys.signing.signKey).update(input).digest('base64url')}`;
    };
    const kid = () => keys.signing.kid;
    const header = (extra = '') => `{"alg":"HS256","typ":"at+jwt","kid":"${kid()}"${extra}}`;
    const payload = () => JSON.stringify(claimsNow());
    const verdictOf = async (token: string) => {
      const v = await verify(token);
      return v.ok ? { code: 'ok' } : { code: v.code, check: v.check };
    };

    it('accepts the hand-signed baseline, so each refusal below has one cause', async () => {
      expect(await verdictOf(signText(header(), payload()))).toEqual({ code: 'ok' });
    });

    it.each([
      ['alg twice, "none" first', `{"alg":"none","typ":"at+jwt","kid":"KID","alg":"HS256"}`],
      ['typ twice', `{"alg":"HS256","typ":"JWT","kid":"KID","typ":"at+jwt"}`],
      [
        'kid twice, with space before the colon',
        `{"alg":"HS256","kid" :"x","typ":"at+jwt","kid":"KID"}`,
      ],
    ])('refuses a header that names a member twice: %s', async (_name, h) => {
      expect(await verdictOf(signText(h.replaceAll('KID', kid()), payload()))).toEqual({
        code: 'token_malformed',
        check: 'no member named twice',
      });
    });

    it('refuses claims that name a member twice, at the top or nested', async () => {
      const p = payload();
      for (const claims of [
        `${p.slice(0, -1)},"sub":"admin"}`,
        `${p.slice(0, -1)},"ext":{"role":"user","role":"admin"}}`,
        `${p.slice(0, -1)},"list":[{"a":1,"a":2}]}`,
      ]) {
        expect(await verdictOf(signText(header(), claims))).toEqual({
          code: 'token_malformed',
          check: 'no member named twice',
        });
      }
    });

    it('does not mistake names in other objects, in strings or escaped for duplicates', async () => {
      const p = payload().slice(0, -1);
      for (const claims of [
        `${p},"a":{"x":1},"b":{"x":2}}`,
        `${p},"note":"\\"sub\\": here, \\"sub\\":","path":"C:\\\\"}`,
        `${p},"q\\"":1,"q":2}`,
        `${p} , "spaced" : [ "sub" , { "sub" : 1 } ] }`,
      ]) {
        expect({ claims, ...(await verdictOf(signText(header(), claims))) }).toEqual({
          claims,
          code: 'ok',
        });
      }
    });

    it('refuses any crit: this server understands no extension (RFC 7515 §4.1.11)', async () => {
      const critical = header(',"crit":["urn:example:x"],"urn:example:x":true');
      expect(await verdictOf(signText(critical, payload()))).toEqual({
        code: 'token_crit_unsupported',
        check: 'crit: no extension this server does not understand',
      });
      // crit names header parameters; an extension this server does know of is refused too.
      expect(
        (await verdictOf(signText(header(',"crit":["b64"],"b64":false'), payload()))).code,
      ).toBe('token_crit_unsupported');
    });

    it.each([
      ['an empty array', '[]'],
      ['a string', '"exp"'],
      ['an array of numbers', '[1]'],
      ['null', 'null'],
    ])('refuses a crit that is %s as malformed', async (_name, crit) => {
      expect(await verdictOf(signText(header(`,"crit":${crit}`), payload()))).toEqual({
        code: 'token_malformed',
        check: 'crit: no extension this server does not understand',
      });
    });

    it('refuses every other spelling of a signature: only the canonical base64url verifies', async () => {
      const token = signText(header(), payload());
      const dot = token.lastIndexOf('.');
      const sig = token.slice(dot + 1);
      expect(sig).toHaveLength(43); // 32 bytes: the last character carries 2 spare bits
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(sig.slice(-1));
      const spellings = [1, 2, 3].map((bits) => `${sig.slice(0, -1)}${alphabet[last ^ bits]}`);
      for (const spelling of spellings) {
        expect(Buffer.from(spelling, 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
        expect(await verdictOf(`${token.slice(0, dot + 1)}${spelling}`)).toEqual({
          code: 'token_malformed',
          check: 'signature in canonical base64url',
        });
      }
      expect(await verdictOf(token)).toEqual({ code: 'ok' });
    });

    it('refuses a signature of an impossible base64url length, which decoders shorten silently', async () => {
      const token = signText(header(), payload());
      expect(await verdictOf(`${token}AA`)).toEqual({
        // 45 characters: 4n+1
        code: 'token_malformed',
        check: 'signature in canonical base64url',
      });
    });

    it.each([
      ['a DPoP key thumbprint (RFC 9449)', { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' }],
      [
        'a certificate thumbprint (RFC 8705)',
        { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' },
      ],
    ])('refuses a token bound to %s as sender-constrained', async (_name, cnf) => {
      const token = signText(header(), JSON.stringify({ ...claimsNow(), cnf }));
      expect(await verdictOf(token)).toEqual({
        code: 'token_sender_constrained',
        check: 'not bound to a key (no cnf)',
      });
    });
  });

  it.each([
    ['typ JWT', { typ: 'JWT' }],
    ['no typ', { typ: undefined }],
    ['typ rt+jwt', { typ: 'rt+jwt' }],
  ])('refuses a correctly signed token with %s', async (_name, header) => {
    const token = jwt.sign(claimsNow(), keys.signing.signKey, {
      algorithm: 'HS256',
      header: { alg: 'HS256', kid: keys.signing.kid, ...header } as jwt.JwtHeader,
    });
    expect(refused(await verify(token))).toBe('token_type_invalid');
  });

  it.each(['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'])(
    'refuses a token without %s',
    async (claim) => {
      const claims: Record<string, unknown> = claimsNow();
      delete claims[claim];
      const token = hmacSign(claims);
      const verdict = await verify(token);
      expect(refused(verdict)).toBe('token_claims_invalid');
      expect(verdict.ok ? '' : verdict.detail).toContain(claim);
    },
  );

  it.each([
    ['exp as a string', { exp: '9999999999' }],
    ['nbf as a string', { nbf: 'soon' }],
    ['aud as a number', { aud: 5 }],
  ])('refuses %s', async (_name, patch) => {
    const token = hmacSign({ ...claimsNow(), ...patch });
    expect(refused(await verify(token))).toBe('token_claims_invalid');
  });

  it('applies the clock tolerance to nbf and iat', async () => {
    const now = Math.floor(clock.now() / 1000);
    const sign = (c: object) => keys.sign({ ...claimsNow(), ...c }, { typ: 'at+jwt' });
    expect(refused(await verify(sign({ nbf: now + 30 })))).toBe('ok');
    expect(refused(await verify(sign({ nbf: now + 31 })))).toBe('token_not_yet_valid');
    expect(refused(await verify(sign({ iat: now + 30 })))).toBe('ok');
    expect(refused(await verify(sign({ iat: now + 31 })))).toBe('token_issued_in_future');
  });

  it('refuses a revoked jti, and only after every other check passed', async () => {
    const { token, claims } = issue();
    await store.set(revokedKey(claims.jti), '1', 60_000);
    expect(refused(await verify(token))).toBe('token_revoked');
    const get = jest.spyOn(store, 'getMany');
    await verify(`${token.split('.').slice(0, 2).join('.')}.AAAA`);
    expect(get).not.toHaveBeenCalled();
    get.mockRestore();
  });

  it('refuses an ES256 token whose signature has the wrong length, without throwing', async () => {
    const es = keys.firstOf('ES256');
    if (!es) throw new Error('no ES256 key');
    const [h, p] = keys.sign(claimsNow(), { typ: 'at+jwt' }, es).split('.');
    for (const sig of ['', 'AAAA', 'A'.repeat(200)]) {
      expect(refused(await verify(`${h}.${p}.${sig}`))).toBe('token_signature_invalid');
    }
  });

  it('verifies RS256 keys too, pinned like the others', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs: Key = {
      kid: 'rs1',
      alg: 'RS256',
      verifyKey: publicKey,
      signKey: privateKey,
      publicJwk: undefined,
    };
    const ring = new KeyRing([keys.signing, rs], keys.signing.kid);
    const verifyRs = createTokenVerifier({ ...options, keys: ring });
    const token = ring.sign(claimsNow(), { typ: 'at+jwt' }, rs);
    expect(refused(await verifyRs(token))).toBe('ok');
    const [h, p, sig = ''] = token.split('.');
    const flipped = `${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
    expect(refused(await verifyRs(`${h}.${p}.${flipped}`))).toBe('token_signature_invalid');
    const hs = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'rs1' })}.${p}`;
    expect(
      refused(await verifyRs(`${hs}.${createHmac('sha256', 'x').update(hs).digest('base64url')}`)),
    ).toBe('token_algorithm_rejected');
  });

  it('revokes every token of a subject and visitor issued before the mark, and none issued after it', async () => {
    const vis = 'AAAAAAAAAAAAAAAA';
    const issue = (extra: Record<string, unknown>) =>
      issueAccessToken(options, { sub: 'everywhere', clientId: 'c1', expiresIn: 300, extra }).token;
    const before = issue({ vis });
    const otherVisitor = issue({ vis: 'BBBBBBBBBBBBBBBB' });
    const mark = clock.now();
    await store.set(subjectRevokedKey('everywhere', vis), String(mark), 60_000);
    expect(refused(await verify(before))).toBe('token_revoked');
    expect(refused(await verify(otherVisitor))).toBe('ok');
    // Issued in the same second, after the mark: it names the mark it saw, and is not revoked.
    expect(refused(await verify(issue({ vis, rev: mark })))).toBe('ok');
    expect(refused(await verify(issue({ vis, rev: mark - 1 })))).toBe('token_revoked');
  });

  it('revokes every token of a revoked refresh-token family', async () => {
    const { token } = issueAccessToken(options, {
      sub: 'u2',
      clientId: 'c1',
      expiresIn: 300,
      extra: { fid: 'fam-1' },
    });
    expect(refused(await verify(token))).toBe('ok');
    await store.set(familyRevokedKey('fam-1'), '1', 60_000);
    expect(refused(await verify(token))).toBe('token_revoked');
  });

  describe('with a rotated-out secret', () => {
    const previous = 'the-previous-secret-of-at-least-32-bytes';
    const rotated = testConfig({
      JWT_PREVIOUS_SECRET: previous,
      JWT_PREVIOUS_SECRET_VALID_UNTIL: '2026-11-22T08:00:00Z',
    });
    const ring = createKeyRing(rotated);
    const old = ring.findWhere(
      (k) => k.retiredAfter !== undefined && !k.kid.startsWith(RETIRED_DEMO_KID_PREFIX),
    );
    let verifyRotated: ReturnType<typeof createTokenVerifier>;
    beforeEach(() => {
      verifyRotated = createTokenVerifier({ ...options, keys: ring, jwt: rotated.jwt });
    });

    it('still signs with the current secret', () => {
      expect(ring.signing.kid).toBe(keys.signing.kid);
      expect(old?.kid).not.toBe(keys.signing.kid);
    });

    it('accepts its tokens during the grace period, then answers token_key_retired', async () => {
      if (!old) throw new Error('no previous key');
      const token = ring.sign(claimsNow(), { typ: 'at+jwt' }, old);
      expect(refused(await verifyRotated(token))).toBe('ok');
      clock.set('2026-11-22T08:00:01Z');
      const later = ring.sign({ ...claimsNow() }, { typ: 'at+jwt' }, old);
      const verdict = await verifyRotated(later);
      expect(refused(verdict)).toBe('token_key_retired');
      expect(verdict.ok ? '' : verdict.detail).toContain('2026-11-22T08:00:00Z');
    });

    it('refuses tokens of the built-in retired key at once', async () => {
      const retired = ring.findWhere((k) => k.kid.startsWith(RETIRED_DEMO_KID_PREFIX));
      if (!retired) throw new Error('no retired demo key');
      const verdict = await verifyRotated(ring.sign(claimsNow(), { typ: 'at+jwt' }, retired));
      expect(refused(verdict)).toBe('token_key_retired');
      // Its grace period ended at a real date, not at the epoch (a retiredAfter of 0).
      expect(verdict.ok ? '' : verdict.detail).toContain('2025-01-01T00:00:00Z');
      expect(verdict.ok ? '' : verdict.detail).not.toContain('1970');
    });
  });

  describe('with JWT_PRIVATE_KEY', () => {
    it.each([
      ['ec', { namedCurve: 'P-256' }, 'ES256'],
      ['rsa', { modulusLength: 2048 }, 'RS256'],
    ] as const)(
      'signs with a configured %s key as %s and publishes it',
      async (type, opts, alg) => {
        const { privateKey } = (
          generateKeyPairSync as (t: string, o: object) => { privateKey: KeyObject }
        )(type, opts);
        const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
        const cfg = testConfig({ JWT_PRIVATE_KEY: pem.replace(/\n/g, '\\n') });
        const ring = createKeyRing(cfg);
        expect(ring.signing.alg).toBe(alg);
        expect(ring.jwks().keys.map((k) => k.kid)).toContain(ring.signing.kid);
        const v = createTokenVerifier({ ...options, keys: ring, jwt: cfg.jwt });
        const token = issueAccessToken(
          { ...options, keys: ring, jwt: cfg.jwt },
          { sub: 'u', clientId: 'c', expiresIn: 60 },
        ).token;
        expect(refused(await v(token))).toBe('ok');
      },
    );
  });

  describe('the ES256 key published when none is configured', () => {
    const es256 = (secret: string) =>
      createKeyRing(testConfig({ JWT_SECRET: secret }))
        .jwks()
        .keys.find((k) => k.alg === 'ES256');

    it('is derived from JWT_SECRET: every instance and worker publishes the same one', () => {
      const a = es256('a'.repeat(32));
      expect(a).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
      expect(es256('a'.repeat(32))).toEqual(a);
      expect(es256('b'.repeat(32))?.kid).not.toBe(a?.kid);
      expect(a).not.toHaveProperty('d');
    });

    it('signs tokens that every ring from the same secret accepts', async () => {
      const cfg = testConfig({ JWT_SECRET: 'c'.repeat(32) });
      const signer = createKeyRing(cfg);
      const key = signer.jwks().keys.find((k) => k.alg === 'ES256');
      const es = signer.firstOf('ES256') as Key;
      expect(es.kid).toBe(key?.kid);
      // A ring that signs with it, as one configured with that key would.
      const esSigner = new KeyRing([es], es.kid);
      const token = issueAccessToken(
        { ...options, keys: esSigner, jwt: cfg.jwt },
        { sub: 'u', clientId: 'c', expiresIn: 60 },
      ).token;
      expect(
        JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()),
      ).toMatchObject({
        alg: 'ES256',
        kid: es.kid,
      });
      const other = createKeyRing(cfg);
      const v = createTokenVerifier({ ...options, keys: other, jwt: cfg.jwt });
      expect(refused(await v(token))).toBe('ok');
    });
  });

  describe('remembering verified signatures', () => {
    it('still judges a remembered token against the clock and the denylist on every request', async () => {
      const { token, claims } = issue(60);
      expect(refused(await verify(token))).toBe('ok');
      expect(refused(await verify(token))).toBe('ok');
      clock.advance(91_000);
      expect(refused(await verify(token))).toBe('token_expired');
      clock.advance(-91_000);
      expect(refused(await verify(token))).toBe('ok');
      await store.set(revokedKey(claims.jti), '1', 60_000);
      expect(refused(await verify(token))).toBe('token_revoked');
    });

    it('remembers only the exact text: an edited copy of a remembered token is refused', async () => {
      const { token } = issue();
      expect(refused(await verify(token))).toBe('ok');
      const [h, p, sig = ''] = token.split('.');
      const flipped = `${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
      expect(refused(await verify(`${h}.${p}.${flipped}`))).toBe('token_signature_invalid');
    });

    it('remembers a signature that did not verify: the same forged token is not checked again', async () => {
      const { token } = issue();
      const [h, p, sig = ''] = token.split('.');
      const forgedToken = `${h}.${p}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
      const hmac = jest.spyOn(nodeCrypto, 'createHmac');
      try {
        const first = await verify(forgedToken);
        const checked = hmac.mock.calls.length;
        expect(checked).toBeGreaterThan(0);
        const again = await verify(forgedToken);
        expect(hmac.mock.calls.length).toBe(checked);
        expect(again).toEqual(first);
        expect(refused(again)).toBe('token_signature_invalid');
        expect(Object.isFrozen(again)).toBe(true);
        // The genuine token is still judged on its own.
        expect(refused(await verify(token))).toBe('ok');
      } finally {
        hmac.mockRestore();
      }
    });

    it('hands out claims nobody can change', async () => {
      const verdict = await verify(issue().token);
      if (!verdict.ok) throw new Error('expected ok');
      expect(Object.isFrozen(verdict.claims)).toBe(true);
    });

    it('forgets a rotated-out key’s tokens when its grace period ends', async () => {
      const rotated = testConfig({
        JWT_PREVIOUS_SECRET: 'p'.repeat(40),
        JWT_PREVIOUS_SECRET_VALID_UNTIL: '2026-11-22T07:30:00Z',
      });
      const ring = createKeyRing(rotated);
      const old = ring.findWhere(
        (k) => k.retiredAfter !== undefined && !k.kid.startsWith(RETIRED_DEMO_KID_PREFIX),
      );
      if (!old) throw new Error('no previous key');
      const v = createTokenVerifier({ ...options, keys: ring, jwt: rotated.jwt });
      const token = ring.sign(
        { ...claimsNow(), exp: Math.floor(clock.now() / 1000) + 7200 },
        { typ: 'at+jwt' },
        old,
      );
      expect(refused(await v(token))).toBe('ok');
      clock.advance(31 * 60_000);
      expect(refused(await v(token))).toBe('token_key_retired');
    });
  });

  it('lets a store outage through as StoreUnavailableError (503), not as a refusal', async () => {
    const broken = new MemoryStore({ maxEntries: 10, sweepIntervalMs: 0 });
    jest.spyOn(broken, 'getMany').mockRejectedValue(new StoreUnavailableError('down'));
    const verifyBroken = createTokenVerifier({ ...options, store: broken });
    await expect(verifyBroken(issue().token)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('never throws and never accepts random input (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.tuple(fc.string(), fc.string(), fc.string()).map((p) => p.join('.')),
          fc
            .tuple(fc.jsonValue(), fc.jsonValue(), fc.string())
            .map(([h, p, s]) => `${b64(h)}.${b64(p)}.${s}`),
        ),
        async (token) => {
          const verdict = await verify(token);
          expect(verdict.ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never accepts a token with one byte of its signing input changed (property)', async () => {
    const { token } = issue();
    const [h, p, s] = token.split('.') as [string, string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    await fc.assert(
      fc.asyncProperty(
        fc.nat(p.length - 1),
        fc.constantFrom(...alphabet.split('')),
        async (i, c) => {
          fc.pre(p[i] !== c);
          const tampered = `${h}.${p.slice(0, i)}${c}${p.slice(i + 1)}.${s}`;
          expect((await verify(tampered)).ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
