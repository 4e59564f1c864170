/**
 * @dfs/transport against raw `node:net` on loopback, both measured in this run:
 *
 * - one bulk stream of 1 GiB (`--quick`: 128 MiB) vs piping the same bytes through a bare socket,
 *   without and with a cluster secret (which, with no TLS, tags every frame), in MiB/s and in this
 *   process's CPU time per MiB (both ends run here; on a shared machine CPU time is steadier than
 *   wall time);
 * - RSS growth while the stream runs (the flow-control window should bound it);
 * - small RPCs with 32 in flight vs a minimal length-prefixed request/response over a bare socket,
 *   without and with a cluster secret;
 * - MemoryNetwork message throughput among 1,000 nodes (no baseline: a capacity figure for `pnpm sim`).
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { MemoryNetwork, TcpTransport, VirtualClock, seededRandom } from '@dfs/transport';
import type { BenchRow } from '../report.js';

const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;

function source(totalBytes: number): Readable {
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  let left = totalBytes;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, left);
      left -= n;
      this.push(n === CHUNK ? chunk : chunk.subarray(0, n));
    },
  });
}

function counter(onDone: (bytes: number) => void): Writable {
  let bytes = 0;
  return new Writable({
    write(chunk: Buffer, _enc, callback) {
      bytes += chunk.length;
      callback();
    },
    final(callback) {
      onDone(bytes);
      callback();
    },
  });
}

/** Samples RSS while `work` runs; resolves with its result and the peak growth in MiB. */
async function withRss<T>(work: () => Promise<T>): Promise<{ result: T; growthMiB: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growthMiB: (peak - start) / MiB };
  } finally {
    clearInterval(timer);
  }
}

/** A stream's throughput and the CPU time (user + system, both ends) it took per MiB. */
interface StreamResult {
  mibPerSec: number;
  cpuMsPerMiB: number;
}

/** CPU milliseconds used by this process since `since` (a `process.cpuUsage()` reading). */
function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function rawStream(totalBytes: number): Promise<StreamResult> {
  let done: (n: number) => void = () => undefined;
  const received = new Promise<number>((resolve) => (done = resolve));
  const server = net.createServer((socket) => void pipeline(socket, counter(done)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const socket = net.connect({ port, host: '127.0.0.1' });
  await pipeline(source(totalBytes), socket);
  const bytes = await received;
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = cpuMsSince(cpu);
  server.close();
  if (bytes !== totalBytes) throw new Error(`raw stream lost bytes: ${bytes}`);
  return { mibPerSec: totalBytes / MiB / seconds, cpuMsPerMiB: (cpuMs * MiB) / totalBytes };
}

/** Two transports on loopback; with `secret`, they prove it in the handshake (and, with no TLS,
 * authenticate every frame after it, where the transport does so). */
async function pair(secret?: string): Promise<[TcpTransport, TcpTransport]> {
  const common = { requestTimeoutMs: 120_000, ...(secret !== undefined ? { secret } : {}) };
  const a = new TcpTransport({ id: 'bench-a', ...common });
  const b = new TcpTransport({ id: 'bench-b', ...common });
  await Promise.all([a.listen(), b.listen()]);
  return [a, b];
}

async function transportStream(
  totalBytes: number,
  secret?: string,
): Promise<StreamResult & { rssMiB: number }> {
  const [a, b] = await pair(secret);
  try {
    let done: (n: number) => void = () => undefined;
    const received = new Promise<number>((resolve) => (done = resolve));
    b.handleStream('sink', (stream) => {
      void pipeline(stream, counter(done)).then(() => stream.end());
    });
    const { result, growthMiB } = await withRss(async (): Promise<StreamResult> => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const stream = await a.openStream(b.address, 'sink', null);
      stream.resume();
      await pipeline(source(totalBytes), stream);
      const bytes = await received;
      if (bytes !== totalBytes) throw new Error(`transport stream lost bytes: ${bytes}`);
      const cpuMs = cpuMsSince(cpu);
      return {
        mibPerSec: totalBytes / MiB / ((performance.now() - started) / 1000),
        cpuMsPerMiB: (cpuMs * MiB) / totalBytes,
      };
    });
    return { ...result, rssMiB: growthMiB };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** A minimal request/response protocol: u32 id + 16-byte body each way, echoed. */
async function rawRpc(total: number, concurrency: number): Promise<number> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => socket.write(chunk)); // 20-byte messages, echoed as they come
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const waiting = new Map<number, () => void>();
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 20) {
      const id = pending.readUInt32BE(0);
      pending = pending.subarray(20);
      waiting.get(id)?.();
      waiting.delete(id);
    }
  });
  let nextId = 0;
  const call = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const message = Buffer.alloc(20);
      const id = nextId++;
      message.writeUInt32BE(id, 0);
      waiting.set(id, resolve);
      socket.write(message);
    });
  const started = performance.now();
  let issued = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < total) {
        issued++;
        await call();
      }
    }),
  );
  const perSecond = total / ((performance.now() - started) / 1000);
  socket.destroy();
  server.close();
  return perSecond;
}

async function transportRpc(total: number, concurrency: number, secret?: string): Promise<number> {
  const [a, b] = await pair(secret);
  try {
    b.handle('echo', (message) => message);
    await a.request(b.address, 'echo', 0); // connect outside the timed part, like the raw baseline
    const body = { n: 1, s: 'sixteen-byte-msg' };
    const started = performance.now();
    let issued = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (issued < total) {
          issued++;
          await a.request(b.address, 'echo', body);
        }
      }),
    );
    return total / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

async function memoryMessages(total: number): Promise<number> {
  const clock = new VirtualClock(0);
  const random = seededRandom(1);
  const network = new MemoryNetwork({ clock, random, latencyMs: 5, jitterMs: 5 });
  const nodes = Array.from({ length: 1_000 }, (_, i) =>
    network.createTransport({ id: `n${i}`, address: `n${i}` }),
  );
  await Promise.all(nodes.map((n) => n.listen()));
  let received = 0;
  for (const node of nodes) node.handle('rumor', () => void received++);
  const started = performance.now();
  // Waves of 10,000 in flight, as a simulator round would produce.
  for (let sent = 0; sent < total; sent += 10_000) {
    for (let i = 0; i < 10_000; i++) {
      const from = nodes[(sent + i) % 1_000]!;
      void from.send(`n${Math.floor(random.next() * 1_000)}`, 'rumor', { id: sent + i, hops: 3 });
    }
    await clock.advance(20);
  }
  const perSecond = total / ((performance.now() - started) / 1000);
  await Promise.all(nodes.map((n) => n.close()));
  if (received !== total) throw new Error(`memory network lost messages: ${received}/${total}`);
  return perSecond;
}

/** Alternates baseline and subject `rounds` times and keeps the best of each: load on a shared
 * machine only ever slows a run down, so the best round is the least disturbed one. */
async function bestOf<T>(
  rounds: number,
  measure: () => Promise<T>,
  score: (t: T) => number,
): Promise<T> {
  let best: T | undefined;
  for (let i = 0; i < rounds; i++) {
    const result = await measure();
    if (best === undefined || score(result) > score(best)) best = result;
  }
  return best as T;
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const streamBytes = (quick ? 128 : 1024) * MiB;
  const rpcs = quick ? 20_000 : 100_000;
  // Best of 3 for each figure: load on a shared machine only ever slows a run down (or makes it
  // cost more CPU, through cache and scheduler contention), so the best round is the least disturbed.
  const raw: StreamResult = { mibPerSec: 0, cpuMsPerMiB: Infinity };
  const plain: StreamResult = { mibPerSec: 0, cpuMsPerMiB: Infinity };
  const withSecret: StreamResult = { mibPerSec: 0, cpuMsPerMiB: Infinity };
  const keepBest = (best: StreamResult, measured: StreamResult): void => {
    best.mibPerSec = Math.max(best.mibPerSec, measured.mibPerSec);
    best.cpuMsPerMiB = Math.min(best.cpuMsPerMiB, measured.cpuMsPerMiB);
  };
  let rssMiB = 0;
  let rawRps = 0;
  let ourRps = 0;
  let secretRps = 0;
  for (let round = 0; round < 3; round++) {
    keepBest(raw, await rawStream(streamBytes));
    const measured = await transportStream(streamBytes);
    keepBest(plain, measured);
    rssMiB = Math.max(rssMiB, measured.rssMiB);
    keepBest(withSecret, await transportStream(streamBytes, 'bench'));
    rawRps = Math.max(rawRps, await rawRpc(rpcs, 32));
    ourRps = Math.max(ourRps, await transportRpc(rpcs, 32));
    secretRps = Math.max(secretRps, await transportRpc(rpcs, 32, 'bench'));
  }
  const memory = await bestOf(
    2,
    () => memoryMessages(quick ? 100_000 : 300_000),
    (x) => x,
  );
  const size = `${streamBytes / MiB} MiB`;
  const rawPipe = { name: 'raw net pipe', value: raw.mibPerSec };
  const rawPipeCpu = { name: 'raw net pipe', value: raw.cpuMsPerMiB };
  const rawRpcs = { name: 'raw net request/response', value: rawRps };
  return [
    {
      name: `one stream, ${size} over loopback (best of 3)`,
      value: plain.mibPerSec,
      unit: 'MiB/s',
      baseline: rawPipe,
      better: 'higher',
      target: '>= 0.7x',
    },
    {
      name: `one stream with a cluster secret, ${size} (best of 3)`,
      value: withSecret.mibPerSec,
      unit: 'MiB/s',
      baseline: rawPipe,
      better: 'higher',
    },
    {
      name: `CPU per MiB streamed, both ends (best of 3)`,
      value: plain.cpuMsPerMiB,
      unit: 'ms/MiB',
      baseline: rawPipeCpu,
      better: 'lower',
    },
    {
      name: `CPU per MiB streamed with a cluster secret (best of 3)`,
      value: withSecret.cpuMsPerMiB,
      unit: 'ms/MiB',
      baseline: rawPipeCpu,
      better: 'lower',
    },
    {
      name: `RSS growth during the ${size} stream (worst of 3)`,
      value: rssMiB,
      unit: 'MiB',
      better: 'lower',
      target: '< 64 MiB',
    },
    {
      name: `small RPCs, c=32, ${rpcs} calls (best of 3)`,
      value: ourRps,
      unit: 'req/s',
      baseline: rawRpcs,
      better: 'higher',
    },
    {
      name: `small RPCs with a cluster secret, c=32, ${rpcs} calls (best of 3)`,
      value: secretRps,
      unit: 'req/s',
      baseline: rawRpcs,
      better: 'higher',
    },
    {
      name: 'MemoryNetwork one-way messages, 1,000 nodes',
      value: memory,
      unit: 'msg/s',
      better: 'higher',
    },
  ];
}
