import { getDiffieHellman } from 'node:crypto';
import { REALM } from './challenges';
import { parseAuthParams } from './digest';
import { readScheme } from './scheme';

/**
 * The Mutual authentication scheme (RFC 8120) with the ISO-11770-4 KAM3 algorithms of RFC 8121:
 * the 401-INIT challenge, and the two client messages read and checked (req-KEX-C1, req-VFY-C).
 * The key exchange itself (the server's 401-KEX-S1 and 200-VFY-S) is not computed here: see
 * `readMutual`'s `kex-c1` reading, which the middleware answers 501.
 */

/** The one algorithm offered: RFC 8121's 2048-bit discrete-logarithm group, SHA-256. */
export const MUTUAL_ALGORITHM = 'iso-kam3-dl-2048-sha256';
/** RFC 8121's algorithms; the others are known but not offered. */
const KNOWN_ALGORITHMS = [
  'iso-kam3-dl-2048-sha256',
  'iso-kam3-dl-4096-sha512',
  'iso-kam3-ec-p256-sha256',
  'iso-kam3-ec-p521-sha512',
];
/** RFC 8120 §7: over plain http only the host name can be validated. */
export const MUTUAL_VALIDATION = 'host';

/** RFC 8120 §4.1's reasons for a 401-INIT or 401-STALE. */
export type MutualReason =
  | 'initial'
  | 'stale-session'
  | 'auth-failed'
  | 'reauth-needed'
  | 'invalid-parameters'
  | 'internal-error'
  | 'user-unknown'
  | 'invalid-credential'
  | 'authz-failed';

/**
 * The 401-INIT (and 401-STALE) challenge: `Mutual version=1, algorithm=…, validation=host,
 * auth-scope="…", realm="four-oh-one", reason=…`; the tokens unquoted, the strings quoted.
 */
export function mutualChallenge(reason: MutualReason, authScope: string): string {
  return `Mutual version=1, algorithm=${MUTUAL_ALGORITHM}, validation=${MUTUAL_VALIDATION}, auth-scope="${authScope.replace(/["\\]/g, '')}", realm="${REALM}", reason=${reason}`;
}

/** The 2048-bit MODP group (RFC 3526 group 14) RFC 8121's dl-2048 algorithm works in. */
const P = BigInt(`0x${getDiffieHellman('modp14').getPrime('hex')}`);
const P_OCTETS = 256;

/** What an Authorization value says to a Mutual resource. Never throws. */
export type MutualReading =
  | { kind: 'none' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'kex-c1'; user: string }
  | { kind: 'vfy-c'; sid: string; nc: number };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Reads `Authorization: Mutual …` as req-KEX-C1 (user, kc1) or req-VFY-C (sid, nc, vkc), each
 * with version=1 and the challenge's algorithm, validation, auth-scope and realm (RFC 8120 §4.2,
 * §4.4). kc1 must be a number of the group, 1 < kc1 < p - 1, in 256 octets (RFC 8121).
 */
export function readMutual(header: string | undefined): MutualReading {
  const read = readScheme(header, 'Mutual', 4096);
  if (read.kind === 'none' || read.kind === 'other') return { kind: 'none' };
  if (read.kind === 'malformed') return { kind: 'invalid', reason: read.reason };
  const params = parseAuthParams(read.rest);
  if (typeof params === 'string') return { kind: 'invalid', reason: params };
  const invalid = (reason: string): MutualReading => ({ kind: 'invalid', reason });
  if (params.get('version') !== '1') return invalid('version must be 1.');
  const algorithm = params.get('algorithm') ?? '';
  if (algorithm !== MUTUAL_ALGORITHM) {
    return invalid(
      KNOWN_ALGORITHMS.includes(algorithm)
        ? `${algorithm} is an RFC 8121 algorithm this server does not offer: use ${MUTUAL_ALGORITHM}.`
        : `algorithm must be ${MUTUAL_ALGORITHM}.`,
    );
  }
  if (params.get('validation') !== MUTUAL_VALIDATION) {
    return invalid('validation must be host: no TLS channel here to bind to.');
  }
  if (params.get('realm') !== REALM) return invalid(`realm must be "${REALM}".`);
  if (!params.get('auth-scope')) return invalid('auth-scope is missing.');
  if (params.has('sid')) {
    const sid = params.get('sid') ?? '';
    const nc = params.get('nc') ?? '';
    const vkc = params.get('vkc') ?? '';
    if (!/^[0-9a-f]{1,64}$/.test(sid)) return invalid('sid must be lower-case hex.');
    if (!/^[0-9]{1,10}$/.test(nc)) return invalid('nc must be a decimal integer.');
    if (!BASE64.test(vkc)) return invalid('vkc must be base64.');
    return { kind: 'vfy-c', sid, nc: Number(nc) };
  }
  const user = params.get('user');
  const kc1 = params.get('kc1');
  if (user === undefined || user === '' || kc1 === undefined) {
    return invalid('A req-KEX-C1 has user and kc1; a req-VFY-C has sid, nc and vkc.');
  }
  if (user.length > 128) return invalid('user is longer than 128 characters.');
  if (!BASE64.test(kc1)) return invalid('kc1 must be base64.');
  const octets = Buffer.from(kc1, 'base64');
  if (octets.length !== P_OCTETS) return invalid(`kc1 must be ${P_OCTETS} octets.`);
  const k = BigInt(`0x${octets.toString('hex')}`);
  if (k <= 1n || k >= P - 1n) return invalid('kc1 must lie between 1 and p - 1, exclusive.');
  return { kind: 'kex-c1', user };
}
