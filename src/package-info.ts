import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PackageInfo {
  /** The folder holding this package's package.json: the repository, or /app in the image. */
  root: string;
  version: string;
}

/**
 * This package, found from the module's folder upwards: the first package.json named
 * four-oh-one. The same from the source (Jest, src/), the compiled modules (dist/src/) and
 * the bundle `npm start` runs (dist/server.js); undefined if the files were moved elsewhere.
 */
export function packageInfo(from: string = __dirname): PackageInfo | undefined {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'four-oh-one') return { root: dir, version: pkg.version ?? '0.0.0' };
  }
  return undefined;
}
