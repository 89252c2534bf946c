import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';
import type { Config } from './config';

/**
 * The variable through which a primary hands its workers the JWT secret it generated when
 * JWT_SECRET is unset: each worker would otherwise make its own, and refuse the others' tokens
 * and session cookies. Read and removed by the worker before anything else runs.
 */
export const WORKER_SECRET = 'FOUR_OH_ONE_WORKER_SECRET';

/** In a worker: the secret its primary generated, removed from the environment once read. */
export function takeSharedSecret(env: NodeJS.ProcessEnv): Buffer | undefined {
  const value = env[WORKER_SECRET];
  delete env[WORKER_SECRET];
  return value ? Buffer.from(value, 'base64') : undefined;
}

/** How many replacements for crashed workers a minute before the primary gives up (exit 1). */
const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * A cluster's primary (WEB_CONCURRENCY above 1): forks the workers, which share one listening
 * port (node:cluster hands each new connection to the next worker in turn) and one Redis
 * (config.ts refuses more than one worker without REDIS_URL), so every lesson behaves as one
 * server. Signals are passed on: on SIGTERM each worker drains and stops as one process does
 * (src/instance.ts), and the primary exits once all have, with the worst exit code. A worker
 * that crashes is replaced; one that exits 2 (it could not listen) stops the whole server
 * with 2, since its siblings could not listen either.
 */
export function runPrimary(config: Config): void {
  const logger = pino({ level: config.logLevel });
  for (const warning of config.warnings) logger.warn(warning);
  const env = config.jwt.secretGenerated
    ? { [WORKER_SECRET]: config.jwt.secret.toString('base64') }
    : {};

  let stopping = false;
  let exitCode = 0;
  const restarts: number[] = [];
  const fork = () => cluster.fork(env);

  const exitWhenAllGone = () => {
    if (live().length > 0) return;
    logger.info({ exitCode }, 'all workers stopped');
    process.exit(exitCode);
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const worker of live()) worker.process.kill(signal);
    exitWhenAllGone();
  };

  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    if (code === 2) {
      // Configuration or listening failed; the worker said why in one line on stderr.
      exitCode = 2;
      stop('SIGINT');
    } else if (!stopping) {
      // Replaced: the exit code says how the server stopped, not that a worker once crashed.
      replace(worker, code, signal);
    } else if (code !== 0) {
      exitCode = Math.max(exitCode, 1);
    }
    if (stopping) exitWhenAllGone();
  });

  const replace = (worker: Worker, code: number | null, signal: string | null) => {
    const now = Date.now();
    restarts.push(now);
    while ((restarts[0] ?? now) < now - 60_000) restarts.shift();
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      logger.error(
        { pid: worker.process.pid, code, signal },
        `worker died; more than ${MAX_RESTARTS_PER_MINUTE} restarts in a minute, stopping`,
      );
      exitCode = 1;
      stop('SIGTERM');
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    fork();
  };

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (let i = 0; i < config.webConcurrency; i += 1) fork();
  logger.info({ workers: config.webConcurrency, store: 'redis' }, 'four-oh-one cluster primary');
}

/** The workers not yet gone. */
function live(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter(
    (w): w is Worker => w !== undefined && !w.isDead(),
  );
}
