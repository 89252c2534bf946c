import { parseChallenges } from './clients';

describe('the test clients’ challenge parser (RFC 9110 §11.6.1)', () => {
  it.each([
    [
      'DPoP realm="four-oh-one", algs="ES256 EdDSA", Bearer realm="four-oh-one", error="invalid_token", error_description="Access token expired"',
      [
        { scheme: 'DPoP', params: { realm: 'four-oh-one', algs: 'ES256 EdDSA' } },
        {
          scheme: 'Bearer',
          params: {
            realm: 'four-oh-one',
            error: 'invalid_token',
            error_description: 'Access token expired',
          },
        },
      ],
    ],
    [
      'Negotiate abc+/==, Basic realm="a\\"b", Bearer',
      [
        { scheme: 'Negotiate', params: {}, token68: 'abc+/==' },
        { scheme: 'Basic', params: { realm: 'a"b' } },
        { scheme: 'Bearer', params: {} },
      ],
    ],
    [
      'Bearer error=invalid_token , ,Basic',
      [
        { scheme: 'Bearer', params: { error: 'invalid_token' } },
        { scheme: 'Basic', params: {} },
      ],
    ],
  ])('%s', (field, expected) => {
    expect(parseChallenges(field)).toEqual(expected);
  });
});
