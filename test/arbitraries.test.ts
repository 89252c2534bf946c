import fc from 'fast-check';
import { anyCodePoint, binaryString } from './arbitraries';

describe('the test arbitraries', () => {
  it("anyCodePoint draws what fast-check's 'binary' unit draws: every code point, lone surrogates too", () => {
    const drawn = fc.sample(anyCodePoint, { numRuns: 20_000, seed: 401 });
    const points = drawn.map((c) => c.codePointAt(0) ?? -1);
    expect(points.every((p) => p >= 0 && p <= 0x10ffff)).toBe(true);
    expect(drawn.every((c) => c.length === (c.codePointAt(0)! > 0xffff ? 2 : 1))).toBe(true);
    expect({
      printable: points.some((p) => p >= 0x20 && p < 0x7f),
      control: points.some((p) => p < 0x20),
      loneSurrogate: points.some((p) => p >= 0xd800 && p <= 0xdfff),
      astral: points.some((p) => p > 0xffff),
    }).toEqual({ printable: true, control: true, loneSurrogate: true, astral: true });
  });

  it('unmaps every code point it can draw back to the index that drew it (shrinking without context)', () => {
    for (const point of [0, 0x1f, 0x20, 0x7e, 0x7f, 0xd800, 0xdfff, 0xffff, 0x10000, 0x10ffff]) {
      const c = String.fromCodePoint(point);
      expect({ point, ok: anyCodePoint.canShrinkWithoutContext(c) }).toEqual({ point, ok: true });
    }
    for (const notOne of ['', 'ab', '\u{1F600}x', 42]) {
      expect(anyCodePoint.canShrinkWithoutContext(notOne)).toBe(false);
    }
  });

  it('binaryString keeps the constraints it is given, and shrinks a failure to a small string', () => {
    expect(
      fc
        .sample(binaryString({ maxLength: 5 }), { numRuns: 500, seed: 7 })
        .every((s) => [...s].length <= 5),
    ).toBe(true);
    const failure = fc.check(
      fc.property(binaryString(), (s) => [...s].every((c) => c.codePointAt(0)! < 0xd800)),
      { seed: 401, numRuns: 20_000 },
    );
    expect(failure.failed).toBe(true);
    expect(failure.counterexample).toEqual(['\uD800']);
  });
});
