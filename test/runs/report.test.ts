import fc from 'fast-check';
import type { RunRecord } from '../../src/runs/record';
import { runLocal } from '../../src/runs/report';
import { judge } from '../../src/runs/rules';
import { expired } from './records';

const rec = (n: number, fields: Partial<RunRecord> = {}) => expired(n, 'A', fields);

describe('the records a report shows (runLocal)', () => {
  it('replaces the process-wide connection counts with the run’s own ranks, per process', () => {
    const shown = runLocal([
      rec(1, { conn: 812, last_accepted: 815, proc: 'a1b2c3d4' }),
      rec(2, { conn: 814, last_accepted: 990, proc: 'a1b2c3d4' }),
      rec(3, { conn: 40, last_accepted: 41, proc: 'ffff0000' }),
      rec(4),
    ]);
    expect(shown.map((r) => [r.proc, r.conn, r.last_accepted])).toEqual([
      ['p1', 1, 3],
      ['p1', 2, 4],
      ['p2', 1, 2],
      [undefined, undefined, undefined],
    ]);
  });

  it('keeps every other field as recorded', () => {
    const records = [rec(1, { conn: 7, last_accepted: 9, proc: 'x' }), rec(2)];
    const shown = runLocal(records);
    const rest = (r: RunRecord) => {
      const copy: Partial<RunRecord> = { ...r };
      delete copy.conn;
      delete copy.last_accepted;
      delete copy.proc;
      return copy;
    };
    expect(shown.map(rest)).toEqual(records.map(rest));
  });

  it('leaves every rule’s verdict as it was (property)', () => {
    const record = fc.record({
      conn: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
      accepted: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
      proc: fc.option(fc.constantFrom('p', 'q'), { nil: undefined }),
      lastArrived: fc.integer({ min: 0, max: 3 }),
      credential: fc.constantFrom('A', 'B'),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (specs) => {
        const records = specs.map((s, i) =>
          rec(i + 1, {
            credential: s.credential,
            last_arrived: i + 1 + s.lastArrived,
            ...(s.proc === undefined
              ? {}
              : { proc: s.proc, conn: s.conn, last_accepted: s.accepted }),
          }),
        );
        const verdict = (rs: RunRecord[]) => judge(rs).rules.map((r) => [r.passed, r.evidence]);
        expect(verdict(runLocal(records))).toEqual(verdict(records));
      }),
    );
  });
});
