/**
 * Hand-written API clients in Node's fetch, one correct and four with a classic bug each, as a
 * developer would write them: the run reports (test/runs/clients.test.ts) must name each bug.
 */

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** Logs the demo user in with the password grant. */
export async function login(base: string): Promise<Tokens> {
  const res = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      username: 'my_username',
      password: 'my_password',
    }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status}`);
  return (await res.json()) as Tokens;
}

async function refreshWith(base: string, refreshToken: string): Promise<Response> {
  return fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const retryAfterMs = (res: Response) => Number(res.headers.get('retry-after') ?? '1') * 1000;

/** A client's one call: GET a path with its token; the status it ends with. */
export interface Client {
  get(path: string): Promise<number>;
}

/**
 * The correct client: one refresh shared by every request that sees a 401 (single-flight), one
 * retry with the new token; Retry-After honoured on 429 and 503 (the refresh's too); a 403 is
 * reported, never refreshed over; redirects followed by hand, without the credential.
 */
export function correctClient(base: string, tokens: Tokens): Client {
  let current = tokens;
  let refreshing: Promise<void> | undefined;
  const refresh = async (seen: string) => {
    if (current.access_token !== seen) return; // someone refreshed already
    refreshing ??= (async () => {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const res = await refreshWith(base, current.refresh_token);
        if (res.status === 200) {
          current = (await res.json()) as Tokens;
          return;
        }
        if (res.status !== 503 && res.status !== 429) throw new Error(`refresh: ${res.status}`);
        await sleep(retryAfterMs(res));
      }
      throw new Error('refresh: gave up');
    })().finally(() => {
      refreshing = undefined;
    });
    await refreshing;
  };
  const send = (path: string, token: string) =>
    fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` }, redirect: 'manual' });
  return {
    async get(path) {
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
      if (res.status === 307) {
        // Followed by hand, without Authorization: the target is not the protected resource.
        const location = res.headers.get('location')!;
        res = await fetch(new URL(location, base), { redirect: 'manual' });
      }
      return res.status;
    },
  };
}

/** Loops on 401: resends the refused token, up to ten times, never refreshing. */
export function loopingClient(base: string, tokens: Tokens): Client {
  return {
    async get(path) {
      let res: Response | undefined;
      for (let i = 0; i < 10; i += 1) {
        res = await fetch(`${base}${path}`, {
          headers: { Authorization: `Bearer ${tokens.access_token}` },
        });
        if (res.status !== 401) break;
      }
      return res!.status;
    },
  };
}

/** Ignores Retry-After: retries a 429 or 503 at once. */
export function impatientClient(base: string, tokens: Tokens): Client {
  return {
    async get(path) {
      let res = await fetch(`${base}${path}`, {
        headers: { Authorization: `Bearer ${tokens.access_token}` },
      });
      for (let i = 0; i < 3 && (res.status === 429 || res.status === 503); i += 1) {
        res = await fetch(`${base}${path}`, {
          headers: { Authorization: `Bearer ${tokens.access_token}` },
        });
      }
      return res.status;
    },
  };
}

/** No single-flight: every request that sees a 401 refreshes on its own, with the token it has. */
export function racingClient(base: string, tokens: Tokens): Client {
  let current = tokens;
  return {
    async get(path) {
      const mine = current;
      let res = await fetch(`${base}${path}`, {
        headers: { Authorization: `Bearer ${mine.access_token}` },
      });
      if (res.status === 401) {
        const refreshed = await refreshWith(base, mine.refresh_token);
        if (refreshed.status !== 200) return refreshed.status;
        current = (await refreshed.json()) as Tokens;
        res = await fetch(`${base}${path}`, {
          headers: { Authorization: `Bearer ${current.access_token}` },
        });
      }
      return res.status;
    },
  };
}

/** Keeps the refresh token of its login forever: refresh tokens rotate, so the second refresh reuses one. */
export function staleRefreshClient(base: string, tokens: Tokens): Client {
  let access = tokens.access_token;
  return {
    async get(path) {
      let res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${access}` } });
      if (res.status === 401) {
        const refreshed = await refreshWith(base, tokens.refresh_token);
        if (refreshed.status !== 200) return refreshed.status;
        access = ((await refreshed.json()) as Tokens).access_token;
        res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${access}` } });
      }
      return res.status;
    },
  };
}

/** Treats a 403 as a 401: refreshes and retries on either. */
export function forbiddenRefresher(base: string, tokens: Tokens): Client {
  let current = tokens;
  return {
    async get(path) {
      let res = await fetch(`${base}${path}`, {
        headers: { Authorization: `Bearer ${current.access_token}` },
      });
      if (res.status === 401 || res.status === 403) {
        const refreshed = await refreshWith(base, current.refresh_token);
        if (refreshed.status !== 200) return refreshed.status;
        current = (await refreshed.json()) as Tokens;
        res = await fetch(`${base}${path}`, {
          headers: { Authorization: `Bearer ${current.access_token}` },
        });
      }
      return res.status;
    },
  };
}

/** Follows redirects as fetch does by default: same-origin, Authorization and all. */
export function followingClient(base: string, tokens: Tokens): Client {
  return {
    async get(path) {
      const res = await fetch(`${base}${path}`, {
        headers: { Authorization: `Bearer ${tokens.access_token}` },
      });
      return res.status;
    },
  };
}

/** A session keepalive loop, as the article's heartbeat: the statuses its keepalives got. */
export interface Heartbeat {
  beat(times: number): Promise<number[]>;
}

/** Logs the demo user in with the session form (POST /login); the session cookie it set. */
export async function sessionLogin(base: string): Promise<string> {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'my_username', password: 'my_password' }),
  });
  if (res.status !== 200) throw new Error(`session login: ${res.status}`);
  const cookie = res.headers.getSetCookie()[0];
  if (!cookie) throw new Error('session login: no cookie');
  return cookie.split(';')[0]!;
}

async function keepalive(base: string, cookie: string): Promise<Response> {
  return fetch(`${base}/keepalive`, { method: 'POST', headers: { Cookie: cookie } });
}

/** Stops its keepalive loop at the first 401 (session_absolute_expired is final). */
export function stoppingHeartbeat(base: string, cookie: string): Heartbeat {
  return {
    async beat(times) {
      const statuses: number[] = [];
      for (let i = 0; i < times; i += 1) {
        const res = await keepalive(base, cookie);
        statuses.push(res.status);
        if (res.status === 401) break;
      }
      return statuses;
    },
  };
}

/** Keeps beating whatever the answer: the article's loop without a check of the status. */
export function deafHeartbeat(base: string, cookie: string): Heartbeat {
  return {
    async beat(times) {
      const statuses: number[] = [];
      for (let i = 0; i < times; i += 1) statuses.push((await keepalive(base, cookie)).status);
      return statuses;
    },
  };
}
