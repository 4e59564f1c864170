/**
 * Real dfs nodes (apps/node/dist/main.js, built beforehand) on 127.0.0.1 with the default
 * `--replicas 3`: three nodes, so every node holds every file. Each figure is set against a raw
 * floor measured earlier in the same run on the same disk (bench/src/raw-floors.ts), and CPU is
 * counted per node and per scenario (utime + stime from /proc; on a shared machine far steadier
 * than wall time). The rows are issue 13's table:
 *
 * 1. Cluster CPU per GiB, one upload until 3 nodes hold it (`?w=3`), against 3 concurrent writers
 *    (write + sha256 + fsync, one thread each) plus 2 concurrent loopback TCP transfers of the body,
 *    both ends counted: what storing 3 copies and moving 2 costs at the least. The client's side
 *    and the origin's receiving of the upload are not in the floor (nor is the client in the value).
 * 2. Cluster CPU per 4 KiB file until all 3 hold it (N files PUT at c=16 with `?w=1` to one node,
 *    then each node's `/v1/health` file count polled), against 3 writes per file of create, write,
 *    fsync, close. Rename and directory fsync are left out of the floor: a directory fsync can be
 *    shared by every file of a group commit and a create-only name needs no rename, so neither is a
 *    per-file cost a store must pay. The same writers with rename + directory fsync per file are
 *    measured too and printed in the row's note, to show what publishing each file alone costs.
 * 3. Wall time of row 1's upload ÷ the 3 concurrent writers'.
 * 4. Wall time of row 2's N files ÷ the 3 concurrent small-file writers' (3 × N files).
 * 5. Upload to one node (`?w=1`, until its 201) against one writer (write + sha256 + fsync, 64 KiB
 *    at a time), once with 2 peers joined and once on a node alone.
 * 6. Peak RSS (VmHWM) per node after a 4 GiB `?w=3` upload (full run; --quick reads it after the
 *    quick-sized uploads instead and says so).
 * 7. A delete until no node serves it.
 *
 * Then a fourth node joins and reads a file it must fetch (the read path; the large files are
 * deleted first so that it does not rebalance them meanwhile). Sizes: 1 GiB bodies, 1,000 small
 * files, 4 GiB for RSS; --quick: 128 MiB, 250 files, no 4 GiB upload.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  heldFiles,
  nodeCpuSeconds,
  nodeMain,
  peakRssMiB,
  request,
  startNode,
  stopNodes,
  type BenchNode,
} from '../dfs-nodes.js';
import {
  body,
  rawLargeWriters,
  rawSmallWriters,
  rawTcpTransfers,
  rawWrite,
} from '../raw-floors.js';
import type { BenchRow } from '../report.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SMALL = 4096;

/** Wall time of a scenario and each node's CPU seconds over it. */
interface Scenario {
  wallS: number;
  cpu: number[];
}

async function scenario(
  nodes: readonly BenchNode[],
  work: () => Promise<unknown>,
): Promise<Scenario> {
  const before = nodeCpuSeconds(nodes);
  const started = performance.now();
  await work();
  const wallS = (performance.now() - started) / 1000;
  const after = nodeCpuSeconds(nodes);
  return { wallS, cpu: after.map((s, i) => s - (before[i] ?? 0)) };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** "n1 2.10 / n2 1.50 / n3 1.40 CPU-s, 5.2 s wall" */
function perNode(s: Scenario): string {
  const nodes = s.cpu.map((c, i) => `n${i + 1} ${c.toFixed(2)}`).join(' / ');
  return `${nodes} CPU-s, ${s.wallS.toFixed(2)} s wall`;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, pollMs = 5): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('bench condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Until every node holds `counts[i]` live files (polled every 20 ms, to load the nodes little).
 * Resolves with "" when they do, or, after `timeoutMs`, with what each node held then: a stalled
 * replication is a finding to print in its row, not a reason to lose the rest of the run.
 */
async function untilHeld(
  nodes: readonly BenchNode[],
  counts: readonly number[],
  timeoutMs: number,
): Promise<string> {
  let held: number[] = [];
  try {
    await until(
      async () => {
        held = await Promise.all(nodes.map((n) => heldFiles(n.url)));
        return held.every((h, i) => h >= (counts[i] ?? 0));
      },
      timeoutMs,
      20,
    );
    return '';
  } catch {
    const short = held.map((h, i) => `n${i + 1} ${h}/${counts[i] ?? 0}`).join(', ');
    return `STALLED after ${timeoutMs / 1000} s (files held: ${short})`;
  }
}

async function untilAlive(node: BenchNode, members: number): Promise<void> {
  await until(async () => {
    const view = (await (await fetch(`${node.url}/v1/cluster`)).json()) as {
      members: { state: string }[];
    };
    return view.members.filter((m) => m.state === 'alive').length === members;
  }, 30_000);
}

async function put(node: BenchNode, name: string, size: number, pattern: Buffer, w: number) {
  const url = `${node.url}/v1/files/${name}?w=${w}&timeout=600s`;
  const res = await request(url, 'PUT', body(size, pattern), size);
  if (res.status !== 201) throw new Error(`PUT ${name} (w=${w}) answered ${res.status}`);
}

async function inParallel(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  if (!existsSync(nodeMain)) throw new Error(`build the node first: pnpm --filter apps/node build`);
  const size = quick ? 128 * MiB : GiB;
  const rssSize = quick ? undefined : 4 * GiB;
  const smallCount = quick ? 250 : 1000;
  const label = quick ? `${size / MiB} MiB` : '1 GiB';
  const gib = size / GiB;
  const pattern = randomBytes(MiB);
  const small = randomBytes(SMALL);
  const dir = await mkdtemp(join(tmpdir(), 'dfs-bench-cluster-'));
  const nodes: BenchNode[] = [];
  try {
    // Raw floors, before any node runs.
    const single = await rawWrite(join(dir, 'raw-single'), size, pattern);
    const writers = await rawLargeWriters(dir, 3, size, pattern);
    const tcp = await rawTcpTransfers(2, size, pattern);
    const smallPlain = await rawSmallWriters(dir, 3, smallCount, SMALL, { atomic: false });
    const smallAtomic = await rawSmallWriters(dir, 3, smallCount, SMALL, { atomic: true });
    const singleMiBps = size / MiB / single.wallS;
    for (const f of ['raw-single', 'raw-large-3-0', 'raw-large-3-1', 'raw-large-3-2']) {
      await rm(join(dir, f), { force: true });
    }

    // 5b. One node alone.
    const alone = await startNode(dir, []);
    let aloneUpload: Scenario;
    try {
      await put(alone, 'warm-up', 4 * MiB, pattern, 1);
      aloneUpload = await scenario([alone], () => put(alone, 'alone', size, pattern, 1));
    } finally {
      await stopNodes([alone]);
      await rm(join(dir, String(alone.port)), { recursive: true, force: true });
    }

    const a = await startNode(dir, []);
    nodes.push(a);
    nodes.push(await startNode(dir, [`127.0.0.1:${a.port}`]));
    nodes.push(await startNode(dir, [`127.0.0.1:${a.port}`]));
    const [, b] = nodes as [BenchNode, BenchNode, BenchNode];
    await untilAlive(nodes[2] as BenchNode, 3);
    // Warm up (JIT, connections) so the first measured upload is not also the first request.
    await put(a, 'warm-up', 4 * MiB, pattern, 3);
    const held = async (): Promise<number[]> => Promise.all(nodes.map((n) => heldFiles(n.url)));
    const idle = await scenario(nodes, () => new Promise((r) => setTimeout(r, 2000)));

    // 5a. Upload to one node with 2 peers joined; then let both peers finish their copies.
    let counts = await held();
    const peersUpload = await scenario(nodes, () => put(a, 'large-1', size, pattern, 1));
    const peersStall = await untilHeld(
      nodes,
      counts.map((c) => c + 1),
      600_000,
    );

    // 1, 3. One upload until 3 nodes hold it.
    const spread = await scenario(nodes, () => put(a, 'large-2', size, pattern, 3));

    // 6. Peak RSS while moving a 4 GiB file (full run).
    const huge = rssSize
      ? await scenario(nodes, () => put(a, 'huge', rssSize, pattern, 3))
      : undefined;
    const rss = nodes.map((n) => peakRssMiB(n.child.pid));

    // 2, 4. Small files until all 3 hold them.
    counts = await held();
    let smallStall = '';
    const smallSpread = await scenario(nodes, async () => {
      await inParallel(smallCount, 16, async (i) => {
        const res = await request(`${a.url}/v1/files/small/${i}?w=1`, 'PUT', [small], SMALL);
        if (res.status !== 201) throw new Error(`small PUT answered ${res.status}`);
      });
      smallStall = await untilHeld(
        nodes,
        counts.map((c) => c + smallCount),
        120_000,
      );
    });

    // 7. A delete until no node serves it.
    await request(`${a.url}/v1/files/doomed?w=3&timeout=30s`, 'PUT', [small], SMALL);
    let started = performance.now();
    await request(`${a.url}/v1/files/doomed`, 'DELETE');
    await until(async () => {
      const answers = await Promise.all(
        nodes.map((n) => request(`${n.url}/v1/files/doomed`, 'GET')),
      );
      return answers.every((r) => r.status === 404);
    }, 30_000);
    const deleteS = (performance.now() - started) / 1000;

    // The read path: a fourth node joins and reads a file it must fetch.
    for (const name of ['large-1', 'large-2', ...(rssSize ? ['huge'] : [])]) {
      await request(`${a.url}/v1/files/${name}`, 'DELETE');
    }
    await put(b, 'large-get', size, pattern, 3);
    const d = await startNode(dir, [`127.0.0.1:${a.port}`]);
    nodes.push(d);
    await untilAlive(d, 4);
    started = performance.now();
    let got = { status: 0, bytes: 0 };
    const get = await scenario(nodes, async () => {
      got = await request(`${d.url}/v1/files/large-get`, 'GET');
    });
    if (got.status !== 200 || got.bytes !== size) {
      throw new Error(`GET answered ${got.status}, ${got.bytes} bytes`);
    }
    const fetcherRss = peakRssMiB(d.child.pid);

    const floorCpuPerGiB = (writers.cpuS + tcp.cpuS) / gib;
    const idleRate = sum(idle.cpu) / idle.wallS;
    const rssNote = rss.map((r, i) => `n${i + 1} ${r.toFixed(0)}`).join(' / ');
    return [
      {
        name: `cluster CPU per GiB, ${label} until 3 nodes hold it`,
        value: sum(spread.cpu) / gib,
        unit: 'CPU-s/GiB',
        baseline: { name: '3 writers sha256+fsync + 2 loopback TCP', value: floorCpuPerGiB },
        better: 'lower',
        ratioKind: 'times-baseline',
        target: '<= 1.3x',
        limit: { max: 1.3 },
        note: `${perNode(spread)}; floor: writers ${(writers.cpuS / gib).toFixed(2)} + TCP ${(tcp.cpuS / gib).toFixed(2)} CPU-s/GiB, loopback ${(size / MiB / tcp.wallS).toFixed(0)} MiB/s per stream (2 at once)`,
      },
      {
        name: `cluster CPU per 4 KiB file, ${smallCount} files until 3 nodes hold them`,
        value: (sum(smallSpread.cpu) * 1000) / smallCount,
        unit: 'CPU-ms/file',
        baseline: { name: '3 fsynced 4 KiB writes', value: (smallPlain.cpuS * 1000) / smallCount },
        better: 'lower',
        ratioKind: 'times-baseline',
        target: '<= 2x',
        limit: { max: 2 },
        note: `${smallStall ? `${smallStall}; ` : ''}${perNode(smallSpread)}; with rename + dir fsync the floor is ${((smallAtomic.cpuS * 1000) / smallCount).toFixed(2)} CPU-ms/file; idle cluster ${(idleRate * 1000).toFixed(0)} CPU-ms/s`,
      },
      {
        name: `wall time, ${label} on all 3 nodes`,
        value: spread.wallS,
        unit: 's',
        baseline: { name: `3 concurrent raw ${label} writes`, value: writers.wallS },
        better: 'lower',
        ratioKind: 'times-baseline',
        target: '<= 1.3x',
        limit: { max: 1.3 },
      },
      {
        name: `wall time, ${smallCount} x 4 KiB on all 3 nodes`,
        value: smallSpread.wallS,
        unit: 's',
        baseline: { name: `3 concurrent raw ${smallCount}-file writes`, value: smallPlain.wallS },
        better: 'lower',
        ratioKind: 'times-baseline',
        target: '<= 1.5x',
        limit: { max: 1.5 },
        note: `${smallStall ? `${smallStall}; ` : ''}with rename + dir fsync the floor takes ${smallAtomic.wallS.toFixed(2)} s`,
      },
      {
        name: `upload ${label} to one node, 2 peers joined (w=1)`,
        value: size / MiB / peersUpload.wallS,
        unit: 'MiB/s',
        baseline: { name: 'raw write+sha256+fsync', value: singleMiBps },
        better: 'higher',
        target: '>= 0.8x',
        limit: { min: 0.8 },
        note: `${perNode(peersUpload)}${peersStall ? `; then ${peersStall}` : ''}`,
      },
      {
        name: `upload ${label} to one node alone`,
        value: size / MiB / aloneUpload.wallS,
        unit: 'MiB/s',
        baseline: { name: 'raw write+sha256+fsync', value: singleMiBps },
        better: 'higher',
        target: '>= 0.8x',
        limit: { min: 0.8 },
        note: perNode(aloneUpload),
      },
      {
        name: rssSize
          ? 'peak RSS per node, 4 GiB moved'
          : `peak RSS per node, ${label} moved (quick: not 4 GiB)`,
        value: Math.max(...rss),
        unit: 'MiB',
        better: 'lower',
        target: '< 100 MiB',
        limit: { max: 100 },
        note: `${rssNote} MiB${huge ? `; the 4 GiB upload: ${perNode(huge)}, ${(sum(huge.cpu) / 4).toFixed(2)} CPU-s/GiB` : ''}`,
      },
      {
        name: 'delete until no node serves it',
        value: deleteS,
        unit: 's',
        better: 'lower',
        target: '<= 0.3 s',
        limit: { max: 0.3 },
      },
      {
        name: `GET ${label} from a node that must fetch it`,
        value: size / MiB / get.wallS,
        unit: 'MiB/s',
        baseline: { name: 'raw write+sha256+fsync', value: singleMiBps },
        better: 'higher',
        target: '>= 0.7x',
        limit: { min: 0.7 },
        note: `${perNode(get)}, ${((sum(get.cpu) * 1000) / (size / MiB)).toFixed(1)} CPU-ms/MiB; fetcher (n4) peak RSS ${fetcherRss.toFixed(0)} MiB`,
      },
    ];
  } finally {
    await stopNodes(nodes);
    await rm(dir, { recursive: true, force: true });
  }
}
