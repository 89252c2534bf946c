import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { createApp } from '../../src/app';
import type { RunReport } from '../../src/runs/report';
import type { RuleId } from '../../src/runs/rules';
import { MemoryStore, systemClock } from '../../src/store';
import { listening, testConfig, type Listening } from '../helpers';
import {
  bodyMatchingClient,
  challengeClient,
  correctClient,
  deafHeartbeat,
  dpopRunClient,
  firstSchemeClient,
  followingClient,
  forbiddenRefresher,
  impatientClient,
  login,
  loopingClient,
  racingClient,
  sessionLogin,
  staleRefreshClient,
  stoppingHeartbeat,
  type Client,
  type Tokens,
} from './clients';

/**
 * The proof of issue 18: hand-written clients (test/runs/clients.ts) driven through scripted runs
 * on a real listening server with the real clock; each report names exactly the client's bugs.
 */
let served: Listening;
let origin: string;
const config = testConfig();

beforeEach(async () => {
  // A fresh store per test: every test opens its run from 127.0.0.1, 5 runs per window.
  const store = new MemoryStore({ maxEntries: 10_000 });
  const app = createApp(config, {
    store,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
  });
  served = await listening(app);
  origin = served.origin;
});
afterEach(() => served.close());

/** Opens a run of a script; its base URL on this server. */
async function openRun(script: string): Promise<{ id: string; base: string }> {
  const res = await fetch(`${origin}/runs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ script }),
  });
  expect(res.status).toBe(201);
  const run = (await res.json()) as { id: string; base_url: string };
  return { id: run.id, base: `${origin}/runs/${run.id}` };
}

async function report(id: string): Promise<RunReport> {
  const res = await fetch(`${origin}/runs/${id}/report`);
  expect(res.status).toBe(200);
  return (await res.json()) as RunReport;
}

const findings = (r: RunReport): RuleId[] => r.findings.map((f) => f.rule).sort();

/**
 * Runs a client under a script: logs in through the run, then makes `calls` calls at once (the
 * calls after the first each open a connection of their own, as fetch does).
 */
async function drive(
  script: string,
  make: (base: string, tokens: Tokens) => Client,
  calls = 1,
): Promise<{ report: RunReport; statuses: number[] }> {
  const { id, base } = await openRun(script);
  const client = make(base, await login(base));
  const statuses = await Promise.all(
    Array.from({ length: calls }, () => client.get('/api/v1/data')),
  );
  return { report: await report(id), statuses };
}

describe('a run report on hand-written fetch clients', () => {
  describe('the correct client', () => {
    it('passes "expiry" with three concurrent calls: one refresh, one retry each', async () => {
      const { report, statuses } = await drive('expiry', correctClient, 3);
      expect(statuses).toEqual([200, 200, 200]);
      expect(report.findings).toEqual([]);
      expect(report.passed).toBe(true);
      expect(report.requests.filter((r) => r.kind === 'refresh')).toHaveLength(1);
      expect(report.observations.map((o) => o.pattern)).toContain('recovered');
    });

    it('passes "expiry" when its concurrent calls arrive after the first refusal, on connections opened before it', async () => {
      // What a slow network or a busy machine does to calls made at once, made certain: three
      // connections are open, the first call's refusal is read, then the other two are written.
      // They arrive after the refusal, but each is the first on a connection this server had
      // accepted before it answered, so neither counts as sent after it (RunRecord.conn).
      const { id, base } = await openRun('expiry');
      const { access_token: token } = await login(base);
      const { port } = new URL(origin);
      // Another visitor's connections, accepted between the login and the run's calls: the
      // report must not tell how many there were.
      for (let i = 0; i < 5; i++) {
        const stranger = await fetch(`${origin}/healthz`, { headers: { connection: 'close' } });
        expect(stranger.status).toBe(200);
      }
      const sockets = await Promise.all(
        [1, 2, 3].map(
          () =>
            new Promise<Socket>((resolve, reject) => {
              const socket = connect(Number(port), '127.0.0.1', () => resolve(socket));
              socket.once('error', reject);
            }),
        ),
      );
      const path = new URL(`${base}/api/v1/data`).pathname;
      const get = (socket: Socket) =>
        new Promise<string>((resolve) => {
          let head = '';
          socket.on('data', (chunk: Buffer) => {
            head += chunk.toString('latin1');
            if (head.includes('\r\n\r\n')) resolve(head.slice(0, head.indexOf('\r\n')));
          });
          socket.write(
            `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
          );
        });
      try {
        await expect(get(sockets[0]!)).resolves.toBe('HTTP/1.1 401 Unauthorized');
        await expect(Promise.all(sockets.slice(1).map(get))).resolves.toEqual([
          'HTTP/1.1 401 Unauthorized',
          'HTTP/1.1 401 Unauthorized',
        ]);
      } finally {
        for (const socket of sockets) socket.destroy();
      }
      const r = await report(id);
      const resources = r.requests.filter((q) => q.kind === 'resource');
      expect(resources.map((q) => q.status)).toEqual([401, 401, 401]);
      // Arrived after the first was answered, each first on a connection accepted before it.
      const [first, ...later] = resources;
      for (const q of later) {
        expect(q.n).toBeGreaterThan(first!.last_arrived);
        expect(q.proc).toBe(first!.proc);
        expect(q.conn).toBeLessThanOrEqual(first!.last_accepted!);
      }
      // The numbers are the run's own ranks, and the process a run-local name: 1, 2, … with no
      // gap where the strangers' connections were.
      expect(new Set(r.requests.map((q) => q.proc))).toEqual(new Set(['p1']));
      const numbers = [
        ...new Set(
          r.requests.flatMap((q) => [q.conn, q.last_accepted].filter((n) => n !== undefined)),
        ),
      ].sort((a, b) => a - b);
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
      expect(resources.map((q) => q.conn)).toEqual([
        expect.any(Number),
        expect.any(Number),
        expect.any(Number),
      ]);
      expect(findings(r)).not.toContain('refused_credential_retried');
    });

    it('passes "refresh-unavailable": waits Retry-After, refreshes again with the same token', async () => {
      const { report, statuses } = await drive('refresh-unavailable', correctClient);
      expect(statuses).toEqual([200]);
      expect(report.findings).toEqual([]);
      expect(report.requests.map((r) => [r.kind, r.status])).toEqual([
        ['token', 200],
        ['resource', 401],
        ['refresh', 503],
        ['refresh', 200],
        ['resource', 200],
      ]);
      expect(report.observations.map((o) => o.pattern)).toContain('retry_after_honoured');
    });

    it('passes "rate-limited" and "insufficient-scope"', async () => {
      const limited = await drive('rate-limited', correctClient);
      expect(limited.statuses).toEqual([200]);
      expect(limited.report.findings).toEqual([]);
      const scoped = await drive('insufficient-scope', correctClient);
      expect(scoped.statuses).toEqual([403]);
      expect(scoped.report.findings).toEqual([]);
    });

    it('passes "redirect": follows it without the credential', async () => {
      const { report } = await drive('redirect', correctClient);
      expect(report.findings).toEqual([]);
      expect(report.requests.at(-1)).toMatchObject({ path: '/elsewhere/api/v1/data', status: 404 });
      expect(report.requests.at(-1)!.credential).toBeUndefined();
    });
  });

  it('names the client that loops on 401: the refused token resent, a retry storm', async () => {
    const { report, statuses } = await drive('expiry', loopingClient);
    expect(statuses).toEqual([401]);
    expect(findings(report)).toEqual(['refused_credential_retried', 'retry_storm']);
    const resent = report.findings.find((f) => f.rule === 'refused_credential_retried')!;
    expect(resent.evidence).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('names the client that ignores Retry-After', async () => {
    const { report, statuses } = await drive('rate-limited', impatientClient);
    expect(statuses).toEqual([200]);
    expect(findings(report)).toEqual(['retry_after_ignored']);
    expect(report.findings[0]!.evidence).toEqual([2, 3]);
  });

  it('names the client without single-flight refresh', async () => {
    const { report } = await drive('expiry', racingClient, 3);
    expect(findings(report)).toEqual(['refresh_not_single_flight']);
    const refreshes = report.requests.filter((r) => r.kind === 'refresh').map((r) => r.n);
    expect(refreshes).toHaveLength(3);
    expect(report.findings[0]!.evidence).toEqual(refreshes);
  });

  it('names the client that keeps its first refresh token', async () => {
    const { id, base } = await openRun('expiry-twice');
    const client = staleRefreshClient(base, await login(base));
    expect(await client.get('/api/v1/data')).toBe(200);
    // Within its retry grace the server answers a used refresh token with the same pair again
    // (auth-token-refresh-retry): the client gets back the token that just expired.
    expect(await client.get('/api/v1/data')).toBe(401);
    const r = await report(id);
    expect(findings(r)).toEqual(['refresh_token_reused']);
    expect(r.findings[0]!.evidence).toEqual([3, 6]);
  });

  it('names the client that refreshes on a 403', async () => {
    const { report, statuses } = await drive('insufficient-scope', forbiddenRefresher);
    expect(statuses).toEqual([200]);
    expect(findings(report)).toEqual(['forbidden_treated_as_unauthorized']);
    expect(report.findings[0]!.evidence).toEqual([2, 3]);
  });

  it('names the client that follows a redirect with its credential', async () => {
    const { report } = await drive('redirect', followingClient);
    expect(findings(report)).toEqual(['credential_sent_elsewhere']);
    expect(report.findings[0]!.evidence).toEqual([3]);
  });

  describe('the session-absolute script, with a cookie session and its keepalive loop', () => {
    it('passes the loop that stops at session_absolute_expired', async () => {
      const { id, base } = await openRun('session-absolute');
      const statuses = await stoppingHeartbeat(base, await sessionLogin(base)).beat(6);
      expect(statuses).toEqual([200, 200, 401]);
      const r = await report(id);
      expect(r.findings).toEqual([]);
      expect(r.requests.map((q) => [q.kind, q.status, q.code])).toEqual([
        ['login', 200, undefined],
        ['keepalive', 200, undefined],
        ['keepalive', 200, undefined],
        ['keepalive', 401, 'session_absolute_expired'],
      ]);
    });

    it('names the loop that keeps beating after it: keepalive_after_absolute_expiry', async () => {
      const { id, base } = await openRun('session-absolute');
      const statuses = await deafHeartbeat(base, await sessionLogin(base)).beat(5);
      expect(statuses).toEqual([200, 200, 401, 401, 401]);
      const r = await report(id);
      expect(findings(r)).toEqual(['keepalive_after_absolute_expiry']);
      expect(r.findings[0]!.evidence).toEqual([4, 5, 6]);
    });
  });

  describe('the two-challenges script: DPoP’s challenge, then Bearer error="invalid_token"', () => {
    it('passes the client that parses the challenges and refreshes on Bearer’s error', async () => {
      const { report, statuses } = await drive('two-challenges', challengeClient);
      expect(statuses).toEqual([200]);
      expect(report.findings).toEqual([]);
      expect(report.requests.map((r) => [r.kind, r.status, r.step])).toEqual([
        ['token', 200, undefined],
        ['resource', 401, 'two_challenges'],
        ['refresh', 200, undefined],
        ['resource', 200, undefined],
      ]);
      expect(report.observations.map((o) => o.pattern).sort()).toEqual([
        'challenge_read',
        'recovered',
      ]);
    });

    it('names the client that reads only the first scheme: challenge_list_misread', async () => {
      const { report, statuses } = await drive('two-challenges', firstSchemeClient);
      expect(statuses).toEqual([401]);
      expect(findings(report)).toEqual(['challenge_list_misread']);
      expect(report.findings[0]!.evidence).toEqual([2]);
      expect(report.findings[0]!.rfc.map((r) => r.label)).toContain('RFC 9110 §11.6.1');
    });

    it('the 401 carries both challenges in one field, and a problem body', async () => {
      const { id, base } = await openRun('two-challenges');
      const tokens = await login(base);
      const res = await fetch(`${base}/api/v1/data`, {
        headers: { Authorization: `Bearer ${tokens.access_token}` },
      });
      expect(res.status).toBe(401);
      const field = res.headers.get('www-authenticate')!;
      expect(field).toMatch(
        /^DPoP realm="four-oh-one", algs="[^"]+"(, resource_metadata="[^"]+")?, Bearer /,
      );
      expect(field).toContain('error="invalid_token"');
      expect(((await res.json()) as { code: string }).code).toBe('token_expired');
      expect((await report(id)).requests.at(-1)).toMatchObject({ step: 'two_challenges' });
    });
  });

  describe('the gateway-body script: the standard challenge, an HTML body', () => {
    it('answers 401 with Bearer error="invalid_token" and a body that names no code', async () => {
      const { base } = await openRun('gateway-body');
      const tokens = await login(base);
      const res = await fetch(`${base}/api/v1/data`, {
        headers: { Authorization: `Bearer ${tokens.access_token}` },
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="four-oh-one", error="invalid_token"(, resource_metadata="[^"]+")?$/,
      );
      expect(res.headers.get('x-request-id')).toBeTruthy();
      const text = await res.text();
      expect(text).toContain('401 Authorization Required');
      expect(text).not.toMatch(/expired|token_/i);
    });

    it('passes the client that reads the challenge', async () => {
      const { report, statuses } = await drive('gateway-body', challengeClient);
      expect(statuses).toEqual([200]);
      expect(report.findings).toEqual([]);
      expect(report.observations.map((o) => o.pattern)).toContain('challenge_read');
    });

    it('names the client that string-matches the body: challenge_not_read', async () => {
      const { report, statuses } = await drive('gateway-body', bodyMatchingClient);
      expect(statuses).toEqual([401]);
      expect(findings(report)).toEqual(['challenge_not_read']);
      expect(report.findings[0]!.evidence).toEqual([2]);
      expect(report.findings[0]!.rfc.map((r) => r.label)).toEqual([
        'RFC 6750 §3',
        'RFC 9110 §11.6.1',
      ]);
    });

    it('names the client that loops on it: the refused token resent, and the challenge unread', async () => {
      const { report } = await drive('gateway-body', loopingClient);
      expect(findings(report)).toEqual([
        'challenge_not_read',
        'refused_credential_retried',
        'retry_storm',
      ]);
      expect(report.findings.find((f) => f.rule === 'challenge_not_read')!.evidence).toEqual([
        2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
      ]);
    });
  });

  describe('the dpop-nonce script: the resource demands a DPoP nonce', () => {
    async function driveDpop(usesNonce: boolean, via: 'header' | 'path' = 'header') {
      const { id } = await openRun('dpop-nonce');
      const client = await dpopRunClient({
        origin,
        runId: id,
        publicUrl: config.publicUrl,
        usesNonce,
        via,
      });
      await client.login();
      const statuses = await client.get('/api/v1/data');
      return { statuses, report: await report(id) };
    }

    it('passes the client that retries once with the DPoP-Nonce', async () => {
      const { statuses, report } = await driveDpop(true);
      expect(statuses).toEqual([401, 200]);
      expect(report.findings).toEqual([]);
      expect(report.requests.map((r) => [r.kind, r.status, r.code])).toEqual([
        ['token', 200, undefined],
        ['resource', 401, 'dpop_nonce_required'],
        ['resource', 200, undefined],
      ]);
      const [, asked, retried] = report.requests;
      expect(asked!.nonce_given).toMatch(/^[A-Za-z0-9_-]{12}$/);
      expect(retried!.proof_nonce).toBe(asked!.nonce_given);
      expect(report.observations.map((o) => o.pattern)).toEqual(['dpop_nonce_used']);
    });

    it('passes it under the run’s base URL too: the proofs’ htu name the URL as sent', async () => {
      const { statuses, report } = await driveDpop(true, 'path');
      expect(statuses).toEqual([401, 200]);
      expect(report.findings).toEqual([]);
      expect(report.requests.map((r) => [r.path, r.status])).toEqual([
        ['/auth/token', 200],
        ['/api/v1/data', 401],
        ['/api/v1/data', 200],
      ]);
    });

    it('names the client that retries without the nonce: dpop_nonce_ignored', async () => {
      const { statuses, report } = await driveDpop(false);
      expect(statuses).toEqual([401, 401]);
      expect(findings(report)).toEqual(['dpop_nonce_ignored']);
      expect(report.findings[0]!.evidence).toEqual([2, 3]);
      expect(report.findings[0]!.summary).toContain('without one');
    });
  });
});
