/**
 * The `dfs` command against one real node (apps/node/dist and apps/cli/dist, built beforehand):
 *
 * 1. `dfs put -r` of N × 4 KiB files (2,000; --quick 500) in files/s, wall time of the whole command
 *    as a user runs it (process start included), against the node's own PUT rate: the same N files
 *    PUT straight over HTTP at the same concurrency (the CLI's default --transfers), once before and
 *    once after the CLI's run, averaged (the load on a shared machine drifts). Target ≥ 0.8×.
 * 2. The same `put -r` again on the unchanged tree (nothing is sent): its wall time, in the note.
 * 3. `dfs --version` start-up: the median of 15 runs, against `node -e 0` (the floor any Node
 *    program pays). Target: under 300 ms.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request, startNode, stopNodes } from '../dfs-nodes.js';
import type { BenchRow } from '../report.js';

const dfsMain = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));
const SMALL = 4096;
/** The CLI's default --transfers (apps/cli/src/batch.ts). */
const TRANSFERS = 8;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Wall ms of one child process run; throws when it fails. */
function timed(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed: ${run.stderr}`);
  return ms;
}

/** PUTs `count` small bodies to `url` with `concurrency` requests in flight; resolves with ms. */
async function rawPuts(url: string, count: number, concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const body = Buffer.alloc(SMALL, 7);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const { status } = await request(`${url}/v1/files/raw/${index}.bin`, 'PUT', [body], SMALL);
        if (status !== 201 && status !== 200) throw new Error(`raw PUT answered ${status}`);
      }
    }),
  );
  return performance.now() - started;
}

export async function run(options: { quick: boolean }): Promise<BenchRow[]> {
  const count = options.quick ? 500 : 2000;
  const dir = await mkdtemp(join(tmpdir(), 'dfs-bench-cli-'));
  const tree = join(dir, 'tree');
  for (let i = 0; i < count; i += 1) {
    const sub = join(tree, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(sub, { recursive: true });
    const body = Buffer.alloc(SMALL, i % 251);
    body.writeUInt32BE(i, 0);
    await writeFile(join(sub, `f${i}.bin`), body);
  }
  const node = await startNode(join(dir, 'nodes'), []);
  const env = { ...process.env, DFS_NODE: node.url.replace('http://', '') };
  const rows: BenchRow[] = [];
  try {
    // Warm the node (and the page cache) a little so neither side pays for a cold start alone.
    await rawPuts(node.url, 50, TRANSFERS);
    // Raw PUTs before and after the CLI's run, averaged: on a shared machine the load drifts.
    const rawBefore = await rawPuts(node.url, count, TRANSFERS);
    const cliMs = timed(
      [dfsMain, '-q', 'put', '-r', tree, 'cli', '--transfers', String(TRANSFERS)],
      env,
    );
    // Sockets idle through the CLI's run may have been closed by the node: start with fresh ones.
    http.globalAgent.destroy();
    const rawAfter = await rawPuts(node.url, count, TRANSFERS);
    const rawMs = (rawBefore + rawAfter) / 2;
    const againMs = timed([dfsMain, '-q', 'put', '-r', tree, 'cli'], env);
    rows.push({
      name: `dfs put -r, ${count} × 4 KiB, --transfers ${TRANSFERS}`,
      value: count / (cliMs / 1000),
      unit: 'files/s',
      baseline: { name: `node PUT rate, c=${TRANSFERS}`, value: count / (rawMs / 1000) },
      better: 'higher',
      target: '≥ 0.8× the node',
      limit: { min: 0.8 },
      note: `cli ${(cliMs / 1000).toFixed(2)} s (process start included), raw ${(rawBefore / 1000).toFixed(2)} s before and ${(rawAfter / 1000).toFixed(2)} s after; unchanged tree again: ${(againMs / 1000).toFixed(2)} s, nothing sent`,
    });
  } finally {
    await stopNodes([node]);
  }
  const runs = 15;
  const cli: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    bare.push(timed(['-e', '0']));
    cli.push(timed([dfsMain, '--version']));
  }
  rows.push({
    name: 'dfs --version start-up (median of 15)',
    value: median(cli),
    unit: 'ms',
    baseline: { name: 'node -e 0', value: median(bare) },
    better: 'lower',
    ratioKind: 'times-baseline',
    target: '< 300 ms',
    note: `min ${Math.min(...cli).toFixed(0)} ms; node -e 0 min ${Math.min(...bare).toFixed(0)} ms`,
  });
  await rm(dir, { recursive: true, force: true });
  return rows;
}
