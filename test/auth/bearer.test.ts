import fc from 'fast-check';
import {
  bearerRefusals,
  parseBearer,
  queryCredential,
  refusalError,
  type Presentation,
} from '../../src/auth/bearer';
import { TOKEN_IN_HEADER_ONLY } from '../../src/teaching/explain';
import { problemCatalog } from '../../src/scenarios/catalog';
import { binaryString } from '../arbitraries';

describe('parseBearer', () => {
  // After go-httpbin's TestBearer table.
  it.each([
    [undefined, 'none'],
    ['', 'none'],
    ['   ', 'none'],
    ['Bearer', 'malformed'],
    ['Bearer ', 'malformed'],
    ['bearer', 'malformed'],
    ['Bearer x y', 'malformed'],
    ['Bearer\tx', 'malformed'],
    ['Bearer x=y', 'malformed'],
    ['Bearer "x"', 'malformed'],
    ['Bearer x,y', 'malformed'],
    ['Bearer \u00e9t\u00e9', 'malformed'],
    ['Bearer1 x', 'other'],
    ['xBearer x', 'other'],
    ['Basic dXNlcjpwYXNz', 'other'],
    ['Token abc', 'other'],
    ['Digest username="a"', 'other'],
    ['\u00ff\u00fe junk', 'other'],
    ['bearer x', 'bearer'],
    ['BEARER x', 'bearer'],
    ['Bearer  x', 'bearer'],
    ['Bearer a.b.c', 'bearer'],
    ['Bearer abc+/~-_.==', 'bearer'],
  ])('classifies %j as %s', (header, kind) => {
    expect(parseBearer(header).kind).toBe(kind);
  });

  it('returns the token without the scheme', () => {
    expect(parseBearer('bearer  a.b.c')).toEqual({ kind: 'bearer', token: 'a.b.c' });
  });

  it('never echoes more than 32 characters of an unknown scheme', () => {
    const parsed = parseBearer(`${'S'.repeat(500)} x`);
    expect(parsed).toEqual({ kind: 'other', scheme: 'S'.repeat(32) });
  });

  it('never throws and classifies every input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), binaryString(), fc.constant(undefined)), (h) => {
        const parsed = parseBearer(h);
        expect(['none', 'other', 'malformed', 'bearer']).toContain(parsed.kind);
        if (parsed.kind === 'bearer') expect(parsed.token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every b64token after the scheme, in any case (property)', () => {
    const b64char = fc.constantFrom(...'ABCxyz019-._~+/'.split(''));
    fc.assert(
      fc.property(
        fc.string({ unit: b64char, minLength: 1, maxLength: 64 }),
        fc.string({ unit: fc.constant('='), maxLength: 2 }),
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR'),
        (body, pad, scheme) => {
          expect(parseBearer(`${scheme} ${body}${pad}`)).toEqual({
            kind: 'bearer',
            token: body + pad,
          });
        },
      ),
    );
  });
});

describe('bearerRefusals', () => {
  const judge = bearerRefusals('http://x/m');
  const NO_CREDENTIALS = 'Bearer realm="four-oh-one", resource_metadata="http://x/m"';
  const invalidRequest = (code: keyof typeof problemCatalog) =>
    `Bearer realm="four-oh-one", error="invalid_request", error_description="${problemCatalog[code].title}", resource_metadata="http://x/m"`;

  it('passes a token on', () => {
    expect(judge({ kind: 'bearer', token: 't' })).toEqual({ kind: 'bearer', token: 't' });
  });

  // RFC 6750 §3.1: broken requests are 400 invalid_request; no usable credentials are 401
  // without error, each with its own code.
  it.each([
    [{ kind: 'none' }, 'token_missing', NO_CREDENTIALS, 'credentials sent'],
    [
      { kind: 'other', scheme: 'Basic' },
      'auth_scheme_unsupported',
      NO_CREDENTIALS,
      'scheme is Bearer',
    ],
    [
      { kind: 'malformed', reason: 'why' },
      'authorization_malformed',
      invalidRequest('authorization_malformed'),
      'exactly one token after "Bearer "',
    ],
    [
      { kind: 'repeated', fields: 2 },
      'authorization_repeated',
      invalidRequest('authorization_repeated'),
      'at most one Authorization field',
    ],
    [
      { kind: 'multiple', param: 'access_token' },
      'token_multiple_methods',
      invalidRequest('token_multiple_methods'),
      TOKEN_IN_HEADER_ONLY,
    ],
    [{ kind: 'query' }, 'token_in_query_refused', NO_CREDENTIALS, TOKEN_IN_HEADER_ONLY],
    [
      { kind: 'query_key', param: 'api_key' },
      'api_key_in_query_refused',
      NO_CREDENTIALS,
      TOKEN_IN_HEADER_ONLY,
    ],
    [{ kind: 'body' }, 'token_in_body_refused', NO_CREDENTIALS, TOKEN_IN_HEADER_ONLY],
  ] as [Presentation, string, string, string][])(
    'refuses %j as %s',
    (presented, code, challenge, check) => {
      expect(judge(presented)).toMatchObject({ kind: 'refused', code, challenge, check });
    },
  );

  it('says what the resource wants in its own words, and names the scheme as a fact', () => {
    const own = bearerRefusals(undefined, { none: 'Send a key.', other: (s) => `Not ${s}.` });
    expect(own({ kind: 'none' })).toMatchObject({
      detail: 'Send a key.',
      challenge: 'Bearer realm="four-oh-one"',
    });
    expect(own({ kind: 'other', scheme: 'Basic' })).toMatchObject({
      detail: 'Not Basic.',
      facts: { scheme: 'Basic' },
    });
    expect(own({ kind: 'malformed', reason: 'The reason.' })).toMatchObject({
      detail: 'The reason.',
    });
  });

  it('makes each refusal its error: the code, the detail and the challenge', () => {
    const refused = judge({ kind: 'query' });
    if (refused.kind !== 'refused') throw new Error('not refused');
    const err = refusalError(refused);
    expect({ status: err.status, code: err.code, detail: err.detail }).toEqual({
      status: 401,
      code: 'token_in_query_refused',
      detail: refused.detail,
    });
    expect(err.headers).toEqual({ 'WWW-Authenticate': NO_CREDENTIALS });
  });
});

describe('queryCredential', () => {
  it.each([
    ['/api/v1/data?access_token=x', 'access_token'],
    ['/api/v1/data?api_key=x', 'api_key'],
    ['/v1/models?APIKEY=x', 'APIKEY'],
    ['/v1/models?x=1&Api-Key=x', 'Api-Key'],
    ['/v1/models?api%5Fkey=x', 'api_key'],
    ['/api/v1/data?api_key', 'api_key'],
  ])('finds the credential in %s: %s', (url, name) => {
    expect(queryCredential(url)).toBe(name);
  });

  it.each([
    '/api/v1/data',
    '/api/v1/data?',
    '/api/v1/flaky?fail=1&key=k',
    '/api/v1/data?api_keys=x',
    '/api/v1/data?ACCESS_TOKEN=x',
    '/api/v1/data?x=api_key',
  ])('finds none in %s', (url) => {
    expect(queryCredential(url)).toBeUndefined();
  });

  it('never throws, whatever the query holds', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), binaryString({ maxLength: 32 }), (a, b) => {
        const found = queryCredential(`/p?${a}&${b}`);
        if (found !== undefined) {
          expect(['access_token', 'api_key', 'apikey', 'api-key']).toContain(
            found === 'access_token' ? found : found.toLowerCase(),
          );
        }
      }),
      { numRuns: 2000 },
    );
  });
});
