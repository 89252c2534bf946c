import { constants, createHash, sign, type KeyObject } from 'node:crypto';
import { generateKeyPairSync } from '../key-pairs';
import fc from 'fast-check';
import {
  DPOP_IAT_WINDOW_SECONDS,
  dpopNonces,
  htuOf,
  jwkThumbprint,
  MAX_PROOF_BYTES,
  NONCE_PERIOD_SECONDS,
  verifyProof,
  type ProofContext,
  type ProofFailure,
} from '../../src/tokens/dpop';
import { testClock } from '../helpers';

/** A client's key pair, made here with node:crypto: nothing of the server's signs these proofs. */
interface ClientKey {
  alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256';
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

function clientKey(alg: ClientKey['alg'] = 'ES256', bits = 2048): ClientKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: bits });
  return { alg, privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) };
}

const b64 = (v: unknown) =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A proof built by hand (RFC 9449 §4.2): header and claims as given, signed with `key`. */
function proof(
  key: ClientKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...header })}.${b64(claims)}`;
  const data = Buffer.from(input);
  const sig =
    key.alg === 'ES256'
      ? sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : key.alg === 'EdDSA'
        ? sign(null, data, key.privateKey)
        : key.alg === 'PS256'
          ? sign('sha256', data, {
              key: key.privateKey,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: 32,
            })
          : sign('sha256', data, key.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}

const NOW = 1_795_000_000;
const URL_ = 'https://rs.example.com/api/v1/data';
const TOKEN = 'an.access.token';
const ath = (t: string) => createHash('sha256').update(t).digest('base64url');
const es256 = clientKey('ES256');
const claims = (c: Record<string, unknown> = {}) => ({
  jti: 'e1j3V_bKic8-LAEB',
  htm: 'GET',
  htu: URL_,
  iat: NOW,
  ath: ath(TOKEN),
  ...c,
});
const check = (proofs: string[], ctx: Partial<ProofContext> = {}) =>
  verifyProof({ proofs, method: 'GET', url: URL_, now: NOW, accessToken: TOKEN, ...ctx });

function expectFailure(verdict: ReturnType<typeof verifyProof>, failure: ProofFailure): void {
  expect(verdict).toMatchObject({ ok: false, failure });
}

describe('verifyProof (RFC 9449 §4.3)', () => {
  it('accepts a proof made for this request, and names its key by RFC 7638 thumbprint', () => {
    const verdict = check([proof(es256, claims())]);
    expect(verdict).toEqual({
      ok: true,
      jkt: jwkThumbprint(es256.jwk),
      jti: 'e1j3V_bKic8-LAEB',
      iat: NOW,
      alg: 'ES256',
    });
  });

  it.each(['EdDSA', 'RS256', 'PS256'] as const)('accepts %s proofs', (alg) => {
    expect(check([proof(clientKey(alg), claims())])).toMatchObject({ ok: true, alg });
  });

  it('refuses a request without a proof (missing)', () => {
    expectFailure(check([]), 'missing');
  });

  describe('refuses as malformed (invalid)', () => {
    const good = proof(es256, claims());
    const [h, p, s] = good.split('.') as [string, string, string];
    it.each([
      ['two DPoP fields', [good, good]],
      ['a proof over 4 KiB', [proof(es256, claims({ pad: 'x'.repeat(MAX_PROOF_BYTES) }))]],
      ['not a JWT', ['not-a-jwt']],
      ['four parts', [`${good}.x`]],
      ['a payload that is not JSON', [`${h}.${b64('nope')}.${s}`]],
      [
        'a header naming alg twice',
        [
          `${b64(`{"alg":"none","typ":"dpop+jwt","alg":"ES256","jwk":${JSON.stringify(es256.jwk)}}`)}.${p}.${s}`,
        ],
      ],
      ['typ JWT', [proof(es256, claims(), { typ: 'JWT' })]],
      ['no typ', [proof(es256, claims(), { typ: undefined })]],
      ['alg none', [`${b64({ typ: 'dpop+jwt', alg: 'none', jwk: es256.jwk })}.${p}.`]],
      ['alg HS256', [proof(es256, claims(), { alg: 'HS256' })]],
      ['alg ES384', [proof(es256, claims(), { alg: 'ES384' })]],
      ['a crit header', [proof(es256, claims(), { crit: ['b64'] })]],
      ['no jwk', [proof(es256, claims(), { jwk: undefined })]],
      [
        'a jwk with the private key d',
        [proof(es256, claims(), { jwk: { ...es256.jwk, d: 'AAAA' } })],
      ],
      ['a symmetric jwk', [proof(es256, claims(), { jwk: { kty: 'oct', k: 'c2VjcmV0' } })]],
      ['an RSA jwk under ES256', [proof(es256, claims(), { jwk: clientKey('RS256').jwk })]],
      [
        'an EC point off the curve',
        [proof(es256, claims(), { jwk: { ...es256.jwk, x: es256.jwk.y } })],
      ],
      ['no jti', [proof(es256, claims({ jti: undefined }))]],
      ['a jti of 129 characters', [proof(es256, claims({ jti: 'j'.repeat(129) }))]],
      ['no htm', [proof(es256, claims({ htm: undefined }))]],
      ['no htu', [proof(es256, claims({ htu: undefined }))]],
      ['iat as a string', [proof(es256, claims({ iat: String(NOW) }))]],
      ['iat beyond 9999', [proof(es256, claims({ iat: 1e300 }))]],
      ['a non-canonical signature', [`${h}.${p}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}x`]],
    ])('%s', (_name, proofs) => {
      expectFailure(check(proofs), 'invalid');
    });
  });

  it('refuses a small RSA key', () => {
    expectFailure(check([proof(clientKey('RS256', 1024), claims())]), 'invalid');
  });

  it('refuses a proof changed after signing (signature)', () => {
    const [h, , s] = proof(es256, claims()).split('.');
    expectFailure(check([`${h}.${b64(claims({ htm: 'GET', jti: 'other' }))}.${s}`]), 'signature');
  });

  it('refuses a proof signed by another key than its jwk (signature)', () => {
    const other = clientKey('ES256');
    expectFailure(check([proof({ ...other, jwk: es256.jwk }, claims())]), 'signature');
  });

  it('refuses a proof for another method (htm)', () => {
    expectFailure(check([proof(es256, claims({ htm: 'POST' }))]), 'htm');
    expectFailure(check([proof(es256, claims({ htm: 'get' }))]), 'htm');
  });

  it('refuses a proof for another URL (htu)', () => {
    for (const htu of [
      'https://rs.example.com/api/v1/other',
      'https://other.example.com/api/v1/data',
      'http://rs.example.com/api/v1/data',
      'https://rs.example.com:8443/api/v1/data',
      'not a url',
      'ftp://rs.example.com/api/v1/data',
    ]) {
      expectFailure(check([proof(es256, claims({ htu }))]), 'htu');
    }
  });

  it('compares htu without query and fragment, after normalization', () => {
    for (const htu of [
      'https://rs.example.com/api/v1/data?x=1',
      'https://rs.example.com/api/v1/data#frag',
      'HTTPS://RS.Example.COM:443/api/v1/data',
      'https://rs.example.com/api/./v1/data',
    ]) {
      expect({ htu, ok: check([proof(es256, claims({ htu }))]).ok }).toEqual({ htu, ok: true });
    }
    expect(htuOf('https://a.example/p?q#f')).toBe('https://a.example/p');
  });

  it('refuses a proof older than the window (stale), and accepts one at its edge', () => {
    const window = DPOP_IAT_WINDOW_SECONDS;
    expectFailure(check([proof(es256, claims({ iat: NOW - window - 1 }))]), 'stale');
    expect(check([proof(es256, claims({ iat: NOW - window }))]).ok).toBe(true);
  });

  it('refuses a proof dated beyond the window (future), and accepts one at its edge', () => {
    const window = DPOP_IAT_WINDOW_SECONDS;
    expectFailure(check([proof(es256, claims({ iat: NOW + window + 1 }))]), 'future');
    expect(check([proof(es256, claims({ iat: NOW + window }))]).ok).toBe(true);
  });

  it('refuses a proof without ath, or for another token, at a resource (ath)', () => {
    expectFailure(check([proof(es256, claims({ ath: undefined }))]), 'ath');
    expectFailure(check([proof(es256, claims({ ath: ath('another.token') }))]), 'ath');
    // At the token endpoint there is no token to hash.
    const atTokenEndpoint = { accessToken: undefined };
    expect(check([proof(es256, claims({ ath: undefined }))], atTokenEndpoint).ok).toBe(true);
  });

  it('demands a nonce only when asked, and only one it gave (nonce)', () => {
    const clock = testClock();
    const nonces = dpopNonces(Buffer.from('server secret'), clock);
    const now = Math.floor(clock.now() / 1000);
    const ctx = { nonce: nonces.check, now };
    expectFailure(check([proof(es256, claims({ iat: now }))], ctx), 'nonce');
    expectFailure(check([proof(es256, claims({ iat: now, nonce: 'made-up' }))], ctx), 'nonce');
    const other = dpopNonces(Buffer.from('another secret'), clock).issue();
    expectFailure(check([proof(es256, claims({ iat: now, nonce: other }))], ctx), 'nonce');
    expect(check([proof(es256, claims({ iat: now, nonce: nonces.issue() }))], ctx).ok).toBe(true);
  });
});

describe('dpopNonces (RFC 9449 §8, §9)', () => {
  it('keeps a nonce good for its period and the next, then refuses it', () => {
    const clock = testClock();
    const nonces = dpopNonces(Buffer.from('server secret'), clock);
    const nonce = nonces.issue();
    expect(nonces.check(nonce)).toBe(true);
    clock.advance(NONCE_PERIOD_SECONDS * 1000);
    expect(nonces.check(nonce)).toBe(true);
    clock.advance(NONCE_PERIOD_SECONDS * 1000);
    expect(nonces.check(nonce)).toBe(false);
    expect(nonces.check(nonces.issue())).toBe(true);
  });

  it('never throws on any text', () => {
    const nonces = dpopNonces(Buffer.from('server secret'), testClock());
    fc.assert(fc.property(fc.string(), (s) => typeof nonces.check(s) === 'boolean'));
  });
});

describe('jwkThumbprint (RFC 7638)', () => {
  it('gives RFC 9449’s example key its thumbprint (RFC 9449 §6.1)', () => {
    const jwk = {
      kty: 'EC',
      x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
      y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
      crv: 'P-256',
    };
    expect(jwkThumbprint(jwk)).toBe('0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I');
  });

  it('ignores members RFC 7638 does not hash, and knows no other key type', () => {
    expect(jwkThumbprint({ ...es256.jwk, kid: 'x', use: 'sig' })).toBe(jwkThumbprint(es256.jwk));
    expect(jwkThumbprint({ kty: 'oct', k: 'c2VjcmV0' })).toBeUndefined();
  });
});

describe('verifyProof on any input', () => {
  it('never throws, and never accepts, whatever the header holds', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.base64String(),
            fc.constant(proof(es256, claims()).slice(0, 60)),
          ),
          {
            maxLength: 3,
          },
        ),
        fc.string(),
        (proofs, method) => {
          const verdict = verifyProof({ proofs, method, url: URL_, now: NOW });
          return verdict.ok === false;
        },
      ),
    );
  });
});
