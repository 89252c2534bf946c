import { sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as KeyPairs from './key-pairs';
import { KEY_POOL_ENV } from './key-pairs';

/** test/key-pairs.ts loaded afresh, as the next test file of the run loads it. */
function freshKeyPairs(): typeof KeyPairs {
  let loaded: typeof KeyPairs | undefined;
  jest.isolateModules(() => {
    loaded = jest.requireActual<typeof KeyPairs>('./key-pairs');
  });
  return loaded!;
}

const spki = (pair: { publicKey: KeyObject }) =>
  pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

describe('the run’s key pairs (test/key-pairs.ts)', () => {
  const pool = process.env[KEY_POOL_ENV];

  it('are kept in a private directory the global setup made', () => {
    expect(pool).toBeDefined();
    expect(existsSync(pool!)).toBe(true);
    expect(statSync(pool!).mode & 0o077).toBe(0);
  });

  it('are distinct within a file, and the same n-th pair for the next file', () => {
    const first = freshKeyPairs();
    const a = [0, 1, 2].map(() => first.generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    expect(new Set(a.map(spki)).size).toBe(3);
    const next = freshKeyPairs();
    const b = [0, 1, 2, 3].map(() => next.generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    expect(b.slice(0, 3).map(spki)).toEqual(a.map(spki));
    expect(a.map(spki)).not.toContain(spki(b[3]!));
    // Each read pair works: it signs, and its public key verifies.
    const signature = sign('sha256', Buffer.from('401'), b[0]!.privateKey);
    expect(verify('sha256', Buffer.from('401'), a[0]!.publicKey, signature)).toBe(true);
    expect(readdirSync(pool!).filter((f) => f.startsWith('ec-P-256-'))).toEqual(
      expect.arrayContaining(['ec-P-256-0.pem', 'ec-P-256-3.pem']),
    );
    expect(readdirSync(pool!).some((f) => /\.\d+$/.test(f))).toBe(false); // nothing left aside
  });

  it('keeps kinds apart, and generates what asks for more than a kind', () => {
    const keys = freshKeyPairs();
    const ed = keys.generateKeyPairSync('ed25519');
    expect(ed.privateKey.asymmetricKeyType).toBe('ed25519');
    const rsa = keys.generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(rsa.privateKey.asymmetricKeyDetails?.modulusLength).toBe(1024);
    const before = readdirSync(pool!).length;
    const encoded = keys.generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    expect(encoded.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readdirSync(pool!).length).toBe(before);
    expect(existsSync(join(pool!, 'ed25519-0.pem'))).toBe(true);
  });
});
