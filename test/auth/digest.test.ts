import fc from 'fast-check';
import {
  createDigest,
  digestHash,
  digestResponse,
  NonceBook,
  parseAuthParams,
  parseDigest,
  readCredentials,
  type DigestAlgorithm,
} from '../../src/auth/digest';
import { MemoryStore } from '../../src/store';
import { testClock } from '../helpers';
import { binaryString } from '../arbitraries';

describe('parseAuthParams', () => {
  it.each([
    ['a=b', { a: 'b' }],
    [' A = b ,c="d e"', { a: 'b', c: 'd e' }],
    ['a="q\\"uote\\\\d", b=x', { a: 'q"uote\\d', b: 'x' }],
    ['a="", b=c', { a: '', b: 'c' }],
    [', , a=b, ,', { a: 'b' }],
    ["username*=UTF-8''J%C3%A4s%C3%B8n", { 'username*': "UTF-8''J%C3%A4s%C3%B8n" }],
    ['a="x,y=z", b=c', { a: 'x,y=z', b: 'c' }],
    ['a="caf\u00e9"', { a: 'caf\u00e9' }],
  ])('reads %j', (input, expected) => {
    expect(Object.fromEntries(parseAuthParams(input) as Map<string, string>)).toEqual(expected);
  });

  it.each([
    ['a="open', 'The quoted value of a has no closing quote.'],
    ['a="trailing\\', 'The quoted value of a has no closing quote.'],
    ['a=b, A=c', 'The parameter a is given twice.'],
    ['a=b c=d', 'Parameters must be separated by commas.'],
    ['a="b" "c"', 'Parameters must be separated by commas.'],
    ['a', 'The parameter a has no "=" and value.'],
    ['a=', 'The value of a is empty, or needs quotes for the characters it holds.'],
    ['a=b/c', 'Parameters must be separated by commas.'],
    ['=b', 'A parameter name is missing or holds characters a token cannot.'],
    ['"a"=b', 'A parameter name is missing or holds characters a token cannot.'],
    ['a="x\u0001"', 'The value of a holds a control character.'],
  ])('refuses %j', (input, reason) => {
    expect(parseAuthParams(input)).toBe(reason);
  });

  it('refuses more than 32 parameters', () => {
    const many = Array.from({ length: 33 }, (_, i) => `p${i}=x`).join(', ');
    expect(parseAuthParams(many)).toBe('More than 32 parameters.');
  });
});

describe('parseDigest', () => {
  it.each([
    [undefined, 'none'],
    ['  ', 'none'],
    ['Basic dXNlcjpwYXNzd2Q=', 'other'],
    ['Digestx a=b', 'other'],
    ['Digest', 'malformed'],
    ['Digest   ', 'malformed'],
    ['Digest a="b', 'malformed'],
    [`Digest a="${'x'.repeat(9000)}"`, 'malformed'],
    ['digest a=b', 'digest'],
    ['DIGEST username="u"', 'digest'],
  ])('classifies %j as %s', (header, kind) => {
    expect(parseDigest(header).kind).toBe(kind);
  });

  it('never throws, whatever the input (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          binaryString().map((s) => `Digest ${s}`),
          fc
            .array(
              fc.tuple(
                fc.constantFrom('username', 'realm', 'nonce', 'uri', 'nc', 'qop', 'x', 'Realm'),
                fc.string(),
                fc.boolean(),
              ),
              { maxLength: 12 },
            )
            .map(
              (ps) =>
                `Digest ${ps.map(([k, v, q]) => (q ? `${k}="${v}"` : `${k}=${v}`)).join(', ')}`,
            ),
        ),
        (header) => {
          const parsed = parseDigest(header);
          expect(['none', 'other', 'malformed', 'digest']).toContain(parsed.kind);
          if (parsed.kind === 'digest') {
            const creds = readCredentials(parsed.params, { qop: 'auth', algorithms: ['MD5'] });
            expect(['string', 'object']).toContain(typeof creds);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('readCredentials', () => {
  const offered = { qop: 'auth' as const, algorithms: ['SHA-256', 'MD5'] as DigestAlgorithm[] };
  const full: Record<string, string> = {
    username: 'user',
    realm: 'four-oh-one',
    nonce: 'n',
    uri: '/x',
    response: 'ABC',
    qop: 'auth',
    nc: '0000000A',
    cnonce: 'c',
    opaque: 'o',
    algorithm: 'sha-256',
  };
  const read = (changes: Record<string, string | undefined>) => {
    const params = new Map(Object.entries({ ...full, ...changes }));
    for (const [k, v] of Object.entries(changes)) if (v === undefined) params.delete(k);
    return readCredentials(params as Map<string, string>, offered);
  };

  it('reads a complete header, spelling the algorithm as RFC 7616 does', () => {
    expect(read({})).toEqual({
      username: 'user',
      userhash: false,
      realm: 'four-oh-one',
      uri: '/x',
      algorithm: 'SHA-256',
      nonce: 'n',
      nc: '0000000a',
      cnonce: 'c',
      qop: 'auth',
      response: 'abc',
      opaque: 'o',
    });
  });

  it('takes MD5 when no algorithm is named (RFC 7616 §3.3)', () => {
    expect(read({ algorithm: undefined })).toMatchObject({ algorithm: 'MD5' });
  });

  it('decodes username* (RFC 8187) and a UTF-8 username sent as raw bytes', () => {
    expect(
      read({ username: undefined, 'username*': "UTF-8''J%C3%A4s%C3%B8n%20Doe" }),
    ).toMatchObject({ username: 'Jäsøn Doe' });
    // Node reads header bytes as latin-1: this is "Jürgen" in UTF-8, as curl sends it.
    expect(read({ username: 'J\u00c3\u00bcrgen' })).toMatchObject({ username: 'Jürgen' });
  });

  it.each([
    [{ nc: undefined, cnonce: undefined }, 'Missing parameter(s): nc, cnonce.'],
    [{ username: undefined }, 'Missing parameter(s): username.'],
    [{ opaque: undefined, response: undefined }, 'Missing parameter(s): response, opaque.'],
    [{ 'username*': "UTF-8''u" }, 'Send username or username*, not both (RFC 7616 §3.4).'],
    [
      { username: undefined, 'username*': "ISO-8859-1''J%E4" },
      "username* must be an RFC 8187 value in UTF-8: UTF-8''<percent-encoded name>.",
    ],
    [
      { username: undefined, 'username*': "UTF-8''%C3" },
      'username* is not valid percent-encoded UTF-8.',
    ],
    [{ userhash: 'yes' }, 'userhash must be true or false.'],
    [{ nc: '1' }, 'nc must be 8 hexadecimal digits counting from 00000001.'],
    [{ nc: '00000000' }, 'nc must be 8 hexadecimal digits counting from 00000001.'],
    [{ nc: '0000000g' }, 'nc must be 8 hexadecimal digits counting from 00000001.'],
    [{ cnonce: '' }, 'cnonce must be 1-256 characters.'],
    [{ cnonce: 'c'.repeat(257) }, 'cnonce must be 1-256 characters.'],
  ])('refuses %j', (changes, reason) => {
    expect(read(changes)).toBe(reason);
  });

  // Well formed, but answering a challenge not made here: the client needs a challenge, not a 400.
  it.each([
    [
      { algorithm: 'SHA-512-256' },
      'The algorithm SHA-512-256 was not offered; this resource offers SHA-256, MD5.',
    ],
    [
      { algorithm: 'SHA-1' },
      'The algorithm SHA-1 was not offered; this resource offers SHA-256, MD5.',
    ],
    [{ qop: 'auth-int' }, 'The qop auth-int was not offered; this resource offers qop=auth.'],
  ])('tells %j apart as not offered', (changes, reason) => {
    expect(read(changes)).toEqual({ notOffered: reason });
  });

  it('judges the form before the offer: a broken nc with another algorithm is malformed', () => {
    expect(read({ algorithm: 'SHA-1', nc: '1' })).toBe(
      'nc must be 8 hexadecimal digits counting from 00000001.',
    );
  });
});

describe('digestResponse', () => {
  // RFC 7616 §3.9.1.
  const example = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    qop: 'auth' as const,
  };

  it('reproduces RFC 7616 §3.9.1 for SHA-256 and MD5', () => {
    expect(digestResponse({ ...example, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
    expect(digestResponse({ ...example, algorithm: 'MD5' })).toBe(
      '8ca523f5e9506fed4657c9700eebdbec',
    );
  });

  it('uses SHA-512/256 (FIPS 180-4) for SHA-512-256, not truncated SHA-512', () => {
    expect(digestHash('SHA-512-256', 'abc')).toBe(
      '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23',
    );
    // RFC 7616 §3.9.2's inputs; the value is Python hashlib's sha512_256 over the same A1/A2.
    expect(
      digestResponse({
        algorithm: 'SHA-512-256',
        username: 'J\u00e4s\u00f8n Doe',
        realm: 'api@example.org',
        password: 'Secret, or not?',
        method: 'GET',
        uri: '/doe.json',
        nonce: '5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK',
        nc: '00000001',
        cnonce: 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v',
        qop: 'auth',
      }),
    ).toBe('3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5');
  });

  it('hashes the body for auth-int, and leaves the method out of rspauth', () => {
    const base = { ...example, algorithm: 'MD5' as const, qop: 'auth-int' as const };
    expect(digestResponse({ ...base, body: Buffer.from('x') })).not.toBe(digestResponse(base));
    expect(digestResponse(base, true)).toBe(digestResponse({ ...base, method: '' }));
  });
});

describe('NonceBook', () => {
  const book = new NonceBook(Buffer.from('a secret of at least sixteen bytes'));

  it('issues nonces that carry their time and verify only with the same secret', () => {
    const nonce = book.issue(1_790_000_000_123);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(book.issuedAt(nonce)).toBe(1_790_000_000_123);
    expect(book.issue(1)).not.toBe(book.issue(1));
    expect(
      new NonceBook(Buffer.from('another secret, just as long')).issuedAt(nonce),
    ).toBeUndefined();
  });

  it('refuses altered and made-up nonces', () => {
    const nonce = book.issue(1000);
    const flipped = (nonce[0] === 'A' ? 'B' : 'A') + nonce.slice(1);
    for (const bad of [
      flipped,
      nonce.slice(1),
      `${nonce}A`,
      '',
      'x'.repeat(43),
      nonce.replace(/.$/, '='),
    ]) {
      expect(book.issuedAt(bad)).toBeUndefined();
    }
  });

  it('has a stable opaque per secret', () => {
    expect(book.opaque).toMatch(/^[0-9a-f]{32}$/);
    expect(new NonceBook(Buffer.from('a secret of at least sixteen bytes')).opaque).toBe(
      book.opaque,
    );
  });
});

describe('createDigest', () => {
  const secret = Buffer.alloc(32, 7);
  const want = { user: 'u', password: 'p', qop: 'auth' as const, algorithms: ['SHA-256'] as const };
  const setup = (staleAfter?: number) => {
    const clock = testClock();
    const store = new MemoryStore({ maxEntries: 100, sweepIntervalMs: 0, clock });
    const digest = createDigest({ secret, store, clock, nonceTtlMs: 60_000 });
    return { clock, digest, want: { ...want, staleAfter } };
  };
  /** Answers a challenge of `digest` for GET /x as a client would. */
  const answerTo = (challenge: string, password = 'p', nc = '00000001') => {
    const nonce = /nonce="([^"]+)"/.exec(challenge)?.[1] as string;
    const opaque = /opaque="([^"]+)"/.exec(challenge)?.[1] as string;
    const input = {
      algorithm: 'SHA-256' as const,
      username: 'u',
      realm: 'four-oh-one',
      password,
      method: 'GET',
      uri: '/x',
      nonce,
      nc,
      cnonce: 'c',
      qop: 'auth' as const,
    };
    return (
      `Digest username="u", realm="four-oh-one", nonce="${nonce}", uri="/x", algorithm=SHA-256, ` +
      `response="${digestResponse(input)}", qop=auth, nc=${nc}, cnonce="c", opaque="${opaque}"`
    );
  };
  const request = (authorization?: string) => ({
    authorization,
    method: 'GET',
    uri: '/x',
    body: Buffer.alloc(0),
  });

  it('offers one challenge per algorithm, and a fresh nonce each time', () => {
    const { digest } = setup();
    const [one] = digest.challenges({ ...want, algorithms: ['SHA-256', 'MD5'] }, false);
    expect(digest.challenges({ ...want, algorithms: ['SHA-256', 'MD5'] }, true)).toEqual([
      expect.stringMatching(/algorithm=SHA-256, .*, stale=true$/),
      expect.stringMatching(/algorithm=MD5, .*, stale=true$/),
    ]);
    expect(digest.challenges(want, false)[0]).not.toBe(one);
  });

  it('accepts a right answer once, with the Authentication-Info that proves the server', async () => {
    const { digest, want } = setup();
    const authorization = answerTo(digest.challenges(want, false)[0] as string);
    const first = await digest.check(request(authorization), want);
    expect(first).toEqual({
      ok: true,
      user: 'u',
      authenticationInfo: expect.stringMatching(
        /^qop=auth, rspauth="[0-9a-f]{64}", cnonce="c", nc=00000001$/,
      ),
    });
    expect(await digest.check(request(authorization), want)).toMatchObject({
      ok: false,
      code: 'digest_nonce_replayed',
      check: 'nonce count not used before',
      challenge: 'fresh',
    });
  });

  it.each([
    ['no credentials', undefined, 'digest_credentials_missing', 'fresh'],
    ['another scheme', 'Basic dTpw', 'digest_credentials_missing', 'fresh'],
    ['broken syntax', 'Digest a="', 'digest_malformed', 'none'],
  ])('refuses %s as %s, with challenge %s', async (_n, authorization, code, challenge) => {
    const { digest, want } = setup();
    expect(await digest.check(request(authorization), want)).toMatchObject({
      ok: false,
      code,
      challenge,
    });
  });

  it('refuses a wrong password before the age of the nonce, and a right one to an old nonce as stale', async () => {
    const { digest, want, clock } = setup();
    const challenge = digest.challenges(want, false)[0] as string;
    clock.advance(60_001);
    expect(await digest.check(request(answerTo(challenge, 'x')), want)).toMatchObject({
      code: 'digest_credentials_invalid',
      challenge: 'fresh',
    });
    expect(await digest.check(request(answerTo(challenge)), want)).toMatchObject({
      code: 'digest_nonce_stale',
      challenge: 'stale',
    });
  });

  it('lets one nonce authenticate staleAfter requests, then answers stale', async () => {
    const { digest, want } = setup(1);
    const challenge = digest.challenges(want, false)[0] as string;
    expect(await digest.check(request(answerTo(challenge)), want)).toMatchObject({ ok: true });
    expect(await digest.check(request(answerTo(challenge, 'p', '00000002')), want)).toMatchObject({
      code: 'digest_nonce_stale',
      check: 'nonce within the requests this resource allows it',
    });
  });
});
