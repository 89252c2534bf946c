import express, { type RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import request from 'supertest';
import { recordHeaders, securityHeaders } from '../../middleware/security-headers';
import { buildApp } from '../helpers';

/** The headers an app with only this middleware and a 200 answer sends, in order, Date aside. */
async function headersOf(middleware: RequestHandler): Promise<[string, string][]> {
  const app = express();
  app.use(middleware);
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  const res = await request(app).get('/');
  expect(res.status).toBe(200);
  const raw = res.headers as Record<string, string>;
  return Object.entries(raw).filter(([name]) => !['date', 'etag'].includes(name));
}

describe('securityHeaders()', () => {
  const options: HelmetOptions[] = [
    {},
    {
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
      strictTransportSecurity: false,
    },
    { contentSecurityPolicy: false, crossOriginEmbedderPolicy: true, referrerPolicy: false },
  ];

  it.each(options)('sends exactly what helmet(%j) sends, in the same order', async (option) => {
    expect(await headersOf(securityHeaders(option))).toEqual(await headersOf(helmet(option)));
  });

  it('removes X-Powered-By, as helmet does', async () => {
    const app = express(); // x-powered-by on, Express's default
    app.use(securityHeaders());
    app.get('/', (_req, res) => {
      res.end();
    });
    const res = await request(app).get('/');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('throws at once for a per-request directive (a nonce), which cannot be worked out once', () => {
    const nonce = () => "'nonce-x'";
    expect(() =>
      securityHeaders({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", nonce] } } }),
    ).toThrow(/directive scriptSrc is per request/);
  });

  it('is what the app sends on a 200 and on a refusal', async () => {
    const ctx = buildApp();
    const expected = recordHeaders(
      helmet({
        contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
        strictTransportSecurity: false,
      }),
    ).headers;
    expect(expected.size).toBeGreaterThan(8);
    for (const res of [
      await ctx.http().get('/healthz'),
      await ctx.http().get('/api/v1/data'),
      await ctx.http().get('/no/such/path'),
    ]) {
      for (const [name, value] of expected)
        expect([name, res.headers[name.toLowerCase()]]).toEqual([name, value]);
    }
  });
});

describe('recordHeaders()', () => {
  it('throws when the middleware does not pass the request on', () => {
    expect(() => recordHeaders((_req, res) => res.setHeader('X-A', '1'))).toThrow(
      /did not pass the request on/,
    );
  });
});
