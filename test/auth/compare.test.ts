import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { secretsEqual, sha256, textEqual } from '../../src/auth/compare';
import { binaryString } from '../arbitraries';

describe('textEqual', () => {
  it('compares whole strings of any length', () => {
    expect(textEqual('passwd', 'passwd')).toBe(true);
    expect(textEqual('passwd', 'passwd ')).toBe(false);
    expect(textEqual('', 'x')).toBe(false);
  });

  it('compares the UTF-8 text, not its first bytes', () => {
    expect(textEqual('pässwort', 'pässwort')).toBe(true);
    expect(textEqual('pässwort', 'passwort')).toBe(false);
  });
});

describe('secretsEqual', () => {
  it('matches a secret against the SHA-256 it is stored as', () => {
    const stored = createHash('sha256').update('s3cret', 'utf8').digest();
    expect(sha256('s3cret')).toEqual(stored);
    expect(secretsEqual('s3cret', stored)).toBe(true);
    expect(secretsEqual('s3cret ', stored)).toBe(false);
    expect(secretsEqual('', stored)).toBe(false);
  });
});

describe('sha256', () => {
  it("is the SHA-256 of any string's UTF-8 bytes, lone surrogates included", () => {
    fc.assert(
      fc.property(binaryString(), (text) => {
        const expected = createHash('sha256').update(text, 'utf8').digest();
        expect(Buffer.isBuffer(sha256(text))).toBe(true);
        expect(sha256(text).equals(expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
    // Unpaired halves of a surrogate pair are encoded as U+FFFD, as Buffer.from does.
    expect(sha256('\ud800x')).toEqual(sha256('\ufffdx'));
  });
});
