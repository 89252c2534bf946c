import { clientCredentials } from '../../src/auth/client';

const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

describe('clientCredentials', () => {
  it('reads HTTP Basic, form-decoding the id and the secret (RFC 6749 §2.3.1)', () => {
    expect(clientCredentials(basic('my+client:s%3Acret'), {})).toEqual([
      { id: 'my client', secret: 's:cret', method: 'HTTP Basic' },
    ]);
  });

  it.each([
    ['no base64', 'Basic !!', undefined],
    ['no colon', basic('client'), undefined],
    ['an empty client id', basic(':secret'), undefined],
    ['nothing after the scheme', 'Basic', undefined],
    ['a bad %-escape in the secret', basic('client:%zz'), 'client'],
  ])('keeps Basic with %s as the Basic method, with no secret', (_n, header, id) => {
    expect(clientCredentials(header, {})).toEqual([
      { id, secret: undefined, method: 'HTTP Basic' },
    ]);
  });

  it('reads the body methods, each as sent', () => {
    expect(clientCredentials(undefined, { client_id: 'c', client_secret: 's' })).toEqual([
      { id: 'c', secret: 's', method: 'client_id/client_secret' },
    ]);
    expect(clientCredentials(undefined, { api_key: 'k' })).toEqual([
      { id: 'k', secret: undefined, method: 'api_key/api_secret' },
    ]);
  });

  it('lists every method a request used, and ignores other schemes', () => {
    const all = clientCredentials(basic('a:b'), { client_id: 'c', api_secret: 'x' });
    expect(all.map((m) => m.method)).toEqual([
      'HTTP Basic',
      'client_id/client_secret',
      'api_key/api_secret',
    ]);
    expect(clientCredentials('Bearer abc', {})).toEqual([]);
  });
});
