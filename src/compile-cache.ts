import nodeModule from 'node:module';

/**
 * Node 22.1+ keeps the code it compiled for each module on disk and reuses it at the next start
 * (`module.enableCompileCache`, in os.tmpdir() unless NODE_COMPILE_CACHE names a directory):
 * most of this server's start-up is compiling the modules it loads. Imported first by
 * src/server.ts, so that it covers every module after it. Older Node has no such cache: nothing.
 */
const enable = (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache;
if (typeof enable === 'function') enable();
