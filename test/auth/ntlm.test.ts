import fc from 'fast-check';
import {
  authenticateMessage,
  blobTimestamp,
  challengeMessage,
  classifyToken,
  fileTime,
  md4,
  negotiateMessage,
  ntHash,
  ntlmV2Verifies,
  ntowfV2,
  NtlmMalformed,
  readAuthenticate,
  readNegotiate,
} from '../../src/auth/ntlm';

const hex = (b: Buffer) => b.toString('hex');

describe('md4 (RFC 1320 §A.5 test suite)', () => {
  it.each([
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    [
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
      '043f8582f241db351ce627e153e7f0e4',
    ],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ])('MD4("%s")', (input, digest) => {
    expect(hex(md4(Buffer.from(input, 'latin1')))).toBe(digest);
  });
});

describe('the NTLMv2 keys ([MS-NLMP] §4.2.4 test vectors)', () => {
  it('makes the NT hash and NTOWFv2 of User, Domain, Password', () => {
    expect(hex(ntHash('Password'))).toBe('a4f49c406510bdcab6824ee7c30fd852');
    expect(hex(ntowfV2(ntHash('Password'), 'User', 'Domain'))).toBe(
      '0c868a403bfd7a93a3001ef22ef02e3f',
    );
  });
});

describe('a handshake between this module’s client and server halves', () => {
  const serverChallenge = Buffer.from('0123456789abcdef', 'hex');
  const timestamp = fileTime(Date.UTC(2026, 11, 1));
  const challenge = challengeMessage(serverChallenge, timestamp);

  it('reads the NEGOTIATE message curl sends', () => {
    const kind = classifyToken(negotiateMessage().toString('base64'));
    expect(kind).toMatchObject({ kind: 'ntlm', type: 1 });
    expect(readNegotiate((kind as { bytes: Buffer }).bytes).flags & 0x200).toBe(0x200);
  });

  it('verifies an NTLMv2 answer with the right password only', () => {
    const msg = authenticateMessage({ user: 'alice', password: 'pw', challenge, domain: 'X' });
    const auth = readAuthenticate(msg);
    expect(auth).toMatchObject({ user: 'alice', domain: 'X', response: 'ntlmv2' });
    expect(ntlmV2Verifies(ntHash('pw'), 'ALICE', 'X', serverChallenge, auth.nt)).toBe(true);
    expect(ntlmV2Verifies(ntHash('pW'), 'alice', 'X', serverChallenge, auth.nt)).toBe(false);
    expect(ntlmV2Verifies(ntHash('pw'), 'alice', 'Y', serverChallenge, auth.nt)).toBe(false);
    expect(blobTimestamp(auth.nt)?.equals(timestamp)).toBe(true);
  });

  it('recognises an NTLMv1 answer by its 24-byte response', () => {
    const msg = authenticateMessage({ user: 'a', password: 'b', challenge, version: 'ntlmv1' });
    expect(readAuthenticate(msg).response).toBe('ntlmv1');
  });
});

describe('classifyToken', () => {
  it('names a Kerberos AP-REQ and a SPNEGO NegTokenInit offering Kerberos', () => {
    // GSS-API InitialContextToken: 0x60, length, the OID 1.2.840.113554.1.2.2, then AP-REQ.
    const krb = Buffer.from('601e06092a864886f71201020201006e0f300da003020105a10302010e', 'hex');
    expect(classifyToken(krb.toString('base64'))).toEqual({
      kind: 'gss',
      mechanism: 'kerberos',
      offersKerberos: true,
    });
    const spnego = Buffer.from(
      '602806062b0601050502a01e301ca01a301806092a864882f71201020206092a864886f712010202',
      'hex',
    );
    expect(classifyToken(spnego.toString('base64'))).toMatchObject({
      mechanism: 'spnego',
      offersKerberos: true,
    });
  });

  it.each([
    ['not base64', '!!!!'],
    ['unpadded', 'TlRMTVNTUAABAAAA'.slice(0, 15)],
    ['another signature', Buffer.from('NTLMSSX\0\x01\0\0\0abcd', 'latin1').toString('base64')],
    ['type 4', Buffer.from('NTLMSSP\0\x04\0\0\0abcd', 'latin1').toString('base64')],
  ])('refuses %s', (_name, token) => {
    expect(() => classifyToken(token)).toThrow(NtlmMalformed);
  });

  it('throws only NtlmMalformed on any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (raw, signed) => {
        const bytes = signed
          ? Buffer.concat([Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1'), Buffer.from(raw)])
          : Buffer.from(raw);
        try {
          const kind = classifyToken(bytes.toString('base64'));
          if (kind.kind === 'ntlm' && kind.type === 3) readAuthenticate(kind.bytes);
          if (kind.kind === 'ntlm' && kind.type === 1) readNegotiate(kind.bytes);
        } catch (e) {
          if (!(e instanceof NtlmMalformed)) throw e;
        }
      }),
    );
  });
});
