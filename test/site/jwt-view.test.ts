import fc from 'fast-check';
import { jwtView, tokenFromTrace, triggerTokens, triggerTokensView } from '../../src/site/jwt-view';
import { decodeJwt } from '../../src/site/shared/jwt';
import { BEARER_CHECKS, bearerTrace } from '../../src/teaching/explain';
import type { Specimens } from '../../src/tokens/specimens';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const NOW = 1_780_000_000;
const token = (payload: Record<string, unknown>) =>
  `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })}.${b64(payload)}.c2lnbmF0dXJl`;
const specimens = {
  expired: token({ sub: 'demo-user', exp: NOW - 180, iat: NOW - 3780 }),
  valid: token({ sub: 'demo-user', exp: NOW + 3600, iat: NOW }),
} as unknown as Specimens;

describe('the decoded token on a page (src/site/jwt-view.ts)', () => {
  it('labels the three parts, explains each claim, reads its times, and marks the culprit', () => {
    const page = jwtView(decodeJwt(specimens.expired), {
      now: NOW,
      culprit: { part: 'payload', claim: 'exp' },
    }).value;
    for (const label of ['Header', 'Payload', 'Signature']) expect(page).toContain(`>${label} `);
    expect(page).toContain('<span class="jwt-h" title="header">');
    expect(page).toMatch(/<div class="claim culprit" data-claim="exp">/);
    expect(page).toContain('<span class="rel">expired 3 min ago</span>');
    expect(page).toContain('<span class="rel">issued 1 h ago</span>');
    expect(page).toContain('subject: whom the token speaks for');
    expect(page).toContain('Not checked on this page');
  });

  it('marks a time only when it says so now: a scripted token_expired on a valid token marks nothing', () => {
    const page = jwtView(decodeJwt(specimens.valid), {
      now: NOW,
      culprit: { part: 'payload', claim: 'exp' },
    }).value;
    expect(page).not.toContain('culprit');
    expect(page).toContain('expires in 1 h');
  });

  it('shows garbage as "not a JWT", escaped, and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const page = jwtView(decodeJwt(text), { now: NOW }).value;
        expect(page).toContain('class="jwt');
      }),
    );
    const bad = jwtView(decodeJwt('<script>.x.y'), { now: NOW }).value;
    expect(bad).toContain('not a JWT');
    expect(bad).not.toContain('<script>');
    const evil = jwtView(decodeJwt(`${b64({ alg: '<img src=x>' })}.${b64({ '<b>': 1 })}.`), {
      now: NOW,
    }).value;
    expect(evil).not.toMatch(/<img|<b>/);
  });

  it('finds a trigger’s tokens: Bearer headers (a list too), body fields, the query', () => {
    expect(
      triggerTokens(
        {
          method: 'POST',
          path: '/x?access_token=abc',
          headers: { Authorization: ['Bearer {{token:valid}}', 'bearer {{token:expired}}'] },
          body: { refresh_token: '{{token:expired}}', username: 'u' },
        },
        specimens,
      ),
    ).toEqual([
      { where: 'Authorization: Bearer', token: specimens.valid },
      { where: 'Authorization: Bearer', token: specimens.expired },
      { where: 'refresh_token in the body', token: specimens.expired },
      { where: 'access_token in the query', token: 'abc' },
    ]);
    expect(
      triggerTokens(
        { method: 'GET', path: '/x', headers: { Authorization: 'Basic dTpw' } },
        specimens,
      ),
    ).toEqual([]);
    const card = triggerTokensView(
      { method: 'GET', path: '/x', headers: { Authorization: 'Bearer {{token:expired}}' } },
      specimens,
      'token_expired',
      NOW,
    ).value;
    expect(card).toContain('<div class="claim culprit" data-claim="exp">');
  });
});

describe('the token of a decision trace', () => {
  it('is its header facts and times, never a signature', () => {
    const trace = bearerTrace('exp: not expired', {
      facts: { alg: 'HS256', kid: 'k1', typ: 'at+jwt' },
      times: {
        exp: '2026-11-22T06:00:00Z',
        iat: '2026-11-22T05:00:00Z',
        server_time: '2026-11-22T07:00:00Z',
        tolerance_seconds: 30,
      },
    })!;
    expect(tokenFromTrace(trace)).toEqual({
      ok: true,
      parts: ['', '', ''],
      header: { alg: 'HS256', kid: 'k1', typ: 'at+jwt' },
      payload: {
        exp: Date.parse('2026-11-22T06:00:00Z') / 1000,
        iat: Date.parse('2026-11-22T05:00:00Z') / 1000,
      },
      signature: '',
    });
  });

  it('is "not a JWT" when the token could not be read, and none when no token was', () => {
    expect(tokenFromTrace(bearerTrace('three base64url parts')!)).toEqual({
      ok: false,
      reason: expect.stringContaining('not a JWT'),
    });
    expect(tokenFromTrace(bearerTrace('credentials sent')!)).toBeUndefined();
    expect(
      tokenFromTrace({
        guard: 'HTTP Basic',
        passed: [],
        failed: 'scheme is Basic',
        not_reached: [],
      }),
    ).toBeUndefined();
    expect(BEARER_CHECKS).toContain('three base64url parts');
  });
});
