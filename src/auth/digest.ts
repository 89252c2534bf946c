import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DIGEST_CHECKS } from '../teaching/explain';
import type { ProblemCode } from '../scenarios/catalog';
import type { Clock, Store } from '../store';
import { decodeCredentialBytes } from './basic';
import { digestChallenge, quote, REALM } from './challenges';
import { textEqual } from './compare';
import { readScheme, TCHAR } from './scheme';

/**
 * HTTP Digest (RFC 7616) as a protocol, apart from Express (after go-httpbin's httpbin/digest,
 * whose package exports Check and Challenge): the algorithms, the header parser, stateless
 * nonces, and `createDigest`, whose `check` judges a request and whose `challenges` answer one.
 */

// --- Algorithms (RFC 7616 §3.2, the IANA "HTTP Digest Algorithm Values" registry) -------------

/** Each algorithm's hash in Node's names. SHA-512-256 is SHA-512/256 (FIPS 180-4), not truncation. */
const HASHES = {
  MD5: 'md5',
  'MD5-sess': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-sess': 'sha256',
  'SHA-512-256': 'sha512-256',
  'SHA-512-256-sess': 'sha512-256',
  // httpbin's: full SHA-512, which no RFC or IANA entry defines; served so httpbin clients work.
  'SHA-512': 'sha512',
} as const;

export type DigestAlgorithm = keyof typeof HASHES;
export const DIGEST_ALGORITHMS = Object.keys(HASHES) as DigestAlgorithm[];

const BY_LOWER = new Map(DIGEST_ALGORITHMS.map((a) => [a.toLowerCase(), a]));

/** An algorithm as RFC 7616 spells it, whatever case it came in; undefined when unknown. */
export function digestAlgorithm(name: string): DigestAlgorithm | undefined {
  return BY_LOWER.get(name.toLowerCase());
}

export type DigestQop = 'auth' | 'auth-int';

/** H(data) of RFC 7616 §3.4.1: the algorithm's hash as lower-case hex. Strings are hashed as UTF-8. */
export function digestHash(algorithm: DigestAlgorithm, data: string | Buffer): string {
  return createHash(HASHES[algorithm]).update(data).digest('hex');
}

export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  nc: string;
  cnonce: string;
  qop: DigestQop;
  /** The request body, for qop=auth-int. */
  body?: Buffer;
}

/**
 * The `response` a client must send (RFC 7616 §3.4.1), or with `forResponse` the `rspauth` of
 * Authentication-Info (§3.5), whose A2 has no method.
 */
export function digestResponse(p: DigestInput, forResponse = false): string {
  const H = (data: string | Buffer) => digestHash(p.algorithm, data);
  let ha1 = H(`${p.username}:${p.realm}:${p.password}`);
  if (p.algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${p.nonce}:${p.cnonce}`);
  const method = forResponse ? '' : p.method;
  const a2 =
    p.qop === 'auth-int'
      ? `${method}:${p.uri}:${H(p.body ?? Buffer.alloc(0))}`
      : `${method}:${p.uri}`;
  return H(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${H(a2)}`);
}

// --- Parsing the Authorization header ----------------------------------------------------------

/** What an Authorization header holds, as far as a Digest resource cares. */
export type ParsedDigest =
  | { kind: 'none' }
  | { kind: 'other'; scheme: string }
  | { kind: 'malformed'; reason: string }
  | { kind: 'digest'; params: Map<string, string> };

/** Longer Digest headers are refused unread: a long uri fits, a flood does not. */
export const MAX_DIGEST_HEADER = 8192;
const MAX_PARAMS = 32;

const TOKEN_CHAR = new RegExp(`^[${TCHAR}]$`);
/** qdtext and quoted-pair may hold HTAB, SP, VCHAR and obs-text (RFC 9110 §5.6.4). */
const TEXT_CHAR = /^[\t\x20-\x7e\x80-\xff]$/;

/**
 * Reads `#auth-param` (RFC 9110 §11.2): comma-separated `name=token` or `name="quoted string"`,
 * empty list elements allowed. Names are case-insensitive and returned lower-case; a name given
 * twice is an error, because two values for one parameter cannot both be judged.
 */
export function parseAuthParams(input: string): Map<string, string> | string {
  const params = new Map<string, string>();
  const n = input.length;
  let i = 0;
  let needComma = false;
  const skipSpace = () => {
    while (i < n && (input[i] === ' ' || input[i] === '\t')) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(input[i] as string)) i++;
    return input.slice(start, i);
  };
  for (;;) {
    skipSpace();
    if (i >= n) return params;
    if (input[i] === ',') {
      i++;
      needComma = false;
      continue;
    }
    if (needComma) return 'Parameters must be separated by commas.';
    const name = readToken().toLowerCase();
    if (name === '') return 'A parameter name is missing or holds characters a token cannot.';
    skipSpace();
    if (input[i] !== '=') return `The parameter ${name} has no "=" and value.`;
    i++;
    skipSpace();
    let value = '';
    if (input[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        let c = input[i] as string;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\') {
          i++;
          if (i >= n) break;
          c = input[i] as string;
        }
        if (!TEXT_CHAR.test(c)) return `The value of ${name} holds a control character.`;
        value += c;
        i++;
      }
      if (!closed) return `The quoted value of ${name} has no closing quote.`;
    } else {
      value = readToken();
      if (value === '') {
        return `The value of ${name} is empty, or needs quotes for the characters it holds.`;
      }
    }
    if (params.has(name)) return `The parameter ${name} is given twice.`;
    if (params.size >= MAX_PARAMS) return `More than ${MAX_PARAMS} parameters.`;
    params.set(name, value);
    needComma = true;
  }
}

/** Classifies an Authorization header value for a Digest resource. Never throws, whatever the input. */
export function parseDigest(header: string | undefined): ParsedDigest {
  const read = readScheme(header, 'Digest', MAX_DIGEST_HEADER);
  if (read.kind !== 'credentials') return read;
  const params = parseAuthParams(read.rest);
  if (typeof params === 'string') return { kind: 'malformed', reason: params };
  if (params.size === 0) {
    return { kind: 'malformed', reason: 'The Digest scheme is followed by no parameters.' };
  }
  return { kind: 'digest', params };
}

/** The credentials of a Digest Authorization header, checked for shape against what was offered. */
export interface DigestCredentials {
  username: string;
  userhash: boolean;
  realm: string;
  uri: string;
  algorithm: DigestAlgorithm;
  nonce: string;
  nc: string;
  cnonce: string;
  qop: DigestQop;
  response: string;
  opaque: string;
}

/** RFC 7616 §3.4: with a qop, all of these are required; opaque too, since this server sends one. */
const REQUIRED = ['realm', 'nonce', 'uri', 'response', 'qop', 'nc', 'cnonce', 'opaque'] as const;
/** RFC 8187 ext-value, as RFC 7616 §3.4.4 uses it for `username*`. */
const EXT_VALUE =
  /^([A-Za-z0-9!#$&+^`{}~-]+)'[A-Za-z0-9-]*'((?:[A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-Fa-f]{2})*)$/;
const MAX_CNONCE = 256;

/**
 * A well-formed answer to a challenge this resource did not make: another algorithm or qop. The
 * client needs this resource's challenges, not a 400: a `requests.Session` that answered SHA-256
 * on one route answers the next route's MD5 challenge with it preemptively, and wget answers
 * MD5 only, whatever was offered.
 */
export interface NotOffered {
  notOffered: string;
}

/**
 * Checks the parameters against what this resource offered; a string says what is malformed, a
 * NotOffered what was well formed but answers another challenge. Values are compared only for
 * shape here; whether they are right is the caller's business.
 */
export function readCredentials(
  params: Map<string, string>,
  offered: { qop: DigestQop; algorithms: readonly DigestAlgorithm[] },
): DigestCredentials | NotOffered | string {
  const missing: string[] = REQUIRED.filter((name) => !params.has(name));
  if (!params.has('username') && !params.has('username*')) missing.unshift('username');
  if (missing.length > 0) return `Missing parameter(s): ${missing.join(', ')}.`;
  const get = (name: (typeof REQUIRED)[number]) => params.get(name) as string;

  let username: string;
  const plain = params.get('username');
  const extended = params.get('username*');
  if (plain !== undefined && extended !== undefined) {
    return 'Send username or username*, not both (RFC 7616 §3.4).';
  }
  if (extended !== undefined) {
    const m = EXT_VALUE.exec(extended);
    if (!m || m[1]?.toLowerCase() !== 'utf-8') {
      return "username* must be an RFC 8187 value in UTF-8: UTF-8''<percent-encoded name>.";
    }
    try {
      username = decodeURIComponent(m[2] ?? '');
    } catch {
      return 'username* is not valid percent-encoded UTF-8.';
    }
  } else {
    // Header bytes reach us as latin-1 characters; the name may be UTF-8 (curl) or latin-1 (requests).
    username = decodeCredentialBytes(Buffer.from(plain ?? '', 'latin1'));
  }

  const userhashParam = params.get('userhash')?.toLowerCase() ?? 'false';
  if (userhashParam !== 'true' && userhashParam !== 'false') {
    return 'userhash must be true or false.';
  }

  const nc = get('nc');
  if (!/^[0-9A-Fa-f]{8}$/.test(nc) || /^0{8}$/.test(nc)) {
    return 'nc must be 8 hexadecimal digits counting from 00000001.';
  }
  const cnonce = get('cnonce');
  if (cnonce === '' || cnonce.length > MAX_CNONCE) {
    return `cnonce must be 1-${MAX_CNONCE} characters.`;
  }
  // Well formed; now whether it answers a challenge this resource made.
  const algorithmName = params.get('algorithm') ?? 'MD5';
  const algorithm = digestAlgorithm(algorithmName);
  if (algorithm === undefined || !offered.algorithms.includes(algorithm)) {
    const named = params.has('algorithm') ? algorithmName : 'MD5 (the default when none is named)';
    return {
      notOffered: `The algorithm ${named.slice(0, 40)} was not offered; this resource offers ${offered.algorithms.join(', ')}.`,
    };
  }
  const qop = get('qop').toLowerCase();
  if (qop !== offered.qop) {
    return {
      notOffered: `The qop ${get('qop').slice(0, 20)} was not offered; this resource offers qop=${offered.qop}.`,
    };
  }
  return {
    username,
    userhash: userhashParam === 'true',
    realm: get('realm'),
    uri: get('uri'),
    algorithm,
    nonce: get('nonce'),
    nc: nc.toLowerCase(),
    cnonce,
    qop: offered.qop,
    response: get('response').toLowerCase(),
    opaque: get('opaque'),
  };
}

// --- Nonces -----------------------------------------------------------------------------------

const NONCE_LABEL = 'four-oh-one digest nonces';
const NONCE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Stateless nonces (RFC 7616 §5.4): 8 bytes of issue time, 8 random bytes and a 16-byte HMAC of
 * both, base64url. Any instance holding the same secret can check one; nothing is stored until a
 * response made with it verifies.
 */
export class NonceBook {
  private readonly key: Buffer;
  /** Sent with every challenge and required back unchanged (RFC 7616 §3.3 opaque). */
  readonly opaque: string;

  constructor(secret: Buffer) {
    this.key = createHmac('sha256', secret).update(NONCE_LABEL).digest();
    this.opaque = createHmac('sha256', this.key).update('opaque').digest('hex').slice(0, 32);
  }

  issue(now: number): string {
    const buf = Buffer.alloc(32);
    buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now))), 0);
    randomBytes(8).copy(buf, 8);
    this.tag(buf.subarray(0, 16)).copy(buf, 16);
    return buf.toString('base64url');
  }

  /** The issue time of a nonce this server signed; undefined for anything else. */
  issuedAt(nonce: string): number | undefined {
    if (!NONCE.test(nonce)) return undefined;
    const buf = Buffer.from(nonce, 'base64url');
    if (buf.length !== 32) return undefined;
    if (!timingSafeEqual(this.tag(buf.subarray(0, 16)), buf.subarray(16))) return undefined;
    return Number(buf.readBigUInt64BE(0));
  }

  private tag(data: Buffer): Buffer {
    return createHmac('sha256', this.key).update(data).digest().subarray(0, 16);
  }
}

// --- Check and Challenge -----------------------------------------------------------------------

/** What one request must authenticate as, read from its route (httpbin names it in the path). */
export interface DigestExpectation {
  user: string;
  password: string;
  qop: DigestQop;
  /** Offered in this order of preference, one challenge each (RFC 7616 §3.7). */
  algorithms: readonly DigestAlgorithm[];
  /** How many requests one nonce may authenticate before it is stale (httpbin's stale_after). */
  staleAfter?: number;
}

export interface DigestOptions {
  /** The server secret (config.jwt.secret); the nonce key is derived from it. */
  secret: Buffer;
  /** Where used nonce counts are recorded, so that several instances refuse the same replay. */
  store: Store;
  clock: Clock;
  /** How long a nonce is good for; after that its (correct) responses answer stale=true. */
  nonceTtlMs?: number;
  realm?: string;
}

/** The parts of a request Digest reads. */
export interface DigestRequest {
  authorization: string | undefined;
  method: string;
  /** The request-target as sent, query included: the `uri` parameter must be it. */
  uri: string;
  /** The body, hashed for qop=auth-int. */
  body: Buffer;
  /** Whose store quota the nonce counts are charged to, asked only once a response verified. */
  owner?: () => string | undefined;
}

export type DigestCheck = (typeof DIGEST_CHECKS)[number];

/** How a request was judged: its user and the Authentication-Info to send, or the refusal. */
export type DigestResult =
  | { ok: true; user: string; authenticationInfo: string }
  | {
      ok: false;
      code: ProblemCode;
      detail: string;
      /** The check that failed, for /explain and the log line. */
      check: DigestCheck;
      facts?: Record<string, string>;
      /** Whether the answer carries fresh challenges, marked stale or not (RFC 7616 §3.3). */
      challenge: 'fresh' | 'stale' | 'none';
    };

export const DEFAULT_NONCE_TTL_MS = 5 * 60 * 1000;
/** A nonce issued this far in the future (instances with skewed clocks) is still judged fresh. */
const CLOCK_SKEW_MS = 30 * 1000;

/**
 * Digest for one realm: `challenges` offers one challenge per algorithm, sharing one fresh
 * nonce; `check` judges a request. Missing or wrong credentials are refused with challenges; an
 * expired or used-up nonce with a correct response with `stale`, so clients retry without asking
 * the user again; a replayed nonce count is refused. Only a response that verified leaves state.
 */
export function createDigest(options: DigestOptions) {
  const ttl = options.nonceTtlMs ?? DEFAULT_NONCE_TTL_MS;
  const realm = options.realm ?? REALM;
  const { store, clock } = options;
  const nonces = new NonceBook(options.secret);
  const opaque = nonces.opaque;

  /** One challenge per offered algorithm, sharing one fresh nonce (RFC 7616 §3.3). */
  function challenges(want: DigestExpectation, stale: boolean): string[] {
    const nonce = nonces.issue(clock.now());
    return want.algorithms.map((algorithm) =>
      digestChallenge({ realm, qop: want.qop, algorithm, nonce, opaque, stale }),
    );
  }

  async function check(request: DigestRequest, want: DigestExpectation): Promise<DigestResult> {
    const refuse = (
      check: DigestCheck,
      code: ProblemCode,
      detail: string,
      challenge: 'fresh' | 'stale' | 'none' = 'fresh',
      facts?: Record<string, string>,
    ): DigestResult => ({ ok: false, code, detail, check, challenge, ...(facts ? { facts } : {}) });
    const malformed = (detail: string) =>
      refuse('every parameter once, well formed', 'digest_malformed', detail, 'none');

    const parsed = parseDigest(request.authorization);
    switch (parsed.kind) {
      case 'none':
        return refuse(
          'credentials sent',
          'digest_credentials_missing',
          'Answer one of the Digest challenges with your user name and password.',
        );
      case 'other':
        return refuse(
          'scheme is Digest',
          'digest_credentials_missing',
          `This resource accepts the Digest scheme, not ${parsed.scheme}.`,
          'fresh',
          { scheme: parsed.scheme },
        );
      case 'malformed':
        return malformed(parsed.reason);
    }
    const creds = readCredentials(parsed.params, want);
    if (typeof creds === 'string') return malformed(creds);
    if ('notOffered' in creds) {
      return refuse(
        'qop and algorithm offered here',
        'digest_not_offered',
        `${creds.notOffered} Answer one of the challenges of this response.`,
      );
    }
    if (creds.uri !== request.uri) {
      return refuse(
        'uri is this request-target',
        'digest_uri_mismatch',
        'The uri parameter must be the request-target of this very request, query included.',
        'none',
      );
    }
    const issuedAt = nonces.issuedAt(creds.nonce);
    if (issuedAt === undefined || !textEqual(creds.opaque, opaque)) {
      return refuse(
        'nonce and opaque issued here',
        'digest_nonce_invalid',
        'The nonce or opaque was not issued by this server (or by one with the same secret).',
      );
    }

    const input: DigestInput = {
      ...creds,
      username: want.user,
      realm,
      password: want.password,
      method: request.method,
      body: request.body,
    };
    const expectedUser = creds.userhash
      ? digestHash(creds.algorithm, `${want.user}:${realm}`)
      : want.user;
    // Every comparison runs, so the time taken says nothing about which one failed.
    const userOk = textEqual(creds.username, expectedUser);
    const realmOk = textEqual(creds.realm, realm);
    const responseOk = textEqual(creds.response, digestResponse(input));
    if (!(userOk && realmOk && responseOk)) {
      return refuse(
        'response verifies (user name, realm, password)',
        'digest_credentials_invalid',
        realmOk
          ? 'The user name or password is wrong.'
          : `The realm is not this server's ("${realm}").`,
        'fresh',
        { algorithm: creds.algorithm },
      );
    }

    const age = clock.now() - issuedAt;
    if (age > ttl || age < -CLOCK_SKEW_MS) {
      return refuse(
        'nonce not expired',
        'digest_nonce_stale',
        `The nonce is older than ${ttl / 1000} seconds. Your credentials were right: answer the new challenge.`,
        'stale',
      );
    }
    // State only now that the response verified, and never longer than the nonce can live.
    const ttlLeft = Math.max(1, issuedAt + ttl - clock.now());
    const owner = request.owner?.();
    if (!(await store.setIfAbsent(`digest:nc:${creds.nonce}:${creds.nc}`, '1', ttlLeft, owner))) {
      return refuse(
        'nonce count not used before',
        'digest_nonce_replayed',
        `Nonce count ${creds.nc} was already used with this nonce: a replay, or a client that does not count.`,
        'fresh',
        { nc: creds.nc },
      );
    }
    if (want.staleAfter !== undefined) {
      const uses = await store.increment(`digest:uses:${creds.nonce}`, ttlLeft, owner);
      if (uses > want.staleAfter) {
        return refuse(
          'nonce within the requests this resource allows it',
          'digest_nonce_stale',
          `This resource lets one nonce authenticate ${want.staleAfter} request(s). Your credentials were right: answer the new challenge.`,
          'stale',
        );
      }
    }
    return {
      ok: true,
      user: want.user,
      // RFC 7616 §3.5: proves to the client that the server knows the password too.
      authenticationInfo: `qop=${creds.qop}, rspauth=${quote(digestResponse(input, true))}, cnonce=${quote(creds.cnonce)}, nc=${creds.nc}`,
    };
  }

  return { check, challenges };
}

// --- Specimens --------------------------------------------------------------------------------

/** The route the Digest specimens answer: httpbin's, SHA-256, user "user", password "passwd". */
export const DIGEST_SPECIMEN_PATH = '/digest-auth/auth/user/passwd/SHA-256';

/**
 * Ready-made Digest answers for the registry, signed like any challenge's nonce so that each is
 * refused for exactly one reason, on every instance sharing the secret: a wrong password (to a
 * fresh nonce; the response is judged before the nonce's age), and the right password to a nonce
 * issued longer than the nonce lifetime ago (stale=true). Neither writes state when refused.
 */
export function digestSpecimens(
  secret: Buffer,
  now: number,
  nonceTtlMs = DEFAULT_NONCE_TTL_MS,
): { digest_wrong_password: string; digest_stale_nonce: string } {
  const nonces = new NonceBook(secret);
  const answer = (nonce: string, password: string) => {
    const input: DigestInput = {
      algorithm: 'SHA-256',
      username: 'user',
      realm: REALM,
      password,
      method: 'GET',
      uri: DIGEST_SPECIMEN_PATH,
      nonce,
      nc: '00000001',
      cnonce: 'four-oh-one-specimen',
      qop: 'auth',
    };
    return (
      `Digest username="user", realm="${REALM}", nonce="${nonce}", uri="${DIGEST_SPECIMEN_PATH}", ` +
      `algorithm=SHA-256, response="${digestResponse(input)}", qop=auth, nc=00000001, ` +
      `cnonce="four-oh-one-specimen", opaque="${nonces.opaque}"`
    );
  };
  return {
    digest_wrong_password: answer(nonces.issue(now), 'not-the-password'),
    digest_stale_nonce: answer(nonces.issue(now - nonceTtlMs - 60_000), 'passwd'),
  };
}
