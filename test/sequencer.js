// Jest testSequencer: the order test files start in. Jest's own runs the slowest first when its
// cache knows how long each took, and otherwise the largest file first. CI starts from a fresh
// clone with no cache, and by size the browser suites, the longest by far (30 to 90 s each, one
// Chromium context after another), started late and ran on alone at the end of the run. Here a file
// with no recorded duration that opens a browser (calls launchChromium) counts as the slowest kind:
// those start first, beside the others, largest first as before.
const { readFileSync } = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

/** An estimate, in ms, for a file Jest has no duration for: what it does, then its size. */
function estimate(test) {
  const size = test.context.hasteFS.getSize(test.path) ?? 0;
  const source = readFileSync(test.path, 'utf8');
  return (source.includes('launchChromium(') ? 60_000 : 0) + size / 100;
}

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const known = new Map(tests.map((test) => [test, this.time(test)]));
    const duration = (test) => known.get(test) ?? estimate(test);
    return [...tests].sort((a, b) => {
      const failedA = this.hasFailed(a);
      if (failedA !== this.hasFailed(b)) return failedA ? -1 : 1;
      return duration(b) - duration(a);
    });
  }
}

module.exports = SlowFirstSequencer;
