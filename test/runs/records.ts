import type { RunRecord } from '../../src/runs/record';

/** A record: the n-th request, a second after the one before, answered before the next one. */
export function rec(n: number, fields: Partial<RunRecord> = {}): RunRecord {
  return {
    n,
    at: 1_000_000 + n * 1000,
    ms: 10,
    method: 'GET',
    path: '/api/v1/data',
    host: 'api.test',
    kind: 'resource',
    status: 200,
    last_arrived: n,
    ...fields,
  };
}
export const refresh = (n: number, rt: string, fields: Partial<RunRecord> = {}) =>
  rec(n, {
    method: 'POST',
    path: '/auth/token',
    kind: 'refresh',
    refresh_token: rt,
    credential: undefined,
    ...fields,
  });
export const expired = (n: number, credential: string, fields: Partial<RunRecord> = {}) =>
  rec(n, { credential, status: 401, code: 'token_expired', ...fields });
