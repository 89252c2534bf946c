import { createHash } from 'node:crypto';
import { secretsEqual, sha256, textEqual } from '../../src/auth/compare';

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
