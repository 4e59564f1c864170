/**
 * Reads under partial replication: two real nodes with `--replicas 1`, so each file lives on one
 * of them. A large file is read from the node that holds it (a local GET) and from the other one,
 * which streams it from the holder, verifying sha256 as it relays, and keeps no copy (a proxied
 * GET). Target: the proxied GET runs at ≥ 0.7× the local one. Both are timed in the same run, in
 * alternation, best of three.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placementTargets } from '@dfs/replication';
import { request, startNode, type BenchNode } from '../dfs-nodes.js';
import type { BenchRow } from '../report.js';

const MIB = 1024 * 1024;

function* chunksOf(total: number, chunk: Buffer): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += chunk.length) {
    yield sent + chunk.length <= total ? chunk : chunk.subarray(0, total - sent);
  }
}

async function timedGet(url: string, expected: number): Promise<number> {
  const started = process.hrtime.bigint();
  const { status, bytes } = await request(url, 'GET');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (status !== 200 || bytes !== expected) {
    throw new Error(`GET ${url}: status ${status}, ${bytes} of ${expected} bytes`);
  }
  return expected / MIB / seconds;
}

/** A name whose one target (placement/1 over both members, R = 1) is `holder`. */
async function nameTargeting(holder: BenchNode, nodes: readonly BenchNode[]): Promise<string> {
  const ids: string[] = [];
  for (const node of nodes) {
    const health = (await (await fetch(`${node.url}/v1/health`)).json()) as { id: string };
    ids.push(health.id);
  }
  const holderId = ids[nodes.indexOf(holder)]!;
  const members = ids.map((id) => ({ id, weight: 1 }));
  for (let i = 0; ; i++) {
    const name = `bench/proxied-${i}.bin`;
    if (placementTargets(name, members, 1)[0] === holderId) return name;
  }
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const size = (quick ? 256 : 1024) * MIB;
  const dir = await mkdtemp(join(tmpdir(), 'dfs-bench-placement-'));
  const nodes: BenchNode[] = [];
  try {
    const flags = ['--replicas', '1'];
    const a = await startNode(dir, [], flags);
    nodes.push(a);
    nodes.push(await startNode(dir, [`127.0.0.1:${a.port}`], flags));
    const chunk = Buffer.alloc(MIB, 7);
    const [holder, other] = nodes as [BenchNode, BenchNode];
    const name = await nameTargeting(holder, nodes);
    const put = await request(`${holder.url}/v1/files/${name}`, 'PUT', chunksOf(size, chunk), size);
    if (put.status !== 201) throw new Error(`PUT answered ${put.status}`);
    let local = 0;
    let proxied = 0;
    for (let round = 0; round < 3; round++) {
      local = Math.max(local, await timedGet(`${holder.url}/v1/files/${name}`, size));
      proxied = Math.max(proxied, await timedGet(`${other.url}/v1/files/${name}`, size));
    }
    const label = `${size / MIB} MiB`;
    return [
      {
        name: `proxied GET ${label} (holder → other node → client)`,
        value: proxied,
        unit: 'MiB/s',
        baseline: { name: `local GET ${label}`, value: local },
        better: 'higher',
        target: '≥ 0.7x',
      },
    ];
  } finally {
    for (const node of nodes) node.child.kill('SIGTERM');
    await Promise.all(
      nodes.map(
        (node) =>
          new Promise<void>((resolve) => {
            if (node.child.exitCode !== null) resolve();
            else node.child.once('exit', () => resolve());
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  }
}
