import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router, type RequestHandler } from 'express';
import fc from 'fast-check';
import {
  DeferredRouters,
  gatePath,
  mayServe,
  pathGate,
  servedPaths,
} from '../../middleware/path-gate';

const say =
  (text: string): RequestHandler =>
  (req, res) => {
    res.type('text').send(`${text} ${req.method} ${req.path} ${JSON.stringify(req.params)}`);
  };

/** A family router with every kind of path the gate reads. */
function family(): Router {
  const router = Router();
  router.get('/exact', say('exact'));
  router.route('/Mixed/Case').all(say('mixed'));
  router.get('/items/:id', say('item'));
  router.get('/files/*rest', say('files'));
  router.get('/opt{/:page}', say('opt'));
  router.get('/v1/things/:id.json', say('thing json'));
  router.use('/mounted', say('mounted'));
  const assets = Router();
  assets.get('/app.js', say('asset'));
  router.use(assets);
  return router;
}

/** One app, the family router mounted as is or gated, then a 404 that names the path. */
function appWith(gated: boolean) {
  const app = express();
  app.use((req, res, next) => {
    res.locals.entered = false;
    next();
  });
  app.use(gated ? pathGate(family()) : family());
  app.use((req, res) => {
    res.status(404).type('text').send(`none ${req.method} ${req.path}`);
  });
  return app;
}

async function listen(app: express.Express): Promise<http.Server> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The raw path as given (no client normalizes it), the answer's status and text. */
function ask(server: http.Server, method: string, path: string) {
  const { port } = server.address() as AddressInfo;
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('servedPaths()', () => {
  it('reads exact paths, the static beginning of patterns, mounts and nested routers', () => {
    const paths = servedPaths(family());
    expect(paths).toBeDefined();
    expect([...paths!.exact].sort()).toEqual(['/app.js', '/exact', '/mixed/case', '/mounted']);
    expect([...paths!.prefixes].sort()).toEqual([
      '/files/',
      '/items/',
      '/mounted/',
      '/opt',
      '/v1/things/',
    ]);
  });

  it('cannot tell the paths of a router with a middleware for every path, or a RegExp path', () => {
    const everyPath = Router();
    everyPath.get('/a', say('a'));
    everyPath.use(say('every path'));
    expect(servedPaths(everyPath)).toBeUndefined();
    expect(pathGate(everyPath)).toBe(everyPath);

    const pattern = Router();
    pattern.get(/^\/re/, say('re'));
    expect(servedPaths(pattern)).toBeUndefined();
  });

  it('compares paths as Express does by default: any case, trailing slashes allowed', () => {
    const paths = servedPaths(family())!;
    expect(gatePath('/Exact//')).toBe('/exact');
    expect(gatePath('/')).toBe('/');
    for (const yes of ['/exact', '/EXACT/', '/mixed/case', '/items/7', '/opt/2', '/app.js'])
      expect(mayServe(paths, yes)).toBe(true);
    for (const no of ['/exactly', '/item', '/mountedx', '/app.jss', '/healthz'])
      expect(mayServe(paths, no)).toBe(false);
  });
});

describe('pathGate()', () => {
  let plain: http.Server;
  let gated: http.Server;
  beforeAll(async () => {
    plain = await listen(appWith(false));
    gated = await listen(appWith(true));
  });
  afterAll(() => {
    plain.close();
    gated.close();
  });

  it('passes a request for another path on without entering the router', async () => {
    const family = Router();
    const entered = jest.fn(say('family'));
    family.use('/mine', entered);
    const app = express();
    app.use(pathGate(family));
    app.use((_req, res) => void res.status(404).send('next'));
    const server = await listen(app);
    try {
      expect(await ask(server, 'GET', '/yours')).toEqual({ status: 404, text: 'next' });
      expect((await ask(server, 'GET', '/mine/x')).status).toBe(200);
      expect(entered).toHaveBeenCalledTimes(1);
    } finally {
      server.close();
    }
  });

  it('answers every request as the router alone does (random paths and methods)', async () => {
    const segment = fc.constantFrom(
      'exact',
      'EXACT',
      'Mixed',
      'case',
      'items',
      '7',
      'files',
      'opt',
      'v1',
      'things',
      'x.json',
      'mounted',
      'app.js',
      '%41',
      'healthz',
      '',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('', '/', '//', '?q=1', '/?q=/exact'),
        fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS', 'DELETE'),
        async (segments, tail, method) => {
          const path = `/${segments.join('/')}${tail}`;
          const [a, b] = await Promise.all([ask(plain, method, path), ask(gated, method, path)]);
          expect(b).toEqual(a);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("shows the router's layers, for what walks an app's routes", () => {
    const router = family();
    const gate = pathGate(router) as unknown as { stack: unknown };
    expect(gate.stack).toBe(router.stack);
    expect(servedPaths(gate as unknown as Router)).toEqual(servedPaths(router));
  });

  it('refuses what is not a router', () => {
    expect(() => pathGate(undefined as unknown as Router)).toThrow(TypeError);
  });
});

describe('DeferredRouters', () => {
  /** A scheduler the test turns by hand: each call to turn() runs what was scheduled before. */
  function manual() {
    let queue: (() => void)[] = [];
    return {
      schedule: (fn: () => void) => void queue.push(fn),
      turn: () => {
        const now = queue;
        queue = [];
        for (const fn of now) fn();
        return now.length;
      },
    };
  }

  it('builds nothing until started, then one router a turn, in the order added', () => {
    const clock = manual();
    const deferred = new DeferredRouters(clock.schedule);
    const built: string[] = [];
    const builder = (name: string) => () => {
      built.push(name);
      return family();
    };
    deferred.add(builder('a'));
    deferred.add(builder('b'));
    expect(clock.turn()).toBe(0);
    deferred.start();
    deferred.start();
    expect(built).toEqual([]);
    expect(clock.turn()).toBe(1);
    expect(built).toEqual(['a']);
    expect(clock.turn()).toBe(1);
    expect(built).toEqual(['a', 'b']);
    expect(clock.turn()).toBe(0);
  });

  it('builds a router at its first request, once, and serves it gated', async () => {
    const clock = manual();
    const deferred = new DeferredRouters(clock.schedule);
    const build = jest.fn(family);
    const app = express();
    app.use(deferred.add(build));
    app.use((_req, res) => void res.status(404).send('next'));
    deferred.start();
    const server = await listen(app);
    try {
      expect(build).not.toHaveBeenCalled();
      expect((await ask(server, 'GET', '/exact')).text).toBe('exact GET /exact {}');
      expect(await ask(server, 'GET', '/elsewhere')).toEqual({ status: 404, text: 'next' });
      clock.turn();
      expect(build).toHaveBeenCalledTimes(1);
    } finally {
      server.close();
    }
  });

  it("shows the router's layers, building it if need be", () => {
    const deferred = new DeferredRouters(() => undefined);
    const router = family();
    const handler = deferred.add(() => router) as unknown as { stack: unknown };
    expect(handler.stack).toBe(router.stack);
    expect(() => deferred.add(undefined as unknown as () => Router)).toThrow(TypeError);
  });
});
