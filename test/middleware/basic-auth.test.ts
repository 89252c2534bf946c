import fc from 'fast-check';
import { basicAuth } from '../../middleware/basic-auth';
import { buildApp, expectProblem } from '../helpers';
import { check, get, type Send } from './check';
import { binaryString } from '../arbitraries';

const CHALLENGE = 'Basic realm="four-oh-one", charset="UTF-8"';
const b64 = (text: string, encoding: BufferEncoding = 'utf8') =>
  Buffer.from(text, encoding).toString('base64');

describe('basicAuth()', () => {
  it('throws at once on bad options', () => {
    expect(() => basicAuth({} as never)).toThrow('basicAuth: verify must be a function');
    expect(() => basicAuth({ verify: () => true, realm: '' })).toThrow(
      'basicAuth: realm must be a non-empty string',
    );
  });
});

describe('Basic at GET /basic-auth/user/passwd', () => {
  const ctx = buildApp();
  const get = (authorization?: string) => {
    const req = ctx.http().get('/basic-auth/user/passwd');
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  it.each([
    {
      name: 'no header',
      header: undefined,
      status: 401,
      code: 'basic_credentials_missing',
      challenge: CHALLENGE,
    },
    {
      name: 'an empty header',
      header: '',
      status: 401,
      code: 'basic_credentials_missing',
      challenge: CHALLENGE,
    },
    {
      name: 'a Bearer token',
      header: 'Bearer abc',
      status: 401,
      code: 'basic_credentials_missing',
      challenge: CHALLENGE,
    },
    {
      name: 'a wrong password',
      header: `Basic ${b64('user:wrong')}`,
      status: 401,
      code: 'basic_credentials_invalid',
      challenge: CHALLENGE,
    },
    {
      name: 'a wrong user-id',
      header: `Basic ${b64('root:passwd')}`,
      status: 401,
      code: 'basic_credentials_invalid',
      challenge: CHALLENGE,
    },
    {
      name: 'the right password twice',
      header: `Basic ${b64('user:passwdpasswd')}`,
      status: 401,
      code: 'basic_credentials_invalid',
      challenge: CHALLENGE,
    },
    {
      name: 'an empty user-id and password',
      header: 'Basic Og==',
      status: 401,
      code: 'basic_credentials_invalid',
      challenge: CHALLENGE,
    },
    {
      name: 'credentials in the clear',
      header: 'Basic user:passwd',
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
    {
      name: 'no colon',
      header: `Basic ${b64('userpasswd')}`,
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
    {
      name: 'base64url',
      header: 'Basic dXNlcjpwYXNzd2Q-',
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
    {
      name: 'a control character',
      header: `Basic ${b64('user:pass\u0000wd')}`,
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
    {
      name: 'nothing after the scheme',
      header: 'Basic',
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
    {
      name: '5 KB of credentials',
      header: `Basic ${b64(`user:${'x'.repeat(5000)}`)}`,
      status: 400,
      code: 'basic_malformed',
      challenge: null,
    },
  ] as const)('with $name answers $status $code', async ({ header, status, code, challenge }) => {
    const res = await get(header);
    expectProblem(res, { status, code, challenge });
    expect(res.body.detail).not.toMatch(/passwd|root/); // never echoes the credentials
  });

  it.each([['Basic dXNlcjpwYXNzd2Q='], ['basic dXNlcjpwYXNzd2Q='], ['Basic dXNlcjpwYXNzd2Q']])(
    'accepts %j with httpbin’s body',
    async (header) => {
      const res = await get(header);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ authenticated: true, user: 'user' });
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
    },
  );

  it('never answers 5xx, whatever the header holds (property)', async () => {
    // Header values Node lets a client send: no CR, LF or NUL, latin1 only.
    const headerChar = fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: headerChar, maxLength: 200 }),
          fc.string({ unit: headerChar, maxLength: 200 }).map((s) => `Basic ${s}`),
          binaryString({ maxLength: 100 }).map((s) => `Basic ${b64(s)}`),
          fc
            .uint8Array({ maxLength: 100 })
            .map((a) => `Basic ${Buffer.from(a).toString('base64')}`),
          fc.integer({ min: 4000, max: 20_000 }).map((n) => `Basic ${'QUFB'.repeat(n / 4)}`),
        ),
        async (header) => {
          const res = await get(header);
          expect([400, 401]).toContain(res.status);
          expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
          if (res.status === 401) expect(res.headers['www-authenticate']).toBe(CHALLENGE);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('basicAuth() with only itself in the app', () => {
  const guard = basicAuth({ verify: (user, password) => user === 'u' && password === 'p' });
  const basic =
    (credentials: string): Send =>
    (agent) =>
      agent.get('/a/b').set('Authorization', `Basic ${b64(credentials)}`);

  it('puts the user-id in res.locals.basicUser', async () => {
    const res = await check(guard, basic('u:p'), { status: 200 });
    expect(res.body.locals.basicUser).toBe('u');
  });

  it.each([
    { name: 'no credentials', send: get, status: 401, code: 'basic_credentials_missing' },
    {
      name: 'a wrong password',
      send: basic('u:x'),
      status: 401,
      code: 'basic_credentials_invalid',
    },
    { name: 'no colon', send: basic('up'), status: 400, code: 'basic_malformed' },
  ])('answers $name with $status $code', async ({ send, status, code }) => {
    const challenge = status === 401 ? CHALLENGE : null;
    await check(guard, send, { status, code, headers: { 'WWW-Authenticate': challenge } });
  });

  it('names its own realm in the challenge', async () => {
    await check(basicAuth({ verify: () => false, realm: 'r' }), get, {
      status: 401,
      code: 'basic_credentials_missing',
      headers: { 'WWW-Authenticate': 'Basic realm="r", charset="UTF-8"' },
    });
  });

  it('when hidden, answers every refusal as the plain 404 of an unknown path', async () => {
    const hidden = basicAuth({ verify: (user) => user === 'u', hidden: true });
    for (const send of [(a) => a.get('/a/b'), basic('x:p'), basic('up')] as Send[]) {
      const res = await check(hidden, send, {
        status: 404,
        code: 'not_found',
        headers: { 'WWW-Authenticate': null },
      });
      expect(res.body.detail).toBe('No route serves GET /a/b.');
    }
    await check(hidden, basic('u:p'), { status: 200 });
  });
});
