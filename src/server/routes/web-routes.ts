// The jobs page's static files (web/), served with a strict content security policy.
import { readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { HttpError } from '../http/http-io.js';

/**
 * The jobs page's files: the top-level `web/` folder of the package, read at run time relative to
 * this module (src/server/routes and dist/server/routes are both three levels below it), so there is
 * no build step for the page.
 */
export const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

/** Strict: no inline script or style anywhere on the page. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Revalidate each time: a new version of bulk serves its new page at once.
  'cache-control': 'no-cache',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

interface Asset {
  type: string;
  body: Buffer;
}

let assets: Map<string, Asset> | null = null;

/**
 * Only the files that are in web/ when first asked for, by exact name: a request can never name a
 * path outside it (no traversal, no directories, no dot files).
 */
function loadAssets(): Map<string, Asset> {
  if (assets) return assets;
  const found = new Map<string, Asset>();
  for (const name of readdirSync(WEB_DIR)) {
    const ext = /^[a-z0-9][a-z0-9-]*(\.[a-z]+)$/.exec(name)?.[1];
    const type = ext ? TYPES[ext] : undefined;
    if (type) found.set(name, { type, body: readFileSync(WEB_DIR + name) });
  }
  assets = found;
  return found;
}

/** `/` is the page; `/web/<file>` its assets. Null when the path is not the page's. */
export function webAsset(path: string): Asset | null | 'not-found' {
  if (path === '/' || path === '/index.html') return loadAssets().get('index.html') ?? 'not-found';
  const m = /^\/web\/([^/]+)$/.exec(path);
  if (!m) return null;
  return loadAssets().get(m[1] as string) ?? 'not-found';
}

export function sendAsset(res: ServerResponse, method: string, asset: Asset): void {
  if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Method not allowed', {}, { allow: 'GET, HEAD' });
  res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length, ...PAGE_HEADERS });
  res.end(method === 'HEAD' ? undefined : asset.body);
}
