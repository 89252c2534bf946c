import fc from 'fast-check';
import { headerKind, sortHeaders } from '../../src/site/shared/headers';

/** What helmet and the server send on every answer: none of it is what a learner looks for. */
const EVERYDAY = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
  'content-type',
  'content-length',
  'x-request-id',
  'x-explanation-id',
  'cache-control',
  'date',
  'etag',
];

describe('the headers that matter (src/site/shared/headers.ts)', () => {
  it.each([
    ['WWW-Authenticate', 'challenge'],
    ['www-authenticate', 'challenge'],
    ['Proxy-Authenticate', 'challenge'],
    ['Retry-After', 'retry'],
    ['RateLimit', 'retry'],
    ['RateLimit-Policy', 'retry'],
    ['ratelimit-remaining', 'retry'],
    ['X-RateLimit-Limit', 'retry'],
    ['Access-Control-Allow-Origin', 'cors'],
    ['access-control-expose-headers', 'cors'],
    ['Vary', 'vary'],
  ] as const)('%s is a %s header', (name, kind) => {
    expect(headerKind(name)).toBe(kind);
  });

  it.each(EVERYDAY)('%s is folded with the others', (name) => {
    expect(headerKind(name)).toBe('other');
  });

  it('puts the challenge first, then retry, CORS and Vary, and folds the rest by name', () => {
    const { important, other } = sortHeaders([
      ['x-frame-options', 'SAMEORIGIN'],
      ['vary', 'Origin'],
      ['access-control-allow-origin', 'https://app.example'],
      ['content-type', 'application/problem+json'],
      ['retry-after', '30'],
      ['www-authenticate', 'Bearer realm="api", error="invalid_token"'],
      ['content-security-policy', "default-src 'self'"],
    ]);
    expect(important.map((h) => h.name)).toEqual([
      'www-authenticate',
      'retry-after',
      'access-control-allow-origin',
      'vary',
    ]);
    expect(other.map((h) => h.name)).toEqual([
      'content-security-policy',
      'content-type',
      'x-frame-options',
    ]);
  });

  it('keeps every header it is given, once, with its value, and never puts a matter one among the others', () => {
    const names = fc.oneof(
      fc.constantFrom(
        'WWW-Authenticate',
        'Proxy-Authenticate',
        'Retry-After',
        'RateLimit-Policy',
        'Access-Control-Allow-Origin',
        'Vary',
        ...EVERYDAY,
      ),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(names, fc.string({ maxLength: 40 })), { maxLength: 30 }),
        (headers) => {
          const { important, other } = sortHeaders(headers);
          const key = (h: readonly [string, string]) => JSON.stringify(h);
          expect([...important, ...other].map((h) => key([h.name, h.value])).sort()).toEqual(
            headers.map(key).sort(),
          );
          expect(other.every((h) => h.kind === 'other')).toBe(true);
          expect(important.every((h) => h.kind !== 'other' && headerKind(h.name) === h.kind)).toBe(
            true,
          );
          const rank = ['challenge', 'retry', 'cors', 'vary'];
          const ranks = important.map((h) => rank.indexOf(h.kind));
          expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        },
      ),
    );
  });
});
