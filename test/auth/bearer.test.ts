import fc from 'fast-check';
import { parseBearer } from '../../src/auth/bearer';

describe('parseBearer', () => {
  // After go-httpbin's TestBearer table.
  it.each([
    [undefined, 'none'],
    ['', 'none'],
    ['   ', 'none'],
    ['Bearer', 'malformed'],
    ['Bearer ', 'malformed'],
    ['bearer', 'malformed'],
    ['Bearer x y', 'malformed'],
    ['Bearer\tx', 'malformed'],
    ['Bearer x=y', 'malformed'],
    ['Bearer "x"', 'malformed'],
    ['Bearer x,y', 'malformed'],
    ['Bearer \u00e9t\u00e9', 'malformed'],
    ['Bearer1 x', 'other'],
    ['xBearer x', 'other'],
    ['Basic dXNlcjpwYXNz', 'other'],
    ['Token abc', 'other'],
    ['Digest username="a"', 'other'],
    ['\u00ff\u00fe junk', 'other'],
    ['bearer x', 'bearer'],
    ['BEARER x', 'bearer'],
    ['Bearer  x', 'bearer'],
    ['Bearer a.b.c', 'bearer'],
    ['Bearer abc+/~-_.==', 'bearer'],
  ])('classifies %j as %s', (header, kind) => {
    expect(parseBearer(header).kind).toBe(kind);
  });

  it('returns the token without the scheme', () => {
    expect(parseBearer('bearer  a.b.c')).toEqual({ kind: 'bearer', token: 'a.b.c' });
  });

  it('never echoes more than 32 characters of an unknown scheme', () => {
    const parsed = parseBearer(`${'S'.repeat(500)} x`);
    expect(parsed).toEqual({ kind: 'other', scheme: 'S'.repeat(32) });
  });

  it('never throws and classifies every input (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constant(undefined)),
        (h) => {
          const parsed = parseBearer(h);
          expect(['none', 'other', 'malformed', 'bearer']).toContain(parsed.kind);
          if (parsed.kind === 'bearer') expect(parsed.token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('accepts every b64token after the scheme, in any case (property)', () => {
    const b64char = fc.constantFrom(...'ABCxyz019-._~+/'.split(''));
    fc.assert(
      fc.property(
        fc.string({ unit: b64char, minLength: 1, maxLength: 64 }),
        fc.string({ unit: fc.constant('='), maxLength: 2 }),
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR'),
        (body, pad, scheme) => {
          expect(parseBearer(`${scheme} ${body}${pad}`)).toEqual({
            kind: 'bearer',
            token: body + pad,
          });
        },
      ),
    );
  });
});
