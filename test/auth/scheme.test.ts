import fc from 'fast-check';
import { isToken, readScheme, schemeOf } from '../../src/auth/scheme';
import { binaryString } from '../arbitraries';

describe('isToken', () => {
  it.each(['Bearer', 'x-api-key', "!#$%&'*+.^_`|~09azAZ-"])('takes %j', (value) => {
    expect(isToken(value)).toBe(true);
  });

  it.each(['', 'a b', 'a"b', 'a,b', 'a=b', 'é', 'a\tb', '(x)'])('refuses %j', (value) => {
    expect(isToken(value)).toBe(false);
  });
});

describe('schemeOf', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['Basic abc', 'Basic'],
    ['bearer', 'bearer'],
    [' Basic abc', ''],
  ])('reads %j as %j', (header, scheme) => {
    expect(schemeOf(header)).toBe(scheme);
  });
});

describe('readScheme', () => {
  it.each([
    [undefined, { kind: 'none' }],
    ['  ', { kind: 'none' }],
    ['Bearer x', { kind: 'other', scheme: 'Bearer' }],
    ['Basicx abc', { kind: 'other', scheme: 'Basicx' }],
    ['\u00ff abc', { kind: 'other', scheme: '(unreadable)' }],
    [`${'S'.repeat(40)} x`, { kind: 'other', scheme: 'S'.repeat(32) }],
    ['Basic abc', { kind: 'credentials', rest: ' abc' }],
    ['bASIC', { kind: 'credentials', rest: '' }],
  ])('reads %j for Basic', (header, reading) => {
    expect(readScheme(header, 'Basic')).toEqual(reading);
  });

  it('refuses credentials over the limit unread, naming the scheme as given', () => {
    expect(readScheme('basic 123456', 'Basic', 11)).toEqual({
      kind: 'malformed',
      reason: 'The Basic credentials are longer than 11 characters.',
    });
    expect(readScheme('basic 12345', 'Basic', 11)).toEqual({ kind: 'credentials', rest: ' 12345' });
    expect(readScheme(`Bearer ${'x'.repeat(100)}`, 'Basic', 11)).toEqual({
      kind: 'other',
      scheme: 'Bearer',
    });
  });

  it('never throws, and shows back only short tokens (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), binaryString()), (header) => {
        const reading = readScheme(header, 'Digest', 64);
        if (reading.kind === 'other' && reading.scheme !== '(unreadable)') {
          expect(isToken(reading.scheme)).toBe(true);
          expect(reading.scheme.length).toBeLessThanOrEqual(32);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
