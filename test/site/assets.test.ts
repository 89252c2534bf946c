import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request, { type Response } from 'supertest';
import { createCorsDemoApp } from '../../src/cors-demo';
import { PUBLIC_DIR, SITE_ASSETS, type AssetUrl } from '../../src/site/assets';
import { statusClass } from '../../src/site/shared/status-class';
import { buildApp, expectProblem } from '../helpers';

/** The bytes `npm run build` wrote for an asset. */
function built(url: AssetUrl): Buffer {
  return readFileSync(join(PUBLIC_DIR, SITE_ASSETS[url].file));
}

/** The body as bytes, whatever supertest made of its type. */
function bytes(res: Response): Buffer {
  return Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.text ?? '');
}

/** A strong validator: a quoted hash, no W/ prefix. */
const STRONG_ETAG = /^"[A-Za-z0-9_-]{43}"$/;

beforeAll(() => {
  for (const url of Object.keys(SITE_ASSETS) as AssetUrl[]) {
    const file = join(PUBLIC_DIR, SITE_ASSETS[url].file);
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build (npm test does)`);
  }
});

describe('the site assets on the API', () => {
  const ctx = buildApp();

  it.each([
    ['/playground.js', 'text/javascript; charset=utf-8', 'public, no-cache'],
    ['/shared/status-class.js', 'text/javascript; charset=utf-8', 'public, no-cache'],
    ['/playground.css', 'text/css; charset=utf-8', 'public, no-cache'],
    ['/favicon.ico', 'image/svg+xml; charset=utf-8', 'public, max-age=86400'],
    ['/docs.css', 'text/css; charset=utf-8', 'public, no-cache'],
    ['/docs.js', 'text/javascript; charset=utf-8', 'public, no-cache'],
  ] as const)('serves %s as %s, cached with %s', async (url, type, cacheControl) => {
    const res = await ctx.http().get(url).expect(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe(cacheControl);
    expect(res.headers['etag']).toMatch(STRONG_ETAG);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(bytes(res).equals(built(url))).toBe(true);

    const again = await ctx
      .http()
      .get(url)
      .set('If-None-Match', res.headers['etag'] ?? '');
    expect(again.status).toBe(304);
    expect(again.headers['etag']).toBe(res.headers['etag']);
    expect(again.headers['cache-control']).toBe(cacheControl);
    expect(bytes(again)).toHaveLength(0);

    const stale = await ctx.http().get(url).set('If-None-Match', '"something-else"');
    expect(stale.status).toBe(200);

    const head = await ctx.http().head(url).expect(200);
    expect(head.headers['etag']).toBe(res.headers['etag']);
  });

  it('answers other methods on an asset 405, as on every route', async () => {
    expectProblem(await ctx.http().post('/playground.css'), {
      status: 405,
      code: 'method_not_allowed',
    });
  });

  it('gives /docs its additions as files, and no style attribute or inline script', async () => {
    const res = await ctx.http().get('/docs/').expect(200);
    expect(res.text).toContain("<link href='/docs.css' rel='stylesheet'>");
    expect(res.text).toContain("<script src='/docs.js'></script>");
    expect(res.text).not.toMatch(/\.topbar \{ display: none \}/);
    expect(res.text).not.toMatch(/<script(?![^>]*\ssrc=)/);
  });

  it('serves nothing else from the build', async () => {
    const res = await ctx.http().get('/shared/cors-demo-data.js');
    expect(res.status).toBe(404);
    expect((await ctx.http().get('/browser/playground.js')).status).toBe(404);
  });

  it('names its stylesheet on every page, and no page carries a style or script of its own', async () => {
    const refused = await ctx.http().get('/api/v1/data').expect(401);
    const pages = [
      '/',
      '/playground',
      '/problems',
      '/problems/token_expired',
      '/sources',
      `/explain/${refused.headers['x-explanation-id']}`,
    ];
    for (const path of pages) {
      const res = await ctx.http().get(path).set('Accept', 'text/html');
      expect({ path, status: res.status, type: res.headers['content-type'] }).toEqual({
        path,
        status: 200,
        type: 'text/html; charset=utf-8',
      });
      expect(res.text).toContain('<link rel="stylesheet" href="/playground.css" />');
      expect(res.text).toContain('<link rel="icon" href="/favicon.ico" type="image/svg+xml" />');
      expect(res.text).not.toMatch(/<style|\sstyle=|<script(?![^>]*\ssrc=)/);
    }
  });
});

describe('the site assets on the CORS demo page’s server', () => {
  const demo = createCorsDemoApp({
    apiBase: 'http://127.0.0.1:3000',
    origins: [],
    user: { username: 'my_username', password: 'my_password' },
    tokens: async () => ({}),
  });

  it.each([
    ['/demo.js', 'text/javascript; charset=utf-8'],
    ['/playground.css', 'text/css; charset=utf-8'],
  ] as const)('serves %s as %s to any origin, its frame’s opaque one too', async (url, type) => {
    const res = await request(demo).get(url).expect(200);
    expect(res.headers['content-type']).toBe(type);
    // Not the no-store of its pages, which carry fresh tokens.
    expect(res.headers['cache-control']).toBe('public, no-cache');
    expect(res.headers['etag']).toMatch(STRONG_ETAG);
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(bytes(res).equals(built(url))).toBe(true);
    const again = await request(demo)
      .get(url)
      .set('If-None-Match', res.headers['etag'] ?? '');
    expect(again.status).toBe(304);
  });

  it('names them on the page and in the frame, which carry no style or script of their own', async () => {
    for (const path of ['/', '/frame']) {
      const res = await request(demo).get(path).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toContain('<link rel="stylesheet" href="/playground.css" />');
      expect(res.text).toContain('<script src="/demo.js"></script>');
      expect(res.text).not.toMatch(/<style|\sstyle=/);
      // Its one inline script element is data, which no CSP runs.
      const inline = res.text.match(/<script(?![^>]*\ssrc=)[^>]*>/g) ?? [];
      expect(inline.every((tag) => tag.includes('type="application/json"'))).toBe(true);
    }
  });

  it('serves the single-page app’s script and the modules it imports (its DPoP proofs, the JWT decoder)', async () => {
    const page = await request(demo).get('/oauth/').expect(200);
    expect(page.text).toContain('<script src="/oauth-demo.js" defer></script>');
    expect(page.text).not.toMatch(/<style|\sstyle=|<script(?![^>]*\ssrc=)/);
    const script = built('/oauth-demo.js').toString('utf8');
    for (const url of ['/oauth-demo.js', '/shared/dpop.js', '/shared/jwt.js'] as const) {
      const res = await request(demo).get(url).expect(200);
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(bytes(res).equals(built(url))).toBe(true);
      // Where import('../shared/…') leads from /oauth-demo.js.
      if (url !== '/oauth-demo.js') expect(script).toContain(`import('..${url}')`);
    }
  });
});

describe('statusClass, shared by the server’s pages and the playground’s script', () => {
  const css = built('/playground.css').toString('utf8');

  it.each([
    [200, 's2xx'],
    [204, 's2xx'],
    [301, 's3xx'],
    [400, 's400'],
    [401, 's401'],
    [407, 's401'],
    [403, 's403'],
    [404, 's404'],
    [405, 's404'],
    [409, 's400'],
    [429, 's429'],
    [500, 's5xx'],
    [503, 's5xx'],
  ])('gives %i the pill %s, which the stylesheet colours', (status, pill) => {
    expect(statusClass(status)).toBe(pill);
    expect(css).toMatch(new RegExp(`\\.${pill} \\{[^}]*background:`));
  });
});
