import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's page, built by `npm run build` (scripts/build-ui.mjs) into dist/runtime/ui/assets/, beside the
 * compiled server code: the npm package and the Docker image ship it with dist/runtime. Only these names are served.
 */
const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** The page's files carry no data: the page asks for it with the same credentials as REST (docs/ui.md). */
export function isPublicAsset(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const path = url.split('?')[0];
  if (path === '/ui' || path === '/ui/') return true;
  return path.startsWith('/ui/') && Object.hasOwn(ASSETS, path.slice(4));
}

/**
 * Where the built page is: next to this module when it runs compiled (dist/runtime/ui/assets), or, when it runs
 * from the sources (tsx: tests, development), in the build's output of the same checkout.
 */
function assetsDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'assets'), join(here, '..', '..', 'dist', 'runtime', 'ui', 'assets')];
  return candidates.find((d) => existsSync(join(d, 'index.html')));
}

export interface Asset {
  body: Buffer;
  type: string;
}

/** An asset by name; undefined for a name not served; throws when the page was not built. */
export async function readAsset(name: string): Promise<Asset | undefined> {
  if (!Object.hasOwn(ASSETS, name)) return undefined;
  const dir = assetsDir();
  if (!dir) throw new Error('The dashboard was not built: run `npm run build` (it writes dist/runtime/ui/assets)');
  // Read on each request rather than kept: a page is loaded rarely, and memory held for it would be held for ever.
  return { body: await readFile(join(dir, name)), type: ASSETS[name] };
}

/** Headers of every page asset: nothing loads from elsewhere, and no other site may frame the dashboard. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};
