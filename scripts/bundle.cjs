// `npm run build:bundle`: dist/server.bundle.js (the server and the packages a start needs, in one
// file, after tsc wrote dist/src) and dist/server.js (src/boot.ts, which runs it with V8's code
// cache from the last start).
//
// The bundle is written in ASCII only. V8 keeps a script's source for the life of the process, and
// one character outside ASCII makes all of it a two-byte string: 8 MB held instead of 4, a UTF-8
// decode of every byte at each start, and the line table that the first stack trace asks for
// counted over twice the bytes; 7 to 10% of the instructions of a start (bench/RESULTS.md,
// "Twelfth round"). esbuild's `charset: 'ascii'` escapes every string, regular expression and identifier,
// but not the text of a template literal (its `.raw` would change) nor comments. So template
// literals are lowered to strings (esbuild keeps a tagged template's raw text as a string of its
// own, so `.raw` stays what it was), and each character outside ASCII left in a comment becomes
// '?', one for each UTF-16 unit, so that no column of the source map moves. The bundle's code is
// then checked to be what it was before the comments changed: both are minified and compared.
//
// One package is changed on its way in: depd, which http-errors, the router, Express and
// express-session each call as they load. It asks V8 for its caller's line and column, only to keep
// the file name, and V8 answers a line number by first counting every line of the script it is in:
// 45 million instructions for the bundle, 7% of a start. Here depd() asks for the file name alone,
// as the line and column it dropped were never read; a deprecation warning still gets both.
'use strict';

const { readFileSync, writeFileSync } = require('node:fs');
const esbuild = require('esbuild');

const SERVER = 'dist/server.bundle.js';

/** Every UTF-16 unit outside ASCII (a surrogate pair is two). */
const NON_ASCII = /[\u0080-\uffff]/g;

/** The code of `source` without comments or layout, for comparing two versions of it. */
const codeOf = (source) =>
  esbuild.transformSync(source, { minifyWhitespace: true, charset: 'ascii', format: 'cjs' }).code;

/** Whether `changed` is `source`'s code (a '?' in an identifier does not even parse). */
function sameCode(changed, source) {
  try {
    return codeOf(changed) === codeOf(source);
  } catch {
    return false;
  }
}

/**
 * `source` (esbuild's output with `charset: 'ascii'`) with each UTF-16 unit outside ASCII in its
 * comments replaced by '?'; an error when one is in its code instead.
 */
function asciiComments(source) {
  const ascii = source.replace(NON_ASCII, '?');
  if (ascii !== source && !sameCode(ascii, source)) {
    throw new Error('a character outside ASCII is in the code, not in a comment');
  }
  return ascii;
}

/** What depd() does on load, and what it does here instead (see the top of this file). */
const DEPD_SITE = 'var site = callSiteLocation(stack[1])\n  var file = site[0]\n';
const DEPD_FILE = 'var file = callSiteLocation(stack[1], true)[0]\n';
const DEPD_LOCATION =
  "function callSiteLocation (callSite) {\n  var file = callSite.getFileName() || '<anonymous>'\n  var line = callSite.getLineNumber()\n  var colm = callSite.getColumnNumber()\n";
const DEPD_FILE_ONLY =
  "function callSiteLocation (callSite, fileOnly) {\n  var file = callSite.getFileName() || '<anonymous>'\n  var line = fileOnly ? 0 : callSite.getLineNumber()\n  var colm = fileOnly ? 0 : callSite.getColumnNumber()\n";

/** `text` with `from` replaced by `to`, where `from` occurs exactly once; else an error. */
function replaceOnce(text, from, to, what) {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) {
    throw new Error(`${what}: the code this build changes is not there once (a new version?)`);
  }
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** esbuild plugin: depd as described at the top of this file. */
const depdFileOnly = {
  name: 'depd-file-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]depd[\\/]index\.js$/ }, ({ path }) => {
      let text = readFileSync(path, 'utf8');
      text = replaceOnce(text, DEPD_SITE, DEPD_FILE, path);
      text = replaceOnce(text, DEPD_LOCATION, DEPD_FILE_ONLY, path);
      return { contents: text, loader: 'js' };
    });
  },
};

async function main() {
  const server = await esbuild.build({
    entryPoints: ['dist/src/server.js'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    // Loaded on first use (src/tokens, src/store, src/routes/openapi.ts), from node_modules.
    external: ['jsonwebtoken', 'redis', 'swagger-ui-express'],
    supported: { 'template-literal': false },
    charset: 'ascii',
    plugins: [depdFileOnly],
    sourcemap: true,
    logLevel: 'warning',
    outfile: SERVER,
    write: false,
  });
  for (const file of server.outputFiles) {
    writeFileSync(file.path, file.path.endsWith('.js') ? asciiComments(file.text) : file.contents);
  }
  await esbuild.build({
    entryPoints: ['dist/src/boot.js'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    outfile: 'dist/server.js',
  });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { asciiComments, replaceOnce, depdFileOnly };
