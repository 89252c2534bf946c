import fc from 'fast-check';
import {
  HobaChallenges,
  hobaChallenge,
  HobaMalformed,
  readHobaAuthorization,
  readRegistration,
} from '../../src/auth/hoba';
import { hobaOrigin, hobaTbs } from '../../src/site/shared/hoba';
import { hobaKey, registrationForm } from '../hoba-client';

describe('src/auth/hoba.ts (RFC 7486)', () => {
  it('joins the HOBA-TBS fields of §2, each after its length in octets and a colon', () => {
    expect(
      hobaTbs({
        nonce: 'bm9uY2U',
        alg: '0',
        origin: 'http://127.0.0.1:3000',
        realm: 'four-oh-one',
        kid: 'a2lk',
        challenge: 'Y2hhbGxlbmdl',
      }),
    ).toBe('7:bm9uY2U1:021:http://127.0.0.1:300011:four-oh-one4:a2lk12:Y2hhbGxlbmdl');
    expect(
      hobaTbs({ nonce: 'n', alg: '0', origin: 'o', realm: '', kid: 'k', challenge: 'c' }),
    ).toBe('1:n1:01:o0:1:k1:c');
  });

  it.each([
    ['http:', 'localhost', '', 'http://localhost:80'],
    ['https:', 'example.com', '', 'https://example.com:443'],
    ['http:', '127.0.0.1', '3000', 'http://127.0.0.1:3000'],
  ])('writes the origin %s//%s (port "%s") with its port: %s', (protocol, host, port, origin) => {
    expect(hobaOrigin(protocol, host, port)).toBe(origin);
  });

  it('builds the challenge of §3', () => {
    expect(hobaChallenge('abc')).toBe('HOBA challenge="abc", max-age="60", realm="four-oh-one"');
  });

  describe('challenges', () => {
    const c = new HobaChallenges(Buffer.alloc(32, 7));
    const now = Date.parse('2026-12-01T00:00:00Z');

    it('knows its own, for the visitor it gave them to, until their max-age', () => {
      const value = c.mint('visitor-a', now);
      expect(value).toMatch(/^[A-Za-z0-9_-]{48}$/);
      expect(c.check('visitor-a', value, now + 59_000)).toEqual({ kind: 'ok', leftMs: 1000 });
      expect(c.check('visitor-a', value, now + 60_000)).toEqual({ kind: 'expired' });
      expect(c.check('visitor-b', value, now)).toEqual({ kind: 'unknown' });
      expect(new HobaChallenges(Buffer.alloc(32, 8)).check('visitor-a', value, now)).toEqual({
        kind: 'unknown',
      });
    });

    it('calls anything else unknown, and never throws', () => {
      fc.assert(
        fc.property(fc.string(), (value) => {
          expect(c.check('visitor-a', value, now).kind).toBe('unknown');
        }),
      );
    });
  });

  it('reads a result, and tells every other header apart without throwing', () => {
    expect(readHobaAuthorization('HOBA result="a.b.c.ZA"')).toEqual({
      kind: 'result',
      kid: 'a',
      challenge: 'b',
      nonce: 'c',
      sig: Buffer.from([0x64]),
    });
    expect(readHobaAuthorization(undefined)).toEqual({ kind: 'none' });
    expect(readHobaAuthorization('Basic x')).toEqual({ kind: 'none' });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `HOBA ${s}`),
        ),
        (header) => {
          expect(['none', 'malformed', 'result']).toContain(readHobaAuthorization(header).kind);
        },
      ),
    );
  });

  it('reads a registration form, and refuses any other only with HobaMalformed', () => {
    const key = hobaKey();
    expect(readRegistration(registrationForm(key))).toMatchObject({ kid: key.kid, alg: '0' });
    const field = fc.oneof(
      fc.string(),
      fc.constant(key.pem),
      fc.constantFrom('0', '1', '2', key.kid),
    );
    fc.assert(
      fc.property(
        fc.record(
          { kidtype: field, kid: field, didtype: field, did: field, alg: field, pub: field },
          { requiredKeys: [] },
        ),
        (form) => {
          try {
            readRegistration(form);
          } catch (e) {
            expect(e).toBeInstanceOf(HobaMalformed);
          }
        },
      ),
    );
  });
});
