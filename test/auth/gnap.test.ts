import fc from 'fast-check';
import { covers, gnapChallenge, gnapToken, readGrantRequest, tokenKey } from '../../src/auth/gnap';

describe('src/auth/gnap.ts', () => {
  describe('gnapToken (RFC 9635 §7.2)', () => {
    it.each<[string | undefined, string | undefined | null]>([
      [undefined, undefined],
      ['', undefined],
      ['Bearer abc', undefined],
      ['GNAPx abc', undefined],
      ['GNAP', null],
      ['GNAP ', null],
      ['GNAP a b', null],
      ['GNAP {}', null],
      ['GNAP OS9M2PMHKUR64TB8N6BW7OZB8CDFONP219RP1LT0', 'OS9M2PMHKUR64TB8N6BW7OZB8CDFONP219RP1LT0'],
      ['gnap abc==', 'abc=='],
    ])('reads %j as %j', (header, expected) => {
      expect(gnapToken(header)).toBe(expected);
    });

    it('never throws, and a token it returns is token68', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 300 }), (rest) => {
          const t = gnapToken(`GNAP ${rest}`);
          if (typeof t === 'string') expect(t).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
        }),
      );
    });
  });

  describe('readGrantRequest (RFC 9635 §2)', () => {
    const jwk = {
      kty: 'OKP',
      crv: 'Ed25519',
      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      kid: 'k1',
      alg: 'EdDSA',
    };

    it('reads references and objects into rights of the demo type', () => {
      const r = readGrantRequest({
        access_token: {
          access: ['four-oh-one-write', { type: 'four-oh-one-demo', actions: ['read', 'read'] }],
        },
        client: { key: { proof: { method: 'httpsig' }, jwk } },
        interact: { start: ['redirect'] },
      });
      expect(r).toEqual({
        ok: true,
        access: [
          { type: 'four-oh-one-demo', actions: ['write'] },
          { type: 'four-oh-one-demo', actions: ['read'] },
        ],
        key: { jwk, sigAlg: 'ed25519' },
      });
      if (r.ok) {
        expect(covers(r.access, 'read')).toBe(true);
        expect(covers(r.access, 'write')).toBe(true);
        expect(covers(r.access.slice(1), 'write')).toBe(false);
      }
    });

    it('refuses a P-256 point that is not on the curve', () => {
      const r = readGrantRequest({
        access_token: { access: ['four-oh-one-read'] },
        client: {
          key: {
            proof: 'httpsig',
            jwk: {
              kty: 'EC',
              crv: 'P-256',
              x: 'A'.repeat(43),
              y: 'A'.repeat(43),
              kid: 'k',
              alg: 'ES256',
            },
          },
        },
      });
      expect(r).toEqual({
        ok: false,
        error: 'invalid_request',
        detail: 'client.key.jwk is not a point on its curve.',
      });
    });

    it('never throws on any JSON value, and says why it refuses', () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
          const r = readGrantRequest(value);
          if (!r.ok) {
            expect(['invalid_request', 'invalid_client', 'invalid_flag']).toContain(r.error);
            expect(r.detail.length).toBeGreaterThan(0);
          }
        }),
      );
    });
  });

  it('builds the RS-first challenge with quoted URIs (RFC 9635 §9.1, RFC 9110 §11.2)', () => {
    expect(gnapChallenge('https://x.example', 'write')).toBe(
      'GNAP as_uri="https://x.example/gnap/grant", referrer="https://x.example/gnap/resource", access="four-oh-one-write"',
    );
  });

  it('keeps a token under its hash only', () => {
    expect(tokenKey('abc')).not.toContain('abc');
    expect(tokenKey('abc')).toMatch(/^gnap:token:[A-Za-z0-9_-]{43}$/);
  });
});
