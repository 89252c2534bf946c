import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { RUN_MAX_REQUESTS, RUN_TTL_MS } from '../../src/runs/book';
import { MemoryStore } from '../../src/store';
import { buildApp, expectProblem, testClock, TEST_SECRET, type TestContext } from '../helpers';

const ALICE = '203.0.113.10';
const BOB = '198.51.100.20';

function sandbox() {
  const clock = testClock();
  const memory = new MemoryStore({
    maxEntries: 100_000,
    clock,
    sweepIntervalMs: 0,
    ownerQuota: { maxEntries: 2000, maxBytes: 1024 * 1024 },
  });
  return { ...buildApp({ env: { TRUST_PROXY: 'loopback' }, store: memory, clock }), memory };
}
const as = (ctx: TestContext, address: string) => ({
  get: (path: string) => ctx.http().get(path).set('X-Forwarded-For', address),
  post: (path: string) => ctx.http().post(path).set('X-Forwarded-For', address),
});

async function open(ctx: TestContext, address = ALICE, script = 'none') {
  const res = await as(ctx, address).post('/runs').send({ script });
  expect(res.status).toBe(201);
  return res.body as {
    id: string;
    base_url: string;
    report_url: string;
    header: { name: string; value: string };
  };
}

describe('runs (routes/runs.ts)', () => {
  describe('POST /runs', () => {
    it('answers 201 with the run, its base URL, header and report, and Location', async () => {
      const ctx = sandbox();
      const res = await as(ctx, ALICE).post('/runs').type('form').send({ script: 'expiry' });
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`/runs/${res.body.id}`);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({
        script: 'expiry',
        base_url: `${ctx.config.publicUrl}/runs/${res.body.id}`,
        header: { name: 'X-Run-Id', value: res.body.id },
        report_url: `${ctx.config.publicUrl}/runs/${res.body.id}/report`,
        max_requests: RUN_MAX_REQUESTS,
      });
      expect(Date.parse(res.body.expires_at) - Date.parse(res.body.opened_at)).toBe(RUN_TTL_MS);
    });

    it('opens RUNS_PER_ADDRESS runs per address per 30 minutes, then 429 run_limit_reached (another address still opens)', async () => {
      const clock = testClock();
      const ctx = buildApp({ env: { TRUST_PROXY: 'loopback', RUNS_PER_ADDRESS: '2' }, clock });
      await open(ctx, ALICE);
      await open(ctx, ALICE);
      const third = await as(ctx, ALICE).post('/runs').send({ script: 'none' });
      expectProblem(third, { status: 429, code: 'run_limit_reached', challenge: null });
      expect(third.body.detail).toContain('This address opened 2 runs');
      expect(third.headers['retry-after']).toBe(String(RUN_TTL_MS / 1000));
      await open(ctx, BOB);
      clock.advance(RUN_TTL_MS + 1000);
      await open(ctx, ALICE);
    });

    it.each([['chaos'], [''], [['expiry', 'none']]])(
      'refuses the script %j: 400 parameter_invalid',
      async (script) => {
        const ctx = sandbox();
        const res = await as(ctx, ALICE).post('/runs').send({ script });
        expectProblem(res, { status: 400, code: 'parameter_invalid', challenge: null });
      },
    );

    describe('from a browser', () => {
      it.each([
        ['a page of another site', { Origin: 'https://evil.example' }],
        ['an opaque origin', { Origin: 'null' }],
        ['a cross-site post without Origin', { 'Sec-Fetch-Site': 'cross-site' }],
      ])('refuses %s: 403 csrf_origin_refused, no run opened or counted', async (_, headers) => {
        const ctx = sandbox();
        const before = ctx.memory.size;
        for (let i = 0; i < 6; i += 1) {
          const res = await as(ctx, ALICE).post('/runs').set(headers).type('form').send({
            script: 'expiry',
          });
          expectProblem(res, { status: 403, code: 'csrf_origin_refused', challenge: null });
        }
        expect(ctx.memory.size).toBe(before);
        // Not charged to the address: its five runs are all still there to open.
        for (let i = 0; i < 5; i += 1) await open(ctx, ALICE);
      });

      it('opens a run posted from this site’s own page', async () => {
        const ctx = sandbox();
        const res = await as(ctx, ALICE)
          .post('/runs')
          .set({ Origin: new URL(ctx.config.publicUrl).origin, 'Sec-Fetch-Site': 'same-origin' })
          .type('form')
          .send({ script: 'expiry' });
        expect(res.status).toBe(201);
      });
    });

    it('lists the scripts', async () => {
      const ctx = sandbox();
      const res = await ctx.http().get('/runs/scripts');
      expect(res.status).toBe(200);
      expect(res.body.scripts.map((s: { name: string }) => s.name)).toContain('expiry');
    });
  });

  describe('a request in a run', () => {
    it('is served under the base URL as without it, on any route, and recorded', async () => {
      const ctx = sandbox();
      const run = await open(ctx);
      const echo = await as(ctx, ALICE).get(`/runs/${run.id}/headers`);
      expect(echo.status).toBe(200);
      // The OpenAI envelope on /v1/*: the dialect follows the path as served.
      const models = await as(ctx, ALICE).get(`/runs/${run.id}/v1/models`);
      expect(models.status).toBe(401);
      expect(models.body.error.code).toBe('invalid_api_key');
      const data = await as(ctx, ALICE)
        .get('/api/v1/data')
        .set('X-Run-Id', run.id)
        .set('Authorization', `Bearer ${ctx.token()}`);
      expect(data.status).toBe(200);
      const shown = await as(ctx, ALICE).get(`/runs/${run.id}`);
      expect(shown.status).toBe(200);
      expect(
        shown.body.requests.map((r: { path: string; status: number }) => [r.path, r.status]),
      ).toEqual([
        ['/headers', 200],
        ['/v1/models', 401],
        ['/api/v1/data', 200],
      ]);
    });

    // A busy event loop may run 'finish' listeners long after the answer went out: a client that
    // waited exactly Retry-After must not look early for it.
    it('times an answer until it is written, not until its finish event runs', async () => {
      const ctx = sandbox();
      const run = await open(ctx);
      const late = (req: IncomingMessage, res: ServerResponse) => {
        const emit = res.emit;
        res.emit = function (this: ServerResponse, event: string, ...args: unknown[]) {
          if (event === 'finish') ctx.clock.advance(5000);
          return emit.call(this, event, ...args);
        } as typeof res.emit;
        ctx.app(req, res);
      };
      const answer = await request(late)
        .get(`/runs/${run.id}/headers`)
        .set('X-Forwarded-For', ALICE);
      expect(answer.status).toBe(200);
      const shown = await as(ctx, ALICE).get(`/runs/${run.id}`);
      expect(shown.body.requests.map((r: { path: string; ms: number }) => [r.path, r.ms])).toEqual([
        ['/headers', 0],
      ]);
    });

    it('keeps a fingerprint of the credential, never the credential', async () => {
      const ctx = sandbox();
      const run = await open(ctx);
      const token = ctx.token();
      await as(ctx, ALICE)
        .get(`/runs/${run.id}/api/v1/data`)
        .set('Authorization', `Bearer ${token}`);
      await as(ctx, ALICE)
        .get(`/runs/${run.id}/api/v1/data`)
        .set('Authorization', `Bearer ${token}`);
      const report = await as(ctx, ALICE).get(run.report_url.replace(ctx.config.publicUrl, ''));
      const text = JSON.stringify(report.body);
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split('.')[2]!);
      const [a, b] = report.body.requests as { credential: string; token_exp: number }[];
      expect(a!.credential).toMatch(/^[A-Za-z0-9_-]{12}$/);
      expect(b!.credential).toBe(a!.credential);
      // Keyed: not a plain hash anyone could compute from a guessed token.
      expect(a!.credential).not.toBe(
        createHmac('sha256', TEST_SECRET)
          .update(`Bearer ${token}`)
          .digest('base64url')
          .slice(0, 12),
      );
    });

    it('is isolated per visitor: another address can neither use nor read the run', async () => {
      const ctx = sandbox();
      const run = await open(ctx, ALICE);
      const used = await as(ctx, BOB).get(`/runs/${run.id}/headers`);
      expectProblem(used, { status: 404, code: 'run_not_found', challenge: null });
      expectProblem(await as(ctx, BOB).get(`/runs/${run.id}/report`), {
        status: 404,
        code: 'run_not_found',
        challenge: null,
      });
      expect((await as(ctx, ALICE).get(`/runs/${run.id}`)).body.requests).toEqual([]);
    });

    it.each([['nonsense'], ['x'.repeat(300)], ['AAAAAAAAAAAAAAAA.zzzzzzz'], ['../../etc']])(
      'naming an unknown run %#: 404 run_not_found, not served',
      async (id) => {
        const ctx = sandbox();
        const res = await as(ctx, ALICE).get('/headers').set('X-Run-Id', id);
        expectProblem(res, { status: 404, code: 'run_not_found', challenge: null });
      },
    );

    it('after the run ended: 404 run_expired', async () => {
      const ctx = sandbox();
      const run = await open(ctx);
      ctx.clock.advance(RUN_TTL_MS + 1000);
      expectProblem(await as(ctx, ALICE).get(`/runs/${run.id}/headers`), {
        status: 404,
        code: 'run_expired',
        challenge: null,
      });
      expectProblem(await as(ctx, ALICE).get(`/runs/${run.id}/report`), {
        status: 404,
        code: 'run_expired',
        challenge: null,
      });
    });

    it(`records at most ${RUN_MAX_REQUESTS} requests, charged to the visitor, and serves the rest`, async () => {
      const ctx = sandbox();
      const run = await open(ctx);
      const before = ctx.memory.holding(visitorOf(ctx, ALICE));
      for (let i = 0; i < RUN_MAX_REQUESTS + 5; i += 1) {
        expect((await as(ctx, ALICE).get(`/runs/${run.id}/headers`)).status).toBe(200);
      }
      const report = await as(ctx, ALICE).get(`/runs/${run.id}/report`);
      expect(report.body.run).toMatchObject({
        arrived: RUN_MAX_REQUESTS + 5,
        recorded: RUN_MAX_REQUESTS,
        truncated: true,
      });
      const after = ctx.memory.holding(visitorOf(ctx, ALICE));
      expect(after.entries - before.entries).toBe(RUN_MAX_REQUESTS + 1);
      expect(after.bytes - before.bytes).toBeLessThan(RUN_MAX_REQUESTS * 500);
    });
  });

  describe('GET /runs/:id/report', () => {
    it('renders an HTML page for a browser, without inline script or style', async () => {
      const ctx = sandbox();
      const run = await open(ctx, ALICE, 'expiry');
      await as(ctx, ALICE)
        .get(`/runs/${run.id}/api/v1/data`)
        .set('Authorization', `Bearer ${ctx.token()}`);
      const res = await as(ctx, ALICE).get(`/runs/${run.id}/report`).set('Accept', 'text/html');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers.vary).toMatch(/Accept/);
      expect(res.text).toContain(run.id);
      expect(res.text).toContain('token_expired');
      expect(res.text).not.toMatch(/<script(?![^>]*\ssrc=)|\sstyle=|\son[a-z]+=/i);
    });
  });
});

/** The visitor tag the app computes for an address (as src/http/visitors.ts does). */
function visitorOf(ctx: TestContext, address: string): string {
  const key = createHmac('sha256', ctx.config.session.secret)
    .update('four-oh-one visitor tags')
    .digest();
  return createHmac('sha256', key).update(address).digest('base64url').slice(0, 16);
}
