import {
  apiKeyChallenge,
  basicChallenge,
  bearerChallenge,
  bearerChallenges,
  challenge,
  challenges,
  cookieChallenge,
  digestChallenge,
  quote,
  rfc6750Text,
} from '../../src/auth/challenges';
import { problemCatalog } from '../../src/scenarios/catalog';

describe('challenge builders', () => {
  it('quotes values as RFC 9110 quoted-strings', () => {
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quote('tab\there')).toBe('"tab\there"');
    expect(quote('line\r\nbreak\u0000')).toBe('"linebreak"');
  });

  it('builds a challenge and leaves out undefined parameters', () => {
    expect(challenge('Basic', { realm: 'r', charset: 'UTF-8', x: undefined })).toBe(
      'Basic realm="r", charset="UTF-8"',
    );
    expect(challenge('Negotiate')).toBe('Negotiate');
  });

  it('refuses a scheme or parameter name that is not a token', () => {
    expect(() => challenge('Bad Scheme')).toThrow(TypeError);
    expect(() => challenge('Basic', { 'bad name': 'x' })).toThrow(TypeError);
  });

  it('joins several challenges in one field', () => {
    expect(challenges('Basic realm="a"', 'Bearer realm="a"')).toBe(
      'Basic realm="a", Bearer realm="a"',
    );
  });

  it('keeps only RFC 6750 characters in error_description', () => {
    expect(rfc6750Text('say "hi" \\ caf\u00e9\n!')).toBe('say hi  caf!');
    expect(
      bearerChallenge({
        error: 'invalid_token',
        errorDescription: 'bad "token"',
        resourceMetadata: 'http://x/m',
      }),
    ).toBe(
      'Bearer realm="four-oh-one", error="invalid_token", error_description="bad token", resource_metadata="http://x/m"',
    );
  });

  it('sends no error parameter when asked for none', () => {
    expect(bearerChallenge()).toBe('Bearer realm="four-oh-one"');
  });
});

describe('each scheme’s challenge', () => {
  it('sends a parameter given as a token unquoted, and refuses one that is no token', () => {
    expect(challenge('Digest', { realm: 'r', algorithm: { token: 'SHA-256' } })).toBe(
      'Digest realm="r", algorithm=SHA-256',
    );
    expect(() => challenge('Digest', { algorithm: { token: 'SHA 256' } })).toThrow(TypeError);
  });

  it('builds Basic, Cookie and ApiKey challenges in this realm', () => {
    expect(basicChallenge()).toBe('Basic realm="four-oh-one", charset="UTF-8"');
    expect(basicChallenge('other')).toBe('Basic realm="other", charset="UTF-8"');
    expect(cookieChallenge('sid')).toBe(
      'Cookie realm="four-oh-one", form-action="/login", cookie-name="sid"',
    );
    expect(apiKeyChallenge()).toBe('ApiKey realm="four-oh-one", header="X-API-Key"');
    expect(apiKeyChallenge('X-Key', 'r')).toBe('ApiKey realm="r", header="X-Key"');
  });

  it('builds a Digest challenge as RFC 7616 §3.3 writes one, stale only when stale', () => {
    const p = { realm: 'four-oh-one', qop: 'auth', algorithm: 'SHA-256', nonce: 'n', opaque: 'o' };
    expect(digestChallenge({ ...p, stale: false })).toBe(
      'Digest realm="four-oh-one", qop="auth", algorithm=SHA-256, nonce="n", opaque="o", charset=UTF-8',
    );
    expect(digestChallenge({ ...p, stale: true })).toMatch(/, charset=UTF-8, stale=true$/);
  });

  it('builds a resource’s Bearer challenges once, each describing its problem', () => {
    const { noCredentials, invalidRequest, invalidToken } = bearerChallenges('http://x/m');
    expect(noCredentials).toBe('Bearer realm="four-oh-one", resource_metadata="http://x/m"');
    expect(invalidRequest()).toBe(
      `Bearer realm="four-oh-one", error="invalid_request", error_description="${problemCatalog.authorization_malformed.title}", resource_metadata="http://x/m"`,
    );
    expect(invalidRequest('authorization_repeated')).toContain(
      `error_description="${problemCatalog.authorization_repeated.title}"`,
    );
    expect(invalidToken('token_expired')).toBe(
      `Bearer realm="four-oh-one", error="invalid_token", error_description="${problemCatalog.token_expired.title}", resource_metadata="http://x/m"`,
    );
    expect(invalidToken('token_expired')).toBe(invalidToken('token_expired'));
  });
});
