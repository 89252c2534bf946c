/**
 * The README's shell blocks as data, for test/e2e/readme.test.ts: the fenced `sh` blocks of a
 * Markdown file, their `<!-- docs-test: … -->` directives, the commands in each, and the claims
 * the comments beside a command make about its answer, parsed so that a test can check them.
 *
 * A claim is a comment that starts with `→`, beside the command or on the lines after it:
 *
 *     curl -si http://127.0.0.1:3000/api/v1/data        # → 401 token_missing
 *     #   WWW-Authenticate: Bearer realm="four-oh-one", resource_metadata="…"
 *     curl -s http://127.0.0.1:3000/auth/introspect …   # → 200 {"active":false}
 *
 * Its items: a status (`401`, or a status line `HTTP/1.1 401 Unauthorized`), a problem code
 * (`token_missing`: the body's `code`, or its OAuth `error`, or OpenAI's `error.code`), a JSON
 * body, `exit N`, a quoted text the output contains, `Name: value` (a header the answer has) or
 * `no Name` (one it has not), and after `—` words for people only. Lines of a claim after the
 * first start with `#` and at least two spaces. `…` matches anything: inside a string or a header
 * value any text, as a value any value, as an object member any other members (without it an
 * object must have exactly the members shown), as an array element any further elements.
 */

export interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  /** The lines between the fences, with the fence's indentation removed. */
  body: string[];
  /** `skip (why)`: why the block is not run; undefined when it is run. */
  skip: string | undefined;
  /** `env NAME=value …`: the server this block needs is started with these variables. */
  env: Record<string, string>;
  /** Directives that were not understood (a test fails on any). */
  badDirectives: string[];
}

export interface Command {
  /** 1-based line in the Markdown file where the command starts. */
  line: number;
  /** The command as bash runs it (continuation lines kept), without its claim. */
  text: string;
  claim: Claim | undefined;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A parsed JSON value of a claim, where `…` may stand for anything. */
export type Pattern =
  | { kind: 'any' }
  | { kind: 'literal'; value: null | boolean | number }
  | { kind: 'string'; value: string }
  | { kind: 'array'; items: Pattern[] }
  | { kind: 'object'; members: [string, Pattern][]; rest: boolean };

export interface Claim {
  /** The claim as written, without the comment marks, for messages. */
  source: string;
  status?: number;
  statusLine?: string;
  code?: string;
  exit?: number;
  body?: { pattern: Pattern; multiline: boolean };
  texts: string[];
  headers: { name: string; value: string }[];
  absent: string[];
}

const ELLIPSIS = '…';

// --- Blocks ------------------------------------------------------------------------------------

/** Every fenced block of a Markdown file, with the directives in the comments above it (blank lines between allowed). */
export function extractBlocks(file: string, markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1] ?? '';
    const lang = open[2] ?? '';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && (lines[j] ?? '').trim() !== '```'; j++) {
      const line = lines[j] ?? '';
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    const block: Block = {
      file,
      line: i + 1,
      lang,
      body,
      skip: undefined,
      env: {},
      badDirectives: [],
    };
    // The directives: HTML comments on the lines right above the fence (invisible when rendered).
    for (let k = i - 1; k >= 0; k--) {
      if ((lines[k] ?? '').trim() === '') continue;
      const directive = /^\s*<!--\s*docs-test:(.*?)-->\s*$/.exec(lines[k] ?? '');
      if (!directive) break;
      readDirective((directive[1] ?? '').trim(), block);
    }
    blocks.push(block);
    i = j;
  }
  return blocks;
}

function readDirective(text: string, block: Block): void {
  const skip = /^skip(?:\s*\((.*)\))?$/.exec(text);
  if (skip) {
    block.skip = (skip[1] ?? '').trim();
    return;
  }
  const env = /^env\s+(.+)$/.exec(text);
  if (env) {
    for (const pair of (env[1] ?? '').trim().split(/\s+/)) {
      const kv = /^([A-Z][A-Z0-9_]*)=(\S*)$/.exec(pair);
      if (kv) block.env[kv[1] as string] = kv[2] as string;
      else block.badDirectives.push(`env ${pair}`);
    }
    return;
  }
  block.badDirectives.push(text);
}

// --- Commands and their claims ---------------------------------------------------------------

/** The index of a `#` that starts a comment on this shell line (outside quotes), or -1. */
function commentStart(line: string): number {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '\\') i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return i;
  }
  return -1;
}

/**
 * The commands of a block, each with its claim. Throws on what the convention forbids: a
 * comment beside a command that is not a claim, a claim with no command before it, a claim
 * that does not parse.
 */
export function commandsOf(block: Block): Command[] {
  const commands: Command[] = [];
  const where = (k: number) => `${block.file}:${block.line + 1 + k}`;
  let claimLines: string[] | undefined;
  let claimOwner: Command | undefined;
  let claimLine = 0;
  const endClaim = () => {
    if (claimLines && claimOwner) {
      try {
        claimOwner.claim = parseClaim(claimLines);
      } catch (err) {
        throw new Error(`${where(claimLine)}: ${(err as Error).message}`, { cause: err });
      }
    }
    claimLines = undefined;
    claimOwner = undefined;
  };
  for (let k = 0; k < block.body.length; k++) {
    const raw = block.body[k] ?? '';
    const trimmed = raw.trim();
    if (trimmed.startsWith('#')) {
      const after = trimmed.slice(1);
      if (claimLines && /^(\s{2,}|\s*—)/.test(after)) {
        claimLines.push(after);
        continue;
      }
      endClaim();
      if (after.trimStart().startsWith('→')) {
        const owner = commands[commands.length - 1];
        if (!owner) throw new Error(`${where(k)}: a claim with no command before it`);
        if (owner.claim) throw new Error(`${where(k)}: a second claim for one command`);
        claimOwner = owner;
        claimLine = k;
        claimLines = [after.trimStart().slice(1)];
      }
      continue; // prose
    }
    endClaim();
    if (trimmed === '') continue;
    // A command, perhaps continued over several lines with a trailing backslash.
    const first = k;
    const parts: string[] = [raw];
    while ((block.body[k] ?? '').trimEnd().endsWith('\\') && k + 1 < block.body.length) {
      k++;
      parts.push(block.body[k] ?? '');
    }
    const last = parts[parts.length - 1] ?? '';
    const hash = commentStart(last);
    const command: Command = { line: block.line + 1 + first, text: '', claim: undefined };
    if (hash >= 0) {
      const comment = last.slice(hash + 1).trim();
      if (!comment.startsWith('→')) {
        throw new Error(
          `${where(k)}: a comment beside a command must be a claim ("# → …"); put prose on a line of its own: ${comment}`,
        );
      }
      parts[parts.length - 1] = last.slice(0, hash).trimEnd();
      claimOwner = command;
      claimLine = k;
      claimLines = [comment.slice(1)];
    }
    command.text = parts.join('\n');
    commands.push(command);
  }
  endClaim();
  return commands;
}

// --- Claims --------------------------------------------------------------------------------------

/** Parses the lines of one claim (comment marks and the arrow removed). */
export function parseClaim(lines: string[]): Claim {
  const source = lines.join('\n');
  const claim: Claim = { source: source.trim(), texts: [], headers: [], absent: [] };
  let pos = 0;
  const rest = () => source.slice(pos);
  const toEndOfLine = () => {
    const nl = source.indexOf('\n', pos);
    const end = nl === -1 ? source.length : nl;
    const text = source.slice(pos, end);
    pos = end;
    return text;
  };
  for (;;) {
    const ws = /^[\s,]*/.exec(rest());
    pos += ws ? ws[0].length : 0;
    if (pos >= source.length) break;
    const r = rest();
    let m: RegExpExecArray | null;
    if (r.startsWith('—')) {
      toEndOfLine(); // words for people
    } else if ((m = /^HTTP\/[\d.]+ (\d{3})\b/.exec(r))) {
      claim.statusLine = toEndOfLine().trim();
      setOnce(claim, 'status', Number(m[1]));
    } else if ((m = /^([A-Z][A-Za-z0-9-]*): /.exec(r))) {
      const line = toEndOfLine();
      claim.headers.push({ name: m[1] as string, value: line.slice(m[0].length).trim() });
    } else if ((m = /^no ([A-Z][A-Za-z0-9-]*\*?)(?=\s|$)/.exec(r))) {
      claim.absent.push(m[1] as string);
      pos += m[0].length;
    } else if ((m = /^exit (\d+)\b/.exec(r))) {
      setOnce(claim, 'exit', Number(m[1]));
      pos += m[0].length;
    } else if ((m = /^(\d{3})(?=\s|$)/.exec(r))) {
      setOnce(claim, 'status', Number(m[1]));
      pos += m[0].length;
    } else if ((m = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?=\s|$|,)/.exec(r))) {
      setOnce(claim, 'code', m[0]);
      pos += m[0].length;
    } else if (r.startsWith('"')) {
      const parser = new PatternParser(source, pos);
      const value = parser.string();
      pos = parser.pos;
      claim.texts.push(value);
    } else if (r.startsWith('{') || r.startsWith('[')) {
      const start = pos;
      const parser = new PatternParser(source, pos);
      const pattern = parser.value();
      pos = parser.pos;
      if (claim.body) throw new Error('two bodies in one claim');
      claim.body = { pattern, multiline: source.slice(start, pos).includes('\n') };
    } else {
      throw new Error(
        `claim not understood at "${r.split('\n')[0]}" (see test/e2e/readme-blocks.ts)`,
      );
    }
  }
  return claim;
}

function setOnce<K extends 'status' | 'code' | 'exit'>(claim: Claim, key: K, value: Claim[K]) {
  if (claim[key] !== undefined && claim[key] !== value) {
    throw new Error(`two different ${key}s in one claim`);
  }
  claim[key] = value;
}

/** JSON, where `…` may stand for a value, for the other members, or for further elements. */
class PatternParser {
  constructor(
    private readonly text: string,
    public pos: number,
  ) {}

  private fail(what: string): never {
    throw new Error(`JSON in a claim: ${what} at "${this.text.slice(this.pos, this.pos + 30)}"`);
  }
  private skip(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }
  private eat(c: string): boolean {
    this.skip();
    if (this.text.startsWith(c, this.pos)) {
      this.pos += c.length;
      return true;
    }
    return false;
  }

  value(): Pattern {
    this.skip();
    if (this.eat(ELLIPSIS)) return { kind: 'any' };
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { kind: 'string', value: this.string() };
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.pos));
    if (!m) this.fail('a value expected');
    this.pos += m[0].length;
    return { kind: 'literal', value: JSON.parse(m[0]) as null | boolean | number };
  }

  string(): string {
    this.skip();
    const m = /^"(?:[^"\\]|\\.)*"/.exec(this.text.slice(this.pos));
    if (!m) this.fail('a string expected');
    this.pos += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  private object(): Pattern {
    this.eat('{');
    const members: [string, Pattern][] = [];
    let rest = false;
    if (this.eat('}')) return { kind: 'object', members, rest };
    do {
      if (this.eat(ELLIPSIS)) {
        rest = true;
        continue;
      }
      const key = this.string();
      if (!this.eat(':')) this.fail('":" expected');
      members.push([key, this.value()]);
    } while (this.eat(','));
    if (!this.eat('}')) this.fail('"}" expected');
    return { kind: 'object', members, rest };
  }

  private array(): Pattern {
    this.eat('[');
    const items: Pattern[] = [];
    if (this.eat(']')) return { kind: 'array', items };
    do items.push(this.value());
    while (this.eat(','));
    if (!this.eat(']')) this.fail('"]" expected');
    return { kind: 'array', items };
  }
}

// --- Matching ------------------------------------------------------------------------------------

/** Whether `text` is `pattern`, where each `…` in the pattern stands for any text. */
export function globMatches(pattern: string, text: string): boolean {
  const source = pattern
    .split(ELLIPSIS)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${source}$`).test(text);
}

/** Why `actual` does not match `pattern` (a JSON path and what differs), or undefined. */
export function mismatch(
  pattern: Pattern,
  actual: Json | undefined,
  path = '$',
): string | undefined {
  switch (pattern.kind) {
    case 'any':
      return actual === undefined ? `${path} is missing` : undefined;
    case 'literal':
      return actual === pattern.value
        ? undefined
        : `${path} is ${JSON.stringify(actual)}, not ${JSON.stringify(pattern.value)}`;
    case 'string':
      return typeof actual === 'string' && globMatches(pattern.value, actual)
        ? undefined
        : `${path} is ${JSON.stringify(actual)}, not ${JSON.stringify(pattern.value)}`;
    case 'array': {
      if (!Array.isArray(actual)) return `${path} is ${JSON.stringify(actual)}, not an array`;
      return arrayMismatch(pattern.items, actual, path, 0, 0);
    }
    case 'object': {
      if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
        return `${path} is ${JSON.stringify(actual)}, not an object`;
      }
      for (const [key, value] of pattern.members) {
        const why = mismatch(value, actual[key], `${path}.${key}`);
        if (why) return why;
      }
      if (!pattern.rest) {
        const shown = new Set(pattern.members.map(([key]) => key));
        const extra = Object.keys(actual).filter((key) => !shown.has(key));
        if (extra.length > 0) {
          return `${path} also has ${extra.join(', ')} (show them, or "…" for the others)`;
        }
      }
      return undefined;
    }
  }
}

function arrayMismatch(
  items: Pattern[],
  actual: Json[],
  path: string,
  i: number,
  j: number,
): string | undefined {
  if (i === items.length) {
    return j === actual.length ? undefined : `${path} has ${actual.length - j} more element(s)`;
  }
  const item = items[i] as Pattern;
  if (item.kind === 'any') {
    // `…` as an element: any number of elements, including none.
    for (let k = j; k <= actual.length; k++) {
      if (arrayMismatch(items, actual, path, i + 1, k) === undefined) return undefined;
    }
    return `${path} does not match`;
  }
  if (j >= actual.length) return `${path}[${j}] is missing`;
  return (
    mismatch(item, actual[j], `${path}[${j}]`) ?? arrayMismatch(items, actual, path, i + 1, j + 1)
  );
}

/** One HTTP answer as `curl -D` wrote it: the status line and the header fields. */
export interface Head {
  statusLine: string;
  status: number;
  headers: [string, string][];
}

/** The heads in a `curl -D` file (several when curl followed a redirect or got a 100). */
export function parseHeads(dump: string): Head[] {
  const heads: Head[] = [];
  for (const chunk of dump.split(/\r?\n\r?\n/)) {
    const lines = chunk.split(/\r?\n/).filter((l) => l !== '');
    const statusLine = lines[0];
    const m = statusLine ? /^HTTP\/[\d.]+ (\d{3})/.exec(statusLine) : null;
    if (!m || !statusLine) continue;
    heads.push({
      statusLine: statusLine.trim(),
      status: Number(m[1]),
      headers: lines.slice(1).map((l) => {
        const colon = l.indexOf(':');
        return [l.slice(0, colon).trim(), l.slice(colon + 1).trim()] as [string, string];
      }),
    });
  }
  return heads;
}

/** What a command printed, without the heads `curl -i` printed before the body. */
export function bodyOf(stdout: string): string {
  let rest = stdout;
  while (/^HTTP\/[\d.]+ \d{3}/.test(rest)) {
    const end = /\r?\n\r?\n/.exec(rest);
    if (!end) return '';
    rest = rest.slice(end.index + end[0].length);
  }
  return rest;
}
