import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import nodeModule, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { debuglog } from 'node:util';
import vm from 'node:vm';

/**
 * dist/server.js, the entry point `npm start`, the Docker image and the tests run: it loads
 * dist/server.bundle.js (src/server.ts with the packages it needs at start-up, in one file) with
 * V8's code for it from the last start, when there is one, instead of compiling it again. Most of
 * a start is compiling that code: on this 2-core machine ready in ~440 ms instead of ~670
 * (bench/RESULTS.md, "Eighth round"). Node 22.1+ keeps such a cache for the modules `require`
 * loads (src/compile-cache.ts); Node 20 has none, and a bundle run this way is one script either
 * way, so this file keeps its own.
 *
 * The cache is written once per bundle, Node version and flags, two seconds after a start that
 * found none (by then the start-up code has run and V8 includes it), to a file named by those in
 * NODE_COMPILE_CACHE (the directory Node 22's own cache uses) or in os.tmpdir()/
 * four-oh-one-code-cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does Node's. V8
 * compiles afresh when a cache does not fit (another V8, other flags, another length of source,
 * damaged). A directory another user owns, or others may write in, is never used: the code in it
 * would run as this server. NODE_DEBUG=four-oh-one says on stderr what became of the cache.
 */

const BUNDLE = join(__dirname, 'server.bundle.js');
const WRITE_AFTER_MS = 2000;
/** Caches kept in the directory: each build, Node and set of flags has its own. */
const KEEP = 4;
const debug = debuglog('four-oh-one');

/**
 * The cache file for this bundle, Node and flags; undefined when caching is off or unsafe. The
 * bundle is named by its size, inode and modification time (a build writes it anew), not by a hash
 * of its 4 MB (12 ms here): V8's own check compares only the source's length.
 */
function cacheFile(): string | undefined {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const dir = process.env.NODE_COMPILE_CACHE || join(tmpdir(), 'four-oh-one-code-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { uid, mode } = statSync(dir);
    if (typeof process.getuid === 'function' && uid !== process.getuid()) {
      debug('code cache: %s is not owned by this user; not used', dir);
      return undefined;
    }
    if ((mode & 0o022) !== 0) {
      debug('code cache: others may write in %s; not used', dir);
      return undefined;
    }
  } catch {
    return undefined;
  }
  let bundle;
  try {
    bundle = statSync(BUNDLE, { bigint: true });
  } catch {
    return undefined;
  }
  const key = createHash('sha256')
    .update(`${process.version} ${process.arch} ${process.execArgv.join(' ')}`)
    .update(` ${bundle.size} ${bundle.ino} ${bundle.mtimeNs}`)
    .digest('hex')
    .slice(0, 32);
  return join(dir, `server.bundle-${key}.v8`);
}

/**
 * Removes all but the KEEP newest caches beside `file` (each build leaves one behind). Another
 * process may be pruning too: a file gone meanwhile is skipped.
 */
function prune(file: string): void {
  const dir = dirname(file);
  const mtime = (path: string) => {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return -1; // gone
    }
  };
  const caches = readdirSync(dir)
    .filter((name) => /^server\.bundle-[0-9a-f]{32}\.v8$/.test(name))
    .map((name) => ({ path: join(dir, name), mtime: mtime(join(dir, name)) }))
    .filter((cache) => cache.mtime >= 0)
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of caches.slice(KEEP)) rmSync(old.path, { force: true });
}

function readCache(file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined; // none yet
  }
}

function run(): void {
  const source = readFileSync(BUNDLE, 'utf8');
  const file = cacheFile();
  const cachedData = readCache(file);
  const script = new vm.Script(nodeModule.wrap(source), {
    filename: BUNDLE,
    cachedData,
    // No import() in the bundle today; should one come, it loads as it would in a module (Node
    // 20.12+; before that, such an import() would throw).
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  debug(
    'code cache: %s',
    file === undefined
      ? 'off'
      : cachedData === undefined
        ? `none at ${file}`
        : `${script.cachedDataRejected ? 'rejected' : 'used'}: ${file}`,
  );
  if (file !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    setTimeout(() => {
      // Written aside, then renamed: a cluster's processes may write at once, and a reader must
      // never see half a file.
      const partial = `${file}.${process.pid}`;
      try {
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        renameSync(partial, file);
        prune(file);
        debug('code cache: wrote %s', file); // last: a reader of this line sees the pruning done
      } catch (err) {
        // A read-only or full disk: the next start compiles, as without a cache.
        debug('code cache: not written: %s', String(err));
        try {
          unlinkSync(partial);
        } catch {
          // never written
        }
      }
    }, WRITE_AFTER_MS).unref();
  }
  const bundleModule = { exports: {}, filename: BUNDLE, id: '.', loaded: false };
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: unknown,
    filename: string,
    dirname: string,
  ) => void;
  wrapper(bundleModule.exports, createRequire(BUNDLE), bundleModule, BUNDLE, __dirname);
}

run();
