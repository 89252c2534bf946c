import { families, registryFor, registrySettings } from '../../src/scenarios';
import { ARTICLES } from '../../src/scenarios/sources';
import { buildApp, expectProblem } from '../helpers';

/** The JSON every non-browser client of GET / has always had, byte for byte. */
const HELLO = '{\n  "message": "Hello World!"\n}';

const BROWSER =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

describe('GET / (the front door)', () => {
  const ctx = buildApp({ env: { PUBLIC_URL: 'https://four-oh-one.example' } });

  describe.each([
    ['no Accept (a raw client)', undefined],
    ['curl', '*/*'],
    ['Python requests', '*/*'],
    ['the openai SDK', 'application/json'],
    ['a client that prefers JSON to HTML', 'application/json, text/html;q=0.5'],
    ['a client asking for something else', 'image/png'],
  ])('from %s', (_name, accept) => {
    it('answers the article’s JSON, byte for byte, and varies on Accept', async () => {
      let req = ctx.http().get('/');
      if (accept !== undefined) req = req.set('Accept', accept);
      const res = await req;
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.text).toBe(HELLO);
      expect(res.headers.vary).toMatch(/\bAccept\b/);
    });
  });

  describe('from a browser (Accept: text/html first)', () => {
    it.each([
      ['Chromium', BROWSER],
      ['curl -H', 'text/html'],
    ])('answers the landing page (%s), varying on Accept', async (_name, accept) => {
      const res = await ctx.http().get('/').set('Accept', accept);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers.vary).toMatch(/\bAccept\b/);
      expect(res.text).toContain('<h1>Every way an HTTP request ends in 401</h1>');
      expect(res.text).not.toContain('<script');
    });

    it('says what a 401 is and how it differs from 403, 407 and 429', async () => {
      const res = await ctx.http().get('/').set('Accept', BROWSER);
      for (const text of [
        '<strong>401 Unauthorized</strong>',
        '<code>WWW-Authenticate</code>',
        '<strong>403 Forbidden</strong>',
        '<strong>407 Proxy Authentication Required</strong>',
        '<strong>429 Too Many Requests</strong>',
      ]) {
        expect(res.text).toContain(text);
      }
    });

    it('links the playground, problems, docs, sources and the CORS demo on its real origin', async () => {
      const res = await ctx.http().get('/').set('Accept', BROWSER);
      for (const href of ['/playground', '/problems', '/docs/', '/sources']) {
        expect(res.text).toContain(`class="door" href="${href}"`);
      }
      expect(res.text).toContain('class="door" href="https://four-oh-one.example:3001/"');
      // The site header: the brand leads home, and Home and Sources are in the navigation.
      expect(res.text).toContain('<a class="brand" href="/">');
      expect(res.text).toMatch(/<nav aria-label="Site">\s*<a href="\/">Home<\/a>/);
      expect(res.text).toContain('<a href="/sources">Sources</a>');
    });

    it('shows every family with its scenario count from the registry', async () => {
      const res = await ctx.http().get('/').set('Accept', BROWSER);
      const registry = registryFor(registrySettings(ctx.config));
      for (const [id, f] of Object.entries(families)) {
        const n = registry.filter((s) => s.family === id).length;
        expect(res.text).toContain(`<a href="/playground#family-${id}">${f.title}</a>`);
        expect(res.text).toMatch(
          new RegExp(`family-${id}">[^<]*</a></h3>\\s*<p class="count">\\s*<strong>${n}</strong>`),
        );
      }
      expect(res.text).toContain(`${registry.length} scenarios in all`);
    });

    it('names the curl a program would use, on the configured origin', async () => {
      const res = await ctx.http().get('/').set('Accept', BROWSER);
      expect(res.text).toContain('$ curl https://four-oh-one.example/');
    });
  });

  it('says where the demo page is off when CORS_DEMO_PORT=0', async () => {
    const off = buildApp({ env: { CORS_DEMO_PORT: '0' } });
    const res = await off.http().get('/').set('Accept', 'text/html');
    expect(res.text).not.toContain('<strong>CORS demo</strong>');
    expect(res.text).toContain('The CORS demo page is off (CORS_DEMO_PORT=0)');
  });

  it('still answers other methods 405, whatever the Accept', async () => {
    const res = await ctx.http().post('/').set('Accept', 'text/html');
    expectProblem(res, { status: 405, code: 'method_not_allowed', challenge: null });
  });
});

describe('GET /sources', () => {
  const ctx = buildApp();

  it('names both articles by their titles, in Chinese and in English', async () => {
    const res = await ctx.http().get('/sources');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain(
      `<h2 id="http-401-explained"><span lang="zh-CN">401 HTTP错误码详解</span></h2>`,
    );
    expect(res.text).toContain('The 401 HTTP error code explained');
    expect(res.text).toContain(
      '<h2 id="invalid-token"><span lang="zh-CN">401 None. {&#39;error&#39;: {&#39;code&#39;: &#39;&#39;, &#39;message&#39;: &#39;Invalid Token (request id: 20251231...</span></h2>',
    );
  });

  it('has a place for every section the registry cites', async () => {
    const res = await ctx.http().get('/sources');
    for (const article of Object.values(ARTICLES)) {
      for (const s of Object.values(article.sections)) {
        expect(res.text).toContain(`id="${s.anchor}"`);
      }
    }
  });

  it('quotes the snippets this server reproduces', async () => {
    const res = await ctx.http().get('/sources');
    for (const line of [
      'def get_new_token():',
      'if response.status_code == 401 and &#34;Invalid Token&#34; in response.text:',
      'print(&#34;Invalid or missing auth token&#34;)',
      'response = session.post(url=&#34;http://example.com/keepalive&#34;)',
      'CORS(app)',
      'return jsonify({&#34;message&#34;: &#34;You are not authorized to access this resource.&#34;}), 401',
    ]) {
      expect(res.text).toContain(line);
    }
  });

  it('says what the server does differently, and why', async () => {
    const res = await ctx.http().get('/sources');
    expect(res.text).toContain('A signed-in non-admin gets 403, not 401');
    expect(res.text).toContain('https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4');
    expect(res.text).toContain('A cross-origin call is not answered 401');
    expect(res.text).toContain('<a href="/playground#admin-as-user">');
    expect(res.text).toContain('<a href="/playground#cors-refused-origin">');
  });

  it('links only scenarios that exist', async () => {
    const res = await ctx.http().get('/sources');
    const ids = new Set(registryFor(registrySettings(ctx.config)).map((s) => s.id));
    const linked = [...res.text.matchAll(/href="\/playground#([\w-]+)"/g)].map((m) => m[1]);
    expect(linked.length).toBeGreaterThan(10);
    expect(linked.filter((id) => !ids.has(id ?? ''))).toEqual([]);
  });

  it('answers POST with 405', async () => {
    expectProblem(await ctx.http().post('/sources'), { status: 405, code: 'method_not_allowed' });
  });
});
