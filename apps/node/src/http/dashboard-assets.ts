/**
 * The dashboard's built files (apps/dashboard/dist), served at `/` and `/ui/…` on the API address.
 * Read once at start into memory (the whole dashboard is a few tens of KB), with the `.br` and
 * `.gz` variants the dashboard's build wrote beside each file; each answer picks the smallest the
 * client accepts.
 *
 * Caching: files under `/ui/` carry a content hash in their name and are `immutable` for a year;
 * `index.html` is `no-cache` with an ETag, so a new build is picked up on the next load. Every answer
 * carries a strict Content-Security-Policy: scripts, styles and connections from this origin only,
 * no inline script or style, no frames.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { HEADERS } from '@dfs/api';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

interface Asset {
  type: string;
  etag: string;
  immutable: boolean;
  /** By content-encoding: '' (identity), 'br', 'gzip'. */
  bodies: Map<string, Buffer>;
}

export interface DashboardAssets {
  /** Whether `path` names one of the dashboard's files (`/` is index.html). */
  has(path: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse): void;
}

/** Loads the built dashboard from `dir`; undefined when it was not built (no index.html). */
export async function loadDashboardAssets(dir: string): Promise<DashboardAssets | undefined> {
  const files = await listFiles(dir).catch(() => undefined);
  if (files === undefined || !files.includes('index.html')) return undefined;
  const assets = new Map<string, Asset>();
  for (const file of files) {
    if (file.endsWith('.br') || file.endsWith('.gz')) continue;
    const type = CONTENT_TYPES[path.extname(file)];
    if (type === undefined) continue;
    const body = await readFile(path.join(dir, file));
    const bodies = new Map([['', body]]);
    for (const [suffix, encoding] of [
      ['.br', 'br'],
      ['.gz', 'gzip'],
    ] as const) {
      if (files.includes(file + suffix)) {
        bodies.set(encoding, await readFile(path.join(dir, file + suffix)));
      }
    }
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
    const urlPath = file === 'index.html' ? '/' : `/${file.split(path.sep).join('/')}`;
    assets.set(urlPath, { type, etag, immutable: urlPath.startsWith('/ui/'), bodies });
  }
  return {
    has: (urlPath) => assets.has(urlPath === '/index.html' ? '/' : urlPath),
    serve(req, res) {
      const urlPath = (req.url ?? '/').split('?', 1)[0] ?? '/';
      const asset = assets.get(urlPath === '/index.html' ? '/' : urlPath);
      if (asset === undefined) return;
      const headers: Record<string, string | number> = {
        [HEADERS.contentType]: asset.type,
        'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        [HEADERS.etag]: asset.etag,
        vary: 'accept-encoding',
        'content-security-policy': DASHBOARD_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
      };
      if (req.headers[HEADERS.ifNoneMatch] === asset.etag) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      const encoding = pickEncoding(req.headers['accept-encoding'], asset.bodies);
      const body = asset.bodies.get(encoding) ?? Buffer.alloc(0);
      if (encoding !== '') headers['content-encoding'] = encoding;
      headers[HEADERS.contentLength] = body.length;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}

/** The smallest encoding the client accepts (`br` before `gzip`), '' for none. */
export function pickEncoding(header: string | undefined, available: Map<string, Buffer>): string {
  const accepted = new Set(
    (header ?? '')
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => q === undefined || !/^\s*q=0(\.0*)?\s*$/.test(q))
      .map(([name]) => name?.trim().toLowerCase()),
  );
  for (const encoding of ['br', 'gzip']) {
    if (accepted.has(encoding) && available.has(encoding)) return encoding;
  }
  return '';
}

/** Every file under `dir`, relative, recursively. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}
