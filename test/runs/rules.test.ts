import type { RunRecord } from '../../src/runs/record';
import { judge, RULE_IDS, STORM_RETRIES, type RuleId } from '../../src/runs/rules';
import { expired, rec, refresh } from './records';

/** The ids of the rules a run breaks. */
const broken = (records: RunRecord[]): RuleId[] =>
  judge(records)
    .rules.filter((r) => !r.passed)
    .map((r) => r.rule);
const evidence = (records: RunRecord[], id: RuleId) =>
  judge(records).rules.find((r) => r.rule === id)!.evidence;

describe('the rules of a run report', () => {
  it('judge every rule, each once, with its standard and its fix', () => {
    const { rules } = judge([]);
    expect(rules.map((r) => r.rule)).toEqual(RULE_IDS);
    for (const r of rules) {
      expect(r.passed).toBe(true);
      expect(r.evidence).toEqual([]);
      expect(r.rfc.length).toBeGreaterThan(0);
      expect(r.fix.length).toBeGreaterThan(20);
    }
  });

  describe('refused_credential_retried', () => {
    it('passes one resend of a refused credential', () => {
      expect(broken([expired(1, 'A'), expired(2, 'A')])).toEqual([]);
    });
    it('fails two resends, naming the refusal and both resends', () => {
      const run = [expired(1, 'A'), expired(2, 'A'), expired(3, 'A')];
      expect(broken(run)).toEqual(['refused_credential_retried']);
      expect(evidence(run, 'refused_credential_retried')).toEqual([1, 2, 3]);
    });
    it('does not count requests sent before the refusal was answered (concurrent ones)', () => {
      const run = [
        expired(1, 'A', { last_arrived: 3 }),
        expired(2, 'A', { last_arrived: 3 }),
        expired(3, 'A'),
      ];
      expect(broken(run)).toEqual([]);
    });
    // Concurrent calls that each opened a connection can arrive after the first refusal was
    // answered (a slow network, a busy machine): the first request on a connection the same
    // process had accepted by then was still sent before the client could read it.
    const answered = { last_accepted: 3, proc: 'p1' };
    it('does not count the first request on a connection accepted before the refusal', () => {
      const run = [
        expired(1, 'A', { ...answered, conn: 1 }),
        expired(2, 'A', { ...answered, conn: 2 }),
        expired(3, 'A', { ...answered, conn: 3 }),
      ];
      expect(broken(run)).toEqual([]);
    });
    it('counts resends on a connection opened after it, on one used before, or in another process', () => {
      const after = [
        expired(1, 'A', answered),
        expired(2, 'A', { ...answered, conn: 4 }),
        expired(3, 'A', { ...answered, conn: 5 }),
      ];
      expect(broken(after)).toEqual(['refused_credential_retried']);
      // No `conn`: not the first request on its connection, which the client had used already.
      const reused = [
        expired(1, 'A', answered),
        expired(2, 'A', answered),
        expired(3, 'A', answered),
      ];
      expect(broken(reused)).toEqual(['refused_credential_retried']);
      // Numbers from another process say nothing about this one's answer.
      const elsewhere = [
        expired(1, 'A', answered),
        expired(2, 'A', { last_accepted: 3, proc: 'p2', conn: 1 }),
        expired(3, 'A', { last_accepted: 3, proc: 'p2', conn: 2 }),
      ];
      expect(broken(elsewhere)).toEqual(['refused_credential_retried']);
    });
  });

  describe('retry_storm', () => {
    const loop = (count: number, gapMs: number) =>
      Array.from({ length: count }, (_, i) =>
        expired(i + 1, `T${i}`, { at: 1_000_000 + i * gapMs }),
      );
    it(`passes ${STORM_RETRIES} retries in the window`, () => {
      expect(broken(loop(STORM_RETRIES + 1, 100))).toEqual([]);
    });
    it(`fails ${STORM_RETRIES + 1} retries in the window`, () => {
      const run = loop(STORM_RETRIES + 2, 100);
      expect(broken(run)).toEqual(['retry_storm']);
      expect(evidence(run, 'retry_storm')).toEqual([2, 3, 4, 5, 6, 7]);
    });
    it('passes the same retries spread over minutes', () => {
      expect(broken(loop(STORM_RETRIES + 2, 5000))).toEqual([]);
    });
  });

  describe('retry_after_ignored', () => {
    const limited = rec(1, { status: 429, code: 'rate_limited', retry_after: 2, credential: 'A' });
    it('fails a retry before the Retry-After delay', () => {
      const run = [limited, rec(2, { credential: 'A', at: limited.at + 500 })];
      expect(broken(run)).toEqual(['retry_after_ignored']);
      expect(evidence(run, 'retry_after_ignored')).toEqual([1, 2]);
    });
    it('passes a retry after it, and notes it', () => {
      const run = [limited, rec(2, { credential: 'A', at: limited.at + 2100 })];
      expect(broken(run)).toEqual([]);
      expect(judge(run).observations.map((o) => o.pattern)).toEqual(['retry_after_honoured']);
    });
    it('judges a 503 on the token endpoint by the next refresh', () => {
      const run = [
        refresh(1, 'R', { status: 503, code: 'store_unavailable', retry_after: 2 }),
        refresh(2, 'R', { at: 1_000_000 + 1000 * 1 + 300 }),
      ];
      expect(broken(run)).toEqual(['retry_after_ignored']);
    });
  });

  describe('refresh_token_reused and refresh_not_single_flight', () => {
    it('pass a refresh after a failed one with the same refresh token', () => {
      expect(broken([refresh(1, 'R', { status: 503 }), refresh(2, 'R')])).toEqual([]);
    });
    it('fail a refresh token used again after its new token was refused: reused', () => {
      const t = 1_000_000;
      const run = [
        expired(1, 'A', { at: t }),
        refresh(2, 'R1', { at: t + 20, issued: 'B' }),
        rec(3, { credential: 'B', at: t + 40 }),
        expired(4, 'B', { at: t + 60 }),
        refresh(5, 'R1', { at: t + 80, status: 400, code: 'refresh_token_reused' }),
      ];
      expect(broken(run)).toEqual(['refresh_token_reused']);
      expect(evidence(run, 'refresh_token_reused')).toEqual([2, 5]);
    });
    it('fail a refresh token used again long after: reused', () => {
      const run = [refresh(1, 'R1', { issued: 'B' }), refresh(3, 'R1', { at: 1_000_000 + 5000 })];
      expect(broken(run)).toEqual(['refresh_token_reused']);
    });
    it('fail refreshes with one refresh token in one burst: not single-flight', () => {
      const t = 1_000_000;
      const run = [
        expired(1, 'A', { at: t, last_arrived: 3 }),
        expired(2, 'A', { at: t, last_arrived: 3 }),
        expired(3, 'A', { at: t }),
        refresh(4, 'R1', { at: t + 110, issued: 'B' }),
        // The first call retried with the new token before the other refreshes arrived.
        rec(5, { credential: 'B', at: t + 115 }),
        refresh(6, 'R1', { at: t + 116, status: 400, code: 'refresh_token_reused' }),
        refresh(7, 'R1', { at: t + 117, status: 400, code: 'refresh_token_reused' }),
      ];
      expect(broken(run)).toEqual(['refresh_not_single_flight']);
      expect(evidence(run, 'refresh_not_single_flight')).toEqual([4, 6, 7]);
    });
    it('fail overlapping refreshes: not single-flight', () => {
      const run = [refresh(1, 'R1', { last_arrived: 2 }), refresh(2, 'R1')];
      expect(broken(run)).toEqual(['refresh_not_single_flight']);
    });
  });

  describe('forbidden_treated_as_unauthorized', () => {
    const refused = rec(1, { credential: 'A', status: 403, code: 'insufficient_scope' });
    it('fails a refresh right after a 403', () => {
      expect(broken([refused, refresh(2, 'R')])).toEqual(['forbidden_treated_as_unauthorized']);
    });
    it('fails a new login right after a 403', () => {
      expect(
        broken([refused, rec(2, { kind: 'token', method: 'POST', path: '/auth/token' })]),
      ).toEqual(['forbidden_treated_as_unauthorized']);
    });
    it('passes a client that reports the 403 and goes on', () => {
      expect(broken([refused, rec(2, { credential: 'A', path: '/api/v1/other' })])).toEqual([]);
    });
  });

  describe('credential_sent_elsewhere', () => {
    it('fails a credential sent to the scripted redirect’s target', () => {
      const run = [
        rec(1, { credential: 'A', status: 307 }),
        rec(2, { credential: 'A', path: '/elsewhere/api/v1/data', status: 404 }),
      ];
      expect(broken(run)).toEqual(['credential_sent_elsewhere']);
      expect(evidence(run, 'credential_sent_elsewhere')).toEqual([2]);
    });
    it('fails a credential sent to another host', () => {
      expect(
        broken([rec(1, { credential: 'A' }), rec(2, { credential: 'A', host: 'evil.test' })]),
      ).toEqual(['credential_sent_elsewhere']);
    });
    it('passes a redirect followed without the credential', () => {
      expect(
        broken([
          rec(1, { credential: 'A', status: 307 }),
          rec(2, { path: '/elsewhere/api/v1/data', status: 404 }),
        ]),
      ).toEqual([]);
    });
  });

  describe('expired_token_not_refreshed', () => {
    const past = (n: number) =>
      rec(n, {
        credential: 'A',
        token_exp: Math.floor((1_000_000 + n * 1000) / 1000) - 60,
        status: 401,
        code: 'token_expired',
      });
    it('fails a token past its exp that no refresh follows', () => {
      expect(broken([past(1)])).toEqual(['expired_token_not_refreshed']);
    });
    it('passes one that a refresh follows', () => {
      expect(broken([past(1), refresh(2, 'R'), rec(3, { credential: 'B' })])).toEqual([]);
    });
  });

  describe('keepalive_after_absolute_expiry', () => {
    const keepalive = (n: number, fields: Partial<RunRecord> = {}) =>
      rec(n, { method: 'POST', path: '/keepalive', kind: 'keepalive', credential: 'C', ...fields });
    const end = { status: 401, code: 'session_absolute_expired' };
    it('fails keepalives after session_absolute_expired', () => {
      const run = [keepalive(1), keepalive(2, end), keepalive(3, end)];
      expect(broken(run)).toEqual(['keepalive_after_absolute_expiry']);
      expect(evidence(run, 'keepalive_after_absolute_expiry')).toEqual([2, 3]);
    });
    it('passes a loop that stops there', () => {
      expect(
        broken([
          keepalive(1),
          keepalive(2, end),
          rec(3, { kind: 'login', method: 'POST', path: '/login' }),
        ]),
      ).toEqual([]);
    });
  });

  describe('dpop_nonce_ignored', () => {
    const asked = (n: number, fields: Partial<RunRecord> = {}) =>
      rec(n, {
        credential: 'D',
        status: 401,
        code: 'dpop_nonce_required',
        nonce_given: 'N1',
        ...fields,
      });

    it('passes a retry whose proof carries the nonce given, and notes it', () => {
      const run = [asked(1), rec(2, { credential: 'D', proof_nonce: 'N1' })];
      expect(broken(run)).toEqual([]);
      expect(judge(run).observations.map((o) => o.pattern)).toEqual(['dpop_nonce_used']);
    });
    it.each([
      ['without a nonce', {}],
      ['with a nonce the server never gave', { proof_nonce: 'N9' }],
    ])('fails a retry %s', (_, fields) => {
      const run = [asked(1), asked(2, { ...fields, nonce_given: 'N2' })];
      expect(broken(run)).toEqual(['dpop_nonce_ignored']);
      expect(evidence(run, 'dpop_nonce_ignored')).toEqual([1, 2]);
    });
    it('fails a client that never retried', () => {
      expect(broken([asked(1)])).toEqual(['dpop_nonce_ignored']);
    });
    it('accepts a later nonce the server gave before the retry', () => {
      const run = [
        asked(1),
        rec(2, { path: '/other', nonce_given: 'N2' }),
        rec(3, { credential: 'D', proof_nonce: 'N2' }),
      ];
      expect(broken(run)).toEqual([]);
    });
  });

  describe.each([
    ['challenge_list_misread', 'two_challenges'],
    ['challenge_not_read', 'gateway_body'],
  ] as const)('%s (after a %s 401)', (id, step) => {
    const refused = (n: number, fields: Partial<RunRecord> = {}) =>
      expired(n, 'A', { step, scripted: true, ...fields });

    it('passes a refresh, then a retry, and notes the challenge read', () => {
      const run = [refused(1), refresh(2, 'R'), rec(3, { credential: 'B' })];
      expect(broken(run)).toEqual([]);
      expect(judge(run).observations.map((o) => o.pattern)).toContain('challenge_read');
    });
    it('fails a client that gave up', () => {
      expect(broken([refused(1)])).toEqual([id]);
      expect(evidence([refused(1)], id)).toEqual([1]);
    });
    it('fails a client that resent the refused token before refreshing', () => {
      const run = [refused(1), refused(2), refresh(3, 'R'), rec(4, { credential: 'B' })];
      expect(broken(run)).toEqual([id]);
      expect(evidence(run, id)).toEqual([1, 2]);
    });
    it('counts a refresh shared by concurrent requests for each of them', () => {
      const run = [
        refused(1, { last_arrived: 2 }),
        refused(2),
        refresh(3, 'R'),
        rec(4, { credential: 'B' }),
        rec(5, { credential: 'B' }),
      ];
      expect(broken(run)).toEqual([]);
    });
    it('ignores the same 401 when no script worded it so', () => {
      expect(broken([expired(1, 'A')])).toEqual([]);
    });
  });

  describe('observations', () => {
    it('note a refresh-once, retry-once recovery and its time', () => {
      const run = [expired(1, 'A'), refresh(2, 'R'), rec(3, { credential: 'B' })];
      const { observations, rules } = judge(run);
      expect(rules.every((r) => r.passed)).toBe(true);
      expect(observations).toEqual([
        {
          pattern: 'recovered',
          evidence: [1, 2, 3],
          summary: 'Refreshed once (#2), retried once (#3), recovered in 2000 ms.',
        },
      ]);
    });
  });
});
