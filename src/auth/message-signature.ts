import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HTTP Message Signatures (RFC 9421), the subset this server verifies: one HMAC-SHA256 key, a
 * signature that covers `@method`, `@path` and `content-digest` (RFC 9530, SHA-256 of the body),
 * and a `created` time. The two fields are Structured Fields (RFC 8941) dictionaries; only the
 * shapes RFC 9421 uses are read: `label=("comp" …);param=value…` and `label=:base64:`.
 */

/** The published demo key: anyone may sign with it, which is the point of a sandbox. */
export const DEMO_SIGNATURE_KEYID = 'four-oh-one-demo-hmac';
export const DEMO_SIGNATURE_SECRET = 'four-oh-one-rfc9421-demo-key';
/** The components every signature here must cover. */
export const REQUIRED_COMPONENTS = ['@method', '@path', 'content-digest'] as const;
/** How old (or how far ahead) `created` may be. */
export const SIGNATURE_MAX_AGE_SECONDS = 300;

/** What a refused request is told to send (RFC 9421 §5.1): the label, components and key. */
export const ACCEPT_SIGNATURE = `sig1=(${REQUIRED_COMPONENTS.map((c) => `"${c}"`).join(' ')});keyid="${DEMO_SIGNATURE_KEYID}";alg="hmac-sha256";created`;

const MAX_FIELD_LENGTH = 2048;
const LABEL = /^[a-z*][a-z0-9_\-.*]*$/;
const PARAM_VALUE = /^(?:"[\x20\x21\x23-\x5b\x5d-\x7e]*"|-?\d{1,15}|\?[01])$/;

export interface SignatureInput {
  label: string;
  components: string[];
  /** The serialised inner list with its parameters, as the signature base repeats it. */
  params: string;
  created?: number;
  expires?: number;
  keyid?: string;
  alg?: string;
  /** RFC 9421 §2.3: what the signature is for (GNAP requires "gnap", RFC 9635 §7.3.1). */
  tag?: string;
  nonce?: string;
}

/** Splits a dictionary's top level at commas outside quotes and parentheses. */
function members(field: string): string[] | undefined {
  if (field.length > MAX_FIELD_LENGTH) return undefined;
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < field.length; i++) {
    const c = field[i];
    if (quoted) {
      if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(field.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (quoted || depth !== 0) return undefined;
  out.push(field.slice(start).trim());
  return out;
}

/** The first member of Signature-Input, or undefined when it is not in RFC 9421's shape. */
export function parseSignatureInput(field: string): SignatureInput | undefined {
  const first = members(field)?.[0];
  const m = first === undefined ? null : /^([^=]+)=\(([^)]*)\)(.*)$/.exec(first);
  if (!m || !LABEL.test(m[1]!)) return undefined;
  const components: string[] = [];
  for (const item of m[2]!.trim().split(/ +/).filter(Boolean)) {
    const c = /^"([a-z0-9@\-_.]+)"$/.exec(item);
    if (!c) return undefined;
    components.push(c[1]!);
  }
  const input: SignatureInput = {
    label: m[1]!,
    components,
    params: `(${m[2]!.trim()})${m[3]!}`,
  };
  for (const p of m[3]!.split(';').slice(1)) {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? '?1' : p.slice(eq + 1);
    if (!/^[a-z][a-z0-9_\-.*]*$/.test(name) || !PARAM_VALUE.test(value)) return undefined;
    const text = value.startsWith('"') ? value.slice(1, -1) : undefined;
    const num = /^-?\d+$/.test(value) ? Number(value) : undefined;
    if (name === 'created') input.created = num;
    else if (name === 'expires') input.expires = num;
    else if (name === 'keyid') input.keyid = text;
    else if (name === 'alg') input.alg = text;
    else if (name === 'tag') input.tag = text;
    else if (name === 'nonce') input.nonce = text;
  }
  if (m[3] !== '' && !m[3]!.startsWith(';')) return undefined;
  return input;
}

/** The signature bytes the Signature field gives `label`, or undefined. */
export function signatureFor(field: string, label: string): Buffer | undefined {
  for (const member of members(field) ?? []) {
    const m = /^([^=]+)=:([A-Za-z0-9+/]*={0,2}):$/.exec(member);
    if (m && m[1] === label) return Buffer.from(m[2]!, 'base64');
  }
  return undefined;
}

/** `sha-256=:<base64>:` of a body (RFC 9530). */
export const contentDigest = (body: Buffer): string =>
  `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;

/** The signature base (RFC 9421 §2.5) of the covered components, given their values. */
export function signatureBase(input: SignatureInput, values: Record<string, string>): string {
  return [
    ...input.components.map((c) => `"${c}": ${values[c]}`),
    `"@signature-params": ${input.params}`,
  ].join('\n');
}

/** HMAC-SHA256 of a signature base under the demo key. */
export const signBase = (base: string, secret = DEMO_SIGNATURE_SECRET): Buffer =>
  createHmac('sha256', secret).update(base, 'utf8').digest();

/** Whether `given` is the signature of `base`, in constant time. */
export function baseSignatureMatches(base: string, given: Buffer): boolean {
  const expected = signBase(base);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
