/**
 * The node's persisted file index: per name, the newest replicated entry (version, size, sha256,
 * holders, tombstone and expiry) plus whether this node holds the bytes.
 *
 * Storage is an append-only log, `index.log`, beside the store. Why a log and not SQLite: the access
 * pattern is "apply a small record, make it durable, keep everything in memory for reads", which a
 * log serves with one write + one fsync per batch of concurrent updates (group commit); it needs no
 * native module (SQLite would be `better-sqlite3`, a compiled addon, or Node 22's experimental
 * `node:sqlite`, unavailable on Node 20), and its crash behaviour is small enough to test exhaustively.
 *
 * Format: an 8-byte magic, then records `u32 length | u32 crc32(payload) | payload (JSON)`.
 * At open every record is checked; the first short, oversized or checksum-failing record marks a torn
 * tail (a crash mid-append), and the file is truncated there. Mutations are applied in memory at once
 * and become durable when their promise resolves: writes are batched by one writer, then fsynced
 * (`fsync: 'always'`). When the log grows to twice the live data it is compacted: a snapshot is
 * written to a temp file, fsynced, renamed over the log, and the directory fsynced.
 *
 * The index also carries the HLC high-water mark: the largest version timestamp ever recorded,
 * so the clock never goes backwards across a restart even after compaction forgets old entries.
 */
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { compareTimestamps, decodeVersion, isVersion } from './hlc.js';
import type { HlcTimestamp } from './hlc.js';
import { nodeIndexFs } from './index-fs.js';
import type { IndexFileHandle, IndexFs } from './index-fs.js';
import type { ReplicatedEntry } from './merge.js';

export interface IndexEntry extends ReplicatedEntry {
  /** True when this node's store holds this version's bytes (verified when written). */
  readonly local: boolean;
}

export interface FileIndexOptions {
  /** Directory for `index.log`; created if missing. */
  dir: string;
  /** `'always'`: a mutation resolves after fsync (default). `'never'`: after write (tests, benches). */
  fsync?: 'always' | 'never';
  /** Do not compact logs smaller than this many bytes. Default 1 MiB. */
  compactMinBytes?: number;
  /** The filesystem the log lives on; default the real one (the simulator passes its own disk). */
  fs?: IndexFs;
}

const MAGIC = Buffer.from('DFSIDX1\n', 'latin1');
const FRAME_HEADER = 8;
/** A record is one entry; even with 1,024 holders it stays far below this. */
const MAX_RECORD_BYTES = 1 << 20;

const entrySchema = z.object({
  name: z.string().min(1),
  version: z.string().refine(isVersion),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  deleted: z.boolean(),
  expiresAt: z.number().int().nonnegative(),
  holders: z.array(z.string()).readonly(),
  local: z.boolean(),
});

const recordSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('put'), e: entrySchema }),
  z.object({ t: z.literal('drop'), name: z.string() }),
  z.object({ t: z.literal('hlc'), wall: z.number(), counter: z.number() }),
]);
type IndexRecord = z.infer<typeof recordSchema>;

export function encodeRecord(record: IndexRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER);
  return frame;
}

/** Decodes records until the end or the first damaged one; `validBytes` is where that one starts. */
export function decodeLog(data: Buffer): { records: IndexRecord[]; validBytes: number } {
  const records: IndexRecord[] = [];
  if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    return { records, validBytes: 0 };
  }
  let offset = MAGIC.length;
  while (offset + FRAME_HEADER <= data.length) {
    const length = data.readUInt32LE(offset);
    const checksum = data.readUInt32LE(offset + 4);
    const end = offset + FRAME_HEADER + length;
    if (length > MAX_RECORD_BYTES || end > data.length) break;
    const payload = data.subarray(offset + FRAME_HEADER, end);
    if (crc32(payload) !== checksum) break;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      break;
    }
    const record = recordSchema.safeParse(parsed);
    if (!record.success) break;
    records.push(record.data);
    offset = end;
  }
  return { records, validBytes: offset };
}

interface PendingWrite {
  frame: Buffer;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class FileIndex {
  readonly #path: string;
  readonly #dir: string;
  readonly #fsync: boolean;
  readonly #compactMinBytes: number;
  readonly #fs: IndexFs;
  readonly #entries = new Map<string, IndexEntry>();
  /** Encoded size of each name's latest record: the size a compacted log would have. */
  readonly #liveBytes = new Map<string, number>();
  #liveTotal = 0;
  #highWater: HlcTimestamp = { wall: 0, counter: 0 };
  #handle: IndexFileHandle;
  #logBytes: number;
  #queue: PendingWrite[] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;
  #compactions = 0;
  #compactRequested = false;

  private constructor(options: {
    dir: string;
    handle: IndexFileHandle;
    logBytes: number;
    fsync: boolean;
    compactMinBytes: number;
    fs: IndexFs;
  }) {
    this.#fs = options.fs;
    this.#dir = options.dir;
    this.#path = join(options.dir, 'index.log');
    this.#handle = options.handle;
    this.#logBytes = options.logBytes;
    this.#fsync = options.fsync;
    this.#compactMinBytes = options.compactMinBytes;
  }

  static async open(options: FileIndexOptions): Promise<FileIndex> {
    const fs = options.fs ?? nodeIndexFs;
    await fs.ensureDir(options.dir);
    const path = join(options.dir, 'index.log');
    await fs.remove(`${path}.tmp`);
    const data = (await fs.readFile(path)) ?? Buffer.alloc(0);
    const { records, validBytes } = decodeLog(data);
    const handle = await fs.open(path, { create: true });
    let logBytes = validBytes;
    if (validBytes < MAGIC.length) {
      // New, or damaged before the first record: start a fresh log.
      await handle.truncate(0);
      await handle.write(MAGIC, 0);
      logBytes = MAGIC.length;
    } else if (validBytes < data.length) {
      await handle.truncate(validBytes); // torn tail from a crash mid-append
    }
    await handle.datasync();
    const index = new FileIndex({
      dir: options.dir,
      handle,
      logBytes,
      fsync: (options.fsync ?? 'always') === 'always',
      compactMinBytes: options.compactMinBytes ?? 1 << 20,
      fs,
    });
    for (const record of records) index.#apply(record, encodeRecord(record).length);
    return index;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Bytes in the log file now (for compaction tests and metrics). */
  get logBytes(): number {
    return this.#logBytes;
  }

  get compactions(): number {
    return this.#compactions;
  }

  /** The largest version timestamp ever recorded (restores the HLC at start). */
  get highWater(): HlcTimestamp {
    return this.#highWater;
  }

  get(name: string): IndexEntry | undefined {
    return this.#entries.get(name);
  }

  entries(): IterableIterator<IndexEntry> {
    return this.#entries.values();
  }

  /** Replace `entry.name`'s entry. Visible at once; durable when the promise resolves. */
  set(entry: IndexEntry): Promise<void> {
    return this.#append({ t: 'put', e: { ...entry, holders: [...entry.holders] } });
  }

  /** Forget a name entirely (an expired tombstone). */
  drop(name: string): Promise<void> {
    if (!this.#entries.has(name)) return Promise.resolve();
    return this.#append({ t: 'drop', name });
  }

  /** Record a timestamp the HLC must never fall below (e.g. an issued, not yet used version). */
  noteHighWater(timestamp: HlcTimestamp): Promise<void> {
    if (compareTimestamps(timestamp, this.#highWater) <= 0) return Promise.resolve();
    return this.#append({ t: 'hlc', wall: timestamp.wall, counter: timestamp.counter });
  }

  /** Rewrite the log as a snapshot of the live state now. */
  compact(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('file index is closed'));
    this.#compactRequested = true;
    return this.#enqueue(Buffer.alloc(0));
  }

  /** Flush pending writes and close the file. Further mutations reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#flushing;
    while (this.#queue.length > 0) await this.#flush();
    this.#closed = true;
    await this.#handle.close();
  }

  #append(record: IndexRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('file index is closed'));
    const frame = encodeRecord(record);
    this.#apply(record, frame.length);
    return this.#enqueue(frame);
  }

  #apply(record: IndexRecord, frameBytes: number): void {
    switch (record.t) {
      case 'put': {
        this.#entries.set(record.e.name, record.e);
        this.#setLiveBytes(record.e.name, frameBytes);
        const version = decodeVersion(record.e.version);
        if (version !== undefined) this.#raiseHighWater(version);
        break;
      }
      case 'drop':
        this.#entries.delete(record.name);
        this.#setLiveBytes(record.name, 0);
        break;
      case 'hlc':
        this.#raiseHighWater(record);
        break;
    }
  }

  #raiseHighWater(timestamp: HlcTimestamp): void {
    if (compareTimestamps(timestamp, this.#highWater) > 0) {
      this.#highWater = { wall: timestamp.wall, counter: timestamp.counter };
    }
  }

  #setLiveBytes(name: string, bytes: number): void {
    this.#liveTotal += bytes - (this.#liveBytes.get(name) ?? 0);
    if (bytes === 0) this.#liveBytes.delete(name);
    else this.#liveBytes.set(name, bytes);
  }

  #enqueue(frame: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ frame, resolve, reject });
      if (this.#flushing === undefined) this.#flushing = this.#drain();
    });
  }

  /** One writer: each round writes everything queued with one write and one fsync. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0) await this.#flush();
    this.#flushing = undefined;
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    try {
      const data = Buffer.concat(batch.map((w) => w.frame));
      if (data.length > 0) {
        await this.#handle.write(data, this.#logBytes);
        this.#logBytes += data.length;
        if (this.#fsync) await this.#handle.datasync();
      }
      const grown = this.#logBytes > this.#compactMinBytes && this.#logBytes > 2 * this.#liveTotal;
      if (this.#compactRequested || grown) {
        this.#compactRequested = false;
        await this.#compactNow();
      }
      for (const w of batch) w.resolve();
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  async #compactNow(): Promise<void> {
    const tmpPath = `${this.#path}.tmp`;
    const frames: Buffer[] = [MAGIC];
    frames.push(encodeRecord({ t: 'hlc', ...this.#highWater }));
    for (const e of this.#entries.values()) frames.push(encodeRecord({ t: 'put', e }));
    const data = Buffer.concat(frames);
    const tmp = await this.#fs.open(tmpPath, { create: true });
    try {
      await tmp.truncate(0);
      await tmp.write(data, 0);
      await tmp.datasync();
    } finally {
      await tmp.close();
    }
    await this.#handle.close();
    await this.#fs.rename(tmpPath, this.#path);
    await this.#fs.syncDir(this.#dir);
    this.#handle = await this.#fs.open(this.#path, { create: false });
    this.#logBytes = data.length;
    this.#compactions++;
  }
}
