import fc from 'fast-check';

/** Code points 0x20 to 0x7e (printable ASCII) come first, then 0x00 to 0x1f, then the rest. */
const PRINTABLE = 95;

function codePointOf(index: number): number {
  if (index < PRINTABLE) return index + 0x20;
  if (index < 0x7f) return index - PRINTABLE;
  return index;
}

function indexOf(codePoint: number): number {
  if (codePoint >= 0x20 && codePoint < 0x7f) return codePoint - 0x20;
  if (codePoint < 0x20) return codePoint + PRINTABLE;
  return codePoint;
}

/**
 * One code point of any value, lone surrogates (U+D800 to U+DFFF) included, printable ASCII the
 * most often: the unit `binaryString()` draws from, in the same order.
 *
 * fast-check's own 'binary' unit unmaps through a table of all 1,114,112 code points, which it
 * builds the first time a string of that unit is made: 1.1 s and some 90 MB of heap that stays,
 * once per test file, since Jest loads each file's modules afresh (ten files, a tenth of the CPU
 * the suites outside test/e2e take). This one maps an integer, and unmaps by arithmetic.
 */
export const anyCodePoint: fc.Arbitrary<string> = fc.integer({ min: 0, max: 0x10ffff }).map(
  (index) => String.fromCodePoint(codePointOf(index)),
  (value) => {
    if (typeof value !== 'string') throw new TypeError('not a string');
    const codePoint = value.codePointAt(0);
    if (codePoint === undefined || value.length !== (codePoint > 0xffff ? 2 : 1)) {
      throw new TypeError('not one code point');
    }
    return indexOf(codePoint);
  },
);

/** Strings of any code points, lone surrogates included: `binaryString()`. */
export function binaryString(
  constraints: Omit<fc.StringConstraints, 'unit'> = {},
): fc.Arbitrary<string> {
  return fc.string({ ...constraints, unit: anyCodePoint });
}
