// First: the modules after it are compiled with the cache it enables (Node 22.1+).
import './compile-cache';
import cluster from 'node:cluster';
import { runPrimary, takeSharedSecret } from './cluster';
import { loadConfigOrExit } from './config';
import type * as InstanceModule from './instance';

/**
 * The entry point: the configuration (one line and exit 2 when it is wrong), then one server
 * process (src/instance.ts), or with WEB_CONCURRENCY above 1 a cluster's primary
 * (src/cluster.ts), which loads no app and forks the workers that each run src/instance.ts.
 */
function main(): void {
  // A worker reads the same environment as its primary, and the secret the primary made when
  // JWT_SECRET is unset (src/cluster.ts), so that every worker signs and checks alike.
  const shared = cluster.isWorker ? takeSharedSecret(process.env) : undefined;
  const config = loadConfigOrExit(process.env, shared ? { randomBytes: () => shared } : {});
  if (cluster.isPrimary && config.webConcurrency > 1) {
    runPrimary(config);
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  void (require('./instance') as typeof InstanceModule).serve(config, {
    warn: cluster.isPrimary,
  });
}

main();
