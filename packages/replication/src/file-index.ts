/**
 * The node's persisted file index: per name, the newest replicated entry (version, size, sha256,
 * holders, tombstone and expiry) plus whether this node holds the bytes.
 *
 * Storage is an append-only log, `index.log`, beside the store (format and decoder: index-log.ts;
 * why a log, not SQLite: the package README): one write + one fsync per batch of concurrent updates
 * (group commit). All file access goes through an `IndexFs`, so the simulator can make it fail.
 *
 * Two views. The durable view (`committed`, `committedEntries`) holds exactly what the log holds on
 * disk: it is what the node may show, announce and acknowledge. The working view (`get`, `entries`)
 * is the durable view plus mutations not yet durable; the engine decides the next mutation from it,
 * so that concurrent merges of one name stay in order. A mutation resolves once its record is written
 * and fsynced (`fsync: 'always'`), and only then enters the durable view. When a write fails or comes
 * up short, the log is cut back to its last durable record and every mutation not yet durable (the
 * failed batch and what was queued behind it, decided on a view that included it) is dropped from
 * the working view and rejected with ERR_NO_SPACE or ERR_IO. If even cutting back fails, the next
 * write first rewrites the whole durable view as a fresh log; writes are refused until that works.
 *
 * At open every record is decoded; damaged regions are skipped and every valid record after them is
 * kept. When anything was skipped, the damaged log is kept aside as `index.log.damaged-<n>` and a
 * clean snapshot replaces it. An incomplete last record (a crash mid-append) is simply cut.
 * When the log grows to twice the live data it is compacted the same way (temp file, fsync, rename,
 * directory fsync).
 *
 * The index also carries the HLC high-water mark: the largest version timestamp ever recorded,
 * so the clock never goes backwards across a restart even after compaction forgets old entries.
 */
import { ReplicationError } from './errors.js';
import { compareTimestamps } from './hlc.js';
import type { HlcTimestamp } from './hlc.js';
import { nodeIndexFs } from './index-fs.js';
import type { IndexFileHandle, IndexFs } from './index-fs.js';
import type { IndexRecovery } from './index-files.js';
import {
  createLog,
  indexWriteError,
  installTempLog,
  keepDamagedCopy,
  logPath,
  markSalvagePending,
  recoveryReport,
  tmpPath,
  writeAll,
  writeTempLog,
} from './index-files.js';
import { FRAME_HEADER, MAGIC, MAX_RECORD_BYTES, decodeLog, encodeRecord } from './index-log.js';
import type { IndexRecord } from './index-log.js';
import type { IndexEntry } from './index-entry.js';
import { IndexState } from './index-state.js';

export { MAX_RECORD_BYTES, decodeLog, encodeRecord } from './index-log.js';
export type { IndexRecovery } from './index-files.js';
export type { IndexEntry } from './index-entry.js';

export interface FileIndexOptions {
  /** Directory for `index.log`; created (and fsynced into its parent) if missing. */
  dir: string;
  /** `'always'`: a mutation resolves after fsync (default). `'never'`: after write (tests, benches). */
  fsync?: 'always' | 'never';
  /** Do not compact logs smaller than this many bytes. Default 1 MiB. */
  compactMinBytes?: number;
  /** The filesystem the log lives on. Default `nodeIndexFs`; the simulator passes a faulty one. */
  fs?: IndexFs;
  /** This node: a record from before holder slots gets its own slot from `local` (index-log.ts). */
  nodeId?: string;
}

interface PendingWrite {
  /** Empty for a compaction request. */
  frame: Buffer;
  record: IndexRecord | undefined;
  seq: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class FileIndex {
  readonly #fs: IndexFs;
  readonly #dir: string;
  readonly #fsync: boolean;
  readonly #compactMinBytes: number;
  readonly #durable: IndexState;
  /** Mutations not yet durable, by name: the newest pending state (undefined: dropped) and its seq. */
  readonly #pending = new Map<string, { entry: IndexEntry | undefined; seq: number }>();
  readonly recovery: IndexRecovery;
  #handle: IndexFileHandle;
  #logBytes: number;
  #queue: PendingWrite[] = [];
  #flushing: Promise<void> | undefined;
  #seq = 0;
  #closing = false;
  /** Set when the log could not be brought back to a known state; every later write gets it. */
  #broken: ReplicationError | undefined;
  #compactions = 0;
  #compactRequested = false;
  #writeFailures = 0;

  private constructor(options: {
    fs: IndexFs;
    dir: string;
    handle: IndexFileHandle;
    logBytes: number;
    state: IndexState;
    recovery: IndexRecovery;
    fsync: boolean;
    compactMinBytes: number;
  }) {
    this.#fs = options.fs;
    this.#dir = options.dir;
    this.#handle = options.handle;
    this.#logBytes = options.logBytes;
    this.#durable = options.state;
    this.recovery = options.recovery;
    this.#fsync = options.fsync;
    this.#compactMinBytes = options.compactMinBytes;
  }

  static async open(options: FileIndexOptions): Promise<FileIndex> {
    const fs = options.fs ?? nodeIndexFs;
    const { dir } = options;
    await fs.ensureDir(dir);
    await fs.remove(tmpPath(dir));
    const data = await fs.readFile(logPath(dir));
    const decoded = decodeLog(data ?? Buffer.alloc(0), options.nodeId);
    const state = new IndexState();
    for (const record of decoded.records) state.apply(record, encodeRecord(record).length);
    const lost = data === undefined || decoded.damaged.length > 0;
    const pending = await markSalvagePending(fs, dir, lost);
    const recovery = recoveryReport(decoded, data === undefined, pending);
    let handle: IndexFileHandle;
    let logBytes: number;
    if (data !== undefined && decoded.damaged.length > 0) {
      // Evidence first, then the clean log: a crash in between recovers the same way again.
      recovery.damagedCopy = await keepDamagedCopy(fs, dir, data);
      const snapshot = state.snapshot();
      await writeTempLog(fs, dir, snapshot);
      const installed = await installTempLog(fs, dir);
      if (!installed.ok)
        throw indexWriteError(installed.error, 'recovered index log not installed');
      handle = installed.handle;
      logBytes = snapshot.length;
    } else if (!decoded.started) {
      handle = await createLog(fs, dir);
      logBytes = MAGIC.length;
    } else {
      handle = await fs.open(logPath(dir), { create: false });
      logBytes = decoded.validBytes;
      if (decoded.tornTailBytes > 0) {
        try {
          await handle.truncate(logBytes);
          await handle.datasync();
        } catch (error) {
          await handle.close().catch(() => undefined);
          throw indexWriteError(error, 'torn index tail not cut');
        }
      }
    }
    return new FileIndex({
      fs,
      dir,
      handle,
      logBytes,
      state,
      recovery,
      fsync: (options.fsync ?? 'always') === 'always',
      compactMinBytes: options.compactMinBytes ?? 1 << 20,
    });
  }

  /** Durable entries (what the node shows). */
  get size(): number {
    return this.#durable.entries.size;
  }

  /** Bytes in the log file now (for compaction tests and metrics). */
  get logBytes(): number {
    return this.#logBytes;
  }

  get compactions(): number {
    return this.#compactions;
  }

  /** Index writes that failed (and were undone) since open. */
  get writeFailures(): number {
    return this.#writeFailures;
  }

  /** True when the log is in an unknown state after a failed undo: no write succeeds until restart. */
  get broken(): boolean {
    return this.#broken !== undefined;
  }

  /** The largest durable version timestamp (restores the HLC at start). */
  get highWater(): HlcTimestamp {
    return this.#durable.highWater;
  }

  /** The working view: durable state plus mutations not yet durable (decide the next one from it). */
  get(name: string): IndexEntry | undefined {
    const pending = this.#pending.get(name);
    return pending === undefined ? this.#durable.entries.get(name) : pending.entry;
  }

  *entries(): IterableIterator<IndexEntry> {
    for (const [name, entry] of this.#durable.entries) if (!this.#pending.has(name)) yield entry;
    for (const { entry } of [...this.#pending.values()]) if (entry !== undefined) yield entry;
  }

  /** The durable view: what the log holds on disk (show, announce and acknowledge only this). */
  committed(name: string): IndexEntry | undefined {
    return this.#durable.entries.get(name);
  }

  committedEntries(): IterableIterator<IndexEntry> {
    return this.#durable.entries.values();
  }

  /** Replace `entry.name`'s entry. In the working view at once; durable when the promise resolves. */
  set(entry: IndexEntry): Promise<void> {
    return this.#append({
      t: 'put',
      e: { ...entry, holders: entry.holders.map((s) => ({ ...s })) },
    });
  }

  /** Forget a name entirely (an expired tombstone). */
  drop(name: string): Promise<void> {
    if (this.get(name) === undefined) return Promise.resolve();
    return this.#append({ t: 'drop', name });
  }

  /** Record a timestamp the HLC must never fall below (e.g. an issued, not yet used version). */
  noteHighWater(timestamp: HlcTimestamp): Promise<void> {
    if (compareTimestamps(timestamp, this.#durable.highWater) <= 0) return Promise.resolve();
    return this.#append({ t: 'hlc', wall: timestamp.wall, counter: timestamp.counter });
  }

  /** Resolves once every write queued now has become durable or failed. */
  async settled(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
  }

  /** Rewrite the log as a snapshot of the durable state now. */
  compact(): Promise<void> {
    const refusal = this.#refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    this.#compactRequested = true;
    return this.#enqueue(Buffer.alloc(0), undefined, 0);
  }

  /** Flush pending writes and close the file. Further mutations reject. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    while (this.#flushing !== undefined) await this.#flushing;
    await this.#handle.close();
  }

  /** A broken log is not refused here: the writer tries to rewrite it first (see `#repair`). */
  #refusal(): ReplicationError | undefined {
    if (this.#closing) return new ReplicationError('ERR_UNAVAILABLE', 'file index is closed');
    return undefined;
  }

  #append(record: IndexRecord): Promise<void> {
    const refusal = this.#refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    const frame = encodeRecord(record);
    const payload = frame.length - FRAME_HEADER;
    if (payload > MAX_RECORD_BYTES) {
      const what = record.t === 'put' ? ` for ${JSON.stringify(record.e.name)}` : '';
      return Promise.reject(
        new ReplicationError(
          'ERR_TOO_LARGE',
          `index record${what} is ${payload} bytes; the limit is ${MAX_RECORD_BYTES}`,
        ),
      );
    }
    const seq = ++this.#seq;
    if (record.t === 'put') this.#pending.set(record.e.name, { entry: record.e, seq });
    if (record.t === 'drop') this.#pending.set(record.name, { entry: undefined, seq });
    return this.#enqueue(frame, record, seq);
  }

  #enqueue(frame: Buffer, record: IndexRecord | undefined, seq: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ frame, record, seq, resolve, reject });
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
    if (this.#broken !== undefined && !(await this.#repair())) {
      this.#pending.clear();
      for (const w of batch) w.reject(this.#broken);
      return;
    }
    const data = Buffer.concat(batch.map((w) => w.frame));
    const start = this.#logBytes;
    try {
      await writeAll(this.#handle, data, start);
      if (this.#fsync && data.length > 0) await this.#handle.datasync();
    } catch (cause) {
      await this.#undoFailedWrite(batch, start, cause);
      return;
    }
    this.#logBytes = start + data.length;
    for (const w of batch) {
      if (w.record === undefined) continue;
      this.#durable.apply(w.record, w.frame.length);
      const name =
        w.record.t === 'put' ? w.record.e.name : w.record.t === 'drop' ? w.record.name : '';
      if (this.#pending.get(name)?.seq === w.seq) this.#pending.delete(name);
    }
    for (const w of batch) if (w.record !== undefined) w.resolve();
    await this.#compactIfDue(batch.filter((w) => w.record === undefined));
  }

  /**
   * A write failed or came up short: cut the log back to `goodEnd` (so later appends never follow a
   * gap or a partial record) and reject everything not yet durable.
   */
  async #undoFailedWrite(batch: PendingWrite[], goodEnd: number, cause: unknown): Promise<void> {
    this.#writeFailures++;
    const error = indexWriteError(cause, 'index write failed');
    // Mutations queued behind the failed ones were decided on a view that included them: they go too.
    const failed = [...batch, ...this.#queue];
    this.#queue = [];
    this.#pending.clear();
    try {
      await this.#handle.truncate(goodEnd);
      await this.#handle.datasync();
    } catch (undoCause) {
      this.#broken = new ReplicationError(
        'ERR_IO',
        `the index log could not be cut back to its last durable record after a failed write ` +
          `(${indexWriteError(undoCause, 'truncate').message}); writes are refused until the log is rewritten`,
        { cause: undoCause },
      );
    }
    for (const w of failed) w.reject(error);
  }

  /**
   * The log could not be cut back (or a compacted log not installed): after such a failure the
   * file's contents and the page cache cannot be trusted, so rather than appending to it, write the
   * whole durable view as a fresh log (temp, fsync, rename, directory fsync). Tried before each
   * write while broken, so a disk that recovers from a transient fault heals the index without a
   * restart; until then every write is refused.
   */
  async #repair(): Promise<boolean> {
    try {
      await this.#compactNow();
    } catch {
      return false;
    }
    this.#broken = undefined;
    return true;
  }

  async #compactIfDue(requests: PendingWrite[]): Promise<void> {
    const grown =
      this.#logBytes > this.#compactMinBytes && this.#logBytes > 2 * this.#durable.liveTotal;
    if (!this.#compactRequested && !grown) {
      for (const r of requests) r.resolve();
      return;
    }
    this.#compactRequested = false;
    try {
      await this.#compactNow();
      for (const r of requests) r.resolve();
    } catch (error) {
      // The appended records stay durable in the old log; only the rewrite did not happen.
      for (const r of requests) r.reject(indexWriteError(error, 'index compaction failed'));
    }
  }

  async #compactNow(): Promise<void> {
    const snapshot = this.#durable.snapshot();
    await writeTempLog(this.#fs, this.#dir, snapshot);
    const installed = await installTempLog(this.#fs, this.#dir);
    if (!installed.ok) {
      if (installed.renamed) {
        // The directory now names the new log but this handle writes the old one: stop writing.
        const what = 'compacted log not installed; writes are refused until the log is rewritten';
        this.#broken = indexWriteError(installed.error, what);
      }
      throw installed.error;
    }
    await this.#handle.close().catch(() => undefined);
    this.#handle = installed.handle;
    this.#logBytes = snapshot.length;
    this.#compactions++;
  }
}
