import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';
import { documentedPath } from '../src/openapi';
import { defaultScenarios, type Scenario } from '../src/scenarios';
import { fillBody, fillHeaders, type Specimens } from '../src/tokens/specimens';
import fc from 'fast-check';
import type request from 'supertest';
import { buildApp } from './helpers';

const scenarios = defaultScenarios();

/**
 * The document cannot drift from behaviour: every registry trigger is fired at the app, as in
 * test/scenarios.test.ts, and each real answer must be documented for its path and method, with
 * a body that validates against the documented schema for its status and content type.
 */

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, DocOperation>>;
  components: {
    responses: Record<string, DocResponse>;
    headers: Record<string, { required?: boolean }>;
  };
};
type DocOperation = {
  responses: Record<string, DocResponse>;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: 'path' | 'query'; schema: Record<string, unknown> }[];
  requestBody?: unknown;
};
type DocResponse = {
  content?: Record<string, { schema?: unknown }>;
  headers?: Record<string, { $ref?: string; required?: boolean }>;
};

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
    // `.options()` on a route is the CORS preflight, which every path answers: the document
    // shows it only where a scenario does, so OPTIONS is left out on both sides.
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((method) => method !== 'options')
          .map((method) => `${method} ${path}`),
      ),
    );
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
    // Every answer names its request, and carries the headers its documentation requires (the
    // challenge of a 401).
    expect({ method, path, requestId: typeof res.headers['x-request-id'] }).toEqual({
      method,
      path,
      requestId: 'string',
    });
    for (const [name, header] of Object.entries(documentedResponse?.headers ?? {})) {
      const shared = header.$ref ? doc.components.headers[header.$ref.split('/').pop() ?? ''] : {};
      if (header.required || shared?.required) {
        expect({
          method,
          path,
          status: res.status,
          [name]: typeof res.headers[name.toLowerCase()],
        }).toEqual({ method, path, status: res.status, [name]: 'string' });
      }
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

  it('declares every member of the RFC 8414 and RFC 9728 metadata, and nothing else', async () => {
    for (const path of [
      '/.well-known/oauth-authorization-server',
      '/.well-known/oauth-protected-resource',
    ]) {
      const sent = Object.keys((await ctx.http().get(path).expect(200)).body).sort();
      const schema = (
        doc.paths[path]?.get?.responses['200']?.content?.['application/json'] as {
          schema: { properties: Record<string, unknown>; additionalProperties?: boolean };
        }
      ).schema;
      expect({ path, declared: Object.keys(schema.properties).sort() }).toEqual({
        path,
        declared: sent,
      });
      expect(schema.additionalProperties).toBe(false);
    }
  });

  it('closes the error bodies: a member the server sends must be declared', () => {
    const schemas = (doc as unknown as { components: { schemas: Record<string, Schemaish> } })
      .components.schemas;
    type Schemaish = { additionalProperties?: boolean; properties?: Record<string, Schemaish> };
    expect(schemas.Problem?.additionalProperties).toBe(false);
    expect(schemas.OpenAiError?.additionalProperties).toBe(false);
    expect(schemas.OpenAiError?.properties?.error?.additionalProperties).toBe(false);
    // The extensions some problems carry are among them.
    for (const name of ['required_scope', 'required_role', 'max_age', 'param', 'explanation']) {
      expect(Object.keys(schemas.Problem?.properties ?? {})).toContain(name);
    }
  });

  it('types the numeric parameters as the numbers the server reads', () => {
    const schemaOf = (path: string, name: string) =>
      doc.paths[path]?.get?.parameters?.find((p) => p.name === name)?.schema;
    expect(schemaOf('/api/v1/flaky', 'fail')).toEqual({
      oneOf: [
        { type: 'integer', minimum: 0, maximum: 10 },
        { type: 'string', enum: ['always'] },
      ],
    });
    expect(schemaOf('/api/v1/flaky', 'status')).toEqual({
      type: 'string',
      enum: ['401', '429', '503'],
    });
    expect(schemaOf('/status/{code}', 'code')).toEqual({
      type: 'integer',
      minimum: 200,
      maximum: 599,
    });
  });

  /** A concrete path for a template: sample values, or those given. */
  const SAMPLES: Record<string, string> = {
    user: 'user',
    passwd: 'passwd',
    qop: 'auth',
    algorithm: 'SHA-256',
    stale_after: '2',
    key: 'demo-key-123',
    code: '401',
    model: 'four-oh-one-echo',
    n: '1',
    request_id: 'no-such-request',
    fail: '1',
  };
  function concrete(template: string, op: DocOperation, values: Record<string, string> = {}) {
    const value = (name: string) => values[name] ?? SAMPLES[name] ?? 'x';
    const path = template.replace(/\{([^}]+)\}/g, (_m, name: string) =>
      encodeURIComponent(value(name)),
    );
    const query = (op.parameters ?? [])
      .filter((p) => p.in === 'query')
      .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(value(p.name))}`);
    return query.length > 0 ? `${path}?${query.join('&')}` : path;
  }
  const operations = () =>
    Object.entries(doc.paths).flatMap(([template, item]) =>
      Object.entries(item)
        .filter(([method]) => method !== 'options')
        .map(([method, op]) => ({ template, method, op })),
    );
  const textBody = (r: request.Test) =>
    r.buffer(true).parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => done(null, text));
    });

  // Whatever credentials are refused on a route, its refusal is documented there: none, another
  // scheme, a broken header of each scheme. (Today's document missed the 401 of POST
  // /v1/chat/completions and the 400 authorization_malformed of every other Bearer route.)
  it('documents every refusal of every guarded operation, as the guard answers it', async () => {
    const headers: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer' },
      { Authorization: 'Bearer a b' },
      { Authorization: 'Basic !!!' },
      { Authorization: 'Digest username="user"' },
      { Authorization: 'Bearer not-a-jwt' },
      { 'X-API-Key': 'wrong' },
      { Cookie: 'four-oh-one.sid=s:forged.c2ln' },
    ];
    let checked = 0;
    for (const { template, method, op } of operations()) {
      if (JSON.stringify(op.security) === '[{}]') continue;
      for (const h of headers) {
        let req = ctx.http()[method as 'get'](concrete(template, op));
        for (const [name, value] of Object.entries(h)) req = req.set(name, value);
        if (op.requestBody !== undefined) req = req.send({});
        const res = await textBody(req);
        expect({ method, template, status: res.status < 500 }).toEqual({
          method,
          template,
          status: true,
        });
        validate(method.toUpperCase(), concrete(template, op), res);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(100);
    // Every guarded operation times every broken header, one request each: over a thousand
    // requests, and more with every family; 20 s ran out on a busy 2-core machine.
  }, 60_000);

  // A small fuzz over the declared parameters: whatever a parameter holds, the answer is one the
  // document declares for that operation, with a body of the declared shape, and never a 5xx.
  it('documents the answer to any value of any declared parameter', async () => {
    const token = ctx.token({ scope: 'data:read' });
    const withParams = operations().filter(({ op }) => (op.parameters ?? []).length > 0);
    expect(withParams.length).toBeGreaterThan(10);
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer({ min: -5, max: 1000 }).map(String),
      fc.constantFrom('', '%', '..', 'a/b', 'user', '401', '503', 'SHA-256', 'MD5', '0', '10'),
    );
    for (const { template, method, op } of withParams) {
      const params = op.parameters ?? [];
      const names = params.map((p) => p.name);
      // A path parameter is never empty: an empty one is another path.
      const arbitraries = params.map((p) =>
        p.in === 'path' ? value.filter((v) => v !== '') : value,
      );
      await fc.assert(
        fc.asyncProperty(fc.tuple(...arbitraries), fc.boolean(), async (values, auth) => {
          const given = Object.fromEntries(names.map((n, i) => [n, values[i] as string]));
          const path = concrete(template, op, given);
          let req = ctx.http()[method as 'get'](path);
          if (auth) req = req.set('Authorization', `Bearer ${token}`);
          if (op.requestBody !== undefined) req = req.send({});
          const res = await textBody(req);
          // /status/{code} answers the 5xx it is asked for; nothing else may fail.
          const asked = template === '/status/{code}';
          expect({ path, status: asked || res.status < 500 }).toEqual({
            path,
            status: true,
          });
          validate(method.toUpperCase(), path, res);
          // A number parameter is declared as the server reads it: a value its schema accepts is
          // never refused as a parameter, one it refuses always is (once credentials passed).
          if (res.status === 401 || res.status === 403) return;
          for (const [i, p] of params.entries()) {
            const schema = p.schema as { type?: string; minimum?: number; maximum?: number };
            if (schema.type !== 'integer') continue;
            const raw = values[i] as string;
            const n = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
            const declared =
              Number.isInteger(n) &&
              n >= (schema.minimum ?? -Infinity) &&
              n <= (schema.maximum ?? Infinity);
            const text = typeof res.body === 'string' ? res.body : (res.text ?? '');
            const refused = res.status === 400 && /"code":"parameter_invalid"/.test(text);
            expect({ path, [p.name]: raw, refused }).toEqual({
              path,
              [p.name]: raw,
              refused: !declared,
            });
          }
        }),
        { numRuns: 12, seed: 12 },
      );
    }
  }, 60_000);

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

describe('the order /docs shows', () => {
  const ctx = buildApp();
  type Ordered = {
    info: { description: string };
    tags: { name: string }[];
    paths: Record<string, Record<string, { tags: string[] }>>;
  };
  let doc: Ordered;
  beforeAll(async () => {
    doc = (await ctx.http().get('/openapi.json').expect(200)).body as Ordered;
  });
  const firstTag = (path: string) => Object.values(doc.paths[path] ?? {})[0]?.tags[0];

  it('opens on the teaching routes: the families first, the site’s files last', () => {
    const tags = doc.tags.map((t) => t.name);
    expect(tags[0]).toBe('bearer');
    expect(tags.slice(-3)).toEqual(['learn', 'operations', 'assets']);
    expect(Object.keys(doc.paths)[0]).toBe('/api/v1/data');
  });

  it.each(['/favicon.ico', '/playground.js', '/shared/status-class.js', '/playground.css'])(
    'files %s under "assets", after every teaching route',
    (path) => {
      expect(firstTag(path)).toBe('assets');
      const paths = Object.keys(doc.paths);
      expect(paths.indexOf(path)).toBeGreaterThan(paths.indexOf('/problems/{code}'));
    },
  );

  it('gives the page a way back to the site', () => {
    expect(doc.info.description).toMatch(/^\[← four-oh-one\]\(\/\)/);
    expect(doc.info.description).toContain('[Sources](/sources)');
  });
});

describe('the examples', () => {
  const ctx = buildApp();

  it('link each scenario to its playground card', async () => {
    const res = await ctx.http().get('/openapi.json').expect(200);
    const text = JSON.stringify(res.body);
    expect(text).toContain('[run it in the playground](/playground#token-expired)');
    expect(text).not.toContain('run it at /playground');
  });
});
