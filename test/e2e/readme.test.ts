import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  bodyOf,
  commandsOf,
  extractBlocks,
  globMatches,
  mismatch,
  parseHeads,
  type Block,
  type Claim,
  type Command,
  type Head,
  type Json,
} from './readme-blocks';
import { ENTRY, exited, freePort, ROOT, startServer } from './support';

/**
 * The README's commands are tested: every fenced `sh` block of README.md and examples/*\/README.md
 * runs with bash against a freshly started built server, and every claim beside a command
 * (`# → 401 token_expired`, see readme-blocks.ts) is checked against what the command printed
 * and what curl received. A block that cannot run here says so and why
 * (`<!-- docs-test: skip (why) -->` above it); a block that needs the server configured
 * otherwise names the variables (`<!-- docs-test: env NAME=value -->`, and the block's text
 * says so too, for the reader).
 */

/**
 * The examples' READMEs first: their blocks run the examples' clients for seconds each (the
 * Python session example 16 s), so started first they overlap the README's many short blocks
 * rather than end the suite alone.
 */
const DOCS = [
  ...readdirSync(join(ROOT, 'examples'))
    .filter((dir) => existsSync(join(ROOT, 'examples', dir, 'README.md')))
    .sort()
    .map((dir) => `examples/${dir}/README.md`),
  'README.md',
];
/** The addresses the blocks name: the default port, and the "another port" of the examples. */
const API_URLS = ['http://127.0.0.1:3000', 'http://127.0.0.1:8080'];
const DEMO_URL = 'http://127.0.0.1:3001';
const BLOCK_TIMEOUT_MS = 90_000;
const underCi = process.env.CI === 'true';

const blocks: Block[] = DOCS.flatMap((file) =>
  extractBlocks(file, readFileSync(join(ROOT, file), 'utf8')),
);
const shellBlocks = blocks.filter((b) => b.lang === 'sh');
const runnable = shellBlocks.filter((b) => b.skip === undefined);
const name = (b: Block) => `${b.file}:${b.line}`;

// --- What the blocks need: bash, curl, jq, and for the examples a Python with requests, jwt, cryptography

const has = (cmd: string, args: string[]) =>
  spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;
const tools = ['bash', 'curl', 'jq'].filter((tool) => !has(tool, ['--version']));
const PYTHONS = [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter(
  (c): c is string => c !== undefined && c !== '',
);
const python = PYTHONS.find((p) => has(p, ['-c', 'import requests, jwt, cryptography']));
/** Its absolute path (a bare `python3` resolved now, before the blocks' PATH puts ours first). */
const pythonPath =
  python &&
  (python.startsWith('/') ? python : spawnSync('which', [python]).stdout.toString().trim());
const needsPython = (b: Block) => b.body.some((l) => /(^|\s)python3\s/.test(l));
const MISSING =
  tools.length > 0
    ? `the README's blocks need ${tools.join(', ')} (Debian: apt-get install -y ${tools.join(' ')})`
    : undefined;
const MISSING_PYTHON = `no Python with requests, jwt and cryptography (tried ${PYTHONS.join(', ')}; Debian: apt-get install -y python3-requests python3-jwt python3-cryptography)`;
if (!underCi && MISSING) {
  console.warn(`\n*** WARNING: ${MISSING}: the README block tests will be SKIPPED. ***\n`);
}
if (!underCi && !python && runnable.some(needsPython)) {
  console.warn(`\n*** WARNING: ${MISSING_PYTHON}: the Python blocks will be SKIPPED. ***\n`);
}

// --- Running one block -------------------------------------------------------------------------

interface Outcome {
  stdout: string;
  stderr: string;
  rc: number | undefined;
  /** Every answer curl received, per curl call, in order; `api` when it was this server's. */
  heads: { api: boolean; heads: Head[] }[];
}

const DEFAULT_URL = new RegExp(
  `(${[...API_URLS, DEMO_URL].map((u) => u.replace(/[.]/g, '\\.')).join('|')})(?!\\d)`,
  'g',
);

/**
 * The block as the test runs it: this server's addresses instead of the default ones, in one pass
 * (replacing one after the other rewrote a rewritten address: port 30018 starts with 3001) and only
 * where the port ends.
 */
function rewrite(text: string, apiUrl: string, demoUrl: string): string {
  return text.replace(DEFAULT_URL, (url) => (url === DEMO_URL ? demoUrl : apiUrl));
}

/**
 * The bash script for a block: `set -euo pipefail`, curl wrapped so that every answer's head is
 * also written to a file (`-D`, beside whatever the command prints), and each command's output
 * kept apart. A command with an `exit N` claim runs with errexit off.
 */
function scriptFor(commands: Command[], apiUrl: string, demoUrl: string): string {
  const lines = [
    'set -euo pipefail',
    'curl() {',
    '  local kind=other arg',
    '  for arg in "$@"; do case $arg in "$DOCS_API"*) kind=api ;; esac; done',
    '  command curl -D "$DOCS_DIR/h.$DOCS_CMD.$(date +%s%N).$kind" "$@"',
    '}',
  ];
  commands.forEach((command, n) => {
    const out = `>"$DOCS_DIR/o.${n}" 2>"$DOCS_DIR/e.${n}"`;
    lines.push(`DOCS_CMD=${n}; echo ${n} >"$DOCS_DIR/current"`);
    const text = rewrite(command.text, apiUrl, demoUrl);
    if (command.claim?.exit !== undefined) {
      lines.push('set +e', `{\n${text}\n} ${out}`, `echo $? >"$DOCS_DIR/rc.${n}"`, 'set -e');
    } else {
      lines.push(`{\n${text}\n} ${out}`, `echo 0 >"$DOCS_DIR/rc.${n}"`);
    }
  });
  return lines.join('\n') + '\n';
}

function read(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function outcomeOf(dir: string, n: number): Outcome {
  const rcText = read(join(dir, `rc.${n}`)).trim();
  const dumps = readdirSync(dir)
    .filter((f) => f.startsWith(`h.${n}.`))
    .sort((a, b) => {
      const [ta, tb] = [a.split('.')[2] ?? '', b.split('.')[2] ?? ''];
      return ta.length - tb.length || (ta < tb ? -1 : ta > tb ? 1 : 0);
    });
  return {
    stdout: read(join(dir, `o.${n}`)),
    stderr: read(join(dir, `e.${n}`)),
    rc: rcText === '' ? undefined : Number(rcText),
    heads: dumps.map((f) => ({
      api: f.endsWith('.api'),
      heads: parseHeads(read(join(dir, f))),
    })),
  };
}

/** Checks one claim against what its command did; returns the failures and how many checks ran. */
function check(claim: Claim, outcome: Outcome, apiUrl: string, demoUrl: string) {
  const failures: string[] = [];
  let checks = 0;
  const expect = (ok: boolean, why: string) => {
    checks++;
    if (!ok) failures.push(why);
  };
  const last = outcome.heads.at(-1)?.heads.at(-1);
  const body = bodyOf(outcome.stdout);
  let parsed: Json | undefined;
  try {
    parsed = JSON.parse(body) as Json;
  } catch {
    parsed = undefined;
  }
  const needHead = claim.status !== undefined || claim.headers.length + claim.absent.length > 0;
  if (needHead && !last) failures.push('the claim names a status or headers, but no curl answer');
  if (claim.status !== undefined && last) {
    expect(last.status === claim.status, `status ${last.status}, not ${claim.status}`);
  }
  if (claim.statusLine !== undefined && last) {
    expect(last.statusLine === claim.statusLine, `"${last.statusLine}", not "${claim.statusLine}"`);
  }
  if (claim.code !== undefined) {
    const o = parsed as { code?: unknown; error?: unknown } | undefined;
    const codes = [
      o?.code,
      o?.error,
      typeof o?.error === 'object' && o.error ? (o.error as { code?: unknown }).code : undefined,
    ];
    expect(codes.includes(claim.code), `code ${JSON.stringify(codes)}, not ${claim.code}`);
  }
  if (claim.exit !== undefined) {
    expect(outcome.rc === claim.exit, `exit ${outcome.rc}, not ${claim.exit}`);
  }
  if (claim.body) {
    const pattern = JSON.parse(
      rewrite(JSON.stringify(claim.body.pattern), apiUrl, demoUrl),
    ) as typeof claim.body.pattern;
    const why =
      parsed === undefined
        ? `the body is not JSON: ${body.slice(0, 200)}`
        : mismatch(pattern, parsed);
    expect(why === undefined, `body: ${why ?? ''}`);
    // A body the server pretty-prints (json spaces) is shown so, not squeezed onto one line.
    if (pattern.kind === 'object' && pattern.members.length >= 2 && body.trim().includes('\n')) {
      expect(claim.body.multiline, 'the server pretty-prints this body: show it so');
    }
  }
  for (const text of claim.texts) {
    const wanted = rewrite(text, apiUrl, demoUrl);
    expect(globMatches(`…${wanted}…`, outcome.stdout), `the output lacks "${wanted}"`);
  }
  // A field shown several times (three Digest challenges) is checked in the order shown.
  const after = new Map<string, number>();
  for (const { name: header, value } of claim.headers) {
    const wanted = rewrite(value, apiUrl, demoUrl);
    const key = header.toLowerCase();
    const values = (last?.headers ?? []).filter(([n]) => n.toLowerCase() === key).map(([, v]) => v);
    const from = after.get(key) ?? 0;
    const found = values.findIndex((v, i) => i >= from && globMatches(wanted, v));
    after.set(key, found + 1);
    expect(
      found >= 0,
      `${header}: ${values.length ? values.join(' | ') : '(none)'}, not ${wanted}${from > 0 ? ' (after the one before)' : ''}`,
    );
  }
  for (const header of claim.absent) {
    const prefix = header.endsWith('*');
    const lower = header.replace(/\*$/, '').toLowerCase();
    const found = (last?.headers ?? []).filter(([n]) =>
      prefix ? n.toLowerCase().startsWith(lower) : n.toLowerCase() === lower,
    );
    expect(found.length === 0, `has ${found.map(([n, v]) => `${n}: ${v}`).join(', ')}`);
  }
  return { failures, checks };
}

interface BlockReport {
  commands: number;
  claims: number;
  checks: number;
}

async function runBlock(block: Block): Promise<BlockReport> {
  const commands = commandsOf(block);
  const port = await freePort();
  let demoPort = await freePort();
  while (demoPort === port) demoPort = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const demoUrl = `http://127.0.0.1:${demoPort}`;
  const server = await startServer({
    PORT: String(port),
    CORS_DEMO_PORT: String(demoPort),
    ...block.env,
  });
  const dir = mkdtempSync(join(tmpdir(), 'four-oh-one-readme-'));
  try {
    // The block's own directory: files it writes (a cookie jar) land here, and `examples/` is
    // the repository's, as in a clone.
    const work = join(dir, 'work');
    const bin = join(dir, 'bin');
    mkdirSync(work);
    mkdirSync(bin);
    symlinkSync(join(ROOT, 'examples'), join(work, 'examples'));
    // `node` and `python3` in the blocks: this Node, and the Python that has what they import.
    symlinkSync(process.execPath, join(bin, 'node'));
    if (pythonPath) symlinkSync(pythonPath, join(bin, 'python3'));
    const script = join(dir, 'block.sh');
    writeFileSync(script, scriptFor(commands, apiUrl, demoUrl));
    const child = spawn('bash', [script], {
      cwd: work,
      env: {
        PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        HOME: dir,
        LANG: 'C.UTF-8',
        PYTHONIOENCODING: 'utf-8',
        PYTHONDONTWRITEBYTECODE: '1',
        NO_PROXY: '127.0.0.1,localhost',
        no_proxy: '127.0.0.1,localhost',
        // The examples' own knob for the server's address (they name no URL in the block).
        FOUR_OH_ONE_URL: apiUrl,
        DOCS_DIR: dir,
        DOCS_API: apiUrl,
      },
      timeout: BLOCK_TIMEOUT_MS,
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    const failures: string[] = [];
    let claims = 0;
    let checks = 0;
    commands.forEach((command, n) => {
      const outcome = outcomeOf(dir, n);
      const at = `${block.file}:${command.line}`;
      if (outcome.rc === undefined) {
        if (code !== 0 && read(join(dir, 'current')).trim() === String(n)) {
          failures.push(
            `${at}: the command failed (bash exit ${code}): ${command.text}\n  stderr: ${outcome.stderr || stderr}\n  stdout: ${outcome.stdout.slice(0, 500)}`,
          );
        }
        return;
      }
      // The README says every answer has an X-Request-Id: every one of this server's, here.
      for (const { api, heads } of outcome.heads) {
        if (!api) continue;
        for (const head of heads) {
          checks++;
          if (!head.headers.some(([h]) => h.toLowerCase() === 'x-request-id')) {
            failures.push(`${at}: ${head.statusLine} without X-Request-Id`);
          }
        }
      }
      if (!command.claim) {
        if (outcome.stdout.trim() !== '') {
          failures.push(
            `${at}: prints output but claims nothing about it (add "# → …"): ${command.text}\n  ${outcome.stdout.slice(0, 300)}`,
          );
        }
        return;
      }
      claims++;
      const result = check(command.claim, outcome, apiUrl, demoUrl);
      checks += result.checks;
      for (const why of result.failures) {
        failures.push(
          `${at}: ${why}\n  command: ${command.text}\n  claim: ${command.claim.source}\n  output: ${outcome.stdout.slice(0, 1500)}`,
        );
      }
    });
    if (code !== 0 && failures.length === 0) failures.push(`bash exited ${code}: ${stderr}`);
    if (failures.length > 0) {
      throw new Error(
        `${name(block)}: ${failures.length} failure(s)\n\n${failures.join('\n\n')}\n\nserver log (tail):\n${server.logs.join('').slice(-2000)}`,
      );
    }
    return { commands: commands.length, claims, checks };
  } finally {
    server.child.kill('SIGINT'); // no readiness drain: nothing balances this server
    await exited(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- The tests -----------------------------------------------------------------------------------

describe('the claim convention (readme-blocks.ts)', () => {
  const block = (lines: string[]): Block => ({
    file: 'X.md',
    line: 1,
    lang: 'sh',
    body: lines,
    skip: undefined,
    env: {},
    badDirectives: [],
  });

  it('reads a status, a code, headers, an absent header and a body', () => {
    const [command] = commandsOf(
      block([
        'curl -si http://127.0.0.1:3000/x   # → 401 token_expired — words for people',
        '#   WWW-Authenticate: Bearer realm="…"',
        '#   no Set-Cookie',
        '#   {"code":"token_expired",…}',
      ]),
    );
    expect(command?.text).toBe('curl -si http://127.0.0.1:3000/x');
    expect(command?.claim).toMatchObject({
      status: 401,
      code: 'token_expired',
      headers: [{ name: 'WWW-Authenticate', value: 'Bearer realm="…"' }],
      absent: ['Set-Cookie'],
      body: { pattern: { kind: 'object', rest: true } },
    });
  });

  it('refuses prose beside a command, and a claim it cannot read', () => {
    expect(() => commandsOf(block(['curl -s x   # 200']))).toThrow(/must be a claim/);
    expect(() => commandsOf(block(['curl -s x   # → 200 and more']))).toThrow(/not understood/);
  });

  it('compares bodies: exact members unless "…", glob strings, arrays in order', () => {
    const pattern = (text: string) => {
      const claim = commandsOf(block([`x # → ${text}`]))[0]?.claim;
      if (!claim?.body) throw new Error('no body');
      return claim.body.pattern;
    };
    expect(mismatch(pattern('{"active":false}'), { active: false })).toBeUndefined();
    expect(mismatch(pattern('{"active":false}'), { active: false, sub: 'a' })).toMatch(
      /also has sub/,
    );
    expect(mismatch(pattern('{"a":"eyJ…",…}'), { a: 'eyJabc', b: 1 })).toBeUndefined();
    expect(mismatch(pattern('{"a":"eyJ…"}'), { a: 'xyz' })).toMatch(/\$\.a is "xyz"/);
    expect(mismatch(pattern('["a", …, "z"]'), ['a', 'b', 'c', 'z'])).toBeUndefined();
    expect(mismatch(pattern('["a", "z"]'), ['a', 'b', 'z'])).toBeDefined();
    expect(
      globMatches('Basic realm="…", charset="UTF-8"', 'Basic realm="x", charset="UTF-8"'),
    ).toBe(true);
  });
});

describe("the blocks' addresses", () => {
  it("become the test server's in one pass, where the port ends", () => {
    // Port 30018 starts with 3001 (the demo's default): a second pass once made it 288918.
    const api = 'http://127.0.0.1:30018';
    const demo = 'http://127.0.0.1:28891';
    expect(
      rewrite(
        'curl http://127.0.0.1:3000/v1 http://127.0.0.1:8080/x http://127.0.0.1:3001/ http://127.0.0.1:30005',
        api,
        demo,
      ),
    ).toBe(`curl ${api}/v1 ${api}/x ${demo}/ http://127.0.0.1:30005`);
  });
});

describe("the README's commands", () => {
  const reports: Record<string, BlockReport> = {};

  afterAll(() => {
    const ran = Object.values(reports);
    const skipped = shellBlocks.filter((b) => b.skip !== undefined);
    console.log(
      `README blocks: ${ran.length} run (${ran.reduce((s, r) => s + r.commands, 0)} commands, ` +
        `${ran.reduce((s, r) => s + r.claims, 0)} claims, ${ran.reduce((s, r) => s + r.checks, 0)} checks), ` +
        `${skipped.length} not run:\n` +
        skipped.map((b) => `  ${name(b)}: ${b.skip ?? ''}`).join('\n'),
    );
  });

  it('are sh blocks, and every block not run says why', () => {
    const wrong = blocks
      .filter((b) => ['bash', 'shell', 'console', 'zsh', ''].includes(b.lang))
      .map((b) => `${name(b)}: \`\`\`${b.lang} (write \`\`\`sh, so the test runs it)`);
    const unexplained = shellBlocks
      .filter((b) => b.skip !== undefined && b.skip === '')
      .map((b) => `${name(b)}: skip without a reason: <!-- docs-test: skip (why) -->`);
    const bad = blocks.flatMap((b) => b.badDirectives.map((d) => `${name(b)}: directive "${d}"`));
    // A block run against a server configured otherwise says so to the reader too.
    const unsaid = shellBlocks.flatMap((b) =>
      Object.entries(b.env)
        .filter(([k, v]) => !b.body.join('\n').includes(`${k}=${v}`))
        .map(([k, v]) => `${name(b)}: env ${k}=${v} is not named in the block`),
    );
    expect([...wrong, ...unexplained, ...bad, ...unsaid]).toEqual([]);
    expect(runnable.length).toBeGreaterThan(0);
  });

  it('parse: every comment beside a command is a claim, and every claim parses', () => {
    const errors: string[] = [];
    for (const block of runnable) {
      try {
        commandsOf(block);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    expect(errors).toEqual([]);
  });

  // The blocks run side by side (it.concurrent, at most jest.config.js's maxConcurrency at
  // once): each has a server, a directory and ports of its own, and most of a block's time is
  // its sleeps (a session's idle timeout, a token's expiry). One after the other they took 55 s
  // of a worker for 25 s of CPU.
  describe.each(runnable.map((b) => [name(b), b] as const))('%s', (_name, block) => {
    const blocked = MISSING ?? (needsPython(block) && !python ? MISSING_PYTHON : undefined);
    const run = blocked !== undefined && !underCi ? it.concurrent.skip : it.concurrent;
    run(
      'runs, and every claim beside its commands holds',
      async () => {
        if (blocked) throw new Error(blocked);
        if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build`);
        reports[name(block)] = await runBlock(block);
      },
      BLOCK_TIMEOUT_MS + 30_000,
    );
  });
});
