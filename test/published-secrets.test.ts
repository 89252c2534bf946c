import type { Application } from 'express';
import request from 'supertest';
import { DEFAULT_DEMO } from '../src/config';
import { createCorsDemoApp } from '../src/cors-demo';
import { problemCatalog } from '../src/scenarios/catalog';
import { buildApp } from './helpers';

/** Demo secrets an operator chose: none may ever be shown by a page or a JSON answer. */
const CUSTOM = {
  DEMO_PASSWORD: 'Operator-Password-7f3a9',
  DEMO_ADMIN_PASSWORD: 'Operator-Admin-1b2c4',
  DEMO_API_SECRET: 'Operator-Secret-9d8e7',
  DEMO_OPENAI_KEY: 'sk-operator-4e5f6a',
};

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every GET path the app routes, its parameters filled in (every problem code for /problems). */
function getPaths(app: Application): string[] {
  const paths: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route?.methods.get) paths.push(layer.route.path);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return paths.flatMap((path) => {
    if (path === '/problems/:code') return Object.keys(problemCatalog).map((c) => `/problems/${c}`);
    const sample: Record<string, string> = {
      code: '200',
      n: '1',
      qop: 'auth',
      user: 'user',
      passwd: 'passwd',
      key: 'k3y',
      request_id: 'nothing-kept-here',
    };
    return [
      path
        .replace(/\{[^{}]*(\{[^{}]*\})?[^{}]*\}/g, '')
        .replace(/:([a-z_]+)/g, (_m, name: string) => sample[name] ?? 'x'),
    ];
  });
}

describe('demo secrets the operator set', () => {
  const ctx = buildApp({ env: CUSTOM });
  const secrets = Object.values(CUSTOM);

  it('are never in a page or JSON answer of any GET route', async () => {
    const paths = getPaths(ctx.app);
    // The routes this issue names are among them.
    for (const p of ['/scenarios', '/playground', '/openapi.json', '/docs', '/tokens/specimens']) {
      expect(paths).toContain(p);
    }
    const token = ctx.token({ sub: 'admin', scope: 'data:read admin' });
    for (const path of paths) {
      for (const accept of ['text/html', 'application/json', '*/*']) {
        for (const auth of [undefined, `Bearer ${token}`]) {
          const req = ctx.http().get(path).set('Accept', accept);
          const res = await (auth === undefined ? req : req.set('Authorization', auth));
          const seen = `${JSON.stringify(res.headers)}\n${res.text ?? ''}`;
          for (const secret of secrets) {
            expect({ path, accept, leaked: seen.includes(secret) }).toEqual({
              path,
              accept,
              leaked: false,
            });
          }
        }
      }
    }
    // Six requests for each of some 200 paths, the playground (2.5 MB) and the OpenAPI document
    // (1.8 MB) among them: 5 s alone, over 20 s beside the browser suites on two cores.
  }, 90_000);

  it('are not on the CORS demo page, which asks the learner for the password instead', async () => {
    // Built as src/server.ts builds it, from the configuration.
    const demo = createCorsDemoApp({
      apiBase: ctx.config.publicUrl,
      origins: ctx.config.cors.origins,
      user: { username: ctx.config.demo.username, password: ctx.config.demo.password },
      tokens: () => ctx.specimens.get(),
    });
    for (const path of ['/', '/frame', '/demo.js']) {
      const res = await request(demo).get(path);
      expect(res.status).toBe(200);
      for (const secret of secrets) expect(res.text).not.toContain(secret);
    }
    const page = (await request(demo).get('/')).text;
    expect(page).toContain('set its own demo password (DEMO_PASSWORD)');
    expect(page).toContain('id="login-password"');
  });

  it('may be the built-in defaults, which the page shows as they are', async () => {
    const demo = createCorsDemoApp({
      apiBase: 'http://127.0.0.1:3000',
      origins: [],
      user: { username: DEFAULT_DEMO.username, password: DEFAULT_DEMO.password },
      tokens: async () => ({}),
    });
    const page = (await request(demo).get('/')).text;
    expect(page).toContain(`"password":"${DEFAULT_DEMO.password}"`);
    expect(page).not.toContain('id="login-password"');
  });
});
