import { execFile, spawnSync } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { createServer } from '../../src/http/server';
import { buildApp, expectProblem } from '../helpers';

const METADATA = 'resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource"';
const BEARER = `Bearer realm="four-oh-one", ${METADATA}`;
const BEARER_INVALID_REQUEST = `Bearer realm="four-oh-one", error="invalid_request", error_description="Authorization header is malformed", ${METADATA}`;
const BASIC = 'Basic realm="four-oh-one", charset="UTF-8"';
const BOTH = `${BEARER}, ${BASIC}`;
const API_KEY = 'ApiKey realm="four-oh-one", header="X-API-Key"';
const b64 = (text: string, encoding: BufferEncoding = 'utf8') =>
  Buffer.from(text, encoding).toString('base64');

describe('GET /basic-auth/:user/:passwd', () => {
  const ctx = buildApp();

  it('answers httpbin’s body to the credentials the path names', async () => {
    const res = await ctx
      .http()
      .get('/basic-auth/alice/s3cret')
      .set('Authorization', `Basic ${b64('alice:s3cret')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ authenticated: true, user: 'alice' });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('takes UTF-8 user-ids and passwords from the path and the header', async () => {
    const res = await ctx
      .http()
      .get(`/basic-auth/${encodeURIComponent('名前')}/${encodeURIComponent('pä:ss wört')}`)
      .set('Authorization', `Basic ${b64('名前:pä:ss wört')}`);
    expect(res.status).toBe(200);
    expect(res.body.user).toBe('名前');
  });

  it('refuses a path whose user-id has a colon, before reading credentials', async () => {
    for (const path of ['/basic-auth/a:b/passwd', '/basic-auth/a%3Ab/passwd']) {
      const res = await ctx
        .http()
        .get(path)
        .set('Authorization', `Basic ${b64('a:b:passwd')}`);
      expectProblem(res, { status: 400, code: 'parameter_invalid', challenge: null });
    }
  });

  it('serves GET and HEAD only', async () => {
    const res = await ctx.http().post('/basic-auth/user/passwd');
    expectProblem(res, { status: 405, code: 'method_not_allowed', challenge: null });
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
    const head = await ctx
      .http()
      .head('/basic-auth/user/passwd')
      .set('Authorization', `Basic ${b64('user:passwd')}`);
    expect(head.status).toBe(200);
  });
});

describe('GET /hidden-basic-auth/:user/:passwd', () => {
  const ctx = buildApp();
  const path = '/hidden-basic-auth/user/passwd';

  /** The parts of a 404 that could tell a hidden resource from a missing one. */
  const shape = (res: { status: number; headers: Record<string, string>; body: unknown }) => {
    const {
      explanation: _explanation,
      request_id: _id,
      instance: _instance,
      detail,
      ...rest
    } = res.body as Record<string, string>;
    const headers = Object.keys(res.headers)
      .filter((h) => !['x-request-id', 'content-length', 'date', 'etag'].includes(h))
      .sort();
    return { status: res.status, headers, body: rest, detail: detail?.replace(/ \S+\.$/, '') };
  };

  it.each([
    ['no credentials', undefined],
    ['a wrong password', `Basic ${b64('user:wrong')}`],
    ['a malformed header', 'Basic !!!'],
    ['a Bearer token', 'Bearer abc'],
  ])('answers %s exactly like a path that does not exist', async (_name, header) => {
    const req = ctx.http().get(path);
    const res = await (header === undefined ? req : req.set('Authorization', header));
    expectProblem(res, { status: 404, code: 'not_found', challenge: null });
    expect(res.body.detail).toBe(`No route serves GET ${path}.`);
    const missing = await ctx.http().get('/hidden-basic-auth-x/user/passwd');
    expect(shape(res)).toEqual(shape(missing));
  });

  it('hides other methods too, until the credentials are right', async () => {
    expectProblem(await ctx.http().delete(path), { status: 404, code: 'not_found' });
    const res = await ctx
      .http()
      .delete(path)
      .set('Authorization', `Basic ${b64('user:passwd')}`);
    expectProblem(res, { status: 405, code: 'method_not_allowed' });
  });

  it('appears with the right credentials', async () => {
    const res = await ctx
      .http()
      .get(path)
      .set('Authorization', `Basic ${b64('user:passwd')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ authenticated: true, user: 'user' });
  });
});

describe('GET /digest-auth/:qop/:user/:passwd/:algorithm?/:stale_after?', () => {
  const ctx = buildApp();

  it.each([
    ['/digest-auth/auth-conf/user/passwd', 'qop must be auth or auth-int (RFC 7616 §3.3).'],
    ['/digest-auth/AUTH/user/passwd', 'qop must be auth or auth-int (RFC 7616 §3.3).'],
    [
      '/digest-auth/auth/user/passwd/SHA-1',
      'algorithm must be MD5, SHA-256 or SHA-512-256, optionally with -sess (RFC 7616 §3.2), or httpbin’s SHA-512.',
    ],
    [
      '/digest-auth/auth/user/passwd/MD5/soon',
      'stale_after must be "never" or a number of requests from 0 to 1000.',
    ],
    [
      '/digest-auth/auth/user/passwd/MD5/1001',
      'stale_after must be "never" or a number of requests from 0 to 1000.',
    ],
    [
      `/digest-auth/auth/${'u'.repeat(257)}/passwd`,
      'The user and password in the path must be 1-256 characters.',
    ],
  ])('refuses %s with 400 parameter_invalid', async (path, detail) => {
    const res = await ctx.http().get(path);
    expectProblem(res, { status: 400, code: 'parameter_invalid', challenge: null });
    expect(res.body.detail).toBe(detail);
  });

  it('spells the algorithm as RFC 7616 does, whatever case the path uses', async () => {
    const res = await ctx.http().get('/digest-auth/auth/user/passwd/sha-512-256-SESS');
    expectProblem(res, { status: 401, code: 'digest_credentials_missing' });
    expect(res.headers['www-authenticate']).toContain('algorithm=SHA-512-256-sess,');
  });

  it('serves GET and HEAD only', async () => {
    const res = await ctx.http().put('/digest-auth/auth/user/passwd');
    expectProblem(res, { status: 405, code: 'method_not_allowed' });
  });

  it('refuses a body over 8 KiB with 413 before judging it', async () => {
    const res = await ctx
      .http()
      .get('/digest-auth/auth-int/user/passwd/MD5')
      .set('Content-Type', 'text/plain')
      .send('x'.repeat(9000));
    expectProblem(res, { status: 413, code: 'body_too_large' });
  });
});

describe('the Digest routes’ per-address limit', () => {
  it('answers 429 rate_limited after DIGEST_MAX_REQUESTS_PER_MINUTE requests a minute from one address', async () => {
    const ctx = buildApp({ env: { DIGEST_MAX_REQUESTS_PER_MINUTE: '7' } });
    for (let i = 0; i < 7; i++) {
      expect((await ctx.http().get('/digest-auth/auth/user/passwd')).status).toBe(401);
    }
    const res = await ctx.http().get('/digest-auth/auth/user/passwd');
    expectProblem(res, { status: 429, code: 'rate_limited' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    ctx.clock.advance(60_000);
    expect((await ctx.http().get('/digest-auth/auth/user/passwd')).status).toBe(401);
  });
});

describe('GET /bearer (httpbin’s lenient Bearer)', () => {
  const ctx = buildApp();

  it.each([
    ['abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
  ])('takes any token: %j', async (token, echoed) => {
    const header = token.includes(' ') ? token : `Bearer ${token}`;
    const res = await ctx.http().get('/bearer').set('Authorization', header);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ authenticated: true, token: echoed });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it.each([
    ['no header', undefined, 401, 'token_missing', BEARER],
    ['Basic credentials', `Basic ${b64('user:passwd')}`, 401, 'auth_scheme_unsupported', BEARER],
    ['the scheme alone', 'Bearer', 400, 'authorization_malformed', BEARER_INVALID_REQUEST],
    ['two tokens', 'Bearer x y', 400, 'authorization_malformed', BEARER_INVALID_REQUEST],
  ] as const)('refuses %s', async (_name, header, status, code, challenge) => {
    const req = ctx.http().get('/bearer');
    const res = await (header === undefined ? req : req.set('Authorization', header));
    expectProblem(res, { status, code, challenge });
  });
});

describe('GET /bearer-or-basic (multiple challenges)', () => {
  const ctx = buildApp();
  const get = (header?: string) => {
    const req = ctx.http().get('/bearer-or-basic');
    return header === undefined ? req : req.set('Authorization', header);
  };

  it.each([
    ['no credentials', undefined, 401, 'credentials_missing', BOTH],
    ['an unknown scheme', 'Token abc', 401, 'credentials_missing', BOTH],
    [
      'a wrong password',
      `Basic ${b64('my_username:nope')}`,
      401,
      'basic_credentials_invalid',
      BOTH,
    ],
    [
      'an unknown user',
      `Basic ${b64('nobody:my_password')}`,
      401,
      'basic_credentials_invalid',
      BOTH,
    ],
    ['a broken Basic header', 'Basic ***', 400, 'basic_malformed', null],
    [
      'a broken Bearer header',
      'Bearer a b',
      400,
      'authorization_malformed',
      BEARER_INVALID_REQUEST,
    ],
  ] as const)('answers %s with %i %s', async (_name, header, status, code, challenge) => {
    expectProblem(await get(header), { status, code, challenge });
  });

  it('keeps a refused token’s error beside the Basic challenge', async () => {
    const token = ctx.token({ expiresIn: 1 });
    ctx.clock.advance(60_000);
    const res = await get(`Bearer ${token}`);
    expectProblem(res, {
      status: 401,
      code: 'token_expired',
      challenge: `Bearer realm="four-oh-one", error="invalid_token", error_description="Access token expired", ${METADATA}, ${BASIC}`,
    });
  });

  it('lets the demo user in with Basic, and a token holder with Bearer', async () => {
    const basic = await get(`Basic ${b64('my_username:my_password')}`);
    expect(basic.status).toBe(200);
    expect(basic.body).toEqual({ authenticated: true, scheme: 'Basic', user: 'my_username' });
    const bearer = await get(`bearer ${ctx.token()}`);
    expect(bearer.status).toBe(200);
    expect(bearer.body).toEqual({ authenticated: true, scheme: 'Bearer', sub: 'test-user' });
  });

  it('never answers 5xx, whatever the header holds (property)', async () => {
    const headerChar = fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c));
    const text = fc.string({ unit: headerChar, maxLength: 120 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          text,
          text.map((s) => `Basic ${s}`),
          text.map((s) => `Bearer ${s}`),
          text.map((s) => `Basic ${b64(s)}`),
        ),
        async (header) => {
          const res = await get(header);
          expect([400, 401]).toContain(res.status);
          if (res.status === 401) expect(res.headers['www-authenticate']).toContain(BASIC);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('GET /api-key/:key (X-API-Key)', () => {
  const ctx = buildApp();
  const path = '/api-key/k-123';

  it.each([
    ['no header', undefined, 'api_key_header_missing'],
    ['an empty header', '', 'api_key_header_missing'],
    ['a wrong key', 'k-124', 'api_key_header_invalid'],
    ['the key of another path', 'k-12', 'api_key_header_invalid'],
  ] as const)('answers %s with 401 %s', async (_name, key, code) => {
    const req = ctx.http().get(path);
    const res = await (key === undefined ? req : req.set('X-API-Key', key));
    expectProblem(res, { status: 401, code, challenge: API_KEY });
  });

  it('takes the key in a header of any case, and refuses two keys', async () => {
    expect((await ctx.http().get(path).set('x-api-key', 'k-123')).status).toBe(200);
    const two = await ctx
      .http()
      .get(path)
      .set('X-API-Key', ['k-123', 'k-123'] as unknown as string); // two header lines
    expectProblem(two, { status: 401, code: 'api_key_header_invalid', challenge: API_KEY });
  });

  it('does not take the key from Authorization', async () => {
    const res = await ctx.http().get(path).set('Authorization', 'Bearer k-123');
    expectProblem(res, { status: 401, code: 'api_key_header_missing', challenge: API_KEY });
  });
});

describe('/status/:code', () => {
  const ctx = buildApp();

  it.each([200, 201, 202, 204, 206, 299])('answers %i with an empty body', async (code) => {
    const res = await ctx.http().get(`/status/${code}`);
    expect(res.status).toBe(code);
    expect(res.text ?? '').toBe('');
    expect(res.headers.location).toBeUndefined();
  });

  it.each([301, 302, 303, 305, 307, 308])('answers %i with Location: /redirect/1', async (code) => {
    const res = await ctx.http().get(`/status/${code}`);
    expect(res.status).toBe(code);
    expect(res.headers.location).toBe('/redirect/1');
  });

  it.each([300, 304])('answers %i without a Location', async (code) => {
    const res = await ctx.http().get(`/status/${code}`);
    expect(res.status).toBe(code);
    expect(res.headers.location).toBeUndefined();
  });

  it('answers 401 with a Basic challenge, and 407 with Proxy-Authenticate instead', async () => {
    expectProblem(await ctx.http().get('/status/401'), {
      status: 401,
      code: 'status_unauthorized',
      challenge: BASIC,
    });
    const proxy = await ctx.http().get('/status/407');
    expectProblem(proxy, { status: 407, code: 'proxy_auth_required', challenge: null });
    expect(proxy.headers['proxy-authenticate']).toBe(BASIC);
  });

  it('answers 418 with httpbin’s teapot', async () => {
    const res = await ctx.http().get('/status/418');
    expect(res.status).toBe(418);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['x-more-info']).toBe('http://tools.ietf.org/html/rfc2324');
    expect(res.text).toContain('-=[ teapot ]=-');
  });

  it.each([400, 402, 403, 404, 405, 429, 451, 500, 502, 503, 599])(
    'answers %i as a problem whose status is %i',
    async (code) => {
      const res = await ctx.http().get(`/status/${code}`);
      expectProblem(res, { status: code, code: 'status_requested', challenge: null });
      expect(res.body).toMatchObject({
        status: code,
        title: 'Status requested',
        // Nothing was refused, so nothing is explained: the occurrence is the request's URN.
        instance: `urn:uuid:${res.headers['x-request-id']}`,
      });
      expect(res.body.detail).toMatch(new RegExp(`^You asked for ${code}\\b`));
    },
  );

  it.each(['100', '199', '600', '99', '1000', 'abc', '200,201', '2e2', '+200', '%20200'])(
    'refuses %j with 400 parameter_invalid',
    async (code) => {
      expectProblem(await ctx.http().get(`/status/${code}`), {
        status: 400,
        code: 'parameter_invalid',
        challenge: null,
      });
    },
  );

  it.each(['post', 'put', 'patch', 'delete', 'head'] as const)('serves %s', async (method) => {
    const res = await ctx.http()[method]('/status/503');
    expect(res.status).toBe(503);
  });

  it('follows /status/302 through /redirect/1 to /status/200', async () => {
    const res = await ctx.http().get('/status/302').redirects(5);
    expect(res.status).toBe(200);
    expect(res.redirects.map((u) => new URL(u).pathname)).toEqual(['/redirect/1', '/status/200']);
  });

  it.each([
    ['/redirect/3', 302, '/redirect/2'],
    ['/redirect/1', 302, '/status/200'],
  ])('%s answers %i to %s', async (path, status, location) => {
    const res = await ctx.http().get(path);
    expect(res.status).toBe(status);
    expect(res.headers.location).toBe(location);
  });

  it.each(['/redirect/0', '/redirect/11', '/redirect/x'])('%s is 400', async (path) => {
    expectProblem(await ctx.http().get(path), { status: 400, code: 'parameter_invalid' });
  });
});

// --- Real clients against a real listening server -----------------------------------------------

const CI = process.env.CI === 'true';
/** A clean environment: no proxy may come between the clients and 127.0.0.1. */
const CLIENT_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  LANG: 'C.UTF-8',
  NO_PROXY: '*',
  no_proxy: '*',
};

const curlVersion = (() => {
  const r = spawnSync('curl', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const m = r.status === 0 ? /^curl (\d+)\.(\d+)\.(\d+)/.exec(r.stdout) : null;
  return m ? m.slice(1, 4).map(Number) : undefined;
})();
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const pythonVersion = (() => {
  const r = spawnSync(PYTHON, ['-c', 'import requests; print(requests.__version__)'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return r.status === 0 ? r.stdout.trim() : undefined;
})();
for (const [what, found] of [
  [`curl`, curlVersion !== undefined],
  [`${PYTHON} with requests`, pythonVersion !== undefined],
] as const) {
  if (!found && !CI) {
    console.warn(
      `\n*** WARNING: no ${what}: the classic routes' real-client tests are SKIPPED. Set PYTHON to an interpreter with requests (Debian: apt-get install python3-requests). Under CI=true they fail instead. ***\n`,
    );
  }
}
const itIfCurl = curlVersion !== undefined || CI ? it : it.skip;
const itIfPython = pythonVersion !== undefined || CI ? it : it.skip;
/** wget speaks Digest with MD5 only: optional, the test runs where it is installed. */
const wgetFound = spawnSync('wget', ['--version'], { timeout: 10_000 }).status === 0;
const itIfWget = wgetFound ? it : it.skip;

function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: CLIENT_ENV, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('real clients against a listening server', () => {
  const ctx = buildApp();
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer(ctx.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** curl with the status code on the last line of stdout, and -v's request lines on stderr. */
  async function curl(...args: string[]) {
    const r = await run('curl', ['-sS', '-v', '-w', '\n%{http_code}', ...args]);
    const lines = r.stdout.split('\n');
    const status = Number(lines.pop());
    const sent = r.stderr.split('\n').filter((l) => l.startsWith('> Authorization:'));
    return { status, body: lines.join('\n'), sent, code: r.code };
  }
  const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

  describe(`curl ${curlVersion?.join('.') ?? '(missing)'}`, () => {
    itIfCurl.each(['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'])(
      '--digest answers the %s challenge',
      async (algorithm) => {
        const r = await curl(
          '--digest',
          '-u',
          'user:passwd',
          `${base}/digest-auth/auth/user/passwd/${algorithm}`,
        );
        expect(r.status).toBe(200);
        expect(json(r.body)).toEqual({ authenticated: true, user: 'user' });
        expect(r.sent.at(-1)).toContain(`algorithm=${algorithm}`);
      },
    );

    itIfCurl('--digest moves from a SHA-256 route to an MD5 route in one run', async () => {
      const r = await run('curl', [
        '-sS',
        '--digest',
        '-u',
        'user:passwd',
        '-w',
        ' %{http_code}\n',
        `${base}/digest-auth/auth/user/passwd/SHA-256`,
        `${base}/digest-auth/auth/user/passwd/MD5`,
      ]);
      expect(r.stdout.match(/ (\d{3})$/gm)).toEqual([' 200', ' 200']);
    });

    itIfCurl('--digest answers qop=auth-int', async () => {
      const r = await curl(
        '--digest',
        '-u',
        'user:passwd',
        `${base}/digest-auth/auth-int/user/passwd/SHA-256`,
      );
      expect(r.status).toBe(200);
      expect(r.sent.at(-1)).toContain('qop=auth-int');
    });

    itIfCurl(
      '--digest picks SHA-256, the first of three challenges in their own fields',
      async () => {
        const r = await curl(
          '--digest',
          '-u',
          'user:passwd',
          `${base}/digest-auth/auth/user/passwd`,
        );
        expect(r.status).toBe(200);
        expect(r.sent.at(-1)).toContain('algorithm=SHA-256');
      },
    );

    itIfCurl('--digest with SHA-512-256: right from curl 8.8, SHA-256 hashes before', async () => {
      const r = await curl(
        '--digest',
        '-u',
        'user:passwd',
        `${base}/digest-auth/auth/user/passwd/SHA-512-256`,
      );
      const [major = 0, minor = 0] = curlVersion ?? [];
      if (major > 8 || (major === 8 && minor >= 8)) {
        expect(r.status).toBe(200);
      } else {
        // curl 7.57-8.7 computes "SHA-512-256" with plain SHA-256: a correct server must refuse it.
        expect(r.status).toBe(401);
        expect(json(r.body).code).toBe('digest_credentials_invalid');
      }
    });

    itIfCurl('--digest with a wrong password gets the problem body', async () => {
      const r = await curl(
        '--digest',
        '-u',
        'user:wrong',
        `${base}/digest-auth/auth/user/passwd/MD5`,
      );
      expect(r.status).toBe(401);
      expect(json(r.body).code).toBe('digest_credentials_invalid');
    });

    itIfCurl('-u sends Basic, in UTF-8 too', async () => {
      const plain = await curl('-u', 'user:passwd', `${base}/basic-auth/user/passwd`);
      expect(plain.status).toBe(200);
      const utf8 = await curl(
        '-u',
        'Jürgen:pässwort',
        `${base}/basic-auth/J%C3%BCrgen/p%C3%A4sswort`,
      );
      expect(utf8.status).toBe(200);
      expect(json(utf8.body).user).toBe('Jürgen');
      expect((await curl('-u', 'user:wrong', `${base}/basic-auth/user/passwd`)).status).toBe(401);
    });

    itIfCurl('-u opens the hidden resource, which is a 404 without it', async () => {
      expect(
        (await curl('-u', 'user:passwd', `${base}/hidden-basic-auth/user/passwd`)).status,
      ).toBe(200);
      expect((await curl(`${base}/hidden-basic-auth/user/passwd`)).status).toBe(404);
    });

    itIfCurl('--oauth2-bearer reaches /bearer; -L follows /status/302 to a 200', async () => {
      const bearer = await curl('--oauth2-bearer', 'abc', `${base}/bearer`);
      expect(json(bearer.body)).toEqual({ authenticated: true, token: 'abc' });
      expect((await curl('-L', `${base}/status/302`)).status).toBe(200);
      expect((await curl(`${base}/status/407`)).status).toBe(407);
    });
  });

  describe('wget (Digest with MD5 only)', () => {
    itIfWget('on a SHA-256 route gets 401 with that route’s challenge, not a 400', async () => {
      const uri = `${base}/digest-auth/auth/user/passwd/SHA-256`;
      const r = await run('wget', ['-S', '-O', '-', '--user=user', '--password=passwd', uri]);
      expect(r.code).toBe(6); // wget: "Username/Password Authentication Failed."
      const statuses = r.stderr.match(/HTTP\/1\.1 (\d{3})/g);
      expect(statuses).toEqual(['HTTP/1.1 401', 'HTTP/1.1 401']);
      expect(r.stderr).toMatch(/WWW-Authenticate: Digest [^\n]*algorithm=SHA-256/);
    });

    itIfWget('on an MD5 route gets in', async () => {
      const uri = `${base}/digest-auth/auth/user/passwd/MD5`;
      const r = await run('wget', ['-q', '-O', '-', '--user=user', '--password=passwd', uri]);
      expect(r.code).toBe(0);
      expect(json(r.stdout)).toEqual({ authenticated: true, user: 'user' });
    });
  });

  describe(`Python requests ${pythonVersion ?? '(missing)'}`, () => {
    const SCRIPT = String.raw`
import json, sys
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

base = sys.argv[1]
results = {}

def code(r):
    return r.json().get('code') if 'json' in r.headers.get('content-type', '') else None

def record(name, call):
    try:
        r = call()
        body = r.json() if 'json' in r.headers.get('content-type', '') else r.text
        results[name] = {'status': r.status_code, 'body': body,
                         'history': [h.status_code for h in r.history],
                         'history_codes': [code(h) for h in r.history]}
    except Exception as e:
        results[name] = {'error': type(e).__name__}

def get(path, **kw):
    return lambda: requests.get(base + path, timeout=10, **kw)

for alg in ['MD5', 'MD5-sess', 'SHA-256', 'SHA-512', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess']:
    record('digest ' + alg, get('/digest-auth/auth/user/passwd/' + alg, auth=HTTPDigestAuth('user', 'passwd')))
record('digest default', get('/digest-auth/auth/user/passwd', auth=HTTPDigestAuth('user', 'passwd')))
record('digest auth-int', get('/digest-auth/auth-int/user/passwd/MD5', auth=HTTPDigestAuth('user', 'passwd')))
record('digest wrong password', get('/digest-auth/auth/user/passwd/MD5', auth=HTTPDigestAuth('user', 'wrong')))
record('digest latin-1 user', get('/digest-auth/auth/J%C3%BCrgen/p%C3%A4sswort/SHA-256', auth=HTTPDigestAuth('Jürgen', 'pässwort')))
session = requests.Session()
session.auth = HTTPDigestAuth('user', 'passwd')
for i in range(4):
    record('digest session %d' % i, lambda: session.get(base + '/digest-auth/auth/user/passwd/SHA-256/2', timeout=10))
across = requests.Session()
across.auth = HTTPDigestAuth('user', 'passwd')
for i, alg in enumerate(['SHA-256', 'MD5', 'SHA-256']):
    record('digest across routes %d' % i, lambda: across.get(base + '/digest-auth/auth/user/passwd/' + alg, timeout=10))
record('basic', get('/basic-auth/user/passwd', auth=HTTPBasicAuth('user', 'passwd')))
record('basic tuple', get('/basic-auth/user/passwd', auth=('user', 'passwd')))
record('basic wrong', get('/basic-auth/user/passwd', auth=('user', 'wrong')))
record('basic latin-1', get('/basic-auth/J%C3%BCrgen/p%C3%A4sswort', auth=('Jürgen', 'pässwort')))
record('basic utf-8', get('/basic-auth/J%C3%BCrgen/p%C3%A4sswort', auth=('Jürgen'.encode(), 'pässwort'.encode())))
record('hidden', get('/hidden-basic-auth/user/passwd', auth=('user', 'passwd')))
record('hidden without auth', get('/hidden-basic-auth/user/passwd'))
record('bearer-or-basic', get('/bearer-or-basic', auth=('my_username', 'my_password')))
record('bearer', get('/bearer', headers={'Authorization': 'Bearer abc'}))
record('api key', get('/api-key/k', headers={'X-API-Key': 'k'}))
record('status 302', get('/status/302'))
record('status 401', get('/status/401'))
record('status 407', get('/status/407'))
record('status 418', get('/status/418'))
print(json.dumps(results))
`;
    type Result = {
      status?: number;
      body?: unknown;
      history?: number[];
      history_codes?: (string | null)[];
      error?: string;
    };
    let results: Record<string, Result>;

    beforeAll(async () => {
      if (pythonVersion === undefined && !CI) return;
      const r = await run(PYTHON, ['-c', SCRIPT, base]);
      if (r.code !== 0) throw new Error(`python failed (${r.code}):\n${r.stderr}`);
      results = JSON.parse(r.stdout) as Record<string, Result>;
    }, 30_000);

    const OK = { status: 200, body: { authenticated: true, user: 'user' } };

    itIfPython.each(['MD5', 'MD5-sess', 'SHA-256', 'SHA-512'])(
      'HTTPDigestAuth answers the %s challenge',
      (algorithm) => {
        expect(results[`digest ${algorithm}`]).toMatchObject({ ...OK, history: [401] });
      },
    );

    itIfPython(
      'HTTPDigestAuth answers one of three challenges when the path names no algorithm',
      () => {
        expect(results['digest default']).toMatchObject({ ...OK, history: [401] });
      },
    );

    itIfPython.each(['SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess', 'auth-int'])(
      'HTTPDigestAuth either answers %s or fails in the client, never with a server error',
      (name) => {
        // requests 2.28-2.32 implement MD5(-sess), SHA-256 and SHA-512 with qop=auth only; for
        // anything else build_digest_header returns None and requests raises TypeError itself.
        const r = results[`digest ${name}`] as Result;
        if (r.error === undefined) expect(r).toMatchObject(OK);
        else expect(r.error).toBe('TypeError');
      },
    );

    itIfPython('HTTPDigestAuth gives up after one retry with a wrong password', () => {
      const r = results['digest wrong password'] as Result;
      expect(r).toMatchObject({ status: 401, history: [401] });
      expect(r.body).toMatchObject({ code: 'digest_credentials_invalid' });
    });

    itIfPython('HTTPDigestAuth sends a latin-1 user name that still matches', () => {
      expect(results['digest latin-1 user']).toMatchObject({
        status: 200,
        body: { authenticated: true, user: 'Jürgen' },
      });
    });

    itIfPython(
      'a Session reuses the nonce, and retries on its own when stale_after ends it',
      () => {
        const runs = [0, 1, 2, 3].map((i) => results[`digest session ${i}`] as Result);
        expect(runs.map((r) => r.status)).toEqual([200, 200, 200, 200]);
        // 1st: challenge, then answer; 2nd: nc=2 sent unasked; 3rd: nc=3 is stale, new nonce; 4th: nc=2.
        expect(runs.map((r) => r.history)).toEqual([[401], [], [401], []]);
      },
    );

    itIfPython(
      'a Session moving between SHA-256 and MD5 routes gets a fresh challenge, not a 400',
      () => {
        const runs = [0, 1, 2].map((i) => results[`digest across routes ${i}`] as Result);
        expect(runs.map((r) => r.status)).toEqual([200, 200, 200]);
        // 1st: challenge, then answer. 2nd and 3rd: the Session answers the previous route's
        // challenge unasked, with its algorithm; the 401 brings this route's, which it answers.
        expect(runs.map((r) => r.history)).toEqual([[401], [401], [401]]);
        expect(runs.map((r) => r.history_codes)).toEqual([
          ['digest_credentials_missing'],
          ['digest_not_offered'],
          ['digest_not_offered'],
        ]);
      },
    );

    itIfPython('HTTPBasicAuth works as against httpbin, latin-1 and UTF-8 alike', () => {
      expect(results.basic).toMatchObject({ ...OK, history: [] });
      expect(results['basic tuple']).toMatchObject(OK);
      expect(results['basic wrong']).toMatchObject({
        status: 401,
        body: { code: 'basic_credentials_invalid' },
      });
      for (const name of ['basic latin-1', 'basic utf-8']) {
        expect(results[name]).toMatchObject({
          status: 200,
          body: { authenticated: true, user: 'Jürgen' },
        });
      }
      expect(results.hidden).toMatchObject(OK);
      expect(results['hidden without auth']).toMatchObject({ status: 404 });
      expect(results['bearer-or-basic']).toMatchObject({
        status: 200,
        body: { user: 'my_username' },
      });
    });

    itIfPython('the rest answers as httpbin’s, with problem bodies for errors', () => {
      expect(results.bearer).toMatchObject({
        status: 200,
        body: { authenticated: true, token: 'abc' },
      });
      expect(results['api key']).toMatchObject({ status: 200, body: { authenticated: true } });
      expect(results['status 302']).toMatchObject({ status: 200, history: [302, 302] });
      expect(results['status 401']).toMatchObject({
        status: 401,
        body: { code: 'status_unauthorized' },
      });
      expect(results['status 407']).toMatchObject({
        status: 407,
        body: { code: 'proxy_auth_required' },
      });
      expect(results['status 418']).toMatchObject({ status: 418 });
      expect(String(results['status 418']?.body)).toContain('teapot');
    });
  });
});
