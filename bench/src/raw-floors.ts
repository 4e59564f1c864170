/**
 * Raw floors for the cluster bench: what the machine needs, at the least, to do the work a
 * replicated write does, measured in the bench process in the same run. Each returns its wall time
 * and the CPU seconds it cost (`process.cpuUsage()` over the phase: every thread of this process,
 * libuv's pool and worker threads included; the bench does nothing else meanwhile).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export const CHUNK = 64 * 1024;

/** Wall and CPU seconds of one floor. */
export interface FloorCost {
  wallS: number;
  cpuS: number;
}

/** The same random pattern repeated: cheap to generate, incompressible enough for disks and TCP. */
export function* body(total: number, pattern: Buffer): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += CHUNK) {
    const offset = sent % pattern.length;
    yield pattern.subarray(offset, offset + Math.min(CHUNK, total - sent));
  }
}

function processCpuS(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Runs `work` and returns its wall time and this process's CPU time over it. */
export async function costOf(work: () => Promise<unknown>): Promise<FloorCost> {
  const cpu = processCpuS();
  const started = performance.now();
  await work();
  return { wallS: (performance.now() - started) / 1000, cpuS: processCpuS() - cpu };
}

/**
 * One writer, in its own thread so that several hash on several cores as separate processes would:
 * 64 KiB chunks of the pattern, sha256 of each, one fsync at the end. Plain JavaScript (an eval
 * worker), since worker threads do not inherit the TypeScript loader.
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, writeSync, fsyncSync, closeSync } = require('node:fs');
const { path, total, chunk, pattern } = workerData;
const bytes = Buffer.from(pattern);
parentPort.once('message', () => {
  const fd = openSync(path, 'w');
  const hash = createHash('sha256');
  for (let sent = 0; sent < total; sent += chunk) {
    const offset = sent % bytes.length;
    const piece = bytes.subarray(offset, offset + Math.min(chunk, total - sent));
    hash.update(piece);
    writeSync(fd, piece);
  }
  fsyncSync(fd);
  closeSync(fd);
  hash.digest();
  parentPort.postMessage('done');
});
parentPort.postMessage('ready');
`;

/**
 * `writers` concurrent writers of `total` bytes each (write + sha256 + fsync), one thread each, to
 * files in `dir`. The threads are started before the clock and the CPU count start.
 */
export async function rawLargeWriters(
  dir: string,
  writers: number,
  total: number,
  pattern: Buffer,
): Promise<FloorCost> {
  const workers = await Promise.all(
    Array.from({ length: writers }, async (_, i) => {
      const worker = new Worker(WRITER_SOURCE, {
        eval: true,
        workerData: { path: join(dir, `raw-large-${writers}-${i}`), total, chunk: CHUNK, pattern },
      });
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      });
      return worker;
    }),
  );
  try {
    return await costOf(() =>
      Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              worker.once('message', () => resolve());
              worker.once('error', reject);
              worker.postMessage('go');
            }),
        ),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** `count` concurrent loopback TCP transfers of `total` bytes, both ends in this process. */
export async function rawTcpTransfers(
  count: number,
  total: number,
  pattern: Buffer,
): Promise<FloorCost> {
  const server = net.createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  // Done when every receiver has read everything, not when the senders have queued it.
  let ended = 0;
  let allEnded = (): void => undefined;
  const received = new Promise<void>((resolve) => (allEnded = resolve));
  server.on('connection', (peer) => peer.once('end', () => ++ended === count && allEnded()));
  try {
    return await costOf(async () => {
      await Promise.all(
        Array.from(
          { length: count },
          () =>
            new Promise<void>((resolve, reject) => {
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
                  socket.end(resolve);
                };
                pump();
              });
              socket.on('error', reject);
            }),
        ),
      );
      await received;
    });
  } finally {
    server.close();
  }
}

/**
 * `writers` concurrent writers of `files` 4 KiB files each, every file created, written, fsynced
 * and closed; with `atomic`, written under a temp name, renamed into place and its directory
 * fsynced, as a crash-safe store that publishes each file on its own does.
 */
export async function rawSmallWriters(
  dir: string,
  writers: number,
  files: number,
  size: number,
  { atomic }: { atomic: boolean },
): Promise<FloorCost> {
  const data = randomBytes(size);
  const dirs = Array.from({ length: writers }, (_, w) =>
    join(dir, `raw-small-${atomic ? 'atomic' : 'plain'}-${w}`),
  );
  await Promise.all(dirs.map((d) => mkdir(d, { recursive: true })));
  return costOf(() =>
    Promise.all(
      dirs.map(async (d) => {
        for (let i = 0; i < files; i++) {
          const final = join(d, `f-${i}`);
          const path = atomic ? `${final}.tmp` : final;
          const handle = await open(path, 'w');
          await handle.write(data);
          await handle.sync();
          await handle.close();
          if (atomic) {
            await rename(path, final);
            const directory = await open(d, 'r');
            await directory.sync();
            await directory.close();
          }
        }
      }),
    ),
  );
}

/** The single-writer floor of the upload row, on this thread as before: write + sha256 + fsync. */
export async function rawWrite(path: string, total: number, pattern: Buffer): Promise<FloorCost> {
  return costOf(async () => {
    const handle = await open(path, 'w');
    const hash = createHash('sha256');
    for (const chunk of body(total, pattern)) {
      hash.update(chunk);
      await handle.write(chunk);
    }
    await handle.sync();
    await handle.close();
    hash.digest();
  });
}
