import net from 'node:net';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createKeyRing } from '../../src/tokens/keys';
import { MemoryStore, systemClock, type Store } from '../../src/store';
import { RedisStore } from '../../src/store/redis';
import { issueAccessToken } from '../../src/tokens/verify';
import { describeRedis, redisUrl } from '../redis';
import { expectOccurrence } from '../helpers';

const config = loadConfig({ LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(32) });
const keys = createKeyRing(config);
const logger = pino({ level: 'silent' });
const appWith = (store: Store) => createApp(config, { store, logger, keys });

/** A port on which nothing listens: bound by us a moment ago, then released. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A valid access token for this app's configuration and keys. */
function validToken(): string {
  return issueAccessToken(
    { keys, jwt: config.jwt, clock: systemClock },
    { sub: 'alice', clientId: 'health-test', scope: 'data:read', expiresIn: 300 },
  ).token;
}

describe('health routes with the memory store', () => {
  const store = new MemoryStore({ maxEntries: 100, sweepIntervalMs: 0 });
  const app = appWith(store);
  afterAll(() => store.close());

  it('GET /healthz answers 200 {status: ok} with a request id', async () => {
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  });

  it('gives every response its own request id, and keeps a sane incoming one', async () => {
    const [a, b] = await Promise.all([request(app).get('/healthz'), request(app).get('/healthz')]);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    const own = await request(app).get('/healthz').set('X-Request-Id', 'client-id-42');
    expect(own.headers['x-request-id']).toBe('client-id-42');
  });

  it('HEAD /healthz answers 200 without a body', async () => {
    const res = await request(app).head('/healthz');
    expect(res.status).toBe(200);
    expect(res.text).toBeUndefined();
  });

  it('GET /readyz answers 200 and names the memory store and its fill level', async () => {
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ready',
      store: 'memory',
      usage: {
        maxEntries: 100,
        fill: expect.any(Number),
        near_full: false,
      },
      state: { since: expect.any(String), lost_while_running: false },
    });
  });

  it('GET /readyz gives the fill in whole percent, never a count another visitor could watch', async () => {
    const big = new MemoryStore({ maxEntries: 1000, sweepIntervalMs: 0 });
    const bigApp = appWith(big);
    const look = async () => (await request(bigApp).get('/readyz')).body.usage;
    const first = await look();
    // One visitor's login (an entry or two) does not show to the next one who asks.
    await big.set('someone-else:session', 'v', 60_000);
    expect(await look()).toEqual(first);
    expect(JSON.stringify(first)).not.toMatch(/"(entries|bytes)"/);
    for (let i = 0; i < 20; i++) await big.set(`k${i}`, 'v', 60_000);
    expect((await look()).fill).toBe(0.02);
    await big.close();
  });

  it('GET /readyz says near_full from 90%, and answers 503 store_full when the store is full', async () => {
    const small = new MemoryStore({ maxEntries: 10, sweepIntervalMs: 0 });
    const smallApp = appWith(small);
    // The first look writes the store's epoch (one entry); then eight more make 90%.
    expect((await request(smallApp).get('/readyz')).status).toBe(200);
    for (let i = 0; i < 8; i++) await small.set(`k${i}`, 'v', 60_000);
    const near = await request(smallApp).get('/readyz');
    expect(near.status).toBe(200);
    expect(near.body.usage).toEqual({ maxEntries: 10, fill: 0.9, near_full: true });
    await small.set('k9', 'v', 60_000);
    const full = await request(smallApp).get('/readyz');
    expect(full.status).toBe(503);
    expect(full.body).toMatchObject({ status: 503, code: 'store_full' });
    expect(full.headers['retry-after']).toBe('60');
    await small.close();
  });

  it.each(['/healthz', '/readyz'])('POST %s answers 405 with Allow, as a problem', async (path) => {
    const res = await request(app).post(path);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toMatchObject({
      status: 405,
      code: 'method_not_allowed',
      request_id: res.headers['x-request-id'],
    });
    expectOccurrence(res);
  });

  it('OPTIONS /healthz answers 204 with Allow', async () => {
    const res = await request(app).options('/healthz');
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('the valid token used below is accepted while the store answers', async () => {
    const res = await request(app)
      .get('/api/v1/data')
      .set('Authorization', `Bearer ${validToken()}`);
    expect(res.status).toBe(200);
    expect(res.body.caller).toMatchObject({ sub: 'alice', client_id: 'health-test' });
  });
});

describe('health routes when Redis is down', () => {
  let store: RedisStore;
  let app: ReturnType<typeof appWith>;
  let connecting: Promise<unknown>;
  beforeAll(async () => {
    store = new RedisStore({ url: `redis://127.0.0.1:${await deadPort()}`, logger });
    // As createStore does: start connecting in the background, do not wait for it.
    connecting = store.connect().catch(() => undefined);
    app = appWith(store);
  });
  afterAll(async () => {
    await store.close();
    await connecting;
  });

  it('GET /healthz still answers 200: the process is alive', async () => {
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 503 store_unavailable as a problem, with Retry-After', async () => {
    const started = Date.now();
    const res = await request(app).get('/readyz');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.body).toMatchObject({
      type: '/problems/store_unavailable',
      status: 503,
      code: 'store_unavailable',
      request_id: res.headers['x-request-id'],
    });
    expectOccurrence(res);
    // The detail is for a person; it does not leak the Redis address or the driver's error.
    expect(res.body.detail).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|redis:\/\//i);
  });

  it('a valid token answers 503 store_unavailable, not 401: an outage is not a logout', async () => {
    const res = await request(app)
      .get('/api/v1/data')
      .set('Authorization', `Bearer ${validToken()}`);
    expect(res.status).toBe(503);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body).toMatchObject({
      status: 503,
      code: 'store_unavailable',
      request_id: res.headers['x-request-id'],
    });
  });

  it('a request without a token still answers 401: no store is needed to judge that', async () => {
    const res = await request(app).get('/api/v1/data');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_missing');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  });
});

describeRedis('health routes with a live Redis', () => {
  let store: RedisStore;
  beforeAll(async () => {
    store = new RedisStore({ url: redisUrl as string, prefix: 'four-oh-one:test:health:', logger });
    await store.connect();
  });
  afterAll(() => store.close());

  it('GET /readyz answers 200 and names the redis store', async () => {
    const res = await request(appWith(store)).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ready', store: 'redis' });
    // Redis without maxmemory has no bound: no fill to speak of, and never a count.
    expect(res.body.usage).toEqual({ fill: 0, near_full: false });
  });

  it('a valid token is accepted (its revocation check reaches Redis)', async () => {
    const res = await request(appWith(store))
      .get('/api/v1/data')
      .set('Authorization', `Bearer ${validToken()}`);
    expect(res.status).toBe(200);
  });
});
