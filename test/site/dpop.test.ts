import { createPublicKey, webcrypto } from 'node:crypto';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import {
  accessTokenHash,
  base64url,
  createProof,
  DpopClient,
  htuOf,
  jwkThumbprint,
  nonceAskedFor,
  webCryptoKey,
  webCryptoSha256,
  type DpopKey,
  type EcPublicJwk,
} from '../../src/site/shared/dpop';

const { subtle } = webcrypto;
const sha256 = webCryptoSha256(subtle);

/** RFC 9449 §4.2's example key (its public half) and its §6.1 thumbprint. */
const RFC_JWK: EcPublicJwk = {
  kty: 'EC',
  crv: 'P-256',
  x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
  y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
};
const RFC_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';

/** A key as the browser page makes one: P-256, the private half not extractable. */
async function freshKey(): Promise<DpopKey> {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  expect(pair.privateKey.extractable).toBe(false);
  return webCryptoKey(subtle, pair);
}

/** Verifies a proof with its own header's key, as a server does (ES256 pinned). */
function verifyProof(proof: string, jwk: EcPublicJwk) {
  const key = createPublicKey({ key: { ...jwk }, format: 'jwk' });
  return jwt.verify(proof, key, { algorithms: ['ES256'], complete: true });
}

describe('base64url', () => {
  it('encodes as Buffer does, without padding (RFC 4648 §5)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
    );
  });
});

describe('jwkThumbprint and accessTokenHash: RFC 9449’s own examples', () => {
  it('gives §6.1’s jkt for §4.2’s key (RFC 7638: crv, kty, x, y in that order)', async () => {
    await expect(jwkThumbprint(RFC_JWK, sha256)).resolves.toBe(RFC_JKT);
    // The members' order in the JWK does not matter.
    const shuffled = { y: RFC_JWK.y, x: RFC_JWK.x, crv: 'P-256', kty: 'EC' } as const;
    await expect(jwkThumbprint(shuffled, sha256)).resolves.toBe(RFC_JKT);
  });

  it('gives §7.1’s ath for its access token', async () => {
    await expect(
      accessTokenHash('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU', sha256),
    ).resolves.toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
  });
});

describe('htuOf: the target URI without query, fragment or user information', () => {
  it.each([
    ['https://server.example.com/token', 'https://server.example.com/token'],
    ['http://127.0.0.1:3000/api/v1/data?x=1#top', 'http://127.0.0.1:3000/api/v1/data'],
    ['https://user:pw@api.example/a/b?q', 'https://api.example/a/b'],
    ['HTTPS://API.Example:443/', 'https://api.example/'],
  ])('%s -> %s', (url, htu) => {
    expect(htuOf(url)).toBe(htu);
  });
});

describe('createProof (RFC 9449 §4.2)', () => {
  it('signs a dpop+jwt with ES256 that verifies with the key in its own header', async () => {
    const key = await freshKey();
    const { proof, header, payload } = await createProof(
      key,
      { method: 'post', url: 'http://127.0.0.1:3000/auth/token?x=1' },
      sha256,
    );
    const verified = verifyProof(proof, key.publicJwk);
    expect(verified.header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    expect(header).toEqual(verified.header);
    expect(verified.payload).toEqual(payload);
    expect(payload).toEqual({
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      htm: 'POST',
      htu: 'http://127.0.0.1:3000/auth/token',
      iat: expect.any(Number),
    });
    expect(Math.abs(payload.iat - Date.now() / 1000)).toBeLessThan(5);
    // The header carries the public key only: no private member (d).
    expect(Object.keys(header.jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
  });

  it('adds ath for a presented token and nonce when the server gave one; jti never repeats', async () => {
    const key = await freshKey();
    const request = {
      method: 'GET',
      url: 'http://127.0.0.1:3000/api/v1/data',
      accessToken: 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU',
      nonce: 'eyJ7S_zG.eyJH0-Z.HX4w-7v',
    };
    const first = await createProof(key, request, sha256);
    const second = await createProof(key, request, sha256);
    expect(verifyProof(first.proof, key.publicJwk).payload).toMatchObject({
      ath: 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo',
      nonce: 'eyJ7S_zG.eyJH0-Z.HX4w-7v',
    });
    expect(second.payload.jti).not.toBe(first.payload.jti);
    expect(second.proof).not.toBe(first.proof);
  });

  it('keeps a pinned jti and iat', async () => {
    const key = await freshKey();
    const { payload } = await createProof(
      key,
      { method: 'GET', url: 'https://a.example/r', jti: 'j-1', iat: 1562262616 },
      sha256,
    );
    expect(payload).toEqual({
      jti: 'j-1',
      htm: 'GET',
      htu: 'https://a.example/r',
      iat: 1562262616,
    });
  });

  it('a proof signed by another key does not verify with the header’s', async () => {
    const key = await freshKey();
    const other = await freshKey();
    const { proof } = await createProof(
      { publicJwk: key.publicJwk, sign: other.sign },
      { method: 'GET', url: 'https://a.example/r' },
      sha256,
    );
    expect(() => verifyProof(proof, key.publicJwk)).toThrow(/invalid signature/);
  });
});

// --- Nonces --------------------------------------------------------------------------------------

/** A stand-in for fetch's Response: a status, headers and a JSON body. */
function answer(status: number, headers: Record<string, string>, body: unknown = {}) {
  const h = new Headers(headers);
  return {
    status,
    headers: h,
    clone: () => ({ json: () => Promise.resolve(body) }),
  };
}

describe('nonceAskedFor (RFC 9449 §8, §9)', () => {
  const nonce = { 'DPoP-Nonce': 'n-1' };
  it.each([
    ['the token endpoint’s 400 use_dpop_nonce', answer(400, nonce), 'use_dpop_nonce', 'n-1'],
    [
      'a resource’s 401 DPoP error="use_dpop_nonce"',
      answer(401, { ...nonce, 'WWW-Authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"' }),
      undefined,
      'n-1',
    ],
    ['a 400 with another error', answer(400, nonce), 'invalid_dpop_proof', undefined],
    [
      'a 401 for another reason',
      answer(401, { ...nonce, 'WWW-Authenticate': 'DPoP error="invalid_token"' }),
      undefined,
      undefined,
    ],
    ['use_dpop_nonce without a DPoP-Nonce', answer(400, {}), 'use_dpop_nonce', undefined],
    ['a 200 that carries a nonce', answer(200, nonce), undefined, undefined],
  ])('%s', (_name, res, error, expected) => {
    expect(nonceAskedFor(res, error)).toBe(expected);
  });
});

describe('DpopClient.fetch', () => {
  const URL_DATA = 'http://127.0.0.1:3000/api/v1/data';

  it('sends DPoP and Authorization: DPoP; on use_dpop_nonce it retries once with the nonce', async () => {
    const client = new DpopClient(await freshKey(), sha256);
    const sent: Record<string, string>[] = [];
    const attempts = await client.fetch(
      (_url, init) => {
        sent.push(init.headers);
        return Promise.resolve(
          sent.length === 1
            ? answer(401, {
                'DPoP-Nonce': 'n-1',
                'WWW-Authenticate': 'DPoP error="use_dpop_nonce"',
              })
            : answer(200, {}),
        );
      },
      URL_DATA,
      { method: 'GET', accessToken: 'tok' },
    );
    expect(attempts.map((a) => a.response.status)).toEqual([401, 200]);
    expect(sent.map((h) => h.Authorization)).toEqual(['DPoP tok', 'DPoP tok']);
    expect(attempts[0]?.proof.payload.nonce).toBeUndefined();
    expect(attempts[1]?.proof.payload).toMatchObject({ nonce: 'n-1', htm: 'GET', htu: URL_DATA });
    expect(sent[1]?.DPoP).toBe(attempts[1]?.proof.proof);
    // The nonce is remembered for the next request to that origin.
    const next = await client.proofFor('POST', 'http://127.0.0.1:3000/auth/token');
    expect(next.payload.nonce).toBe('n-1');
  });

  it('retries only once, and not at all for another refusal', async () => {
    const client = new DpopClient(await freshKey(), sha256);
    let calls = 0;
    const always = await client.fetch(
      () => {
        calls += 1;
        return Promise.resolve(
          answer(400, { 'DPoP-Nonce': `n-${calls}` }, { error: 'use_dpop_nonce' }),
        );
      },
      'http://127.0.0.1:3000/auth/token',
      { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) },
    );
    expect(always).toHaveLength(2);
    expect(always[1]?.proof.payload.nonce).toBe('n-1');
    expect(client.nonces.get('http://127.0.0.1:3000')).toBe('n-2');

    const refused = await client.fetch(
      () => Promise.resolve(answer(400, {}, { error: 'invalid_dpop_proof' })),
      'http://127.0.0.1:3000/auth/token',
      { method: 'POST' },
    );
    expect(refused).toHaveLength(1);
  });
});
