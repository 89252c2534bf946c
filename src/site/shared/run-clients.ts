/**
 * A correct API client for a run (routes/runs.ts), as a developer would write one with fetch:
 * the playground's runs panel drives runs with it in the browser (src/site/browser/grade.ts),
 * and the run reports' tests with it in Node (test/runs/clients.ts). No DOM, no Node: fetch only.
 */

export interface RunTokens {
  access_token: string;
  refresh_token: string;
}

/** A client's one call: GET a path with its token; the status it ends with. */
export type RunCall = (path: string) => Promise<number>;

/** What every request adds (the page: no cookies, no cache). */
export type ExtraInit = Omit<RequestInit, 'headers' | 'method' | 'body' | 'redirect'>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry-After's seconds (this server sends seconds), at most 10 s. */
export const retryAfterMs = (res: Response) =>
  Math.min(10, Number(res.headers.get('retry-after') ?? '1') || 1) * 1000;

/** POST `base`/auth/token with a form. */
export function tokenRequest(
  base: string,
  fields: Record<string, string>,
  extra: ExtraInit = {},
): Promise<Response> {
  return fetch(`${base}/auth/token`, {
    ...extra,
    method: 'POST',
    body: new URLSearchParams(fields),
  });
}

/**
 * The correct client: one refresh shared by every request that sees a 401 (single-flight), one
 * retry with the new token; Retry-After honoured on 429 and 503 (the refresh's too); a 403
 * reported, never refreshed over; a redirect followed by hand without the credential (a page
 * cannot read one: it stops there).
 */
export function correctRunClient(base: string, tokens: RunTokens, extra: ExtraInit = {}): RunCall {
  let current = tokens;
  let refreshing: Promise<void> | undefined;
  const refresh = async (seen: string) => {
    if (current.access_token !== seen) return; // someone refreshed already
    refreshing ??= (async () => {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const res = await tokenRequest(
          base,
          { grant_type: 'refresh_token', refresh_token: current.refresh_token },
          extra,
        );
        if (res.status === 200) {
          current = (await res.json()) as RunTokens;
          return;
        }
        if (res.status !== 503 && res.status !== 429) throw new Error(`refresh: ${res.status}`);
        await sleep(retryAfterMs(res));
      }
      throw new Error('refresh: gave up after three attempts');
    })().finally(() => {
      refreshing = undefined;
    });
    await refreshing;
  };
  const send = (path: string, token: string) =>
    fetch(`${base}${path}`, {
      ...extra,
      headers: { Authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
  return async (path) => {
    let token = current.access_token;
    let res = await send(path, token);
    for (let waits = 0; (res.status === 429 || res.status === 503) && waits < 3; waits += 1) {
      await sleep(retryAfterMs(res));
      res = await send(path, token);
    }
    if (res.status === 401) {
      await refresh(token);
      token = current.access_token;
      res = await send(path, token);
    }
    if (res.type === 'opaqueredirect') return 307;
    const location = res.status === 307 ? res.headers.get('location') : null;
    if (location !== null) {
      // Without Authorization: the target is not the protected resource.
      res = await fetch(new URL(location, base), { ...extra, redirect: 'manual' });
    }
    return res.status;
  };
}
