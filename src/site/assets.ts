import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Router, type RequestHandler } from 'express';
import { packageInfo } from '../package-info';

/**
 * The site's static files: the browser scripts (src/site/browser and src/site/shared, compiled
 * by tsconfig.browser.json) and src/site/static (the stylesheet and the icon, copied), all in
 * dist/public after `npm run build`, found from the package's root (src/package-info.ts): this
 * module runs from its source (Jest), compiled (dist/src/site) or in the bundle (dist/server.js).
 */
export const PUBLIC_DIR = resolve(sitePackageRoot(), 'dist', 'public');

function sitePackageRoot(): string {
  const info = packageInfo();
  if (!info) throw new Error(`no package.json of four-oh-one above ${__dirname}`);
  return info.root;
}

/**
 * Every URL stays what pages, the OpenAPI document and clients already name, and an upgrade
 * must never pair a page with an older script: so a copy is kept anywhere but asked about
 * before each use (no-cache), and the answer to If-None-Match is a 304 without a body, by an
 * ETag that hashes the file once at startup.
 */
const REVALIDATE = 'public, no-cache';

interface SiteAsset {
  /** Its path in PUBLIC_DIR. */
  file: string;
  type: string;
  cacheControl: string;
}

const js = (file: string): SiteAsset => ({
  file,
  type: 'text/javascript; charset=utf-8',
  cacheControl: REVALIDATE,
});

/** Every file the site serves, by URL; each server mounts the ones its pages use. */
export const SITE_ASSETS = {
  '/playground.css': {
    file: 'site.css',
    type: 'text/css; charset=utf-8',
    cacheControl: REVALIDATE,
  },
  '/playground.js': js('browser/playground.js'),
  // The playground's runs panel: opens a run, drives it with a client, shows the report.
  '/grade.js': js('browser/grade.js'),
  // The correct client it drives runs with (the run reports' tests drive it too).
  '/shared/run-clients.js': js('shared/run-clients.js'),
  // Where '../shared/status-class.js' leads from /playground.js.
  '/shared/status-class.js': js('shared/status-class.js'),
  // The headers that matter first, and the JWT decoder (display only): shared with the server.
  '/shared/headers.js': js('shared/headers.js'),
  '/shared/jwt.js': js('shared/jwt.js'),
  // Shows a page's token times in the reader's time zone and from now; /explain's script.
  '/local-times.js': js('browser/local-times.js'),
  '/explain.js': js('browser/explain.js'),
  // Pages name it by no URL of theirs (browsers ask every origin), and it never changes.
  '/favicon.ico': {
    file: 'favicon.svg',
    type: 'image/svg+xml; charset=utf-8',
    cacheControl: 'public, max-age=86400',
  },
  '/demo.js': js('browser/cors-demo.js'),
  // The CORS demo origin's single-page app: the authorization code flow with PKCE.
  '/oauth-demo.js': js('browser/oauth-demo.js'),
  // Its DPoP proofs (RFC 9449), and the JWT decoder it shows a token's cnf.jkt with.
  '/shared/dpop.js': js('shared/dpop.js'),
  // The HOBA demo (GET /hoba): WebCrypto keys, registration and a signed challenge (RFC 7486).
  '/hoba-demo.js': js('browser/hoba-demo.js'),
  '/shared/hoba.js': js('shared/hoba.js'),
  // What /docs (Swagger UI) adds to its own stylesheet and scripts.
  '/docs.js': js('browser/docs.js'),
  '/docs.css': {
    file: 'docs.css',
    type: 'text/css; charset=utf-8',
    cacheControl: REVALIDATE,
  },
} satisfies Record<string, SiteAsset>;

export type AssetUrl = keyof typeof SITE_ASSETS;

export interface AssetRouterOptions {
  /** For the other methods on an asset's URL (the API answers 405); none: they fall through. */
  otherMethods?: RequestHandler;
  /**
   * Cross-Origin-Resource-Policy: cross-origin, for files that a document with an opaque origin
   * (the CORS demo's sandboxed frame) loads: to it every origin is another.
   */
  crossOrigin?: boolean;
}

/**
 * Serves `urls` from PUBLIC_DIR, read once here. A file the build has not made (Jest on a
 * tree never built) falls through to the 404; its route stays, as the OpenAPI document lists it.
 */
export function assetRouter(urls: AssetUrl[], options: AssetRouterOptions = {}): Router {
  const router = Router();
  for (const url of urls) {
    const asset: SiteAsset = SITE_ASSETS[url];
    const body = readAsset(asset.file);
    const etag = body && `"${createHash('sha256').update(body).digest('base64url')}"`;
    const route = router.route(url).get(function siteAsset(_req, res, next) {
      if (!body || !etag) return next('route');
      res.setHeader('Cache-Control', asset.cacheControl);
      res.setHeader('ETag', etag);
      if (options.crossOrigin) res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      res.setHeader('Content-Type', asset.type);
      // send() answers a matching If-None-Match with a 304 (it checks req.fresh).
      res.send(body);
    });
    if (options.otherMethods) route.all(options.otherMethods);
  }
  return router;
}

function readAsset(file: string): Buffer | undefined {
  try {
    return readFileSync(resolve(PUBLIC_DIR, file));
  } catch {
    return undefined;
  }
}
