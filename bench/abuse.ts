/**
 * A hostile stranger and a bystander, against one running server (TRUST_PROXY=loopback, so
 * X-Forwarded-For lets one machine play many client addresses). Shared by
 * test/e2e/sandbox-abuse.test.ts (which asserts) and bench/run.js's "abuse" section (which
 * reports). Everything stays on 127.0.0.1 and is bounded in requests.
 *
 * The adversary knows what every visitor knows (the published demo credentials, /scenarios and
 * its specimen tokens) and runs every attack of issue 10 from several addresses at once. The
 * bystander, from an address of its own, replays every registry scenario and the articles'
 * flows; each answer must be the documented one.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
// The server's own mapping of problem codes to OpenAI's.
import { openAiErrorCode } from '../src/http/problems';
import type { ProblemCode } from '../src/scenarios/catalog';

export const DEMO = {
  apiKey: 'YOUR_VALID_API_KEY',
  apiSecret: 'YOUR_VALID_API_SECRET',
  username: 'my_username',
  password: 'my_password',
  admin: 'admin',
  adminPassword: 'admin-password',
};

const rand = (n = 8) => randomBytes(n).toString('hex');

/** What the exercise reads from the server's JSON answers (every member optional: it checks). */
interface Body {
  access_token?: string;
  refresh_token?: string;
  code?: string;
  error?: { code?: string };
  scenarios?: CatalogScenario[];
  specimens?: { name: string; token: string }[];
  usage?: { fill: number; near_full: boolean };
}

/** A scenario as GET /scenarios lists it. */
interface CatalogScenario {
  id: string;
  trigger: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: Record<string, string>;
    content_type?: 'form' | 'json';
    fired?: boolean;
  };
  expect: { status: number; code?: ProblemCode; envelope?: 'openai' };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Body | undefined;
  text: string;
}

interface CallOptions {
  headers?: Record<string, string>;
  form?: Record<string, string>;
  json?: unknown;
}

/** One HTTP exchange from a given client address; never throws on a status. */
function call(
  base: string,
  address: string,
  method: string,
  path: string,
  { headers = {}, form, json }: CallOptions = {},
): Promise<Answer> {
  const h: Record<string, string> = { 'X-Forwarded-For': address, ...headers };
  let body: string | undefined;
  if (form !== undefined) {
    h['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  } else if (json !== undefined) {
    // JSON, unless the caller names its own Content-Type (a charset the server refuses).
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
      h['Content-Type'] = 'application/json';
    }
    body = JSON.stringify(json);
  }
  // Framed by its length whatever the method: node:http sends a GET's body unframed otherwise,
  // and the server would read it as the next request.
  if (body !== undefined) h['Content-Length'] = String(Buffer.byteLength(body));
  // node:http rather than fetch: triggers send headers fetch refuses to (malformed on purpose).
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, { method, headers: h, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Body | undefined;
        try {
          parsed = JSON.parse(text) as Body;
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

const bearer = (token: string | undefined) => ({ Authorization: `Bearer ${token}` });
const basic = (user: string, pass: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});

/** One attacking address: `c(method, path, options)` is one request from it, `grant` a password grant. */
interface Attacker {
  c: (method: string, path: string, options?: CallOptions) => Promise<Answer>;
  grant: (username: string, password: string) => Promise<Answer>;
}

/** What an address keeps between its attacks. */
interface AttackState {
  admin?: string;
  refresh?: string;
  user?: string;
}

type Specimens = Record<string, string>;

/**
 * The attacks, each a function of ({ c, grant }, state) sending a few requests.
 */
function attacks(
  specimens: Specimens,
): ((attacker: Attacker, state: AttackState) => Promise<void>)[] {
  return [
    // 1, 2: revoke-all with random and long subjects, with an admin token of one's own.
    async ({ c, grant }, s) => {
      s.admin ??= (await grant(DEMO.admin, DEMO.adminPassword)).body?.access_token;
      if (!s.admin) return;
      await c('POST', '/auth/revoke-all', {
        headers: bearer(s.admin),
        json: { sub: rand(Math.random() < 0.5 ? 8 : 3500) },
      });
    },
    // 3: ratchet revoke-all for the shared demo user, with fresh tokens each time.
    async ({ c, grant }) => {
      const t = (await grant(DEMO.username, DEMO.password)).body?.access_token;
      if (t) {
        await c('POST', '/auth/revoke-all', { headers: bearer(t), json: {} });
        await c('POST', '/auth/revoke-all', {
          headers: bearer(t),
          json: { sub: DEMO.username },
        });
      }
    },
    // 4: the shared admin specimen used to revoke everyone's tokens.
    async ({ c }) => {
      await c('POST', '/auth/revoke-all', {
        headers: bearer(specimens.admin),
        json: { sub: DEMO.username },
      });
    },
    // 5: lock the shared demo accounts out with wrong passwords.
    async ({ c, grant }) => {
      await c('POST', '/login', {
        form: { username: DEMO.username, password: rand() },
      });
      await grant(DEMO.admin, rand());
    },
    // 1: logins with random usernames and empty passwords, and successful logins.
    async ({ c }) => {
      await c('POST', '/login', { form: { username: rand(), password: '' } });
      await c('POST', '/login', {
        form: { username: DEMO.username, password: DEMO.password },
      });
    },
    // 6: revoke every shared specimen.
    async ({ c }) => {
      for (const token of [specimens.valid, specimens.admin, specimens.used_refresh]) {
        await c('POST', '/auth/revoke', { form: { token: token ?? '' } });
      }
    },
    // 7: password and secret guessing everywhere one is checked.
    async ({ c, grant }) => {
      await grant(DEMO.username, rand());
      await c('POST', '/auth/token', {
        json: { api_key: DEMO.apiKey, api_secret: rand() },
      });
      await c('POST', '/auth/introspect', {
        headers: basic(DEMO.apiKey, rand()),
        form: { token: 'x' },
      });
      await c('GET', '/bearer-or-basic', { headers: basic(DEMO.username, rand()) });
    },
    // 8: replay the reused-refresh scenario and rotate refresh chains (used markers).
    async ({ c, grant }, s) => {
      await c('POST', '/auth/token', {
        form: { grant_type: 'refresh_token', refresh_token: specimens.used_refresh ?? '' },
      });
      s.refresh ??= (await grant(DEMO.username, DEMO.password)).body?.refresh_token;
      if (!s.refresh) return;
      const res = await c('POST', '/auth/token', {
        form: { grant_type: 'refresh_token', refresh_token: s.refresh },
      });
      s.refresh = res.body?.refresh_token;
    },
    // 1: scripted-failure counters with random keys.
    async ({ c, grant }, s) => {
      s.user ??= (await grant(DEMO.username, DEMO.password)).body?.access_token;
      if (!s.user) return;
      await c('GET', `/api/v1/flaky?fail=3&key=${rand()}`, { headers: bearer(s.user) });
    },
    // 9: refusals with client-chosen request ids (overwrite others' explanations; spend budgets).
    async ({ c }) => {
      for (let i = 0; i < 5; i++) {
        await c('GET', '/api/v1/data', {
          headers: { 'X-Request-Id': `shared-id-${i}`, Authorization: 'Bearer x.y.z' },
        });
      }
    },
    // 9: secrets in paths, Digest nonce counts.
    async ({ c }) => {
      await c('GET', `/basic-auth/u/${rand()}`, { headers: basic('u', rand()) });
      await c('GET', `/digest-auth/auth/u/${rand()}`);
      await c('GET', `/api-key/${rand()}`);
    },
  ];
}

function passwordGrant(base: string, address: string, username: string, password: string) {
  return call(base, address, 'POST', '/auth/token', {
    form: { grant_type: 'password', username, password },
  });
}

/**
 * The adversary: about `requests` requests across `addresses`, attacks in turn, `concurrency`
 * at a time. Returns how many it sent, by status.
 */
async function adversary(
  base: string,
  {
    addresses,
    requests,
    concurrency = 8,
    specimens,
  }: { addresses: string[]; requests: number; concurrency?: number; specimens: Specimens },
): Promise<{ sent: number; byStatus: Record<string, number> }> {
  const list = attacks(specimens);
  const byStatus: Record<string, number> = {};
  let sent = 0;
  const state = new Map(addresses.map((a): [string, AttackState] => [a, {}]));
  const from = (address: string): Attacker => {
    const c: Attacker['c'] = async (method, path, options) => {
      const res = await call(base, address, method, path, options);
      sent += 1;
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      return res;
    };
    const grant = (username: string, password: string) =>
      c('POST', '/auth/token', { form: { grant_type: 'password', username, password } });
    return { c, grant };
  };
  const clients = new Map(addresses.map((a) => [a, from(a)]));
  let turn = 0;
  const worker = async () => {
    while (sent < requests) {
      const i = turn++;
      const address = addresses[i % addresses.length] ?? '';
      const attack = list[i % list.length];
      const client = clients.get(address);
      const kept = state.get(address);
      if (attack && client && kept) await attack(client, kept);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sent, byStatus };
}

/**
 * The bystander: every registry scenario (from /scenarios, with its specimens), then the
 * articles' flows. Returns the number checked and every mismatch.
 */
async function bystander(
  base: string,
  address: string,
  /** Whether this address may still have explanations left (120 a minute; a replay spends them). */
  explained = true,
): Promise<{ checked: number; mismatches: string[] }> {
  const mismatches: string[] = [];
  let checked = 0;
  const expect = (what: string, ok: boolean, got: string | number) => {
    checked += 1;
    if (!ok) mismatches.push(`${what}: ${got}`);
  };
  // A refusal, then its explanation (first: the replay below spends this address's budget
  // of explanations, which is what the budget is for).
  const refused = await call(base, address, 'GET', '/api/v1/data', {
    headers: bearer('not-a-token'),
  });
  const id = refused.headers['x-explanation-id'];
  if (id === undefined) {
    // Over the budget the answer names no explanation, rather than one that is not kept.
    expect('explanation named', !explained, 'no X-Explanation-Id');
  } else {
    const explanation = await call(base, address, 'GET', `/explain/${String(id)}`);
    expect(
      'explain',
      explanation.status === 200,
      `${explanation.status} ${explanation.body?.code ?? ''}`,
    );
  }
  const catalog = await call(base, address, 'GET', '/scenarios');
  for (const s of catalog.body?.scenarios ?? []) {
    const t = s.trigger;
    // A card whose answer needs a state a replay cannot make (an outage, a spent quota).
    if (t.fired === false) continue;
    const headers = { ...t.headers };
    const opts: CallOptions = { headers };
    if (t.body !== undefined) {
      if (t.content_type === 'form') opts.form = t.body;
      else opts.json = t.body;
    }
    const res = await call(base, address, t.method, t.path, opts);
    const openai = s.expect.envelope === 'openai';
    const code = openai ? res.body?.error?.code : res.body?.code;
    const want = s.expect.code && openai ? openAiErrorCode(s.expect.code) : s.expect.code;
    expect(
      s.id,
      res.status === s.expect.status && (want === undefined || code === want),
      `${res.status} ${code ?? ''} (documented ${s.expect.status} ${want ?? ''})`,
    );
  }
  // The first article: the api_key/api_secret token, then the data.
  const token = await call(base, address, 'POST', '/auth/token', {
    json: { api_key: DEMO.apiKey, api_secret: DEMO.apiSecret },
  });
  expect('article token', token.status === 200, token.status);
  const data = await call(base, address, 'GET', '/api/v1/data', {
    headers: bearer(token.body?.access_token),
  });
  expect('article data', data.status === 200, data.status);
  // The second article: login, keepalive, me; the password grant; the admin panel.
  const login = await call(base, address, 'POST', '/login', {
    form: { username: DEMO.username, password: DEMO.password },
  });
  expect('login', login.status === 200, `${login.status} ${login.body?.code ?? ''}`);
  const cookie = (login.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
  const keepalive = await call(base, address, 'POST', '/keepalive', {
    headers: { Cookie: cookie },
  });
  expect('keepalive', keepalive.status === 200, keepalive.status);
  const user = await passwordGrant(base, address, DEMO.username, DEMO.password);
  expect('password grant', user.status === 200, `${user.status} ${user.body?.code ?? ''}`);
  const userData = await call(base, address, 'GET', '/api/v1/data', {
    headers: bearer(user.body?.access_token),
  });
  expect('password grant data', userData.status === 200, userData.status);
  const admin = await passwordGrant(base, address, DEMO.admin, DEMO.adminPassword);
  expect('admin grant', admin.status === 200, `${admin.status} ${admin.body?.code ?? ''}`);
  const panel = await call(base, address, 'GET', '/admin', {
    headers: bearer(admin.body?.access_token),
  });
  expect('admin panel', panel.status === 200, panel.status);
  return { checked, mismatches };
}

/** Resident set size of a process, in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/**
 * The whole exercise: the bystander before, during and after the adversary. `pid` is sampled
 * for peak RSS. Returns everything the test asserts and the bench reports.
 */
export interface AbuseReport {
  adversary: { sent: number; byStatus: Record<string, number> };
  seconds: number;
  bystander: { checked: number; mismatches: string[] };
  peakRssMb: number;
  readyz: { status: number; usage?: { fill: number; near_full: boolean } };
}

export async function runAbuse(
  base: string,
  {
    pid,
    addresses,
    requests,
    bystanderAddress = '192.0.2.99',
  }: { pid: number; addresses: string[]; requests: number; bystanderAddress?: string },
): Promise<AbuseReport> {
  const specimens = (await call(base, bystanderAddress, 'GET', '/tokens/specimens')).body
    ?.specimens;
  const byName: Specimens = Object.fromEntries((specimens ?? []).map((s) => [s.name, s.token]));
  // The admin and used-refresh specimens are not bearer ones: take them from /scenarios.
  const catalog = await call(base, bystanderAddress, 'GET', '/scenarios');
  for (const s of catalog.body?.scenarios ?? []) {
    const auth = s.trigger.headers?.Authorization;
    if (s.id === 'admin-as-admin' && auth) byName.admin = auth.replace(/^Bearer /, '');
    if (s.trigger.body?.grant_type === 'refresh_token' && s.expect.code === 'refresh_token_reused')
      byName.used_refresh = s.trigger.body.refresh_token ?? '';
  }
  let peakRss = rssMb(pid);
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, rssMb(pid));
    } catch {
      // the process is gone; the caller notices
    }
  }, 200);
  try {
    const started = Date.now();
    const [attack, during] = await Promise.all([
      adversary(base, { addresses, requests, specimens: byName }),
      bystander(base, bystanderAddress),
    ]);
    const seconds = (Date.now() - started) / 1000;
    // Its replay during the attack spent this address's explanations for the minute.
    const after = await bystander(base, bystanderAddress, false);
    const ready = await call(base, bystanderAddress, 'GET', '/readyz');
    return {
      adversary: attack,
      seconds,
      bystander: {
        checked: during.checked + after.checked,
        mismatches: [...during.mismatches, ...after.mismatches],
      },
      peakRssMb: peakRss,
      readyz: { status: ready.status, ...(ready.body?.usage ? { usage: ready.body.usage } : {}) },
    };
  } finally {
    clearInterval(sampler);
  }
}
