import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, loadDashboardAssets, pickEncoding } from '../src/http/dashboard-assets.js';
import { startTestApi, type TestApi } from './support/api-server.js';

const HTML =
  '<!doctype html><title>dfs</title><script type="module" src="/ui/main-ABC.js"></script>';
const SCRIPT = 'console.log("dashboard");'.repeat(20);

let api: TestApi | undefined;
let dir: string | undefined;
afterEach(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  api = undefined;
  dir = undefined;
});

async function builtDashboard(): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), 'dfs-dashboard-'));
  await mkdir(path.join(dir, 'ui'));
  await writeFile(path.join(dir, 'index.html'), HTML);
  await writeFile(path.join(dir, 'index.html.br'), brotliCompressSync(HTML));
  await writeFile(path.join(dir, 'ui/main-ABC.js'), SCRIPT);
  await writeFile(path.join(dir, 'ui/main-ABC.js.gz'), gzipSync(SCRIPT));
  return dir;
}

async function serve(): Promise<string> {
  const dashboard = await loadDashboardAssets(await builtDashboard());
  expect(dashboard).toBeDefined();
  api = await startTestApi({ apiToken: 'secret', dashboard: dashboard! });
  return api.url;
}

describe('the dashboard files', () => {
  it('/ answers index.html without a token, no-cache, with a strict CSP', async () => {
    const url = await serve();
    const res = await fetch(`${url}/`, { headers: { 'accept-encoding': 'identity' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(HTML);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(DASHBOARD_CSP);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // The data still needs the token.
    expect((await fetch(`${url}/v1/cluster`)).status).toBe(401);
  });

  it('hashed assets are immutable and come compressed when the client accepts it', async () => {
    const url = await serve();
    const res = await fetch(`${url}/ui/main-ABC.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // fetch decodes gzip itself; the length on the wire is the compressed one.
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(Number(res.headers.get('content-length'))).toBe(gzipSync(SCRIPT).length);
    expect(await res.text()).toBe(SCRIPT);
    const raw = await fetch(`${url}/ui/main-ABC.js`, { headers: { 'accept-encoding': 'br' } });
    expect(raw.headers.get('content-encoding')).toBe(null);
    expect(await raw.text()).toBe(SCRIPT);
  });

  it('answers 304 to a matching If-None-Match, and 404 for files it does not have', async () => {
    const url = await serve();
    const first = await fetch(`${url}/`);
    const etag = first.headers.get('etag')!;
    await first.text();
    const again = await fetch(`${url}/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await fetch(`${url}/ui/missing.js`)).status).toBe(404);
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(405);
  });

  it('a directory without index.html is no dashboard', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dfs-dashboard-'));
    expect(await loadDashboardAssets(dir)).toBeUndefined();
    expect(await loadDashboardAssets(path.join(dir, 'absent'))).toBeUndefined();
    api = await startTestApi();
    expect((await fetch(`${api.url}/`)).status).toBe(404);
  });
});

describe('pickEncoding', () => {
  const both = new Map([
    ['', Buffer.alloc(0)],
    ['br', Buffer.alloc(0)],
    ['gzip', Buffer.alloc(0)],
  ]);
  it('prefers br, then gzip, honours q=0, and falls back to identity', () => {
    expect(pickEncoding('gzip, deflate, br', both)).toBe('br');
    expect(pickEncoding('gzip;q=1.0, br;q=0', both)).toBe('gzip');
    expect(pickEncoding('identity', both)).toBe('');
    expect(pickEncoding(undefined, both)).toBe('');
    expect(pickEncoding('br', new Map([['', Buffer.alloc(0)]]))).toBe('');
  });
});
