import type { RequestHandler, Router } from 'express';

/**
 * Which request paths a router can serve, read off its own layers at startup: the exact paths
 * of its routes (lower case, without trailing slashes, as Express's default matching compares
 * them) and the literal beginnings of the rest (lower case).
 */
export interface ServedPaths {
  exact: ReadonlySet<string>;
  prefixes: readonly string[];
}

interface LayerLike {
  route?: { path?: unknown };
  rawPath?: unknown;
  slash?: boolean;
  handle?: unknown;
}

/** Any character that makes a path-to-regexp path more than its own text. */
const PATTERN = /[:*?(){}[\]+\\!@,;]/;

/** A path as the gate compares it: lower case, trailing slashes off ("/" stays "/"). */
export function gatePath(path: string): string {
  return withoutTrailingSlashes(path.toLowerCase());
}

function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end -= 1;
  return end === path.length ? path : path.slice(0, end);
}

/** A router's paths; `undefined` when they cannot be told (a layer for every path, a RegExp). */
export function servedPaths(router: Router): ServedPaths | undefined {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  return collect(router, exact, prefixes) ? { exact, prefixes } : undefined;
}

/** Adds a router's paths to `exact` and `prefixes`; false when they cannot be told. */
function collect(router: unknown, exact: Set<string>, prefixes: string[]): boolean {
  const stack = (router as { stack?: unknown } | undefined)?.stack;
  if (typeof router !== 'function' || !Array.isArray(stack)) return false;
  for (const layer of stack as LayerLike[]) {
    const isRoute = layer.route !== undefined;
    if (!isRoute && layer.slash) {
      // router.use(otherRouter) serves that router's paths; router.use(fn) runs for every path.
      if (!collect(layer.handle, exact, prefixes)) return false;
      continue;
    }
    const raw = isRoute ? layer.route?.path : layer.rawPath;
    const paths = Array.isArray(raw) ? (raw.flat(Infinity) as unknown[]) : [raw];
    for (const path of paths) {
      if (typeof path !== 'string' || !path.startsWith('/')) return false;
      const at = path.search(PATTERN);
      if (at >= 0) {
        // The text before the first parameter or group is matched as it is written:
        // "/explain/:id" gates on "/explain/", "/opt{/:page}" on "/opt".
        prefixes.push(path.slice(0, at).toLowerCase());
      } else if (isRoute) {
        exact.add(gatePath(path));
      } else {
        // router.use('/x', fn) serves /x and everything under it.
        const base = gatePath(path);
        exact.add(base);
        prefixes.push(base === '/' ? '/' : `${base}/`);
      }
    }
  }
  return true;
}

/** Whether a request path may be served by a router with these paths (never a false "no"). */
export function mayServe(paths: ServedPaths, requestPath: string): boolean {
  const path = requestPath.toLowerCase();
  if (paths.exact.has(withoutTrailingSlashes(path))) return true;
  // With its trailing slashes: "/files//" is "/files/*rest" with two empty segments.
  for (const prefix of paths.prefixes) if (path.startsWith(prefix)) return true;
  return false;
}

/**
 * A router, entered only by requests it may serve: Express enters every router mounted on the
 * app for every request (a closure, its bookkeeping and a path match per route), so a request
 * for one family passed through each family mounted before it (bench/RESULTS.md). The paths are
 * read off the router once, here, so they cannot drift from its routes; a router whose paths
 * cannot be told (a middleware for every path) is entered as before. Built routers only: a
 * route added to the router after this call would not be seen.
 */
export function pathGate(router: Router): RequestHandler {
  if (typeof router !== 'function') throw new TypeError('pathGate: router must be a Router');
  const paths = servedPaths(router);
  if (paths === undefined) return router;
  const gate: RequestHandler = function pathGateMiddleware(req, res, next) {
    if (mayServe(paths, req.path)) {
      router(req, res, next);
      return;
    }
    next();
  };
  return showingLayers(gate, () => router);
}

/**
 * A handler standing for a router shows the router's layers as its own `stack`, as a router
 * would: what walks the app's routes (the OpenAPI document's coverage test, the
 * published-secrets test) sees every route.
 */
function showingLayers(handler: RequestHandler, router: () => unknown): RequestHandler {
  Object.defineProperty(handler, 'stack', {
    get: () => (router() as { stack?: unknown }).stack,
    enumerable: true,
  });
  return handler;
}

/**
 * Routers built after the server starts listening rather than before it: the families no hot
 * path passes, whose building was a good part of start-up (issue 17: ready, the first /healthz
 * 200, sooner). `add(build)` takes a router's place in the app at once; the routers are built
 * in the order added, one an event-loop turn from the next turn on (`start()`), so that a
 * request between two builds is answered, and a request that reaches one still unbuilt builds
 * it there and then. Each is gated (pathGate) once built.
 */
export class DeferredRouters {
  private readonly pending: (() => unknown)[] = [];
  private started = false;

  constructor(private readonly schedule: (fn: () => void) => void = setImmediate) {}

  add(build: () => Router): RequestHandler {
    if (typeof build !== 'function') throw new TypeError('DeferredRouters: build a Router');
    let gate: RequestHandler | undefined;
    const ready = () => (gate ??= pathGate(build()));
    this.pending.push(ready);
    // Its layers, for what walks the app's routes, are the router's, built for it if need be.
    return showingLayers(function deferredRouterMiddleware(req, res, next) {
      ready()(req, res, next);
    }, ready);
  }

  /** Builds the routers added so far, one an event-loop turn; a second call does nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const next = (i: number) => {
      const build = this.pending[i];
      if (build === undefined) return;
      this.schedule(() => {
        build();
        next(i + 1);
      });
    };
    next(0);
  }
}
