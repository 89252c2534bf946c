import fc from 'fast-check';
import { decodeCredentialBytes, MAX_BASIC_HEADER, parseBasic } from '../../src/auth/basic';
import { binaryString } from '../arbitraries';

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
          binaryString(),
          binaryString().map((s) => `Basic ${b64(s)}`),
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
