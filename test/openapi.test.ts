import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';
import { DOCUMENTED_ROUTES, documentedPath } from '../src/openapi';
import { scenarios, type Scenario } from '../src/scenarios';
import { fillBody, fillHeaders, type Specimens } from '../src/specimens';
import { buildApp } from './helpers';

/**
 * The document cannot drift from behaviour: every registry trigger is fired at the app, as in
 * test/scenarios.test.ts, and each real answer must be documented for its path and method, with
 * a body that validates against the documented schema for its status and content type.
 */

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, DocResponse> }>>;
  components: { responses: Record<string, DocResponse> };
};
type DocResponse = { content?: Record<string, { schema?: unknown }> };

const DOC_ID = 'https://four-oh-one.test/openapi.json';
const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

describe('GET /openapi.json', () => {
  const ctx = buildApp();
  let doc: Doc;
  let specimens: Specimens;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // date-time, uri, …: checked, not ignored (ajv only warns about formats it does not know).
  addFormats(ajv);

  beforeAll(async () => {
    const res = await ctx.http().get('/openapi.json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.body as Doc;
    ajv.addSchema({ ...doc, $id: DOC_ID });
    specimens = await ctx.specimens.get();
  });

  it('is a valid OpenAPI 3.1 document (the official schema)', () => {
    // The validator is an ES module; it runs in a child process so Jest's CommonJS need not load it.
    const script = `
      import { Validator } from '@seriousme/openapi-schema-validator';
      let input = '';
      for await (const chunk of process.stdin) input += chunk;
      const result = await new Validator().validate(JSON.parse(input));
      console.log(JSON.stringify(result));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      input: JSON.stringify(doc),
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { valid: boolean; errors?: unknown };
    expect(result).toEqual({ valid: true });
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every route the app serves, and no route it does not', () => {
    const served = new Set<string>();
    type Layer = {
      route?: { path: string; methods: Record<string, boolean> };
      handle?: { stack?: Layer[] };
    };
    const walk = (stack: Layer[]) => {
      for (const layer of stack) {
        if (layer.route) {
          for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
            for (const path of expandExpressPath(layer.route.path)) served.add(`${method} ${path}`);
          }
        } else if (layer.handle?.stack) walk(layer.handle.stack);
      }
    };
    walk((ctx.app as unknown as { router: { stack: Layer[] } }).router.stack);
    // `.options()` on a route is the CORS preflight, which the document gives every path.
    const documented = new Set(DOCUMENTED_ROUTES.map((r) => `${r.method} ${r.path}`));
    const missing = [...served].filter((r) => !r.startsWith('options ') && !documented.has(r));
    const extra = [...documented].filter((r) => !served.has(r));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it('gives every operation its own id', () => {
    const ids = new Set<string>();
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item) as unknown as { operationId: string }[]) {
        ids.add(op.operationId);
      }
    }
    const count = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    expect(ids.size).toBe(count);
  });

  it('shows every registry scenario as an example or a status of its route', () => {
    const text = JSON.stringify(doc);
    const routed = (s: Scenario) =>
      doc.paths[documentedPath(s.trigger.path) ?? '']?.[s.trigger.method.toLowerCase()];
    for (const s of scenarios.filter((x) => x.expect.code && routed(x))) {
      expect({ id: s.id, shown: text.includes(`"${s.id}":`) }).toEqual({ id: s.id, shown: true });
    }
  });

  function fire(s: Scenario) {
    let req = ctx.http()[s.trigger.method.toLowerCase() as 'get'](s.trigger.path);
    for (const [name, value] of Object.entries(fillHeaders(s.trigger.headers, specimens))) {
      req = req.set(name, value as string); // a list: one field per value
    }
    if (s.trigger.body !== undefined) {
      const body = fillBody(s.trigger.body, specimens);
      req = s.trigger.contentType === 'form' ? req.type('form').send(body) : req.send(body);
    }
    return req;
  }

  /** The documented response for an answer; throws a readable message when there is none. */
  function validate(method: string, path: string, res: Response): void {
    const template = documentedPath(path);
    const operation = template ? doc.paths[template]?.[method.toLowerCase()] : undefined;
    let where: string[];
    let documentedResponse: DocResponse | undefined;
    if (!operation) {
      // Not a route: only the generic 404 and 405 may answer.
      const generic =
        res.status === 404 ? 'NotFound' : res.status === 405 ? 'MethodNotAllowed' : '';
      expect({ method, path, status: res.status, generic: generic !== '' }).toEqual({
        method,
        path,
        status: res.status,
        generic: true,
      });
      where = ['components', 'responses', generic];
      documentedResponse = doc.components.responses[generic];
    } else {
      const key =
        String(res.status) in operation.responses
          ? String(res.status)
          : `${String(res.status)[0]}XX`;
      expect({
        method,
        template,
        status: res.status,
        documented: key in operation.responses,
      }).toEqual({
        method,
        template,
        status: res.status,
        documented: true,
      });
      where = ['paths', template as string, method.toLowerCase(), 'responses', key];
      documentedResponse = operation.responses[key];
    }
    const content = documentedResponse?.content;
    const raw = typeof res.body === 'string' ? res.body : (res.text ?? '');
    if (!content) {
      // A redirect's body is a courtesy note (Express writes one); anything else must be empty.
      if (res.status >= 300 && res.status < 400) return;
      expect({ method, path, status: res.status, body: raw }).toEqual({
        method,
        path,
        status: res.status,
        body: '',
      });
      return;
    }
    const mediaType =
      String(res.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim() ?? '';
    expect({
      method,
      path,
      status: res.status,
      mediaType,
      documented: mediaType in content,
    }).toEqual({
      method,
      path,
      status: res.status,
      mediaType,
      documented: true,
    });
    if (!/[/+]json$/.test(mediaType)) return;
    const check = ajv.getSchema(`${DOC_ID}#/${pointer(...where, 'content', mediaType, 'schema')}`);
    if (!check) throw new Error(`no schema at ${where.join(' ')} ${mediaType}`);
    const valid = check(JSON.parse(raw));
    expect({ method, path, status: res.status, errors: valid ? null : check.errors }).toEqual({
      method,
      path,
      status: res.status,
      errors: null,
    });
  }

  // The cards the table test does not fire are set up in test/scenario-setups.test.ts.
  it.each(scenarios.filter((s) => s.trigger.fired !== false).map((s) => [s.id, s] as const))(
    '%s: the real answer is documented and valid',
    async (_id, s) => {
      const res = await fire(s)
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (text += c));
          r.on('end', () => done(null, text));
        });
      validate(s.trigger.method, s.trigger.path, res);
    },
  );

  it('documents the answer of every GET route that needs no credentials or parameters', async () => {
    const open = Object.entries(doc.paths).filter(
      ([path, item]) =>
        !path.includes('{') &&
        'get' in item &&
        JSON.stringify((item.get as { security?: unknown }).security) === '[{}]',
    );
    expect(open.length).toBeGreaterThan(10);
    for (const [path] of open) {
      const res = await ctx
        .http()
        .get(path)
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (text += c));
          r.on('end', () => done(null, text));
        });
      validate('GET', path, res);
    }
  });
});

/** `/a/:x{/:y{/:z}}` -> `/a/{x}`, `/a/{x}/{y}`, `/a/{x}/{y}/{z}` (path-to-regexp 8 optional groups). */
function expandExpressPath(path: string): string[] {
  const open = path.indexOf('{');
  if (open < 0) return [path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')];
  let depth = 0;
  let close = open;
  for (; close < path.length; close++) {
    if (path[close] === '{') depth++;
    if (path[close] === '}' && --depth === 0) break;
  }
  const before = path.slice(0, open);
  const inner = path.slice(open + 1, close);
  const after = path.slice(close + 1);
  return [...expandExpressPath(before + after), ...expandExpressPath(before + inner + after)];
}

describe('GET /docs', () => {
  const ctx = buildApp();

  it('redirects /docs to /docs/, where Swagger UI reads /openapi.json, all served from here', async () => {
    const moved = await ctx.http().get('/docs').expect(301);
    expect(moved.headers.location).toBe('/docs/');
    const page = await ctx.http().get('/docs/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<script src="./swagger-ui-bundle.js">');
    expect(page.text).not.toMatch(/<script>|<script [^>]*src="https?:/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const init = await ctx.http().get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('"url": "/openapi.json"');
    expect(init.text).toContain('"validatorUrl": null');
    await ctx.http().get('/docs/swagger-ui-bundle.js').expect(200);
  });
});
