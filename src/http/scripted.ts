import { problem, type HttpError } from './problems';

/**
 * Scripted failures: the answers a real refusal of each kind would give, served on purpose by
 * `/api/v1/flaky` (routes/bearer.ts) and by a run's script (middleware/run-script.ts), so that a
 * client's retry logic meets them where a test wants.
 */

/** What a scripted 429 names: a short wait, so a retry test need not sleep long. */
const SCRIPTED_RETRY_AFTER = '2';
export const SCRIPTED_RATE_LIMIT_HEADERS = {
  'Retry-After': SCRIPTED_RETRY_AFTER,
  RateLimit: `"flaky"; r=0; t=${SCRIPTED_RETRY_AFTER}`,
  'RateLimit-Policy': '"flaky"; q=10; w=60',
} as const;

/** The failure a script answers with. */
export type ScriptedStatus = '401' | '429' | '503';
export const SCRIPTED_STATUSES: readonly ScriptedStatus[] = ['401', '429', '503'];

/**
 * The scripted failure of a status: 401 token_expired with `challenge` (refresh, then retry),
 * 429 with Retry-After and RateLimit fields (wait, then retry), 503 store_unavailable with
 * Retry-After (keep the token, retry later). `which` starts the detail.
 */
export function scriptedFailure(
  status: ScriptedStatus,
  which: string,
  extensions: Record<string, unknown>,
  challenge: string,
): HttpError {
  switch (status) {
    case '429':
      return problem('rate_limited', {
        detail: `${which}: too many requests; wait for the Retry-After delay, then retry. Your token is fine.`,
        headers: SCRIPTED_RATE_LIMIT_HEADERS,
        extensions,
      });
    case '503':
      return problem('store_unavailable', {
        detail: `${which}: the state store is (pretend) down. Your token was not judged: keep it and retry after the Retry-After delay.`,
        headers: { 'Retry-After': SCRIPTED_RETRY_AFTER },
        extensions,
      });
    case '401':
      return problem('token_expired', {
        detail: `${which}: refresh your token and retry.`,
        headers: { 'WWW-Authenticate': challenge },
        extensions,
      });
  }
}
