import fc from 'fast-check';
import { readMutual } from '../../src/auth/mutual';
import { buildApp, expectProblem } from '../helpers';

const PATH = '/mutual/resource';
const INIT = (reason: string) =>
  `Mutual version=1, algorithm=iso-kam3-dl-2048-sha256, validation=host, auth-scope="http://127.0.0.1:3000", realm="four-oh-one", reason=${reason}`;
const COMMON =
  'Mutual version=1, algorithm=iso-kam3-dl-2048-sha256, validation=host, auth-scope="x", realm="four-oh-one"';
const octets = (last: number) => {
  const b = Buffer.alloc(256);
  b[255] = last;
  return b.toString('base64');
};

describe('Mutual (routes/mutual.ts, RFC 8120): challenge and client messages', () => {
  const ctx = buildApp();
  const get = (authorization?: string) => {
    const req = ctx.http().get(PATH);
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  it('answers no credentials, and another scheme, with the 401-INIT reason=initial', async () => {
    for (const res of [await get(), await get('Basic dXNlcjpwZW5jaWw=')]) {
      expectProblem(res, {
        status: 401,
        code: 'mutual_credentials_missing',
        challenge: INIT('initial'),
      });
    }
  });

  it('answers a well-formed req-KEX-C1 501: the key exchange is not implemented', async () => {
    const res = await get(`${COMMON}, user="alice", kc1="${octets(2)}"`);
    expectProblem(res, {
      status: 501,
      code: 'mutual_key_exchange_not_implemented',
      challenge: null,
    });
  });

  it('answers a req-VFY-C with the 401-STALE, reason=stale-session', async () => {
    expectProblem(await get(`${COMMON}, sid=0123abcd, nc=1, vkc="AAAA"`), {
      status: 401,
      code: 'mutual_stale_session',
      challenge: INIT('stale-session'),
    });
  });

  it.each([
    ['version 2', COMMON.replace('version=1', 'version=2') + `, user="a", kc1="${octets(2)}"`],
    [
      'an algorithm not offered',
      COMMON.replace('dl-2048-sha256', 'ec-p256-sha256') + `, user="a", kc1="${octets(2)}"`,
    ],
    [
      'validation=tls-unique',
      COMMON.replace('host', 'tls-unique') + `, user="a", kc1="${octets(2)}"`,
    ],
    [
      'another realm',
      COMMON.replace('four-oh-one', 'elsewhere') + `, user="a", kc1="${octets(2)}"`,
    ],
    ['no auth-scope', COMMON.replace(', auth-scope="x"', '') + `, user="a", kc1="${octets(2)}"`],
    ['no user', `${COMMON}, kc1="${octets(2)}"`],
    ['kc1 = 1', `${COMMON}, user="a", kc1="${octets(1)}"`],
    ['kc1 = 0', `${COMMON}, user="a", kc1="${octets(0)}"`],
    ['kc1 of 32 octets', `${COMMON}, user="a", kc1="${Buffer.alloc(32, 7).toString('base64')}"`],
    [
      'kc1 = p',
      `${COMMON}, user="a", kc1="${Buffer.from('ff'.repeat(256), 'hex').toString('base64')}"`,
    ],
    ['a parameter twice', `${COMMON}, user="a", user="b", kc1="${octets(2)}"`],
    ['a sid not hex', `${COMMON}, sid=xyz, nc=1, vkc="AAAA"`],
    ['nothing after the scheme', 'Mutual'],
  ])('answers %s with 401 reason=invalid-parameters', async (_label, authorization) => {
    expectProblem(await get(authorization), {
      status: 401,
      code: 'mutual_invalid_parameters',
      challenge: INIT('invalid-parameters'),
    });
  });

  it('never reads a header into anything but the four readings, nor answers 5xx but the 501', async () => {
    const value = fc.oneof(
      fc.string(),
      fc.string().map((s) => `Mutual ${s}`),
      fc
        .tuple(fc.string(), fc.base64String())
        .map(([u, k]) => `${COMMON}, user="${u}", kc1="${k}"`),
    );
    fc.assert(
      fc.property(value, (header) => {
        expect(['none', 'invalid', 'kex-c1', 'vfy-c']).toContain(readMutual(header).kind);
      }),
      { numRuns: 500 },
    );
    await fc.assert(
      fc.asyncProperty(value, async (authorization) => {
        let res;
        try {
          res = await get(authorization);
        } catch {
          return; // a value superagent refuses to send never reaches the server
        }
        expect([401, 501]).toContain(res.status);
        if (res.status === 501) expect(readMutual(authorization).kind).toBe('kex-c1');
      }),
      { numRuns: 100 },
    );
  });
});
