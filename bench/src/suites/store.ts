/**
 * @dfs/store against raw `fs` doing the same work in the same run: write + sha256 + fdatasync for
 * puts, a read stream + sha256 for gets. Large: 1 GiB (64 MiB with --quick) streamed in 64 KiB
 * chunks; small: 10,000 × 4 KiB puts (2,000 with --quick), one after another. The large pair runs
 * ROUNDS times on fresh files, alternating which side goes first, and the better run of each side
 * counts (an overwrite of an existing value is measured once, separately); small puts alternate in blocks of SMALL_BLOCK
 * between raw and store, so that background writeback on a shared machine hits both sides alike.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '@dfs/store';
import type { BenchRow } from '../report.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const SMALL = 4096;
const ROUNDS = 3;
const SMALL_BLOCK = 250;

/** The same 1 MiB of random bytes, sliced into 64 KiB chunks, until `total` bytes were yielded. */
async function* largeBody(total: number, pattern: Buffer): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < total; sent += CHUNK) {
    const offset = sent % pattern.length;
    yield pattern.subarray(offset, offset + Math.min(CHUNK, total - sent));
  }
}

async function rawPut(path: string, body: AsyncIterable<Buffer>): Promise<string> {
  const handle = await open(path, 'w');
  const hash = createHash('sha256');
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      await handle.write(chunk);
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

async function rawGet(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function storeGet(store: Store, key: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of await store.get(key)) bytes += (chunk as Buffer).length;
  return bytes;
}

/** Seconds taken by `task`, and the peak RSS growth (MiB) sampled while it ran. */
async function measure(task: () => Promise<unknown>): Promise<{ seconds: number; rssMiB: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const started = process.hrtime.bigint();
  try {
    await task();
  } finally {
    clearInterval(sampler);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds, rssMiB: (peak - before) / MiB };
}

function best(values: number[]): number {
  return Math.max(...values);
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const large = quick ? 64 * MiB : 1024 * MiB;
  const smallCount = quick ? 2000 : 10_000;
  const root = await mkdtemp(join(tmpdir(), 'dfs-bench-store-'));
  const store = await openStore({ dir: join(root, 'store') });
  const pattern = randomBytes(MiB);
  const rawDir = join(root, 'raw');
  await mkdir(rawDir);
  const result = {
    rawPut: [] as number[],
    storePut: [] as number[],
    rawGet: [] as number[],
    storeGet: [] as number[],
    rawRss: [] as number[],
    storeRss: [] as number[],
    rawSmall: [] as number[],
    storeSmall: [] as number[],
  };
  let overwriteRaw: { seconds: number } | undefined;
  let overwriteStore: { seconds: number } | undefined;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first, so neither always inherits the other's writeback.
      const putRaw = async (): Promise<void> => {
        const raw = await measure(() => rawPut(join(rawDir, 'large'), largeBody(large, pattern)));
        result.rawPut.push(large / MiB / raw.seconds);
        result.rawRss.push(raw.rssMiB);
      };
      const putStore = async (): Promise<void> => {
        const ours = await measure(() => store.put('large', largeBody(large, pattern)));
        result.storePut.push(large / MiB / ours.seconds);
        result.storeRss.push(ours.rssMiB);
      };
      const getRaw = async (): Promise<void> => {
        const read = await measure(() => rawGet(join(rawDir, 'large')));
        result.rawGet.push(large / MiB / read.seconds);
      };
      const getStore = async (): Promise<void> => {
        const read = await measure(() => storeGet(store, 'large'));
        result.storeGet.push(large / MiB / read.seconds);
      };
      // Both sides write a fresh file: the previous one is removed first, outside the timing.
      await rm(join(rawDir, 'large'), { force: true });
      await store.delete('large');
      const steps =
        round % 2 === 0
          ? [putRaw, putStore, getRaw, getStore]
          : [putStore, putRaw, getStore, getRaw];
      for (const step of steps) await step();
    }
    // Replacing an existing 1 GiB value: raw truncates in place (O_TRUNC), the store must keep the
    // old version readable until its rename, so its bytes land on newly allocated blocks.
    overwriteRaw = await measure(() => rawPut(join(rawDir, 'large'), largeBody(large, pattern)));
    overwriteStore = await measure(() => store.put('large', largeBody(large, pattern)));
    const small = pattern.subarray(0, SMALL);
    let rawSeconds = 0;
    let storeSeconds = 0;
    for (let first = 0; first < smallCount; first += SMALL_BLOCK) {
      const last = Math.min(smallCount, first + SMALL_BLOCK);
      rawSeconds += (
        await measure(async () => {
          for (let i = first; i < last; i++) {
            await rawPut(join(rawDir, `small-${i}`), largeBody(SMALL, small));
          }
        })
      ).seconds;
      storeSeconds += (
        await measure(async () => {
          for (let i = first; i < last; i++) await store.put(`small-${i}`, small);
        })
      ).seconds;
    }
    result.rawSmall.push(smallCount / rawSeconds);
    result.storeSmall.push(smallCount / storeSeconds);
  } finally {
    await store.close();
    await rm(root, { recursive: true, force: true });
  }
  const size = quick ? '64 MiB' : '1 GiB';
  return [
    {
      name: `put ${size} new key (stream, 64 KiB chunks)`,
      value: best(result.storePut),
      unit: 'MiB/s',
      baseline: { name: 'fs write+sha256+fdatasync', value: best(result.rawPut) },
      better: 'higher',
      target: '>= 0.8x',
    },
    {
      name: `put ${size} over an existing ${size} value`,
      value: large / MiB / (overwriteStore?.seconds ?? Number.NaN),
      unit: 'MiB/s',
      baseline: {
        name: 'fs O_TRUNC rewrite+sha256+fdatasync',
        value: large / MiB / (overwriteRaw?.seconds ?? Number.NaN),
      },
      better: 'higher',
    },
    {
      name: `get ${size} (verified stream)`,
      value: best(result.storeGet),
      unit: 'MiB/s',
      baseline: { name: 'fs read stream+sha256', value: best(result.rawGet) },
      better: 'higher',
    },
    {
      name: `${smallCount} x 4 KiB puts`,
      value: best(result.storeSmall),
      unit: 'ops/s',
      baseline: { name: 'fs open+write+sha256+fdatasync', value: best(result.rawSmall) },
      better: 'higher',
      target: '>= 0.5x',
    },
    {
      name: `RSS growth during put ${size}`,
      value: Math.min(...result.storeRss),
      unit: 'MiB',
      baseline: { name: 'raw put', value: Math.min(...result.rawRss) },
      better: 'lower',
      target: 'flat in file size',
    },
  ];
}
