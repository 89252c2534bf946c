import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { QuotaExceededError, StoreUnavailableError } from '../src/http/problems';
import { MemoryStore } from '../src/store/memory';
import { RedisStore } from '../src/store/redis';
import type { Clock, Store } from '../src/store/types';
import { describeRedis, redisUrl } from './redis';

/**
 * One contract, two stores: everything the rest of the server may rely on about a `Store` is
 * asserted here, against the embedded store (time moved by an injected clock) and against Redis
 * (time moved by really waiting, since Redis's clock cannot be injected).
 */
interface Harness {
  store: Store;
  /** A short time-to-live for expiry tests. */
  ttl: number;
  /** Lets `ms` milliseconds pass for the store. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** A clock the test moves by hand. */
class ManualClock implements Clock {
  constructor(public time = Date.UTC(2026, 10, 22, 7, 0, 0)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

const LONG = 60_000;
/** Every harness store has this owner quota; writes without an owner are not charged. */
const QUOTA = { maxEntries: 5, maxBytes: 2000 };
const BAD_TTLS = [0, -1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

function storeContract(name: string, makeHarness: () => Promise<Harness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: Harness;
    let store: Store;
    beforeEach(async () => {
      h = await makeHarness();
      store = h.store;
    });
    afterEach(async () => {
      await h.close();
    });

    it('answers undefined for a key never written', async () => {
      await expect(store.get('absent')).resolves.toBeUndefined();
    });

    it('reads back what it wrote, and an overwrite replaces the value', async () => {
      await store.set('k', 'v1', LONG);
      await expect(store.get('k')).resolves.toBe('v1');
      await store.set('k', 'v2', LONG);
      await expect(store.get('k')).resolves.toBe('v2');
      // Values are opaque strings: empty and non-ASCII survive unchanged.
      await store.set('empty', '', LONG);
      await expect(store.get('empty')).resolves.toBe('');
      await store.set('unicode', 'ünï ✓ {"a":1}', LONG);
      await expect(store.get('unicode')).resolves.toBe('ünï ✓ {"a":1}');
    });

    it('getMany reads several keys in order, with undefined for absent and expired ones', async () => {
      await store.set('m1', 'one', LONG);
      await store.set('m3', 'three', LONG);
      await store.set('m-short', 'gone soon', h.ttl);
      await expect(store.getMany([])).resolves.toEqual([]);
      await expect(store.getMany(['m1', 'm2', 'm3'])).resolves.toEqual(['one', undefined, 'three']);
      await h.advance(h.ttl * 2);
      await expect(store.getMany(['m-short', 'm1'])).resolves.toEqual([undefined, 'one']);
    });

    it('keeps keys apart', async () => {
      await store.set('a', '1', LONG);
      await store.set('b', '2', LONG);
      await expect(store.get('a')).resolves.toBe('1');
      await expect(store.get('b')).resolves.toBe('2');
    });

    it('forgets entries after their time-to-live, and not before', async () => {
      await store.set('short', 'v', h.ttl);
      await store.set('gone', 'v', h.ttl);
      await store.set('long', 'v', LONG);
      await expect(store.get('short')).resolves.toBe('v');
      await h.advance(h.ttl * 2);
      await expect(store.get('short')).resolves.toBeUndefined();
      // An expired key cannot be deleted: it no longer exists.
      await expect(store.delete('gone')).resolves.toBe(false);
      await expect(store.get('long')).resolves.toBe('v');
    });

    it('an overwrite sets a new time-to-live', async () => {
      await store.set('k', 'v1', h.ttl);
      await store.set('k', 'v2', LONG);
      await h.advance(h.ttl * 2);
      await expect(store.get('k')).resolves.toBe('v2');
    });

    it('setIfAbsent claims once, refuses while held, and claims again after expiry', async () => {
      await expect(store.setIfAbsent('claim', 'first', h.ttl)).resolves.toBe(true);
      await expect(store.setIfAbsent('claim', 'second', h.ttl)).resolves.toBe(false);
      // The refused write changed nothing.
      await expect(store.get('claim')).resolves.toBe('first');
      await h.advance(h.ttl * 2);
      await expect(store.setIfAbsent('claim', 'third', LONG)).resolves.toBe(true);
      await expect(store.get('claim')).resolves.toBe('third');
    });

    it('setIfAbsent refuses a key written by set', async () => {
      await store.set('k', 'by-set', LONG);
      await expect(store.setIfAbsent('k', 'by-claim', LONG)).resolves.toBe(false);
      await expect(store.get('k')).resolves.toBe('by-set');
    });

    it('delete says whether the key existed, and removes it', async () => {
      await store.set('k', 'v', LONG);
      await expect(store.delete('k')).resolves.toBe(true);
      await expect(store.get('k')).resolves.toBeUndefined();
      await expect(store.delete('k')).resolves.toBe(false);
      await expect(store.delete('never')).resolves.toBe(false);
      // A deleted claim can be claimed again at once.
      await expect(store.setIfAbsent('k', 'again', LONG)).resolves.toBe(true);
    });

    it('increment counts 1, 2, 3 per key', async () => {
      await expect(store.increment('n', LONG)).resolves.toBe(1);
      await expect(store.increment('n', LONG)).resolves.toBe(2);
      await expect(store.increment('n', LONG)).resolves.toBe(3);
      await expect(store.increment('other', LONG)).resolves.toBe(1);
      // The counter is readable as a decimal string.
      await expect(store.get('n')).resolves.toBe('3');
    });

    it('increment keeps a fixed window: later increments do not extend it', async () => {
      const window = h.ttl * 2;
      await expect(store.increment('w', window)).resolves.toBe(1);
      await h.advance(window * 0.5);
      // A later increment with a long ttl must not move the window either.
      await expect(store.increment('w', LONG)).resolves.toBe(2);
      await h.advance(window * 0.6);
      // 1.1 windows after the first increment: the window has closed, a new one starts at 1.
      await expect(store.increment('w', window)).resolves.toBe(1);
      await expect(store.increment('w', window)).resolves.toBe(2);
    });

    it('increment restarts at 1 after its window expires', async () => {
      await store.increment('r', h.ttl);
      await store.increment('r', h.ttl);
      await h.advance(h.ttl * 2);
      await expect(store.get('r')).resolves.toBeUndefined();
      await expect(store.increment('r', h.ttl)).resolves.toBe(1);
    });

    it('ping resolves while the store answers', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it.each(BAD_TTLS)(
      'rejects ttl %p with RangeError on every write, writing nothing',
      async (ttl) => {
        await expect(store.set('bad', 'v', ttl)).rejects.toThrow(RangeError);
        await expect(store.setIfAbsent('bad', 'v', ttl)).rejects.toThrow(RangeError);
        await expect(store.increment('bad', ttl)).rejects.toThrow(RangeError);
        await expect(store.get('bad')).resolves.toBeUndefined();
      },
    );

    it('rounds a fractional ttl up rather than refusing it', async () => {
      // Redis's PX takes whole milliseconds only: a fractional ttl must be rounded, not sent as is.
      // (Long enough that a loaded machine cannot let it expire before the read.)
      await store.set('frac', 'v', 1500.4);
      await expect(store.get('frac')).resolves.toBe('v');
    });

    it('names its kind', () => {
      expect(['memory', 'redis']).toContain(store.kind);
    });

    it('refuses an over-long key or value with RangeError, writing nothing', async () => {
      await expect(store.set('k'.repeat(513), 'v', LONG)).rejects.toThrow(RangeError);
      await expect(store.set('big', 'v'.repeat(64 * 1024 + 1), LONG)).rejects.toThrow(RangeError);
      await expect(store.get('big')).resolves.toBeUndefined();
    });

    it('reports its usage', async () => {
      await store.set('u', 'v', LONG);
      const usage = await store.usage();
      expect(usage.entries).toBeGreaterThanOrEqual(1);
      expect(usage.bytes).toBeGreaterThan(0);
    });

    describe(`owner quotas (${QUOTA.maxEntries} entries, ${QUOTA.maxBytes} bytes an owner)`, () => {
      it('refuses an owner its next entry past the quota, and nobody else', async () => {
        for (let i = 0; i < QUOTA.maxEntries; i++) await store.set(`qa${i}`, 'v', LONG, 'alice');
        await expect(store.set('qa-over', 'v', LONG, 'alice')).rejects.toThrow(QuotaExceededError);
        await expect(store.setIfAbsent('qa-over', 'v', LONG, 'alice')).rejects.toThrow(
          QuotaExceededError,
        );
        await expect(store.increment('qa-n', LONG, 'alice')).rejects.toThrow(QuotaExceededError);
        await expect(store.get('qa-over')).resolves.toBeUndefined();
        // Another owner, and unowned writes (the server's own), are not affected.
        await store.set('qb', 'v', LONG, 'bob');
        await store.set('unowned', 'v', LONG);
        await expect(store.get('qb')).resolves.toBe('v');
        // An owner's existing entries can still be overwritten, counted and claimed as before.
        await store.set('qa0', 'w', LONG, 'alice');
        await expect(store.get('qa0')).resolves.toBe('w');
        await expect(store.setIfAbsent('qa1', 'x', LONG, 'alice')).resolves.toBe(false);
      });

      it('bounds an owner in bytes as well as entries', async () => {
        await store.set('qbytes', 'v'.repeat(QUOTA.maxBytes - 200), LONG, 'carol');
        await expect(store.set('qbytes2', 'v'.repeat(300), LONG, 'carol')).rejects.toThrow(
          QuotaExceededError,
        );
        await store.set('qbytes3', 'v'.repeat(300), LONG, 'dave');
      });

      it('frees the share as entries expire or are deleted', async () => {
        for (let i = 0; i < QUOTA.maxEntries; i++) await store.set(`qe${i}`, 'v', h.ttl, 'erin');
        await expect(store.set('qe-over', 'v', LONG, 'erin')).rejects.toThrow(QuotaExceededError);
        await h.advance(h.ttl * 2);
        await store.set('qe-next', 'v', LONG, 'erin');
        for (let i = 1; i < QUOTA.maxEntries; i++) await store.set(`qf${i}`, 'v', LONG, 'erin');
        await expect(store.set('qf-over', 'v', LONG, 'erin')).rejects.toThrow(QuotaExceededError);
        await store.delete('qf1');
        // A delete frees the entry at once in memory; Redis forgets it at its next expiry
        // sweep, so only the memory store is asked to accept a write right after a delete.
        if (store.kind === 'memory') await store.set('qf-again', 'v', LONG, 'erin');
      });

      it('counts an owner once per key however often it increments', async () => {
        for (let i = 0; i < 50; i++) await store.increment('qcount', LONG, 'frank');
        await expect(store.get('qcount')).resolves.toBe('50');
        for (let i = 1; i < QUOTA.maxEntries; i++) await store.set(`qg${i}`, 'v', LONG, 'frank');
        await expect(store.set('qg-over', 'v', LONG, 'frank')).rejects.toThrow(QuotaExceededError);
      });
    });
  });
}

// --- The embedded store --------------------------------------------------------------------

storeContract('MemoryStore', async () => {
  const clock = new ManualClock();
  const store = new MemoryStore({
    maxEntries: 1000,
    clock,
    sweepIntervalMs: 0,
    ownerQuota: QUOTA,
  });
  return {
    store,
    ttl: 1000,
    advance: async (ms) => clock.advance(ms),
    close: () => store.close(),
  };
});

describe('MemoryStore only', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock();
  });

  it('an entry lives for exactly its ttl: alive 1 ms before, gone at the instant', async () => {
    const store = new MemoryStore({ maxEntries: 10, clock, sweepIntervalMs: 0 });
    await store.set('k', 'v', 1000);
    clock.advance(999);
    await expect(store.get('k')).resolves.toBe('v');
    clock.advance(1);
    await expect(store.get('k')).resolves.toBeUndefined();
    await store.close();
  });

  it('refuses new keys beyond maxEntries with StoreUnavailableError, but still overwrites', async () => {
    const store = new MemoryStore({ maxEntries: 3, clock, sweepIntervalMs: 0 });
    await store.set('a', '1', 1000);
    await store.set('b', '2', 1000);
    await store.set('c', '3', 1000);
    await expect(store.set('d', '4', 1000)).rejects.toThrow(StoreUnavailableError);
    await expect(store.setIfAbsent('d', '4', 1000)).rejects.toThrow(StoreUnavailableError);
    await expect(store.increment('d', 1000)).rejects.toThrow(StoreUnavailableError);
    await expect(store.get('d')).resolves.toBeUndefined();
    expect(store.size).toBe(3);
    // Existing keys still work: overwrite, increment, delete. Nothing was evicted.
    await store.set('a', 'one', 1000);
    await expect(store.get('a')).resolves.toBe('one');
    await expect(store.get('b')).resolves.toBe('2');
    await expect(store.get('c')).resolves.toBe('3');
    // Deleting makes room for exactly one new key.
    await expect(store.delete('c')).resolves.toBe(true);
    await store.set('d', '4', 1000);
    await expect(store.set('e', '5', 1000)).rejects.toThrow(StoreUnavailableError);
    await store.close();
  });

  it('makes room again once entries expire (a full store sweeps before refusing)', async () => {
    const store = new MemoryStore({ maxEntries: 2, clock, sweepIntervalMs: 0 });
    await store.set('a', '1', 1000);
    await store.set('b', '2', 5000);
    await expect(store.set('c', '3', 1000)).rejects.toThrow(StoreUnavailableError);
    clock.advance(1000); // 'a' expires; nothing has read it, so it still occupies a slot
    expect(store.size).toBe(2);
    await store.set('c', '3', 1000);
    await expect(store.get('c')).resolves.toBe('3');
    await expect(store.get('b')).resolves.toBe('2');
    expect(store.size).toBe(2);
    await expect(store.increment('d', 1000)).rejects.toThrow(StoreUnavailableError);
    clock.advance(5000);
    await expect(store.setIfAbsent('d', 'x', 1000)).resolves.toBe(true);
    await expect(store.increment('e', 1000)).resolves.toBe(1);
    await store.close();
  });

  it('while full, sweeps at most once a second however many writes it refuses', async () => {
    const store = new MemoryStore({ maxEntries: 2, clock, sweepIntervalMs: 0 });
    await store.set('a', '1', 60_000);
    await store.set('b', '2', 60_000);
    const sweep = jest.spyOn(store, 'sweep');
    for (let i = 0; i < 50; i++)
      await expect(store.set(`x${i}`, 'v', 1000)).rejects.toThrow(StoreUnavailableError);
    expect(sweep).toHaveBeenCalledTimes(1);
    clock.advance(1000);
    await expect(store.set('y', 'v', 1000)).rejects.toThrow(StoreUnavailableError);
    expect(sweep).toHaveBeenCalledTimes(2);
    await store.close();
  });

  it('refuses to increment a value that is not a counter, as Redis does', async () => {
    const store = new MemoryStore({ maxEntries: 10, clock, sweepIntervalMs: 0 });
    await store.set('word', 'hello', 1000);
    await expect(store.increment('word', 1000)).rejects.toThrow(StoreUnavailableError);
    await store.close();
  });

  it('sweep() removes expired entries and keeps live ones', async () => {
    const store = new MemoryStore({ maxEntries: 100, clock, sweepIntervalMs: 0 });
    for (let i = 0; i < 10; i++) await store.set(`short${i}`, 'v', 1000);
    for (let i = 0; i < 5; i++) await store.set(`long${i}`, 'v', 10_000);
    expect(store.size).toBe(15);
    store.sweep();
    expect(store.size).toBe(15);
    clock.advance(1000);
    expect(store.size).toBe(15); // expired, but not yet swept
    store.sweep();
    expect(store.size).toBe(5);
    await expect(store.get('long4')).resolves.toBe('v');
    clock.advance(9000);
    store.sweep();
    expect(store.size).toBe(0);
    await store.close();
  });

  it('reading an expired entry drops it', async () => {
    const store = new MemoryStore({ maxEntries: 10, clock, sweepIntervalMs: 0 });
    await store.set('k', 'v', 1000);
    clock.advance(1000);
    expect(store.size).toBe(1);
    await expect(store.get('k')).resolves.toBeUndefined();
    expect(store.size).toBe(0);
    await store.close();
  });

  describe('its sweep timer', () => {
    beforeEach(() => {
      jest.useFakeTimers();
    });
    afterEach(() => {
      jest.useRealTimers();
    });

    it('sweeps on its interval, and close() clears the timer and the entries', async () => {
      const store = new MemoryStore({ maxEntries: 10, clock, sweepIntervalMs: 1000 });
      expect(jest.getTimerCount()).toBe(1);
      await store.set('a', '1', 500);
      await store.set('b', '2', 5000);
      clock.advance(500);
      jest.advanceTimersByTime(1000);
      expect(store.size).toBe(1);
      await store.close();
      expect(jest.getTimerCount()).toBe(0);
      expect(store.size).toBe(0);
    });

    it('sweepIntervalMs: 0 starts no timer', async () => {
      const store = new MemoryStore({ maxEntries: 10, clock, sweepIntervalMs: 0 });
      expect(jest.getTimerCount()).toBe(0);
      await store.close();
    });

    it('does not keep the process alive (the timer is unref-ed)', async () => {
      jest.useRealTimers();
      const spy = jest.spyOn(global, 'setInterval');
      const store = new MemoryStore({ maxEntries: 10, clock });
      const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      spy.mockRestore();
      await store.close();
    });
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxEntries %p', (maxEntries) => {
    expect(() => new MemoryStore({ maxEntries, clock })).toThrow(RangeError);
  });
});

// --- Redis ---------------------------------------------------------------------------------

/** Every key this run writes lives under this prefix, so parallel runs never collide. */
const RUN_PREFIX = `four-oh-one:test:${randomUUID()}:`;
let harnessCount = 0;
const openStores: RedisStore[] = [];

async function connectedRedisStore(prefix: string): Promise<RedisStore> {
  const store = new RedisStore({ url: redisUrl as string, prefix, ownerQuota: QUOTA });
  openStores.push(store);
  await store.connect();
  return store;
}

/** A port on which nothing listens: bound by us a moment ago, then released. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Calls every Store method; each must reject with StoreUnavailableError. */
async function expectEveryMethodUnavailable(store: Store): Promise<void> {
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['get', () => store.get('k')],
    ['getMany', () => store.getMany(['k', 'j'])],
    ['set', () => store.set('k', 'v', 1000)],
    ['setIfAbsent', () => store.setIfAbsent('k', 'v', 1000)],
    ['delete', () => store.delete('k')],
    ['increment', () => store.increment('k', 1000)],
    ['ping', () => store.ping()],
  ];
  for (const [method, call] of calls) {
    // Labelled with the method, so a failure says which one resolved or threw something else.
    const outcome = await call().then(
      (value: unknown) => ({ method, value }),
      (error: unknown) => ({ method, error }),
    );
    expect(outcome).toEqual({ method, error: expect.any(StoreUnavailableError) });
  }
}

describeRedis('RedisStore', () => {
  afterAll(async () => {
    await Promise.all(openStores.map((s) => s.close()));
    // Leave nothing behind (everything expires anyway; this just keeps a shared Redis tidy).
    const admin = createClient({ url: redisUrl });
    await admin.connect();
    for await (const keys of admin.scanIterator({ MATCH: `${RUN_PREFIX}*`, COUNT: 1000 })) {
      if (keys.length > 0) await admin.del(keys);
    }
    admin.destroy();
  });

  storeContract('RedisStore', async () => {
    const store = await connectedRedisStore(`${RUN_PREFIX}${++harnessCount}:`);
    return {
      store,
      ttl: 150,
      // The one real sleep in the suite: Redis's clock cannot be injected.
      advance: (ms) => sleep(ms),
      close: () => store.close(),
    };
  });

  describe('RedisStore only', () => {
    it('two instances on one prefix act as one store (as two server processes must)', async () => {
      const prefix = `${RUN_PREFIX}shared:`;
      const a = await connectedRedisStore(prefix);
      const b = await connectedRedisStore(prefix);
      await a.set('session', 'alice', LONG);
      await expect(b.get('session')).resolves.toBe('alice');
      await expect(a.setIfAbsent('claim', 'a', LONG)).resolves.toBe(true);
      await expect(b.setIfAbsent('claim', 'b', LONG)).resolves.toBe(false);
      await expect(a.increment('hits', LONG)).resolves.toBe(1);
      await expect(b.increment('hits', LONG)).resolves.toBe(2);
      await expect(a.increment('hits', LONG)).resolves.toBe(3);
      await expect(b.delete('session')).resolves.toBe(true);
      await expect(a.get('session')).resolves.toBeUndefined();
    });

    it('different prefixes do not see each other', async () => {
      const a = await connectedRedisStore(`${RUN_PREFIX}p1:`);
      const b = await connectedRedisStore(`${RUN_PREFIX}p2:`);
      await a.set('k', 'a', LONG);
      await expect(b.get('k')).resolves.toBeUndefined();
      await expect(b.setIfAbsent('k', 'b', LONG)).resolves.toBe(true);
      await expect(a.get('k')).resolves.toBe('a');
    });

    it('writes keys under its prefix, every one with an expiry', async () => {
      const prefix = `${RUN_PREFIX}raw:`;
      const store = await connectedRedisStore(prefix);
      await store.set('s', 'v', LONG);
      await store.setIfAbsent('c', 'v', LONG);
      await store.increment('n', LONG);
      const admin = createClient({ url: redisUrl });
      await admin.connect();
      try {
        for (const key of ['s', 'c', 'n']) {
          const pttl = await admin.pTTL(prefix + key);
          expect(pttl).toBeGreaterThan(LONG - 5000);
          expect(pttl).toBeLessThanOrEqual(LONG);
        }
      } finally {
        admin.destroy();
      }
    });

    it('answers StoreUnavailableError at once, for every method, when nothing listens', async () => {
      const port = await deadPort();
      const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, prefix: RUN_PREFIX });
      // As createStore does: start connecting, do not wait.
      const connecting = store.connect().catch(() => undefined);
      const started = Date.now();
      await expectEveryMethodUnavailable(store);
      // Bad input is still a programming error, not an outage.
      await expect(store.set('k', 'v', 0)).rejects.toThrow(RangeError);
      expect(Date.now() - started).toBeLessThan(1500);
      await store.close();
      await connecting;
    });

    it('answers StoreUnavailableError when never connected', async () => {
      const store = new RedisStore({ url: redisUrl as string, prefix: RUN_PREFIX });
      const started = Date.now();
      await expectEveryMethodUnavailable(store);
      expect(Date.now() - started).toBeLessThan(1500);
      await store.close();
    });

    it('answers StoreUnavailableError when its connection is killed, then recovers', async () => {
      const store = await connectedRedisStore(`${RUN_PREFIX}killed:`);
      await store.set('k', 'v', LONG);
      // The store's own connection id, read through its client (private to the store).
      const id = await store['client'].clientId();
      const admin = createClient({ url: redisUrl });
      await admin.connect();
      try {
        await expect(admin.sendCommand(['CLIENT', 'KILL', 'ID', String(id)])).resolves.toBe(1);
        const started = Date.now();
        await expect(store.get('k')).rejects.toThrow(StoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(1500);
        // The client reconnects in the background; the store answers again without help.
        const deadline = Date.now() + 5000;
        let value: string | undefined;
        while (Date.now() < deadline) {
          try {
            value = await store.get('k');
            break;
          } catch (err) {
            expect(err).toBeInstanceOf(StoreUnavailableError);
            await sleep(50);
          }
        }
        expect(value).toBe('v');
      } finally {
        admin.destroy();
      }
    });

    it('answers StoreUnavailableError within the command timeout when Redis stops answering', async () => {
      // A TCP proxy in front of Redis that can stall both directions, as a network partition or
      // a paused Redis does: the connection stays up, bytes wait in the kernel, nothing answers.
      const pairs: Array<[net.Socket, net.Socket]> = [];
      const target = new URL(redisUrl as string);
      const proxy = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 6379), target.hostname);
        client.pipe(upstream).pipe(client);
        const end = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
        pairs.push([client, upstream]);
      });
      const stall = (on: boolean) => {
        for (const pair of pairs) {
          for (const s of pair) {
            if (on) s.pause();
            else s.resume();
          }
        }
      };
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const { port } = proxy.address() as net.AddressInfo;
      const store = new RedisStore({
        url: `redis://127.0.0.1:${port}`,
        prefix: `${RUN_PREFIX}partition:`,
        commandTimeoutMs: 300,
      });
      try {
        await store.connect();
        await store.set('before', 'v', LONG);
        stall(true);
        const started = Date.now();
        await expectEveryMethodUnavailable(store);
        const elapsed = Date.now() - started;
        // Six commands, each given up after 300 ms: slow, but bounded; never a hang.
        expect(elapsed).toBeGreaterThanOrEqual(6 * 300 - 50);
        expect(elapsed).toBeLessThan(6 * 300 + 1500);
        // When the stall ends, the same connection answers again, and each reply reaches its
        // own command: the late replies go to the abandoned commands, not to the new ones.
        stall(false);
        await expect(store.get('before')).resolves.toBe('v');
        await expect(store.increment('after', LONG)).resolves.toBe(1);
        await expect(store.get('after')).resolves.toBe('1');
      } finally {
        await store.close();
        for (const pair of pairs) for (const s of pair) s.destroy();
        await new Promise<void>((resolve) => proxy.close(() => resolve()));
      }
    });
  });
});
