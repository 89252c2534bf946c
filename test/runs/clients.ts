import { correctRunClient } from '../../src/site/shared/run-clients';

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

/** A client's one call: GET a path with its token; the status it ends with. */
export interface Client {
  get(path: string): Promise<number>;
}

/** The correct client (src/site/shared/run-clients.ts, the one the playground drives runs with). */
export function correctClient(base: string, tokens: Tokens): Client {
  return { get: correctRunClient(base, tokens) };
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

/** One challenge of a WWW-Authenticate field: its scheme, auth-params (names lower-cased), token68. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
  token68?: string;
}

const TCHARS = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*(?=[ \t]*(,|$))/;

/**
 * The challenges of one WWW-Authenticate field, as RFC 9110 §11.6.1 writes them: `scheme
 * [ 1*SP ( token68 / #auth-param ) ]`, a comma between challenges and between their parameters,
 * so a token followed by `=` is a parameter of the challenge before it, any other a new scheme.
 * Written for these tests from the grammar, independent of src/.
 */
export function parseChallenges(field: string): Challenge[] {
  const found: Challenge[] = [];
  let rest = field;
  const skip = (pattern: RegExp) => {
    rest = rest.replace(pattern, '');
  };
  for (;;) {
    skip(/^[ \t,]+/);
    const name = TCHARS.exec(rest)?.[0];
    if (name === undefined) return found;
    rest = rest.slice(name.length);
    const current = found.at(-1);
    const param = /^[ \t]*=[ \t]*/.exec(rest);
    if (current && param && current.token68 === undefined) {
      rest = rest.slice(param[0].length);
      let value: string;
      if (rest.startsWith('"')) {
        const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
        if (!quoted) return found;
        value = quoted[1]!.replace(/\\(.)/g, '$1');
        rest = rest.slice(quoted[0].length);
      } else {
        value = TCHARS.exec(rest)?.[0] ?? '';
        rest = rest.slice(value.length);
      }
      current.params[name.toLowerCase()] = value;
      continue;
    }
    const challenge: Challenge = { scheme: name, params: {} };
    const spaced = /^[ \t]+/.exec(rest);
    if (spaced) {
      const after = rest.slice(spaced[0].length);
      // A token68 ends the challenge (a comma or the end follows): "name=value" never matches.
      const token68 = TOKEN68.exec(after)?.[0];
      if (token68 !== undefined) {
        challenge.token68 = token68;
        rest = after.slice(token68.length);
      }
    }
    found.push(challenge);
  }
}

/** Refreshes (once, then retries once) only when the Bearer challenge says invalid_token. */
async function getWithRenewal(
  base: string,
  tokens: Tokens,
  path: string,
  shouldRefresh: (res: Response, text: string) => boolean,
): Promise<number> {
  const send = (token: string) =>
    fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  const res = await send(tokens.access_token);
  const text = await res.text();
  if (res.status !== 401 || !shouldRefresh(res, text)) return res.status;
  const refreshed = await refreshWith(base, tokens.refresh_token);
  if (refreshed.status !== 200) return refreshed.status;
  return (await send(((await refreshed.json()) as Tokens).access_token)).status;
}

/** Parses WWW-Authenticate (RFC 9110 §11.6.1) and acts on the Bearer challenge's error. */
export function challengeClient(base: string, tokens: Tokens): Client {
  return {
    get: (path) =>
      getWithRenewal(base, tokens, path, (res) => {
        const challenges = parseChallenges(res.headers.get('www-authenticate') ?? '');
        const bearer = challenges.find((c) => c.scheme.toLowerCase() === 'bearer');
        return bearer?.params.error === 'invalid_token';
      }),
  };
}

/** Reads only the first challenge: its scheme is the field's first word. */
export function firstSchemeClient(base: string, tokens: Tokens): Client {
  return {
    get: (path) =>
      getWithRenewal(base, tokens, path, (res) => {
        const field = res.headers.get('www-authenticate') ?? '';
        return field.split(' ')[0] === 'Bearer' && field.includes('error="invalid_token"');
      }),
  };
}

/** String-matches the body for an expired token, as "if 'expired' in r.text" does. */
export function bodyMatchingClient(base: string, tokens: Tokens): Client {
  return {
    get: (path) => getWithRenewal(base, tokens, path, (_res, text) => /expired/i.test(text)),
  };
}

/** A DPoP client in a run, by X-Run-Id or under the run's base URL (its proofs' htu then name it). */
export interface DpopRunClient {
  login(): Promise<void>;
  get(path: string): Promise<number[]>;
}

/**
 * A client with a DPoP-bound token (RFC 9449), built on the page's proof maker
 * (src/site/shared/dpop.ts) over Node's WebCrypto. On 401 use_dpop_nonce it retries once with a
 * new proof: carrying the DPoP-Nonce when `usesNonce`, else (the bug) without one.
 */
export async function dpopRunClient(options: {
  origin: string;
  runId: string;
  /** PUBLIC_URL: the proofs' htu. */
  publicUrl: string;
  usesNonce: boolean;
  via?: 'header' | 'path';
}): Promise<DpopRunClient> {
  const prefix = options.via === 'path' ? `/runs/${options.runId}` : '';
  const { createProof, webCryptoKey, webCryptoSha256 } = await import('../../src/site/shared/dpop');
  const subtle = globalThis.crypto.subtle;
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ]);
  const key = await webCryptoKey(subtle, pair);
  const sha256 = webCryptoSha256(subtle);
  let token = '';
  const proof = async (method: string, path: string, nonce?: string) =>
    (
      await createProof(
        key,
        {
          method,
          url: `${options.publicUrl}${prefix}${path}`,
          ...(token ? { accessToken: token } : {}),
          ...(nonce !== undefined ? { nonce } : {}),
        },
        sha256,
      )
    ).proof;
  const headers: Record<string, string> = prefix ? {} : { 'X-Run-Id': options.runId };
  return {
    async login() {
      const res = await fetch(`${options.origin}${prefix}/auth/token`, {
        method: 'POST',
        headers: {
          ...headers,
          'Content-Type': 'application/x-www-form-urlencoded',
          DPoP: await proof('POST', '/auth/token'),
        },
        body: new URLSearchParams({
          grant_type: 'password',
          username: 'my_username',
          password: 'my_password',
        }),
      });
      const body = (await res.json()) as { access_token: string; token_type: string };
      if (res.status !== 200 || body.token_type !== 'DPoP') throw new Error(`login: ${res.status}`);
      token = body.access_token;
    },
    async get(path) {
      const send = async (nonce?: string) =>
        fetch(`${options.origin}${prefix}${path}`, {
          headers: {
            ...headers,
            Authorization: `DPoP ${token}`,
            DPoP: await proof('GET', path, nonce),
          },
        });
      const first = await send();
      const nonce = first.headers.get('dpop-nonce');
      if (first.status !== 401 || nonce === null) return [first.status];
      const retry = await send(options.usesNonce ? nonce : undefined);
      return [first.status, retry.status];
    },
  };
}
