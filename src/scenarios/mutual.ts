import { problemCatalog } from './catalog';
import type { FamilyInfo, Scenario } from './types';

const PATH = '/mutual/resource';
const INIT = (reason: string) =>
  `Mutual version=1, algorithm=iso-kam3-dl-2048-sha256, validation=host, auth-scope="{{public_url}}", realm="four-oh-one", reason=${reason}`;
const COMMON =
  'Mutual version=1, algorithm=iso-kam3-dl-2048-sha256, validation=host, auth-scope="http://127.0.0.1:3000", realm="four-oh-one"';
/** kc1 = 2, in the 256 octets of the 2048-bit group: inside the range, so well formed. */
const KC1_TWO =
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAg==';

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Mutual (RFC 8120): the challenge and the client messages, no completed exchange',
  summary:
    'RFC 8120’s password-authenticated key exchange with RFC 8121’s iso-kam3-dl-2048-sha256, on GET /mutual/resource: the 401-INIT challenge with its reasons (initial, invalid-parameters, stale-session), and the client’s req-KEX-C1 and req-VFY-C read and checked (version, algorithm, validation, realm, kc1 within the group). Not completed: this server does not compute the RFC 8121 key exchange, so a well-formed req-KEX-C1 gets 501 and no 401-KEX-S1 or 200-VFY-S is ever sent.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'mutual-challenge',
    family: 'mutual',
    title: 'No credentials: the 401-INIT',
    trigger: { method: 'GET', path: PATH },
    expect: { status: 401, code: 'mutual_credentials_missing', challenge: INIT('initial') },
    explanation:
      'RFC 8120 §4.1: version, algorithm and validation as tokens, auth-scope and realm quoted, and reason=initial: the client has sent nothing yet. validation=host because there is no TLS channel to bind the exchange to on plain http.',
    rfc: problemCatalog.mutual_credentials_missing.rfc,
  },
  {
    id: 'mutual-kex-c1',
    family: 'mutual',
    title: 'A well-formed req-KEX-C1: 501, the exchange is not implemented',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: `${COMMON}, user="alice", kc1="${KC1_TWO}"` },
    },
    expect: { status: 501, code: 'mutual_key_exchange_not_implemented', challenge: null },
    explanation:
      'Every parameter is right and kc1 (here 2, written in 256 octets) lies inside the group, so a full server would now compute ks1 and answer 401-KEX-S1 with a sid. This one does not: 501, plainly.',
    rfc: problemCatalog.mutual_key_exchange_not_implemented.rfc,
  },
  {
    id: 'mutual-kc1-out-of-range',
    family: 'mutual',
    title: 'kc1 = 1: a trivial key refused',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: `${COMMON}, user="alice", kc1="${KC1_TWO.slice(0, -3)}Q=="` },
    },
    expect: {
      status: 401,
      code: 'mutual_invalid_parameters',
      challenge: INIT('invalid-parameters'),
    },
    explanation:
      'kc1 = 1 would make the shared secret predictable; RFC 8121 has the server refuse any kc1 not strictly between 1 and p − 1.',
    rfc: problemCatalog.mutual_invalid_parameters.rfc,
  },
  {
    id: 'mutual-algorithm-not-offered',
    family: 'mutual',
    title: 'An RFC 8121 algorithm this server does not offer',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: {
        Authorization: `Mutual version=1, algorithm=iso-kam3-ec-p256-sha256, validation=host, auth-scope="http://127.0.0.1:3000", realm="four-oh-one", user="alice", kc1="${KC1_TWO}"`,
      },
    },
    expect: {
      status: 401,
      code: 'mutual_invalid_parameters',
      challenge: INIT('invalid-parameters'),
    },
    explanation:
      'The client must use the algorithm of the 401-INIT; the elliptic-curve variant is registered by RFC 8121 but not offered here.',
    rfc: problemCatalog.mutual_invalid_parameters.rfc,
  },
  {
    id: 'mutual-vfy-c-stale',
    family: 'mutual',
    title: 'A req-VFY-C for a sid never issued: 401-STALE',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: `${COMMON}, sid=0123456789abcdef, nc=1, vkc="AAAA"` },
    },
    expect: { status: 401, code: 'mutual_stale_session', challenge: INIT('stale-session') },
    explanation:
      'RFC 8120’s req-VFY-C (§4.4: sid, nc, vkc) for a session the server does not hold: reason=stale-session, start again.',
    rfc: problemCatalog.mutual_stale_session.rfc,
  },
];
