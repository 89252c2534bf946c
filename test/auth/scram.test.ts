import fc from 'fast-check';
import {
  clientProof,
  decodeData,
  readClientFinal,
  readClientFirst,
  readScramParams,
  ScramMalformed,
  scramCredentials,
  serverFirst,
  verifyProof,
  type ScramMechanism,
} from '../../src/auth/scram';

/**
 * The published exchanges: RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256), both for
 * user "user" with password "pencil".
 */
const VECTORS: {
  m: ScramMechanism;
  clientFirst: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
}[] = [
  {
    m: 'SCRAM-SHA-1',
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal:
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    m: 'SCRAM-SHA-256',
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverFirst:
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal:
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

describe.each(VECTORS)('$m against its RFC test vector', (v) => {
  const salt = Buffer.from(/s=([^,]+)/.exec(v.serverFirst)![1]!, 'base64');
  const credentials = scramCredentials(v.m, 'pencil', salt, 4096);
  const first = readClientFirst(v.clientFirst);
  const final = readClientFinal(v.clientFinal);
  const authMessage = `${first.bare},${v.serverFirst},${final.withoutProof}`;

  it('reads the client-first message and builds the same server-first', () => {
    expect(first).toMatchObject({ binding: 'n', user: 'user', gs2: 'n,,' });
    const nonce = /r=([^,]+)/.exec(v.serverFirst)![1]!;
    expect(serverFirst(nonce, credentials)).toBe(v.serverFirst);
  });

  it('verifies the proof and signs as the RFC does', () => {
    const signature = verifyProof(v.m, credentials, authMessage, final.proof);
    expect(`v=${signature?.toString('base64')}`).toBe(v.serverFinal);
    expect(clientProof(v.m, 'pencil', salt, 4096, authMessage).proof).toEqual(final.proof);
  });

  it('refuses the proof for another password or another AuthMessage', () => {
    const other = scramCredentials(v.m, 'pencil2', salt, 4096);
    expect(verifyProof(v.m, other, authMessage, final.proof)).toBeUndefined();
    expect(verifyProof(v.m, credentials, `${authMessage}x`, final.proof)).toBeUndefined();
  });
});

describe('reading RFC 7804 credentials', () => {
  it('reads sid and data, bare or quoted, and drops the RFC 7804 example’s trailing newline', () => {
    expect(readScramParams(' sid=AAAABBBBCCCCDDDD, data="cj1h/b+c="')).toEqual({
      sid: 'AAAABBBBCCCCDDDD',
      data: 'cj1h/b+c=',
    });
    // RFC 7804 §5: "biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8K" is the client-first message + LF.
    expect(decodeData('biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8K')).toBe(
      'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    );
  });

  it('reads a channel-binding flag and escaped user names', () => {
    expect(readClientFirst('p=tls-server-end-point,,n=a=2Cb=3Dc,r=x').binding).toEqual({
      p: 'tls-server-end-point',
    });
    expect(readClientFirst('y,,n=a=2Cb=3Dc,r=x').user).toBe('a,b=c');
  });

  it.each([
    ['no GS2 header', 'n=user,r=abc'],
    ['no nonce', 'n,,n=user'],
    ['a bad escape', 'n,,n=a=41,r=x'],
  ])('refuses a client-first message with %s', (_n, text) => {
    expect(() => readClientFirst(text)).toThrow(ScramMalformed);
  });

  it('throws only ScramMalformed on any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        for (const read of [readClientFirst, readClientFinal, readScramParams, decodeData]) {
          try {
            read(text);
          } catch (e) {
            if (!(e instanceof ScramMalformed)) throw e;
          }
        }
      }),
    );
  });
});
