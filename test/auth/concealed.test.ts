import fc from 'fast-check';
import { exporterContext, readConcealed, signedContent } from '../../src/auth/concealed';

describe('src/auth/concealed.ts (RFC 9729)', () => {
  // The normative text of RFC 9729 §3.3 names the context string "HTTP Concealed Authentication";
  // the draft's example figure (Figure 3) still spelled it with the scheme's old name, "HTTP
  // Signature Authentication". The text is followed: 64 spaces, the string, 0x00, the input.
  it('prefixes the signature input as RFC 9729 §3.3’s text says', () => {
    const expected =
      '20'.repeat(64) +
      Buffer.from('HTTP Concealed Authentication').toString('hex') +
      '00' +
      '01'.repeat(32);
    expect(signedContent(Buffer.alloc(32, 1)).toString('hex').toUpperCase()).toBe(
      expected.toUpperCase(),
    );
  });

  it('lays out the exporter context of RFC 9729 §3.1 with QUIC varint lengths', () => {
    const ctx = exporterContext(
      { scheme: 0x0807, keyId: Buffer.from('basement'), publicKey: Buffer.alloc(70, 7), realm: '' },
      { scheme: 'https', host: 'example.com', port: 443 },
    );
    expect(ctx.toString('hex')).toBe(
      '0807' +
        '08' +
        Buffer.from('basement').toString('hex') +
        '4046' +
        '07'.repeat(70) +
        '05' +
        Buffer.from('https').toString('hex') +
        '0b' +
        Buffer.from('example.com').toString('hex') +
        '01bb' +
        '00',
    );
  });

  it('reads RFC 9729 §5’s example header', () => {
    const c = readConcealed(
      ' k=YmFzZW1lbnQ, a=VGhpcyBpcyBh-HB1YmxpYyBrZXkgaW4gdXNl_GhlcmU, s=2055, v=dmVyaWZpY2F0aW9u_zE2Qg, p=SW5zZXJ0_HNpZ25hdHVyZSBvZiBub25jZSBoZXJlIHdoaWNoIHRha2VzIDUxMiBiaXRz-GZvciBFZDI1NTE5IQ',
    );
    expect(typeof c).toBe('object');
    if (typeof c === 'object') {
      expect(c.keyId.toString()).toBe('basement');
      expect(c.scheme).toBe(2055);
      expect(c.verification).toHaveLength(16);
      expect(c.realm).toBe('');
    }
  });

  it('never throws on any text, and reads only what RFC 9729 §4 allows', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const c = readConcealed(text);
        if (typeof c === 'object') {
          expect(c.scheme).toBeLessThanOrEqual(65535);
          expect(c.verification).toHaveLength(16);
        }
      }),
    );
  });
});
