import fc from 'fast-check';
import {
  basicAuth,
  decodeCredentialBytes,
  MAX_BASIC_HEADER,
  parseBasic,
  textEqual,
} from '../../middleware/basic-auth';
import { buildApp, expectProblem } from '../helpers';

const CHALLENGE = 'Basic realm="four-oh-one", charset="UTF-8"';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
const b64 = (text: string, encoding: BufferEncoding = 'utf8') =>
  Buffer.from(text, encoding).toString('base64');

describe('parseBasic', () => {
  it.each([
    [undefined, 'none'],
    ['', 'none'],
    ['  ', 'none'],
    ['Bearer abc', 'other'],
    ['Basicx dXNlcjpwYXNzd2Q=', 'other'],
    ['Digest username="user"', 'other'],
    ['Basic', 'malformed'],
    ['Basic ', 'malformed'],
    ['Basic user:passwd', 'malformed'],
    ['Basic dXNlcjpwYXNzd2Q=x', 'malformed'],
    ['Basic dXNlcjpwYXNzd2Q= extra', 'malformed'],
    ['Basic dXNlcjpwYXNzd2Q===', 'malformed'],
    ['Basic dXNlcjpwYXNzd2=', 'malformed'],
    ['Basic dXNlcjpwYXNzd2Q-', 'malformed'],
    ['Basic\tdXNlcjpwYXNzd2Q=', 'malformed'],
    ['Basic "dXNlcjpwYXNzd2Q="', 'malformed'],
    ['Basic dXNlcnBhc3N3ZA==', 'malformed'], // "userpasswd": no colon
    [`Basic ${b64('us\u0001er:pw')}`, 'malformed'],
    [`Basic ${b64('user:p\u007fw')}`, 'malformed'],
    ['Basic dXNlcjpwYXNzd2Q=', 'basic'],
    ['basic dXNlcjpwYXNzd2Q=', 'basic'],
    ['BASIC  dXNlcjpwYXNzd2Q=  ', 'basic'],
    ['Basic dXNlcjpwYXNzd2Q', 'basic'], // unpadded
    ['Basic Og==', 'basic'], // ":" alone: empty user-id and password
  ])('classifies %j as %s', (header, kind) => {
    expect(parseBasic(header).kind).toBe(kind);
  });

  it('splits at the first colon: the password may hold colons, the user-id cannot', () => {
    expect(parseBasic(`Basic ${b64('user:pa:ss:wd')}`)).toEqual({
      kind: 'basic',
      user: 'user',
      password: 'pa:ss:wd',
    });
  });

  it('reads UTF-8 (charset="UTF-8"), and falls back to ISO-8859-1 for bytes that are not UTF-8', () => {
    expect(parseBasic(`Basic ${b64('Jürgen:pässwort')}`)).toMatchObject({
      user: 'Jürgen',
      password: 'pässwort',
    });
    // What Python requests sends for str credentials: latin-1 bytes.
    expect(parseBasic(`Basic ${b64('Jürgen:pässwort', 'latin1')}`)).toMatchObject({
      user: 'Jürgen',
      password: 'pässwort',
    });
    expect(parseBasic(`Basic ${b64('名前:パスワード')}`)).toMatchObject({ user: '名前' });
  });

  it('refuses over-long credentials before decoding them', () => {
    const header = `Basic ${b64(`user:${'x'.repeat(MAX_BASIC_HEADER)}`)}`;
    expect(parseBasic(header)).toEqual({
      kind: 'malformed',
      reason: `The Basic credentials are longer than ${MAX_BASIC_HEADER} characters.`,
    });
  });

  it('never echoes more than 32 characters of an unknown scheme', () => {
    expect(parseBasic(`${'S'.repeat(100)} x`)).toEqual({ kind: 'other', scheme: 'S'.repeat(32) });
    expect(parseBasic('\u00ff\u00fe x')).toEqual({ kind: 'other', scheme: '(unreadable)' });
  });

  it('never throws, and returns only control-free credentials (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.string({ unit: 'binary' }).map((s) => `Basic ${b64(s)}`),
          fc.uint8Array({ maxLength: 64 }).map((a) => `Basic ${Buffer.from(a).toString('base64')}`),
          fc.constant(undefined),
        ),
        (header) => {
          const parsed = parseBasic(header);
          expect(['none', 'other', 'malformed', 'basic']).toContain(parsed.kind);
          if (parsed.kind === 'basic') {
            expect(parsed.user).not.toMatch(CONTROL);
            expect(parsed.user).not.toContain(':');
            expect(parsed.password).not.toMatch(CONTROL);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips every user-id without colon or controls (property)', () => {
    const text = fc.string({ unit: 'grapheme' }).filter((s) => !CONTROL.test(s));
    fc.assert(
      fc.property(
        text.filter((s) => !s.includes(':')),
        text,
        (user, password) => {
          expect(parseBasic(`Basic ${b64(`${user}:${password}`)}`)).toEqual({
            kind: 'basic',
            user,
            password,
          });
        },
      ),
    );
  });
});

describe('decodeCredentialBytes', () => {
  it('prefers UTF-8 and never throws on invalid sequences', () => {
    expect(decodeCredentialBytes(Buffer.from([0xc3, 0xbc]))).toBe('ü');
    expect(decodeCredentialBytes(Buffer.from([0xfc]))).toBe('ü');
    expect(decodeCredentialBytes(Buffer.from([0xc3]))).toBe('Ã');
  });
});

describe('textEqual', () => {
  it('compares whole strings of any length', () => {
    expect(textEqual('passwd', 'passwd')).toBe(true);
    expect(textEqual('passwd', 'passwd ')).toBe(false);
    expect(textEqual('', 'x')).toBe(false);
  });
});

describe('basicAuth()', () => {
  it('throws at once on bad options', () => {
    expect(() => basicAuth({} as never)).toThrow('basicAuth: verify must be a function');
    expect(() => basicAuth({ verify: () => true, realm: '' })).toThrow(
      'basicAuth: realm must be a non-empty string',
    );
  });
});

describe('Basic at GET /basic-auth/user/passwd', () => {
  const ctx = buildApp();
  const get = (authorization?: string) => {
    const req = ctx.http().get('/basic-auth/user/passwd');
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  it.each([
    {
      name: 'no header',
      header: undefined,
      status: 401,
      code: 'basic_credentials_missing',
      challenge: CHALLENGE,
    },
    {
      name: 'an empty header',
      header: '',
      status: 401,
      code: 'basic_credentials_missing',
      challenge: CHALLENGE,
    },
    {
      name: 'a Bearer token',
      header: 'Bearer abc',
      status: 401,
      code: 'basic_credentials_missing',
      challenge: CHALLENGE,
    },
    {
      name: 'a wrong password',
      header: `Basic ${b64('user:wrong')}`,
      status: 401,
      code: 'basic_credentials_invalid',
      challenge: CHALLENGE,
    },
    {
      name: 'a wrong user-id',
      header: `Basic ${b64('root:passwd')}`,
      status: 401,
      code: 'basic_credentials_invalid',
      challenge: CHALLENGE,
    },
    {
      name: 'the right password twice',
      header: `Basic ${b64('user:passwdpasswd')}`,
      status: 401,
      code: 'basic_credentials_invalid',
      challenge: CHALLENGE,
    },
    {
      name: 'an empty user-id and password',
      header: 'Basic Og==',
      status: 401,
      code: 'basic_credentials_invalid',
      challenge: CHALLENGE,
    },
    {
      name: 'credentials in the clear',
      header: 'Basic user:passwd',
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
    {
      name: 'no colon',
      header: `Basic ${b64('userpasswd')}`,
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
    {
      name: 'base64url',
      header: 'Basic dXNlcjpwYXNzd2Q-',
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
    {
      name: 'a control character',
      header: `Basic ${b64('user:pass\u0000wd')}`,
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
    {
      name: 'nothing after the scheme',
      header: 'Basic',
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
    {
      name: '5 KB of credentials',
      header: `Basic ${b64(`user:${'x'.repeat(5000)}`)}`,
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
  ] as const)('with $name answers $status $code', async ({ header, status, code, challenge }) => {
    const res = await get(header);
    expectProblem(res, { status, code, challenge });
    expect(res.body.detail).not.toMatch(/passwd|root/); // never echoes the credentials
  });

  it.each([['Basic dXNlcjpwYXNzd2Q='], ['basic dXNlcjpwYXNzd2Q='], ['Basic dXNlcjpwYXNzd2Q']])(
    'accepts %j with httpbin’s body',
    async (header) => {
      const res = await get(header);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ authenticated: true, user: 'user' });
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
    },
  );

  it('never answers 5xx, whatever the header holds (property)', async () => {
    // Header values Node lets a client send: no CR, LF or NUL, latin1 only.
    const headerChar = fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: headerChar, maxLength: 200 }),
          fc.string({ unit: headerChar, maxLength: 200 }).map((s) => `Basic ${s}`),
          fc.string({ unit: 'binary', maxLength: 100 }).map((s) => `Basic ${b64(s)}`),
          fc
            .uint8Array({ maxLength: 100 })
            .map((a) => `Basic ${Buffer.from(a).toString('base64')}`),
          fc.integer({ min: 4000, max: 20_000 }).map((n) => `Basic ${'QUFB'.repeat(n / 4)}`),
        ),
        async (header) => {
          const res = await get(header);
          expect([400, 401]).toContain(res.status);
          expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
          if (res.status === 401) expect(res.headers['www-authenticate']).toBe(CHALLENGE);
        },
      ),
      { numRuns: 150 },
    );
  });
});
