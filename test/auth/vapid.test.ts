import fc from 'fast-check';
import {
  checkVapid,
  DEMO_VAPID_PUBLIC_KEY,
  OTHER_VAPID_PRIVATE_KEY,
  OTHER_VAPID_PUBLIC_KEY,
  p256PublicKey,
  readVapid,
  signVapidJwt,
} from '../../src/auth/vapid';

const NOW = 1_800_000_000;
const expected = {
  subscriptionKey: DEMO_VAPID_PUBLIC_KEY,
  audience: 'https://push.example',
  nowSeconds: NOW,
};
const claims = { aud: 'https://push.example', exp: NOW + 60, sub: 'mailto:a@example.com' };

describe('readVapid', () => {
  it.each([
    [undefined, undefined, { kind: 'none' }],
    ['Bearer x', undefined, { kind: 'other', scheme: 'Bearer' }],
    ['vapid t=a.b.c, k=K', undefined, { kind: 'credentials', t: 'a.b.c', k: 'K', form: 'vapid' }],
    ['vapid t=a.b.c', undefined, { kind: 'incomplete', missing: 'k' }],
    [
      'WebPush a.b.c',
      'dh=X;p256ecdsa=K',
      { kind: 'credentials', t: 'a.b.c', k: 'K', form: 'WebPush' },
    ],
    [
      'WebPush a.b.c',
      ['dh=X', 'p256ecdsa="K"'],
      { kind: 'credentials', t: 'a.b.c', k: 'K', form: 'WebPush' },
    ],
  ])('reads %j (Crypto-Key %j)', (authorization, cryptoKey, reading) => {
    expect(readVapid(authorization, cryptoKey)).toEqual(reading);
  });

  it('never throws, whatever the fields (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.option(fc.string({ maxLength: 100 })),
        (a, k) => {
          const kind = readVapid(a, k ?? undefined).kind;
          expect(['none', 'other', 'malformed', 'incomplete', 'credentials']).toContain(kind);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('checkVapid', () => {
  it('accepts the demo key signing the right claims', () => {
    expect(checkVapid({ t: signVapidJwt(claims), k: DEMO_VAPID_PUBLIC_KEY }, expected)).toEqual(
      claims,
    );
  });

  it('takes k only as a 65-byte uncompressed point on P-256', () => {
    expect(p256PublicKey(DEMO_VAPID_PUBLIC_KEY)).toBeDefined();
    const raw = Buffer.from(DEMO_VAPID_PUBLIC_KEY, 'base64url');
    expect(
      p256PublicKey(Buffer.concat([Buffer.from([2]), raw.subarray(1, 33)]).toString('base64url')),
    ).toBeUndefined();
    raw[64] = raw[64]! ^ 1; // off the curve
    expect(p256PublicKey(raw.toString('base64url'))).toBeUndefined();
  });

  it('compares the key before verifying anything', () => {
    const other = { publicKey: OTHER_VAPID_PUBLIC_KEY, privateKey: OTHER_VAPID_PRIVATE_KEY };
    const forged = `${signVapidJwt(claims).split('.').slice(0, 2).join('.')}.${'A'.repeat(86)}`;
    expect(checkVapid({ t: forged, k: OTHER_VAPID_PUBLIC_KEY }, expected)).toEqual({
      failed: 'key_mismatch',
    });
    expect(
      checkVapid({ t: signVapidJwt(claims, other), k: DEMO_VAPID_PUBLIC_KEY }, expected),
    ).toMatchObject({
      failed: 'signature',
    });
  });

  it('refuses a DER-encoded signature (RFC 7518 §3.4 wants r‖s)', () => {
    const [h, c] = signVapidJwt(claims).split('.');
    const der = `${h}.${c}.${Buffer.alloc(70, 0x30).toString('base64url')}`;
    expect(checkVapid({ t: der, k: DEMO_VAPID_PUBLIC_KEY }, expected)).toMatchObject({
      failed: 'signature',
    });
  });
});
