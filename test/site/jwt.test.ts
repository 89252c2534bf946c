import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { isProblemCode } from '../../src/scenarios/catalog';
import {
  base64urlBytes,
  claimNote,
  culpritOf,
  decodeJwt,
  isoOf,
  relativeTime,
  span,
} from '../../src/site/shared/jwt';
import { ACCESS_CHECKS, JWS_CHECKS } from '../../src/tokens/verify';
import { AFTER_BEARER_CHECKS } from '../../src/teaching/explain';
import { JWT_IO_SAMPLE } from '../../src/tokens/specimens';
import { binaryString } from '../arbitraries';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** JSON objects as JSON.parse makes them (no -0, which JSON cannot carry). */
const jsonObject = fc
  .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 })
  .map((o) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>);
const base64urlText = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);

describe('decodeJwt (src/site/shared/jwt.ts): display only, never throws', () => {
  it('reads jwt.io’s sample as jwt.io does', () => {
    const read = decodeJwt(JWT_IO_SAMPLE);
    expect(read).toEqual({
      ok: true,
      parts: JWT_IO_SAMPLE.split('.'),
      header: { alg: 'HS256', typ: 'JWT' },
      payload: { sub: '1234567890', name: 'John Doe', iat: 1516239022 },
      signature: 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    });
  });

  it('reads an Authorization value, and a token jsonwebtoken signed', () => {
    const token = jwt.sign({ sub: 'alice', scope: 'data:read' }, 'k', {
      header: { alg: 'HS256', typ: 'at+jwt', kid: 'k1' },
      noTimestamp: true,
    });
    const read = decodeJwt(`Bearer ${token}`);
    expect(read.ok && read.header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' });
    expect(read.ok && read.payload).toEqual({ sub: 'alice', scope: 'data:read' });
  });

  it.each([
    ['', 'not a JWT'],
    ['not-a-jwt', 'not a JWT'],
    ['a.b', 'not a JWT'],
    ['a.b.c.d', 'not a JWT'],
    ['!!!.e30.', 'not a JWT: its header is not base64url'],
    ['e30.A.', 'not a JWT: its payload is not base64url'],
    [
      `${b64({})}.${Buffer.from('{"a":').toString('base64url')}.`,
      'not a JWT: its payload is not JSON',
    ],
    [`${b64([1])}.${b64({})}.`, 'not a JWT: its header is JSON, but not an object'],
    [`${b64({})}.${b64(null)}.`, 'not a JWT: its payload is JSON, but not an object'],
    [
      `${Buffer.from([0xff, 0xfe]).toString('base64url')}.${b64({})}.`,
      'not a JWT: its header is not UTF-8 text',
    ],
    [`${b64({})}.${b64({})}.si*g`, 'not a JWT: its signature is not base64url'],
    ['a.b.c.d.e', 'an encrypted JWT (JWE)'],
  ])('says %j is %s', (text, reason) => {
    const read = decodeJwt(text);
    expect(read.ok).toBe(false);
    expect(!read.ok && read.reason).toContain(reason);
  });

  it('refuses what is no text, and what is too long to be a token', () => {
    for (const value of [undefined, null, 42, {}, ['a.b.c']]) {
      expect(decodeJwt(value)).toEqual({ ok: false, reason: 'not a JWT: no text' });
    }
    const long = `${b64({})}.${b64({ pad: 'x'.repeat(20_000) })}.`;
    expect(decodeJwt(long)).toEqual({ ok: false, reason: 'not a JWT: too long' });
  });

  it('never throws, on any value and any text', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(() => decodeJwt(value)).not.toThrow();
      }),
    );
    fc.assert(
      fc.property(binaryString({ maxLength: 200 }), (text) => {
        const read = decodeJwt(text);
        expect(typeof read.ok).toBe('boolean');
      }),
    );
  });

  it('never throws on text that looks like a JWT: base64url parts and dots', () => {
    fc.assert(
      fc.property(fc.array(base64urlText, { minLength: 1, maxLength: 6 }), (parts) => {
        const read = decodeJwt(parts.join('.'));
        if (parts.length !== 3) expect(read.ok).toBe(false);
        if (read.ok) {
          expect(read.parts).toEqual(parts);
          expect(typeof read.header).toBe('object');
        }
      }),
    );
  });

  it('gives back any header and payload it was given, and the signature untouched', () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, fc.uint8Array({ maxLength: 64 }), (h, p, sig) => {
        const signature = Buffer.from(sig).toString('base64url');
        const read = decodeJwt(`${b64(h)}.${b64(p)}.${signature}`);
        expect(read).toEqual({
          ok: true,
          parts: [b64(h), b64(p), signature],
          header: h,
          payload: p,
          signature,
        });
      }),
    );
  });

  it('refuses a token with any one character changed to one outside base64url', () => {
    const token = `${b64({ alg: 'HS256' })}.${b64({ exp: 1 })}.c2ln`;
    fc.assert(
      fc.property(
        fc.nat({ max: token.length - 1 }),
        fc.constantFrom('!', '+', '/', '=', '%', '\u00e9', '\u0000'),
        (at, c) => {
          if (token.charAt(at) === '.') return;
          const read = decodeJwt(token.slice(0, at) + c + token.slice(at + 1));
          expect(read.ok).toBe(false);
        },
      ),
    );
    // Whitespace around a token, as pasted, is no part of it; inside, it is.
    expect(decodeJwt(` ${token}\n`).ok).toBe(true);
    expect(decodeJwt(`${token.slice(0, 10)} ${token.slice(11)}`).ok).toBe(false);
  });
});

describe('base64urlBytes', () => {
  it('decodes as Node does, and refuses a length no encoder writes', () => {
    fc.assert(
      fc.property(base64urlText, (text) => {
        const mine = base64urlBytes(text);
        if (text.length % 4 === 1) expect(mine).toBeUndefined();
        else expect(Buffer.from(mine ?? [])).toEqual(Buffer.from(text, 'base64url'));
      }),
    );
    expect(base64urlBytes('ab+/')).toBeUndefined();
    expect(base64urlBytes('YQ==')).toBeUndefined();
  });
});

describe('which claim a refusal was about', () => {
  it.each([
    [{ code: 'token_expired' }, { part: 'payload', claim: 'exp' }],
    [{ code: 'token_audience_invalid' }, { part: 'payload', claim: 'aud' }],
    [{ code: 'token_algorithm_rejected' }, { part: 'header', claim: 'alg' }],
    [{ code: 'token_kid_unknown' }, { part: 'header', claim: 'kid' }],
    [{ code: 'token_type_invalid' }, { part: 'header', claim: 'typ' }],
    [{ code: 'token_signature_invalid' }, { part: 'signature' }],
    [
      { code: 'token_expired', failedCheck: 'exp: not expired' },
      { part: 'payload', claim: 'exp' },
    ],
    [
      { code: 'token_audience_invalid', failedCheck: 'aud: this audience' },
      { part: 'payload', claim: 'aud' },
    ],
    [
      { code: 'token_algorithm_rejected', failedCheck: 'alg is the one its key is pinned to' },
      { part: 'header', claim: 'alg' },
    ],
  ])('%j → %j', (refusal, culprit) => {
    expect(culpritOf(refusal)).toEqual(culprit);
  });

  it('follows the failed check over the code: a scripted token_expired is about no claim', () => {
    expect(
      culpritOf({ code: 'token_expired', failedCheck: AFTER_BEARER_CHECKS.token_expired }),
    ).toBeUndefined();
    expect(culpritOf({ code: 'not_found' })).toBeUndefined();
    expect(culpritOf({ code: 'constructor' })).toBeUndefined();
    expect(culpritOf({})).toBeUndefined();
  });

  it('knows every check the verifier can fail about one member, and only codes of the catalog', () => {
    const checks: string[] = [
      ...JWS_CHECKS,
      ...ACCESS_CHECKS,
      ...Object.values(AFTER_BEARER_CHECKS),
    ];
    for (const check of [
      'exp: not expired',
      'aud: this audience',
      'typ is at+jwt',
      'signature verifies',
    ]) {
      expect(checks).toContain(check);
    }
    // Every check named like "claim: …" maps to that claim.
    for (const check of checks) {
      const claim = /^(\w+): /.exec(check)?.[1];
      if (claim && claim !== 'crit')
        expect(culpritOf({ failedCheck: check })).toEqual({ part: 'payload', claim });
    }
    for (const code of [
      'token_expired',
      'token_kid_unknown',
      'insufficient_scope',
      'role_insufficient',
    ]) {
      expect(isProblemCode(code)).toBe(true);
    }
  });
});

describe('claims in words', () => {
  it('explains the registered claims and this server’s own', () => {
    for (const name of [
      'exp',
      'iat',
      'nbf',
      'aud',
      'iss',
      'sub',
      'scope',
      'jti',
      'client_id',
      'type',
      'vis',
      'rev',
      'fid',
      'auth_time',
      'cnf',
    ]) {
      expect(claimNote('payload', name)).toEqual(expect.any(String));
    }
    for (const name of ['alg', 'typ', 'kid', 'crit']) {
      expect(claimNote('header', name)).toEqual(expect.any(String));
    }
    expect(claimNote('payload', 'toString')).toBeUndefined();
    expect(claimNote('header', 'exp')).toBeUndefined();
  });

  it.each([
    ['exp', -180, 'expired 3 min ago'],
    ['exp', 3420, 'expires in 57 min'],
    ['nbf', 300, 'not valid for another 5 min'],
    ['iat', -7200, 'issued 2 h ago'],
    ['iat', 86400 * 3, 'says it was issued 3 days from now (in the future)'],
    ['auth_time', -45, 'signed in 45 s ago'],
    ['iat', -(8 * 365.25 * 86400 + 5), 'issued 8 years ago'],
    ['exp', 400 * 86400, 'expires in 400 days'],
  ])('%s %i s from now reads "%s"', (claim, delta, words) => {
    const now = 1_780_000_000;
    expect(relativeTime(claim, now + delta, now)).toBe(words);
  });

  it('spans and ISO times never throw', () => {
    fc.assert(
      fc.property(fc.double(), (n) => {
        expect(typeof span(n)).toBe('string');
        expect(typeof isoOf(n)).toBe('string');
      }),
    );
    expect(isoOf(1516239022)).toBe('2018-01-18T01:30:22Z');
    expect(isoOf(1e300)).toBe('1e+300');
  });
});
