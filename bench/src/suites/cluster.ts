/**
 * Three real dfs nodes (apps/node/dist/main.js, built beforehand) on 127.0.0.1, each figure set
 * against a raw baseline measured in the same run on the same disk:
 *
 * - raw write: the body written to a file in 64 KiB chunks with sha256 and one fsync;
 * - raw loopback TCP: the body pushed through a local socket;
 * - raw fsynced 4 KiB writes: create, write, fsync one file after another.
 *
 * Sizes: 1 GiB and 10,000 small files (64 MiB and 1,000 with --quick). Peak RSS is each node's
 * VmHWM from /proc after all the large transfers, and CPU time is the nodes' utime + stime from
 * /proc summed over a phase (Linux only): on a shared machine it is far steadier than wall time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  clusterCpuSeconds,
  listCount,
  nodeMain,
  peakRssMiB,
  request,
  startNode,
  type BenchNode,
} from '../dfs-nodes.js';
import type { BenchRow } from '../report.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const SMALL = 4096;

/** The same random MiB repeated: cheap to generate, incompressible enough for disks and TCP. */
function* body(total: number, pattern: Buffer): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += CHUNK) {
    const offset = sent % pattern.length;
    yield pattern.subarray(offset, offset + Math.min(CHUNK, total - sent));
  }
}

async function rawWrite(path: string, total: number, pattern: Buffer): Promise<number> {
  const started = performance.now();
  const handle = await open(path, 'w');
  const hash = createHash('sha256');
  for (const chunk of body(total, pattern)) {
    hash.update(chunk);
    await handle.write(chunk);
  }
  await handle.sync();
  await handle.close();
  hash.digest();
  return (performance.now() - started) / 1000;
}

async function rawTcp(total: number, pattern: Buffer): Promise<number> {
  const server = net.createServer((socket) => socket.resume());
  server.unref();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      // A manual iterator: leaving a for-of on backpressure would close the generator.
      const chunks = body(total, pattern);
      const pump = (): void => {
        for (let next = chunks.next(); !next.done; next = chunks.next()) {
          if (!socket.write(next.value)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
    // Done when the receiver has read everything, not when our side has queued it.
    server.once('connection', (peer) => peer.once('end', () => resolve()));
    socket.on('error', reject);
  });
  const seconds = (performance.now() - started) / 1000;
  server.close();
  return seconds;
}

async function rawSmallWrites(dir: string, count: number): Promise<number> {
  const data = randomBytes(SMALL);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const handle = await open(join(dir, `small-${i}`), 'w');
    await handle.write(data);
    await handle.sync();
    await handle.close();
  }
  return (performance.now() - started) / 1000;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('bench condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
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
  const size = quick ? 64 * MiB : 1024 * MiB;
  const smallCount = quick ? 1000 : 10_000;
  const spreadCount = 1000;
  const pattern = randomBytes(MiB);
  const dir = await mkdtemp(join(tmpdir(), 'dfs-bench-cluster-'));
  const nodes: BenchNode[] = [];
  try {
    const rawWriteS = await rawWrite(join(dir, 'raw-large'), size, pattern);
    const rawTcpS = await rawTcp(size, pattern);
    const rawSmallS = await rawSmallWrites(dir, smallCount);
    const rawMBps = size / MiB / rawWriteS;

    const a = await startNode(dir, []);
    nodes.push(a);
    nodes.push(await startNode(dir, [`127.0.0.1:${a.port}`]));
    nodes.push(await startNode(dir, [`127.0.0.1:${a.port}`]));
    const [, b, c] = nodes as [BenchNode, BenchNode, BenchNode];
    await until(async () => {
      const view = (await (await fetch(`${c.url}/v1/cluster`)).json()) as {
        members: { state: string }[];
      };
      return view.members.filter((m) => m.state === 'alive').length === 3;
    }, 30_000);

    // Warm up (JIT, connections) so the first measured upload is not also the first request.
    await request(
      `${a.url}/v1/files/warm-up?w=3&timeout=30s`,
      'PUT',
      body(4 * MiB, pattern),
      4 * MiB,
    );

    // 1. Upload to one node.
    let cpu = clusterCpuSeconds(nodes);
    let started = performance.now();
    const put = await request(`${a.url}/v1/files/large-1`, 'PUT', body(size, pattern), size);
    const uploadS = (performance.now() - started) / 1000;
    if (put.status !== 201) throw new Error(`upload answered ${put.status}`);

    // 2. Upload until all three hold it. The CPU row covers phases 1 and 2: each moves the body to
    //    3 nodes (phase 1 pushes while it uploads; what is left after its 201 runs during phase 2).
    started = performance.now();
    const spread = await request(
      `${a.url}/v1/files/large-2?w=3&timeout=600s`,
      'PUT',
      body(size, pattern),
      size,
    );
    const spreadS = (performance.now() - started) / 1000;
    if (spread.status !== 201) throw new Error(`w=3 upload answered ${spread.status}`);
    const uploadCpuS = clusterCpuSeconds(nodes) - cpu;

    // 3. GET from a node that does not hold it: a fourth node joins after the upload and is read
    //    from at once, so the body streams from a holder while it is served.
    const put3 = await request(`${b.url}/v1/files/large-3`, 'PUT', body(size, pattern), size);
    if (put3.status !== 201) throw new Error(`upload answered ${put3.status}`);
    const d = await startNode(dir, [`127.0.0.1:${a.port}`]);
    nodes.push(d);
    await until(async () => {
      const view = (await (await fetch(`${d.url}/v1/cluster`)).json()) as {
        members: { state: string }[];
      };
      return view.members.filter((m) => m.state === 'alive').length === 4;
    }, 30_000);
    cpu = clusterCpuSeconds(nodes);
    started = performance.now();
    const get = await request(`${d.url}/v1/files/large-3`, 'GET');
    const getS = (performance.now() - started) / 1000;
    const getCpuS = clusterCpuSeconds(nodes) - cpu;
    if (get.status !== 200 || get.bytes !== size) {
      throw new Error(`GET answered ${get.status}, ${get.bytes} bytes`);
    }
    const rss = nodes.map((n) => peakRssMiB(n.child.pid));

    // 4. 1,000 small files until all three hold them.
    const small = randomBytes(SMALL);
    cpu = clusterCpuSeconds(nodes);
    started = performance.now();
    await inParallel(spreadCount, 16, async (i) => {
      const res = await request(`${a.url}/v1/files/spread/${i}`, 'PUT', [small], SMALL);
      if (res.status !== 201) throw new Error(`small PUT answered ${res.status}`);
    });
    await until(
      async () =>
        (await listCount(b.url, 'spread/')) === spreadCount &&
        (await listCount(c.url, 'spread/')) === spreadCount,
      120_000,
    );
    const smallSpreadS = (performance.now() - started) / 1000;
    const smallSpreadCpuS = clusterCpuSeconds(nodes) - cpu;

    // 5. Small PUTs at c=16 on one node.
    started = performance.now();
    await inParallel(smallCount, 16, async (i) => {
      const res = await request(`${b.url}/v1/files/many/${i}`, 'PUT', [small], SMALL);
      if (res.status !== 201) throw new Error(`small PUT answered ${res.status}`);
    });
    const smallPutS = (performance.now() - started) / 1000;

    // 6. A delete until no node serves it.
    await request(`${a.url}/v1/files/doomed?w=3&timeout=30s`, 'PUT', [small], SMALL);
    started = performance.now();
    await request(`${a.url}/v1/files/doomed`, 'DELETE');
    await until(async () => {
      const answers = await Promise.all(
        nodes.map((n) => request(`${n.url}/v1/files/doomed`, 'GET')),
      );
      return answers.every((r) => r.status === 404);
    }, 30_000);
    const deleteS = (performance.now() - started) / 1000;

    const label = quick ? `${size / MiB} MiB` : '1 GiB';
    return [
      {
        name: `upload ${label} to one node`,
        value: size / MiB / uploadS,
        unit: 'MiB/s',
        baseline: { name: 'raw write+sha256+fsync', value: rawMBps },
        better: 'higher',
        target: '>= 0.8x',
      },
      {
        name: `upload ${label} until 3 nodes hold it`,
        value: spreadS,
        unit: 's',
        baseline: { name: 'raw write', value: rawWriteS },
        better: 'lower',
        target: 'raw/value >= 0.67 (<= 1.5x time)',
      },
      {
        name: `GET ${label} from a node that must fetch it`,
        value: size / MiB / getS,
        unit: 'MiB/s',
        baseline: { name: 'raw write+sha256+fsync', value: rawMBps },
        better: 'higher',
        target: '>= 0.7x',
      },
      {
        name: `loopback TCP for reference`,
        value: size / MiB / rawTcpS,
        unit: 'MiB/s',
        better: 'higher',
      },
      {
        name: `${spreadCount} x 4 KiB until 3 nodes hold them`,
        value: smallSpreadS,
        unit: 's',
        better: 'lower',
        target: '<= 1 s',
      },
      {
        name: `cluster CPU per MiB, 2 uploads of ${label} to 3 nodes`,
        value: (uploadCpuS * 1000) / ((2 * size) / MiB),
        unit: 'ms/MiB',
        better: 'lower',
      },
      {
        name: `cluster CPU per MiB, GET that must fetch`,
        value: (getCpuS * 1000) / (size / MiB),
        unit: 'ms/MiB',
        better: 'lower',
      },
      {
        name: `cluster CPU per small file until 3 nodes hold it`,
        value: (smallSpreadCpuS * 1000) / spreadCount,
        unit: 'ms/file',
        better: 'lower',
      },
      {
        name: `${smallCount} x 4 KiB PUTs, c=16, one node`,
        value: smallCount / smallPutS,
        unit: 'files/s',
        baseline: { name: 'raw fsynced 4 KiB writes', value: smallCount / rawSmallS },
        better: 'higher',
        target: '>= 0.5x',
      },
      {
        name: 'delete until no node serves it',
        value: deleteS,
        unit: 's',
        better: 'lower',
        target: '<= 0.3 s',
      },
      ...rss.map((mib, i) => ({
        name: `peak RSS node ${i + 1} (${label} moved)`,
        value: mib,
        unit: 'MiB',
        better: 'lower' as const,
        target: '< 100 MiB',
      })),
    ];
  } finally {
    for (const node of nodes) node.child.kill('SIGTERM');
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise((resolve) =>
            n.child.exitCode !== null ? resolve(null) : n.child.once('exit', resolve),
          ),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  }
}
