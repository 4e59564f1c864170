/**
 * Real dfs node processes for the cluster bench: started from apps/node/dist/main.js (built
 * beforehand) on 127.0.0.1, driven over plain HTTP, and measured through /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built node entry point (this file is bench/src/dfs-nodes.ts). */
export const nodeMain = fileURLToPath(new URL('../../apps/node/dist/main.js', import.meta.url));

export interface BenchNode {
  child: ChildProcess;
  port: number;
  url: string;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startNode(
  dir: string,
  peers: string[],
  flags: readonly string[] = [],
): Promise<BenchNode> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      // e.g. DFS_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the nodes.
      ...(process.env['DFS_BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
      nodeMain,
      `127.0.0.1:${port}`,
      ...peers,
      '--data',
      join(dir, String(port)),
      '--log-level',
      'warn',
      '--probe-interval',
      '500ms',
      ...flags,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      if (out.includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`node exited with ${code} before ready`)));
  });
  return { child, port, url: `http://127.0.0.1:${port}` };
}

/** One HTTP request, streaming `chunks` as the body; resolves with the status and body length. */
export function request(
  url: string,
  method: string,
  chunks?: Iterable<Buffer>,
  length?: number,
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: length === undefined ? {} : { 'content-length': length } },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (!chunks) {
      req.end();
      return;
    }
    const iterator = chunks[Symbol.iterator]();
    const pump = (): void => {
      for (;;) {
        const next = iterator.next();
        if (next.done) {
          req.end();
          return;
        }
        if (!req.write(next.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** How many files the node lists under `prefix`, page after page. */
export async function listCount(url: string, prefix: string): Promise<number> {
  let count = 0;
  let cursor = '';
  for (;;) {
    const res = await fetch(
      `${url}/v1/files?prefix=${prefix}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    const page = (await res.json()) as { files: unknown[]; next: string | null };
    count += page.files.length;
    if (!page.next) return count;
    cursor = page.next;
  }
}

/** A process's peak resident set (VmHWM) in MiB (Linux only). */
export function peakRssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ: 100 on Linux everywhere). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (Linux only). */
export function cpuSeconds(pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at its closing parenthesis;
  // utime and stime are fields 14 and 15, i.e. the 12th and 13th after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** The CPU seconds all `nodes` used together so far. */
export function clusterCpuSeconds(nodes: readonly BenchNode[]): number {
  return nodes.reduce((sum, node) => sum + cpuSeconds(node.child.pid), 0);
}

/** Each node's CPU seconds so far, in the order of `nodes`. */
export function nodeCpuSeconds(nodes: readonly BenchNode[]): number[] {
  return nodes.map((node) => cpuSeconds(node.child.pid));
}

/** How many live files the node holds a copy of (its `/v1/health` count). */
export async function heldFiles(url: string): Promise<number> {
  const res = await fetch(`${url}/v1/health`);
  return ((await res.json()) as { files: number }).files;
}

/** SIGTERM to each node, then waits until all have exited. */
export async function stopNodes(nodes: readonly BenchNode[]): Promise<void> {
  for (const node of nodes) node.child.kill('SIGTERM');
  await Promise.all(
    nodes.map(
      (n) =>
        new Promise((resolve) =>
          n.child.exitCode !== null || n.child.signalCode !== null
            ? resolve(null)
            : n.child.once('exit', resolve),
        ),
    ),
  );
}
