import { apiKeyAuth } from '../../middleware/api-key';
import { check, get, withHeader } from './check';

const CHALLENGE = 'ApiKey realm="four-oh-one", header="X-API-Key"';
const guard = apiKeyAuth({ keyFor: () => 'k3y' });
const withKey = (value: string) => withHeader('X-API-Key', value);

describe('apiKeyAuth()', () => {
  it('throws at once on bad options', () => {
    expect(() => apiKeyAuth({} as never)).toThrow('apiKeyAuth: keyFor must be a function');
    expect(() => apiKeyAuth({ keyFor: () => 'k', header: 'X Key' })).toThrow(
      'apiKeyAuth: not a header name: X Key',
    );
    for (const header of ['Authorization', 'cookie']) {
      expect(() => apiKeyAuth({ keyFor: () => 'k', header })).toThrow(
        `apiKeyAuth: ${header} has its own schemes; use another header`,
      );
    }
  });

  it('lets through the key, compared whole', async () => {
    await check(guard, withKey('k3y'), { status: 200, headers: { 'WWW-Authenticate': null } });
  });

  it.each([
    { name: 'no key header', send: get, code: 'api_key_header_missing' },
    { name: 'an empty key', send: withKey(' '), code: 'api_key_header_missing' },
    { name: 'a wrong key', send: withKey('k3y!'), code: 'api_key_header_invalid' },
    { name: 'a key that starts the same', send: withKey('k3y3'), code: 'api_key_header_invalid' },
    // Two X-API-Key fields reach Express as one, joined with ", ": one wrong key.
    { name: 'the key twice', send: withKey('k3y, k3y'), code: 'api_key_header_invalid' },
  ])('refuses $name with 401 $code and the challenge naming the header', async ({ send, code }) => {
    await check(guard, send, { status: 401, code, headers: { 'WWW-Authenticate': CHALLENGE } });
  });

  it.each([
    {
      name: 'the key as ?api_key=',
      send: (a: Parameters<typeof get>[0]) => a.get('/?api_key=k3y'),
    },
    {
      name: 'the key as ?apikey= beside a right header',
      send: (a: Parameters<typeof get>[0]) => a.get('/?apikey=k3y').set('X-API-Key', 'k3y'),
    },
  ])('refuses $name with 401 api_key_in_query_refused, naming the header', async ({ send }) => {
    const res = await check(guard, send, {
      status: 401,
      code: 'api_key_in_query_refused',
      headers: { 'WWW-Authenticate': CHALLENGE },
    });
    expect(res.body.detail).toContain('Send "X-API-Key: <key>"');
    expect(res.body.detail).not.toContain('k3y');
  });

  it('names its own header and realm in the challenge and the detail', async () => {
    const res = await check(
      apiKeyAuth({ keyFor: () => 'k', header: 'X-Token', realm: 'r' }),
      (a) => a.get('/').set('X-API-Key', 'k'),
      {
        status: 401,
        code: 'api_key_header_missing',
        headers: { 'WWW-Authenticate': 'ApiKey realm="r", header="X-Token"' },
      },
    );
    expect(res.body.detail).toBe('Send the API key in the X-Token header.');
  });

  it('asks keyFor for the key of each request', async () => {
    const perPath = apiKeyAuth({ keyFor: (req) => req.path.slice(1) });
    await check(perPath, (a) => a.get('/abc').set('X-API-Key', 'abc'), { status: 200 });
    await check(perPath, (a) => a.get('/abd').set('X-API-Key', 'abc'), {
      status: 401,
      code: 'api_key_header_invalid',
    });
  });
});
