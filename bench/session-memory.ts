/**
 * Memory of the embedded store holding N live cookie sessions, measured in a fresh process
 * (run by bench/run.ts, or alone after `npm run bench` built it:
 * `node --expose-gc dist/bench/session-memory.js 100000`). It loads
 * the whole app first, so the RSS it reports is what a server process with that many sessions
 * costs, not the store alone. Sessions are written through the same SessionStore the app
 * uses, in express-session's own format, as POST /login leaves them. Prints one JSON line.
 */
import crypto from 'node:crypto';
import type { SessionData } from 'express-session';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { MemoryStore } from '../src/store/memory';
import { SessionStore } from '../src/store/session-store';

const count = Number(process.argv[2] ?? 100_000);
const gc = ((collect) => {
  if (typeof collect !== 'function') throw new Error('run with node --expose-gc');
  return collect;
})(globalThis.gc);

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
function settle(): NodeJS.MemoryUsage {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage();
}

async function main() {
  const config = loadConfig({ LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(32) });
  const store = new MemoryStore({ maxEntries: count + 1000, sweepIntervalMs: 0 });
  createApp(config, { store }); // the app's own footprint belongs in the baseline
  const sessions = new SessionStore(store, () => Date.now());
  const before = settle();
  const started = process.hrtime.bigint();
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    // express-session's default id: 24 random bytes, base64url (uid-safe).
    const sid = crypto.randomBytes(24).toString('base64url');
    const record = {
      cookie: {
        originalMaxAge: 28_800_000,
        expires: new Date(now + 28_800_000).toISOString(),
        httpOnly: true,
        path: '/',
        sameSite: 'lax',
        secure: false,
      },
      user: { sub: `user-${i}`, type: 'user' },
      createdAt: now,
      lastSeenAt: now,
      idleMs: 900_000,
      absoluteMs: 28_800_000,
    };
    await new Promise<void>((resolve, reject) =>
      sessions.set(sid, record as unknown as SessionData, (err) =>
        err ? reject(err as Error) : resolve(),
      ),
    );
  }
  const writeMs = Number(process.hrtime.bigint() - started) / 1e6;
  const after = settle();
  process.stdout.write(
    `${JSON.stringify({
      sessions: store.size,
      rssBeforeMb: mb(before.rss),
      rssAfterMb: mb(after.rss),
      heapUsedAfterMb: mb(after.heapUsed),
      bytesPerSession: Math.round((after.rss - before.rss) / count),
      writeMs: Math.round(writeMs),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
