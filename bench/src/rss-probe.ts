/**
 * Memory probe for issue 13: starts 3 real nodes, uploads one body (`?w=3`) to the first, and
 * samples every node's /proc status (VmRSS, RssAnon, RssFile) every 50 ms; prints idle, peak and
 * the upload's throughput. Usage: node --import tsx src/rss-probe.ts [MiB=1024]
 * (node flags through DFS_BENCH_NODE_ARGS, as for the cluster bench).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cpuSeconds,
  peakRssMiB,
  request,
  startNode,
  stopNodes,
  type BenchNode,
} from './dfs-nodes.js';
import { body } from './raw-floors.js';

const MiB = 1024 * 1024;

function status(pid: number | undefined): Record<string, number> {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const out: Record<string, number> = {};
  for (const key of ['VmRSS', 'RssAnon', 'RssFile', 'VmHWM']) {
    out[key] = Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN) / 1024;
  }
  return out;
}

const sizeMiB = Number(process.argv[2] ?? 1024);
const dir = await mkdtemp(join(tmpdir(), 'dfs-rss-probe-'));
const nodes: BenchNode[] = [];
try {
  const a = await startNode(dir, []);
  nodes.push(a);
  nodes.push(await startNode(dir, [`127.0.0.1:${a.port}`]));
  nodes.push(await startNode(dir, [`127.0.0.1:${a.port}`]));
  const pattern = randomBytes(MiB);
  await new Promise((r) => setTimeout(r, 3000));
  await request(`${a.url}/v1/files/warm?w=3`, 'PUT', body(4 * MiB, pattern), 4 * MiB);
  await new Promise((r) => setTimeout(r, 1000));
  const idle = nodes.map((n) => status(n.child.pid));
  const peakAnon = nodes.map(() => 0);
  const timer = setInterval(() => {
    nodes.forEach((n, i) => {
      peakAnon[i] = Math.max(peakAnon[i] ?? 0, status(n.child.pid)['RssAnon'] ?? 0);
    });
  }, 50);
  const cpuBefore = nodes.map((n) => cpuSeconds(n.child.pid));
  const started = performance.now();
  const size = sizeMiB * MiB;
  const res = await request(
    `${a.url}/v1/files/big?w=3&timeout=600s`,
    'PUT',
    body(size, pattern),
    size,
  );
  const wall = (performance.now() - started) / 1000;
  clearInterval(timer);
  const cpu = nodes.map((n, i) => cpuSeconds(n.child.pid) - (cpuBefore[i] ?? 0));
  const f = (x: number | undefined): string => (x ?? NaN).toFixed(1);
  console.log(
    `status ${res.status}; ${sizeMiB} MiB in ${wall.toFixed(2)} s = ${(sizeMiB / wall).toFixed(1)} MiB/s`,
  );
  nodes.forEach((n, i) => {
    const s = idle[i] ?? {};
    console.log(
      `n${i + 1} pid ${n.child.pid}: idle rss ${f(s['VmRSS'])} (anon ${f(s['RssAnon'])}, file ${f(s['RssFile'])}); ` +
        `peak rss ${f(peakRssMiB(n.child.pid))}, peak anon ${f(peakAnon[i])}; ${f(cpu[i])} CPU-s`,
    );
  });
} finally {
  await stopNodes(nodes);
  await rm(dir, { recursive: true, force: true });
}
