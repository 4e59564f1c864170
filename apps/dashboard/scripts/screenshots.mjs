/* global document -- the waitForFunction callbacks run in the page */
/**
 * Regenerates the dashboard screenshots in docs/ (`pnpm --filter @dfs/dashboard screenshots`):
 * starts three real nodes from apps/node/dist (build first: `pnpm build`), uploads a few files,
 * opens the dashboard in headless Chromium (CHROME_PATH or `chromium` on the PATH) and saves the
 * Activity, Files and Cluster views (the last with one member killed), and the Files view on a
 * phone-sized screen.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const nodeMain = path.join(repo, 'apps/node/dist/main.js');
const docs = path.join(repo, 'docs');
const TOKEN = 'screenshot-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

function chromium() {
  if (process.env.CHROME_PATH) return process.env.CHROME_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // Try the next name.
    }
  }
  throw new Error('no Chromium found: apt-get install chromium, or set CHROME_PATH');
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startNode(dir, peers) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      nodeMain,
      `127.0.0.1:${port}`,
      ...peers,
      '--data',
      dir,
      '--secret',
      'shots',
      '--log-level',
      'warn',
    ],
    {
      env: { ...process.env, DFS_API_TOKEN: TOKEN, DFS_CLUSTER_SECRET: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('ready')) resolve();
    });
    child.on('exit', () => reject(new Error('node exited before ready')));
  });
  return { child, address: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}` };
}

async function until(what, probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not in time`);
}

const dirs = [];
const nodes = [];
let browser;
try {
  for (let i = 0; i < 3; i++) dirs.push(await mkdtemp(path.join(tmpdir(), 'dfs-shots-')));
  nodes.push(await startNode(dirs[0], []));
  for (const dir of dirs.slice(1)) nodes.push(await startNode(dir, [nodes[0].address]));
  const [a] = nodes;
  await until('three members alive', async () => {
    const view = await (await fetch(`${a.url}/v1/cluster`, { headers: AUTH })).json();
    return view.members.filter((m) => m.state === 'alive').length === 3;
  });
  const files = {
    'docs/architecture.pdf': 380_000,
    'docs/notes.txt': 2_400,
    'photos/2026/beach.jpg': 2_600_000,
    'photos/2026/forest.jpg': 1_900_000,
    'photos/cat.png': 740_000,
    'backups/db-2026-12-01.tar.gz': 6_000_000,
    'README.md': 1_200,
    'report.csv': 58_000,
  };
  for (const [name, size] of Object.entries(files)) {
    await fetch(`${a.url}/v1/files/${name}`, {
      method: 'PUT',
      headers: AUTH,
      body: randomBytes(size),
    });
  }

  browser = await puppeteer.launch({ executablePath: chromium(), args: ['--no-sandbox'] });
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 640 });
  await page.goto(`${a.url}/#activity`);
  await page.waitForSelector('#token', { visible: true });
  await page.type('#token', TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#view-activity:not([hidden])');
  // Some traffic while the Activity view samples it, so its charts have a shape.
  for (let round = 0; round < 8; round++) {
    const node = nodes[round % 3];
    await fetch(`${node.url}/v1/files/uploads/batch-${round}.bin`, {
      method: 'PUT',
      headers: AUTH,
      body: randomBytes(1_000_000 * (1 + (round % 4))),
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  await page.screenshot({ path: path.join(docs, 'dashboard-activity.png') });

  await page.goto(`${a.url}/#files`);
  await page.waitForSelector('tr[data-file="README.md"]');
  await page.click('tr[data-file="report.csv"] button.link');
  await page.waitForFunction(() => document.querySelector('#details-list dd') !== null);
  await page.screenshot({ path: path.join(docs, 'dashboard-files.png') });

  await page.setViewport({ width: 390, height: 760 });
  await page.goto(`${a.url}/#files/${encodeURIComponent('photos/2026/')}`);
  await page.waitForSelector('tr[data-file="photos/2026/beach.jpg"]');
  await page.screenshot({ path: path.join(docs, 'dashboard-narrow.png') });
  // The Cluster view with one member killed: it turns dead on the page, its figures say why.
  await page.setViewport({ width: 1200, height: 480 });
  await page.goto(`${a.url}/#cluster`);
  await page.waitForFunction(() => document.querySelectorAll('#members tbody tr').length === 3);
  nodes[2].child.kill('SIGKILL');
  await page.waitForSelector('#members tr[data-state="dead"]', { timeout: 60_000 });
  await new Promise((resolve) => setTimeout(resolve, 5500));
  await page.screenshot({ path: path.join(docs, 'dashboard-cluster.png') });
  console.log('wrote docs/dashboard-{cluster,files,activity,narrow}.png');
} finally {
  await browser?.close();
  for (const node of nodes) node.child.kill('SIGKILL');
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}
