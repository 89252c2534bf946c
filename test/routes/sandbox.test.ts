import { decode } from 'jsonwebtoken';
import { MemoryStore } from '../../src/store';
import { buildApp, expectProblem, testClock, type TestContext } from '../helpers';

/**
 * A public sandbox: the demo credentials are public, and nothing one visitor does may change the
 * answers another visitor gets. Visitors are client addresses; TRUST_PROXY=loopback lets one
 * test play many of them through X-Forwarded-For.
 */
const ALICE = '203.0.113.10';
const BOB = '198.51.100.20';
const QUOTA = { VISITOR_MAX_ENTRIES: '40', VISITOR_MAX_BYTES: '20000' };

function sandbox(env: Record<string, string> = {}): TestContext & { memory: MemoryStore } {
  const clock = testClock();
  const memory = new MemoryStore({
    maxEntries: 10_000,
    clock,
    sweepIntervalMs: 0,
    ownerQuota: {
      maxEntries: Number(env.VISITOR_MAX_ENTRIES ?? QUOTA.VISITOR_MAX_ENTRIES),
      maxBytes: Number(env.VISITOR_MAX_BYTES ?? QUOTA.VISITOR_MAX_BYTES),
    },
  });
  const ctx = buildApp({
    env: { TRUST_PROXY: 'loopback', ...QUOTA, ...env },
    store: memory,
    clock,
  });
  return { ...ctx, memory };
}

/** A request from one visitor's address. */
const as = (ctx: TestContext, address: string) => ({
  get: (path: string) => ctx.http().get(path).set('X-Forwarded-For', address),
  post: (path: string) => ctx.http().post(path).set('X-Forwarded-For', address),
});

async function passwordToken(ctx: TestContext, address: string, user = 'my_username') {
  const password = user === 'admin' ? 'admin-password' : 'my_password';
  const res = await as(ctx, address)
    .post('/auth/token')
    .type('form')
    .send({ grant_type: 'password', username: user, password });
  expect(res.status).toBe(200);
  return res.body as { access_token: string; refresh_token: string };
}

const data = (ctx: TestContext, address: string, token: string) =>
  as(ctx, address).get('/api/v1/data').set('Authorization', `Bearer ${token}`);

describe('a public sandbox', () => {
  describe('revoke-all (POST /auth/revoke-all)', () => {
    it("revokes only the caller's own tokens: another visitor's token for the same demo user still works", async () => {
      const ctx = sandbox();
      const alice = await passwordToken(ctx, ALICE);
      const bob = await passwordToken(ctx, BOB);
      const res = await as(ctx, ALICE)
        .post('/auth/revoke-all')
        .set('Authorization', `Bearer ${alice.access_token}`);
      expect(res.status).toBe(200);
      expect((await data(ctx, ALICE, alice.access_token)).body.code).toBe('token_revoked');
      expect((await data(ctx, BOB, bob.access_token)).status).toBe(200);
      // Bob's refresh token is untouched too; Alice's is revoked with the rest of her tokens.
      const refresh = (address: string, token: string) =>
        as(ctx, address)
          .post('/auth/token')
          .type('form')
          .send({ grant_type: 'refresh_token', refresh_token: token });
      expect((await refresh(BOB, bob.refresh_token)).status).toBe(200);
      expect((await refresh(ALICE, alice.refresh_token)).body.code).toBe('invalid_grant');
    });

    it('never moves iat into the future: after 600 calls a fresh token works at once', async () => {
      const ctx = sandbox();
      const { access_token } = await passwordToken(ctx, ALICE);
      for (let i = 0; i < 600; i++) {
        const res = await as(ctx, ALICE)
          .post('/auth/revoke-all')
          .set('Authorization', `Bearer ${access_token}`)
          .send({ sub: 'my_username' });
        // The first call revokes the caller's token itself; later calls are refused with it.
        if (i === 0) expect(res.status).toBe(200);
      }
      const fresh = await passwordToken(ctx, ALICE);
      const claims = decode(fresh.access_token) as { iat: number };
      expect(claims.iat).toBe(Math.floor(ctx.clock.now() / 1000));
      expect((await data(ctx, ALICE, fresh.access_token)).status).toBe(200);
      // Calling it again and again with fresh tokens moves nothing either.
      for (let i = 0; i < 50; i++) {
        const t = await passwordToken(ctx, ALICE);
        await as(ctx, ALICE)
          .post('/auth/revoke-all')
          .set('Authorization', `Bearer ${t.access_token}`);
      }
      const last = await passwordToken(ctx, ALICE);
      expect((await data(ctx, ALICE, last.access_token)).status).toBe(200);
    });

    it('refuses the shared admin specimen with 403 specimen_read_only, writing nothing', async () => {
      const ctx = sandbox();
      const specimens = await ctx.specimens.get();
      const before = ctx.memory.size;
      const res = await as(ctx, ALICE)
        .post('/auth/revoke-all')
        .set('Authorization', `Bearer ${specimens.admin}`)
        .send({ sub: 'my_username' });
      expectProblem(res, { status: 403, code: 'specimen_read_only' });
      expect(ctx.memory.size).toBe(before);
      // The admin specimen still opens the read-only admin panel.
      const panel = await as(ctx, ALICE)
        .get('/admin')
        .set('Authorization', `Bearer ${specimens.admin}`);
      expect(panel.status).toBe(200);
    });

    it.each([
      ['7 KB', 'x'.repeat(7 * 1024)],
      ['129 characters', 'y'.repeat(129)],
      ['empty', ''],
    ])('refuses a %s sub with 400 before it reaches the store', async (_name, sub) => {
      const ctx = sandbox();
      const { access_token } = await passwordToken(ctx, ALICE, 'admin');
      // The first token check writes the store's epoch (src/store/epoch.ts); then nothing more.
      expect((await data(ctx, ALICE, access_token)).status).toBe(200);
      const before = ctx.memory.bytes;
      const res = await as(ctx, ALICE)
        .post('/auth/revoke-all')
        .set('Authorization', `Bearer ${access_token}`)
        .send({ sub });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_request', error: 'invalid_request' });
      expect(ctx.memory.bytes).toBe(before);
    });
  });

  describe('specimens are shared, so nobody can change them', () => {
    it('POST /auth/revoke of the valid specimen answers 200 and the specimen keeps working', async () => {
      const ctx = sandbox();
      const { valid } = await ctx.specimens.get();
      const res = await as(ctx, ALICE).post('/auth/revoke').type('form').send({ token: valid });
      expect(res.status).toBe(200);
      expect((await data(ctx, BOB, valid)).status).toBe(200);
    });

    it('the reused refresh specimen answers refresh_token_reused every time, for everyone', async () => {
      const ctx = sandbox();
      const { used_refresh } = await ctx.specimens.get();
      for (const address of [ALICE, BOB, ALICE]) {
        const res = await as(ctx, address)
          .post('/auth/token')
          .type('form')
          .send({ grant_type: 'refresh_token', refresh_token: used_refresh });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'refresh_token_reused', error: 'invalid_grant' });
      }
    });
  });

  describe('no request can end the process', () => {
    it.each([-1e300, 1e300, 9e15, -9e15, 1.5e12])(
      'a signed refresh token with exp %p answers 400 invalid_grant, not 500',
      async (exp) => {
        const ctx = sandbox();
        const now = Math.floor(ctx.clock.now() / 1000);
        const token = ctx.keys.sign(
          {
            iss: ctx.config.jwt.issuer,
            sub: 'my_username',
            aud: ctx.config.jwt.issuer,
            iat: now,
            exp,
            jti: 'j1',
            fid: 'f1',
            client_id: 'four-oh-one-public',
            scope: 'data:read',
            type: 'user',
          },
          { typ: 'rt+jwt' },
        );
        const res = await as(ctx, ALICE)
          .post('/auth/token')
          .type('form')
          .send({ grant_type: 'refresh_token', refresh_token: token });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'invalid_grant' });
      },
    );
  });

  describe('per-visitor quotas', () => {
    it('refuses a visitor past its share with 429 visitor_quota_exceeded, and nobody else', async () => {
      const ctx = sandbox();
      let refused;
      for (let i = 0; i < 60 && !refused; i++) {
        const res = await as(ctx, ALICE)
          .post('/login')
          .type('form')
          .send({ username: 'my_username', password: 'my_password' });
        if (res.status !== 200) refused = res;
      }
      expect(refused).toBeDefined();
      if (!refused) return;
      expectProblem(refused, { status: 429, code: 'visitor_quota_exceeded' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers['set-cookie']).toBeUndefined();
      // What Alice left behind is her share, plus a few unowned counters (the login limits).
      expect(ctx.memory.size).toBeLessThanOrEqual(40 + 10);
      // Bob logs in, gets a token, refreshes it and is scripted to fail as if nothing happened.
      const bob = await as(ctx, BOB)
        .post('/login')
        .type('form')
        .send({ username: 'my_username', password: 'my_password' });
      expect(bob.status).toBe(200);
      const token = await passwordToken(ctx, BOB);
      expect((await data(ctx, BOB, token.access_token)).status).toBe(200);
    });

    it('bounds scripted-failure counters with random keys per visitor', async () => {
      const ctx = sandbox();
      const alice = await passwordToken(ctx, ALICE);
      const statuses = new Set<number>();
      for (let i = 0; i < 60; i++) {
        const res = await as(ctx, ALICE)
          .get(`/api/v1/flaky?fail=1&key=k${i}`)
          .set('Authorization', `Bearer ${alice.access_token}`);
        statuses.add(res.status);
      }
      expect([...statuses].sort()).toEqual([401, 429]);
      // Bob's counters are his own: the same key fails once for him, then succeeds.
      const bob = await passwordToken(ctx, BOB);
      const flaky = () =>
        as(ctx, BOB)
          .get('/api/v1/flaky?fail=1&key=k0')
          .set('Authorization', `Bearer ${bob.access_token}`);
      expect((await flaky()).status).toBe(401);
      expect((await flaky()).status).toBe(200);
    });
  });
});
