import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync as nodeGenerateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full garbage collection on demand, without starting node with --expose-gc (Jest starts the
// workers): the flag set now, and the `gc` function of a context made after it.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * The run's directory of key pairs (test/global-setup.js makes it, test/global-teardown.js
 * removes it), named in the environment the workers inherit.
 */
export const KEY_POOL_ENV = 'FOUR_OH_ONE_KEY_POOL';

/** How many pairs of each kind this test file has taken (Jest loads this module per file). */
const taken = new Map<string, number>();

/**
 * The pool's name for the kind of pair these arguments ask for, or undefined when they ask for
 * more than a kind (encodings, exponents: generated as asked).
 */
function kindOf(type: unknown, options: unknown): string | undefined {
  if (typeof type !== 'string' || !/^[a-z0-9]+$/.test(type)) return undefined;
  const o = (options ?? {}) as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.some((k) => k !== 'modulusLength' && k !== 'namedCurve')) return undefined;
  const size = o.modulusLength ?? o.namedCurve ?? '';
  if (!/^[A-Za-z0-9-]*$/.test(String(size))) return undefined;
  return `${type}${size === '' ? '' : `-${String(size)}`}`;
}

/** A newly generated pair, with the generation job collected at once (see below). */
function generate(args: unknown[]): { publicKey: KeyObject; privateKey: KeyObject } {
  const pair = (nodeGenerateKeyPairSync as (...a: unknown[]) => unknown)(...args);
  collectGarbage();
  return pair as { publicKey: KeyObject; privateKey: KeyObject };
}

/**
 * node:crypto's generateKeyPairSync for every key pair the tests make: distinct pairs within a
 * test file, shared between the files of a run.
 *
 * The n-th pair of a kind (RSA 2048, P-256, Ed25519…) a test file asks for is the run's n-th of
 * that kind: read from the run's pool when an earlier file made it, else made now and added
 * (written aside and renamed, so a file that races another reads a whole key). A file still gets
 * a new pair each time it asks; what it no longer pays is the generation, RSA's above all
 * (0.3 to 1.2 s a pair here; the HOBA tests make ten). No test shares state through a key
 * outside its own process's app (none of them keep keys in Redis). Without the pool (a run
 * without the global setup) every pair is generated.
 *
 * On Node 20, the job that generates a key pair locks the new key's mutex in its destructor,
 * which runs when a garbage collection finds the finished job unreferenced. When that
 * collection happens inside an export or a use of the same key (which holds that mutex while it
 * allocates its answer), the thread waits on itself for ever: CI hung in
 * test/tokens/dpop.test.ts with its main thread in `~KeyGenJob` under `ExportJWK` (2026-12-02),
 * and a loop of P-256 generations each exported as a JWK hung in 2 of 4 runs of 8,000 here.
 * Collected at once, the job is gone before anything touches the key: 24,000 such loops ran
 * through with the collection. A pair read from the pool was never a job.
 */
export const generateKeyPairSync = ((...args: unknown[]) => {
  const pool = process.env[KEY_POOL_ENV];
  const kind = pool ? kindOf(args[0], args[1]) : undefined;
  if (!pool || kind === undefined) return generate(args);
  const n = taken.get(kind) ?? 0;
  taken.set(kind, n + 1);
  const file = join(pool, `${kind}-${n}.pem`);
  let pem: string | undefined;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    // not made yet in this run
  }
  if (pem !== undefined) {
    const privateKey = createPrivateKey(pem);
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  const pair = generate(args);
  const aside = `${file}.${process.pid}`;
  writeFileSync(aside, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  renameSync(aside, file);
  return pair;
}) as typeof nodeGenerateKeyPairSync;
