// Shared with the bench's "abuse" section (bench/run.ts).
import { runAbuse, type AbuseReport } from '../../bench/abuse';
import { startRedis, startServer, until, type StartedRedis, type StartedServer } from './support';

/**
 * Issue 10's proof: one visitor runs every attack from six addresses while another replays
 * every registry scenario and the articles' flows. Nothing the first does may change what the
 * second sees, the process stays up, and its memory stays bounded.
 */
const ADDRESSES = ['10.66.0.1', '10.66.0.2', '10.66.0.3', '10.66.0.4', '10.66.0.5', '10.66.0.6'];
const REQUESTS = 3000;
/** The bound this test sets for the server's resident memory while it is attacked. */
const RSS_BOUND_MB = 300;

const ENV = {
  // startServer reads the port from the "listening" line, which is logged at info.
  LOG_LEVEL: 'info',
  JWT_SECRET: 'four-oh-one-abuse-test-secret-0123456789',
  TRUST_PROXY: 'loopback',
  CORS_DEMO_PORT: '0',
  // Small shares, so that the adversary meets them within the run.
  VISITOR_MAX_ENTRIES: '200',
  STORE_MAX_ENTRIES: '20000',
};

function expectUnharmed(report: AbuseReport, server: StartedServer): void {
  expect(report.bystander.mismatches).toEqual([]);
  expect(report.bystander.checked).toBeGreaterThan(200);
  expect(report.adversary.sent).toBeGreaterThanOrEqual(REQUESTS);
  // The adversary was refused by its own limits and quotas, and never got a 5xx.
  expect(report.adversary.byStatus['429']).toBeGreaterThan(0);
  for (const status of Object.keys(report.adversary.byStatus)) {
    expect(Number(status)).toBeLessThan(500);
  }
  expect(server.child.exitCode).toBeNull();
  expect(report.peakRssMb).toBeLessThan(RSS_BOUND_MB);
  expect(report.readyz.status).toBe(200);
}

describe('a public sandbox under attack', () => {
  describe.each(['memory', 'redis'])('with the %s store', (kind) => {
    let redis: StartedRedis | undefined;
    let server: StartedServer;
    beforeAll(async () => {
      // A Redis of its own: nothing else's keys, nothing left behind.
      redis = kind === 'redis' ? await startRedis() : undefined;
      server = await startServer(redis ? { ...ENV, REDIS_URL: redis.url } : ENV);
      // Until the first connection to Redis is made, requests get 503: wait for readiness.
      const ready = async () =>
        (await fetch(`http://127.0.0.1:${server!.port}/readyz`)).status === 200;
      if (!(await until(ready, 5000, 100))) throw new Error(`${kind}: /readyz never answered 200`);
    });
    afterAll(async () => {
      server?.child.kill('SIGKILL');
      await redis?.stop();
    });

    it('keeps every answer the bystander gets as documented', async () => {
      const report = await runAbuse(`http://127.0.0.1:${server.port}`, {
        pid: server.child.pid as number,
        addresses: ADDRESSES,
        requests: REQUESTS,
      });
      const { mismatches: _m, ...bystander } = report.bystander;
      console.log(`abuse (${kind}): ${JSON.stringify({ ...report, bystander })}`);
      expectUnharmed(report, server);
    }, 120_000);
  });
});
