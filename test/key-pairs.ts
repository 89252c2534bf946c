import { generateKeyPairSync as nodeGenerateKeyPairSync } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full garbage collection on demand, without starting node with --expose-gc (Jest starts the
// workers): the flag set now, and the `gc` function of a context made after it.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * node:crypto's generateKeyPairSync, followed by a full garbage collection, for every key pair
 * the tests make.
 *
 * On Node 20, the job that generates a key pair locks the new key's mutex in its destructor,
 * which runs when a garbage collection finds the finished job unreferenced. When that
 * collection happens inside an export or a use of the same key (which holds that mutex while it
 * allocates its answer), the thread waits on itself for ever: CI hung in
 * test/tokens/dpop.test.ts with its main thread in `~KeyGenJob` under `ExportJWK` (2026-12-02),
 * and a loop of P-256 generations each exported as a JWK hung in 2 of 4 runs of 8,000 here.
 * Collected at once, the job is gone before anything touches the key: 24,000 such loops ran
 * through with the collection.
 */
export const generateKeyPairSync = ((...args: Parameters<typeof nodeGenerateKeyPairSync>) => {
  const pair = (nodeGenerateKeyPairSync as (...a: unknown[]) => unknown)(...args);
  collectGarbage();
  return pair;
}) as typeof nodeGenerateKeyPairSync;
