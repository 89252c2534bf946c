import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { createCorsDemoApp, demoViews, describeSees } from '../src/cors-demo';
import { DEFAULT_REGISTRY_SETTINGS, registryFor, defaultScenarios } from '../src/scenarios';
import { PUBLIC_DIR } from '../src/site/assets';

const scenarios = defaultScenarios();

const API = 'http://127.0.0.1:3000';

function demo(tokens: () => Promise<Partial<Record<string, string>>>) {
  return createCorsDemoApp({
    apiBase: API,
    origins: ['http://127.0.0.1:3001', 'http://localhost:3001'],
    user: { username: 'my_username', password: 'my_password' },
    tokens,
  });
}

/** The JSON the page's script reads, from the page. */
function pageData(html: string) {
  const m = /<script id="demo-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no demo data in the page');
  return JSON.parse(m[1]) as {
    apiBase: string;
    origins: string[];
    views: Record<string, { fetch: { headers?: Record<string, string> }; anyOrigin: boolean }>;
    steps: Record<string, unknown>;
  };
}

describe('the CORS demo page', () => {
  const app = demo(async () => ({ valid: 'VALID.TOKEN.X', expired: 'EXPIRED.TOKEN.<x>' }));

  it('offers every browser view of the registry, with the tokens filled in', async () => {
    const res = await request(app).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const data = pageData(res.text);
    expect(data.apiBase).toBe(API);
    expect(Object.keys(data.views)).toEqual(demoViews().map((v) => v.id));
    expect(data.views['cors-valid-token/0']?.fetch.headers).toEqual({
      Authorization: 'Bearer VALID.TOKEN.X',
    });
    // A token is data, never markup: "<" cannot end the script element.
    expect(data.views['cors-expired-token/0']?.fetch.headers?.Authorization).toBe(
      'Bearer EXPIRED.TOKEN.<x>',
    );
    expect(res.text).not.toContain('EXPIRED.TOKEN.<x>');
    expect(data.views['cors-broken-wildcard-credentials/1']?.anyOrigin).toBe(true);
    expect(data.views['cors-no-token/0']?.anyOrigin).toBe(false);
    expect(Object.keys(data.steps)).toEqual([
      'login',
      'keepalive',
      'me',
      'logout',
      'keepalive-omit',
    ]);
    for (const { id } of demoViews()) expect(res.text).toContain(`data-view="${id}"`);
  });

  it('covers every scenario of the cors family that a script can watch', () => {
    const watched = new Set(demoViews().map((v) => v.scenario.id));
    const cors = scenarios.filter((s) => s.family === 'cors').map((s) => s.id);
    // Preflights and origins a page cannot take on are for curl and the supertest tables.
    expect(cors.filter((id) => !watched.has(id))).toEqual([
      'cors-preflight',
      'cors-lookalike-origin',
      'cors-other-port',
      'cors-preflight-refused-origin',
    ]);
  });

  it('prints what each view documents', () => {
    expect(describeSees({ outcome: 'network-error', console: 'No ACAO' })).toMatch(
      /^fetch rejects with a TypeError; .*“…No ACAO…”\.$/,
    );
    expect(
      describeSees({
        outcome: 'response',
        status: 401,
        code: 'token_missing',
        readable: ['content-type'],
        unreadable: ['www-authenticate'],
      }),
    ).toBe(
      'status 401, code token_missing in the body. Readable: content-type. Sent but read as null: www-authenticate.',
    );
  });

  it('may connect to the API and nowhere else, and runs only its own script', async () => {
    const res = await request(app).get('/');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain(`connect-src 'self' ${API}`);
    expect(csp).toContain("script-src 'self'");
    expect(res.text).toContain('<script src="/demo.js"></script>');
  });

  it('serves its script to the sandboxed frame too (opaque origin)', async () => {
    const res = await request(app).get('/demo.js');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.text).toBe(readFileSync(join(PUBLIC_DIR, 'browser/cors-demo.js'), 'utf8'));
    const frame = await request(app).get('/frame');
    expect(frame.text).toContain('data-role="frame"');
    expect(frame.text).toContain('<script src="/demo.js"></script>');
    // An opaque origin cannot be origin-keyed: asking only warns in the console. The page asks.
    expect(frame.headers['origin-agent-cluster']).toBeUndefined();
    expect((await request(app).get('/')).headers['origin-agent-cluster']).toBe('?1');
  });

  it('still renders when the API’s tokens cannot be had, and says so', async () => {
    const res = await request(
      demo(async () => {
        throw new Error('API down');
      }),
    ).get('/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('ready-made tokens could not be fetched');
    expect(pageData(res.text).views['cors-valid-token/0']?.fetch.headers?.Authorization).toBe(
      'Bearer {{token:valid}}',
    );
  });

  it('links to the page under the loopback host’s other name', async () => {
    const res = await request(app).get('/').set('Host', '127.0.0.1:3001');
    expect(res.text).toMatch(/id="other-name-link">http:\/\/localhost:\d+\/</);
  });

  it('renders the registry’s `code` spans as code and its links on the API’s origin', async () => {
    const res = await request(app).get('/');
    expect(res.text).not.toMatch(/>[^<]*`[^<]*</);
    expect(res.text).toContain('<code>CORS(app)</code>');
    expect(res.text).toMatch(new RegExp(`<a href="${API}/sources#explained-cors">`));
    expect(res.text).toMatch(new RegExp(`<a\\s+href="${API}/sources#explained-session"`));
    expect(res.text).toContain(`<a href="${API}/">four-oh-one</a>`);
  });

  it('names the origins of the configuration it runs with, not the default ports', async () => {
    const api = 'http://127.0.0.1:48123';
    const origins = ['http://127.0.0.1:48124', 'http://localhost:48124'];
    const registry = registryFor({
      ...DEFAULT_REGISTRY_SETTINGS,
      publicUrl: api,
      origins,
    });
    const res = await request(
      createCorsDemoApp({
        apiBase: api,
        origins,
        user: { username: 'my_username', password: 'my_password' },
        tokens: async () => ({}),
        registry,
      }),
    ).get('/');
    expect(res.text).toMatch(new RegExp(`API\\s+at\\s+<code>${api}</code>`));
    expect(res.text).not.toMatch(/:300[01]\b/);
  });

  it('answers anything else 404 in plain text', async () => {
    const res = await request(app).get('/nothing');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  });
});
