import type { Trigger } from '../scenarios';
import { fillBody, fillTemplate, headerLines, type Specimens } from '../tokens/specimens';

/**
 * Copyable client code for a registry trigger, beside the curl line of GET /scenarios: Python
 * `requests` and JavaScript `fetch`. Tokens are filled in, so each snippet runs as it is against
 * the server at `baseUrl`. test/snippets.test.ts runs the generated Python and JavaScript.
 */

/** How a language writes a JSON value: its scalars, its indent and its object keys. */
interface LiteralSyntax {
  /** A scalar's text; undefined for an array or object. */
  scalar(value: unknown): string | undefined;
  indent: string;
  key(name: string): string;
}

function literal(value: unknown, syntax: LiteralSyntax, indent: string): string {
  const scalar = syntax.scalar(value);
  if (scalar !== undefined) return scalar;
  const inner = `${indent}${syntax.indent}`;
  const lines = (items: string[]) =>
    `\n${items.map((item) => `${inner}${item},`).join('\n')}\n${indent}`;
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]' : `[${lines(value.map((v) => literal(v, syntax, inner)))}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{${lines(entries.map(([k, v]) => `${syntax.key(k)}: ${literal(v, syntax, inner)}`))}}`;
}

const PYTHON: LiteralSyntax = {
  scalar(value) {
    if (value === null || value === undefined) return 'None';
    if (value === true) return 'True';
    if (value === false) return 'False';
    return typeof value === 'number' || typeof value === 'string'
      ? JSON.stringify(value)
      : undefined;
  },
  indent: '    ',
  key: (name) => JSON.stringify(name),
};

const JAVASCRIPT: LiteralSyntax = {
  scalar(value) {
    if (value === undefined) return 'undefined';
    return value === null || typeof value !== 'object' ? JSON.stringify(value) : undefined;
  },
  indent: '  ',
  // Quoted only where they must be.
  key: (name) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name)),
};

/** A JSON value as a Python literal (JSON's strings and numbers are valid Python). */
export function pythonLiteral(value: unknown, indent = ''): string {
  return literal(value, PYTHON, indent);
}

/** A JSON value as a JavaScript literal, keys quoted only where they must be. */
export function jsLiteral(value: unknown, indent = ''): string {
  return literal(value, JAVASCRIPT, indent);
}

const isRedirectTest = (expectedStatus?: number) =>
  expectedStatus !== undefined && expectedStatus >= 300 && expectedStatus < 400;

/**
 * The trigger with its specimens filled in. A header sent twice cannot be in a dict or a fetch
 * init: it is joined into one field, and `repeated` names it so the snippet can say so.
 */
function filled(trigger: Trigger, specimens: Specimens) {
  const repeated: string[] = [];
  const headers = Object.fromEntries(
    Object.entries(trigger.headers ?? {}).map(([k, v]) => {
      if (!Array.isArray(v)) return [k, fillTemplate(v, specimens)];
      repeated.push(k);
      return [k, v.map((x) => fillTemplate(x, specimens)).join(', ')];
    }),
  );
  const body = trigger.body === undefined ? undefined : fillBody(trigger.body, specimens);
  return { headers, body, repeated };
}

/** What a snippet cannot send as the trigger does, as comment lines (`#` or `//`). */
function cannotSend(repeated: string[], comment: string, client: string) {
  return repeated.map(
    (name) =>
      `${comment} ${client} sends one ${name} field, so the values are joined in it; the server judges that one field, not the two curl -H sends.`,
  );
}

/** Writes a trigger as code that sends it, with its specimens filled in. */
type SnippetWriter = (
  baseUrl: string,
  trigger: Trigger,
  specimens: Specimens,
  /** The status the trigger answers: a redirect is shown, not followed; a 407 explained. */
  expectedStatus?: number,
) => string;

/** Python `requests`: the call, then the status, the challenge and the body. */
export const pythonFor: SnippetWriter = function pythonFor(baseUrl, trigger, specimens, status) {
  const { headers, body, repeated } = filled(trigger, specimens);
  const args = [`    ${JSON.stringify(baseUrl + trigger.path)},`];
  if (Object.keys(headers).length > 0) args.push(`    headers=${pythonLiteral(headers, '    ')},`);
  if (body !== undefined) {
    args.push(
      `    ${trigger.contentType === 'form' ? 'data' : 'json'}=${pythonLiteral(body, '    ')},`,
    );
  }
  if (isRedirectTest(status)) args.push('    allow_redirects=False,');
  args.push('    timeout=10,');
  return [
    'import requests',
    '',
    ...cannotSend(repeated, '#', 'requests'),
    `response = requests.${trigger.method.toLowerCase()}(`,
    ...args,
    ')',
    'print(response.status_code, response.headers.get("WWW-Authenticate"))',
    'print(response.text)',
  ].join('\n');
};

/** JavaScript `fetch` (Node 18+, as an ES module): the call, then status, challenge and body. */
export const fetchFor: SnippetWriter = function fetchFor(baseUrl, trigger, specimens, status) {
  const { headers, body, repeated } = filled(trigger, specimens);
  const init: string[] = [`  method: ${JSON.stringify(trigger.method)},`];
  // JSON unless the trigger names its own Content-Type (a charset this server refuses, say).
  const typed = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  if (body !== undefined && trigger.contentType !== 'form' && !typed) {
    headers['Content-Type'] = 'application/json';
  }
  if (Object.keys(headers).length > 0) init.push(`  headers: ${jsLiteral(headers, '  ')},`);
  if (body !== undefined) {
    init.push(
      trigger.contentType === 'form'
        ? `  body: new URLSearchParams(${jsLiteral(body, '  ')}),`
        : `  body: JSON.stringify(${jsLiteral(body, '  ')}),`,
    );
  }
  if (isRedirectTest(status)) init.push(`  redirect: "manual",`);
  return [
    '// Node 18+: save as try.mjs, then run node try.mjs',
    ...(status === 407
      ? [
          '// fetch, in Node as in browsers, turns a 407 from a server that is not your proxy into',
          '// a network error: this throws "TypeError: fetch failed". curl and Python show the 407.',
        ]
      : []),
    ...cannotSend(repeated, '//', 'fetch'),
    ...(body !== undefined && (trigger.method === 'GET' || trigger.method === 'HEAD')
      ? [
          `// fetch refuses a body with ${trigger.method} ("TypeError: Request with GET/HEAD method cannot have body"):`,
          '// this throws. curl and Python send it.',
        ]
      : []),
    `const response = await fetch(${JSON.stringify(baseUrl + trigger.path)}, {`,
    ...init,
    '});',
    'console.log(response.status, response.headers.get("www-authenticate"));',
    'console.log(await response.text());',
  ].join('\n');
};

/** Headers a page's script may not set (Fetch: forbidden request-headers). */
const FORBIDDEN = new Set([
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
]);

/** The headers of a trigger that a browser will not let a script send. */
export function forbiddenHeaders(trigger: Trigger): string[] {
  return Object.keys(trigger.headers ?? {}).filter((name) => {
    const n = name.toLowerCase();
    return FORBIDDEN.has(n) || n.startsWith('proxy-') || n.startsWith('sec-');
  });
}

/** Single-quotes a string for a POSIX shell. */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A curl command line that fires a trigger. */
export function curlFor(baseUrl: string, trigger: Trigger, specimens: Specimens): string {
  const parts = ['curl -i'];
  if (trigger.method === 'HEAD') parts.push('--head');
  // A body makes curl POST unless told otherwise: a GET with a body says so.
  else if (trigger.method !== 'GET' || trigger.body !== undefined) {
    parts.push(`-X ${trigger.method}`);
  }
  parts.push(shellQuote(baseUrl + trigger.path));
  // One -H per field line: curl sends a header given twice twice.
  for (const [name, value] of headerLines(trigger.headers, specimens)) {
    parts.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  if (trigger.body !== undefined) {
    const body = fillBody(trigger.body, specimens);
    if (trigger.contentType === 'form') {
      for (const [k, v] of Object.entries(body))
        parts.push(`--data-urlencode ${shellQuote(`${k}=${String(v)}`)}`);
    } else {
      parts.push(`-H 'Content-Type: application/json' -d ${shellQuote(JSON.stringify(body))}`);
    }
  }
  return parts.join(' ');
}
