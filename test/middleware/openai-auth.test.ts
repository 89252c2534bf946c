import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { openaiAuth } from '../../middleware/openai-auth';
import { requestId } from '../../middleware/request-id';
import { problemHandler } from '../../src/http/problems';
import type { Verdict } from '../../src/tokens/verify';
import { check, get, type Send, withBearer } from './check';

/** The default DEMO_OPENAI_KEY. */
const KEY = 'sk-demo-four-oh-one';
const METADATA = 'resource_metadata="http://x/m"';
const NO_CREDENTIALS = `Bearer realm="four-oh-one", ${METADATA}`;
const invalidToken = (description: string) =>
  `Bearer realm="four-oh-one", error="invalid_token", error_description="${description}", ${METADATA}`;

/** A verifier that accepts "a.b.ok" and refuses any other JWT as expired. */
const verified: string[] = [];
async function verify(token: string): Promise<Verdict> {
  verified.push(token);
  if (token === 'a.b.ok') {
    return { ok: true, claims: { sub: 'alice' } as never, kid: 'k1' };
  }
  return {
    ok: false,
    code: 'token_expired',
    detail: 'The token expired.',
    check: 'exp: not expired',
  };
}
const guard = openaiAuth({ verify, apiKey: KEY, resourceMetadata: 'http://x/m' });

describe('openaiAuth() with only itself in the app', () => {
  beforeEach(() => {
    verified.length = 0;
  });

  it('lets the API key through without verifying it as a token', async () => {
    const res = await check(guard, withBearer(KEY), { status: 200 });
    expect(res.body.locals.auth).toBeUndefined();
    expect(verified).toEqual([]);
  });

  it('lets through an access token the verifier accepts, as the caller', async () => {
    const res = await check(guard, withBearer('a.b.ok'), { status: 200 });
    expect(res.body.locals.auth).toEqual({ claims: { sub: 'alice' }, kid: 'k1' });
  });

  it.each([
    {
      name: 'no key',
      send: get,
      code: 'token_missing',
      challenge: NO_CREDENTIALS,
      detail: /^You didn't provide an API key\./,
    },
    {
      name: 'another scheme',
      send: ((a) => a.get('/').set('Authorization', `Basic ${KEY}`)) as Send,
      code: 'auth_scheme_unsupported',
      challenge: NO_CREDENTIALS,
      detail: /not with the Basic scheme\.$/,
    },
    {
      name: 'a key that is no JWT',
      send: withBearer('sk-wrong'),
      code: 'api_key_invalid',
      challenge: invalidToken('API key is invalid'),
      detail: /^The key is neither the API key nor an access token/,
    },
    {
      name: 'a JWT the verifier refuses',
      send: withBearer('a.b.c'),
      code: 'token_expired',
      challenge: invalidToken('Access token expired'),
      detail: /^The token expired\.$/,
    },
  ])('refuses $name with 401 $code', async ({ send, code, challenge, detail }) => {
    const res = await check(guard, send, {
      status: 401,
      code,
      headers: { 'WWW-Authenticate': challenge },
    });
    expect(res.body.detail).toMatch(detail);
  });

  it('verifies only what is shaped like a JWT', async () => {
    await check(guard, withBearer('sk-wrong'), { status: 401, code: 'api_key_invalid' });
    expect(verified).toEqual([]);
  });

  it('reads how the key is presented as the strict Bearer guard does', async () => {
    await check(guard, withBearer('x y'), { status: 400, code: 'authorization_malformed' });
    await check(guard, (a) => a.get(`/?access_token=${KEY}`), {
      status: 401,
      code: 'token_in_query_refused',
      headers: { 'WWW-Authenticate': NO_CREDENTIALS },
    });
    await check(
      guard,
      (a) => a.get(`/?access_token=${KEY}`).set('Authorization', `Bearer ${KEY}`),
      {
        status: 400,
        code: 'token_multiple_methods',
      },
    );
  });
});

describe('openaiAuth()', () => {
  const verify = async () => ({
    ok: false as const,
    code: 'token_malformed' as const,
    detail: '',
  });

  it('throws at once on a bad option', () => {
    expect(() => openaiAuth({ verify: undefined as never, apiKey: KEY })).toThrow(TypeError);
    expect(() => openaiAuth({ verify, apiKey: '' })).toThrow(TypeError);
    expect(() => openaiAuth({ verify, apiKey: 'has space' })).toThrow(/DEMO_OPENAI_KEY.*b64token/);
  });

  it('names no resource metadata when given none', async () => {
    const app = express();
    app.use(requestId());
    app.get('/v1/x', openaiAuth({ verify, apiKey: KEY }), (_req, res) => {
      res.end('ok');
    });
    app.use(problemHandler(pino({ level: 'silent' })));
    const missing = await request(app).get('/v1/x');
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="four-oh-one"');
    const wrong = await request(app).get('/v1/x').set('Authorization', 'Bearer a.b.c');
    expect(wrong.headers['www-authenticate']).toBe(
      'Bearer realm="four-oh-one", error="invalid_token", error_description="Access token is not a well-formed JWT"',
    );
    expect(wrong.body.error.message).toMatch(/^Invalid Token \(request id: /);
    const ok = await request(app).get('/v1/x').set('Authorization', `Bearer ${KEY}`);
    expect(ok.text).toBe('ok');
  });
});
