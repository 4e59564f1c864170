/** An in-memory FileService with the contract's error codes, for testing the front without a cluster. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ByteRange, FileInfo, FileService, ListOptions, PutOptions } from '@dfs/replication';
import { canonicalFileMeta } from '@dfs/api';
import { systemClock } from '@dfs/transport';

class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Entry {
  info: FileInfo;
  body: Buffer;
}

export class FakeFileService implements FileService {
  readonly entries = new Map<string, Entry>();
  /** Names whose put was aborted or failed part-way (must never appear in entries). */
  readonly abortedPuts: string[] = [];
  /** 'wait': holders arrive only on `releaseHolders()`, or the wait times out on the real clock. */
  holdersReached: boolean | 'wait' = true;
  /** The `timeoutMs` of every holders wait, and how many of them timed out. */
  readonly holderWaits: number[] = [];
  /** The holder count of every holders wait (`?w`). */
  readonly holderCounts: number[] = [];
  /** Each put's `replicateAfterCommit`, in order. */
  readonly replicateAfterCommit: boolean[] = [];
  holderWaitsTimedOut = 0;
  #holderWaiters: (() => void)[] = [];
  #counter = 0;
  /** Resolves the next time a put starts reading its body (for abort tests). */
  onPutStarted: (() => void) | undefined;

  async put(name: string, body: Readable, options: PutOptions = {}): Promise<FileInfo> {
    const chunks: Buffer[] = [];
    let size = 0;
    this.onPutStarted?.();
    this.replicateAfterCommit.push(options.replicateAfterCommit === true);
    // Like a real store, do some I/O before reading: a body that started flowing early is lost.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      for await (const chunk of body) {
        options.signal?.throwIfAborted();
        size += (chunk as Buffer).length;
        if (options.maxBytes !== undefined && size > options.maxBytes) {
          throw new CodedError('ERR_TOO_LARGE', `body exceeds ${options.maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      options.signal?.throwIfAborted();
    } catch (error) {
      this.abortedPuts.push(name);
      throw error;
    }
    const data = Buffer.concat(chunks);
    const meta = canonicalFileMeta(
      typeof options.meta === 'function' ? options.meta() : options.meta,
    );
    const info: FileInfo = {
      ...(meta === undefined ? {} : { meta }),
      name,
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
      version: `v${String(++this.#counter).padStart(6, '0')}`,
      modified: 1_700_000_000_000 + this.#counter,
      holders: 1,
      holderIds: ['self'],
    };
    this.entries.set(name, { info, body: data });
    return info;
  }

  async waitForHolders(
    _name: string,
    _version: string,
    count: number,
    options: { timeoutMs: number },
  ): Promise<boolean> {
    this.holderWaits.push(options.timeoutMs);
    this.holderCounts.push(count);
    if (this.holdersReached !== 'wait') return this.holdersReached;
    return new Promise<boolean>((resolve) => {
      const timer = systemClock.setTimeout(() => {
        this.holderWaitsTimedOut++;
        resolve(false);
      }, options.timeoutMs);
      this.#holderWaiters.push(() => {
        timer.cancel();
        resolve(true);
      });
    });
  }

  releaseHolders(): void {
    for (const release of this.#holderWaiters.splice(0)) release();
  }

  async stat(name: string): Promise<FileInfo | undefined> {
    return this.entries.get(name)?.info;
  }

  async read(
    name: string,
    options: { range?: ByteRange } = {},
  ): Promise<{ info: FileInfo; stream: Readable }> {
    const entry = this.entries.get(name);
    if (!entry) throw new CodedError('ERR_NOT_FOUND', `no file named "${name}"`);
    const { range } = options;
    if (range && (range.start > range.end || range.end >= entry.body.length)) {
      throw new CodedError('ERR_RANGE', 'bad range');
    }
    const bytes = range ? entry.body.subarray(range.start, range.end + 1) : entry.body;
    return { info: entry.info, stream: Readable.from([bytes]) };
  }

  /** The `w` and `timeoutMs` of every delete. */
  readonly deleteWaits: { w?: number; timeoutMs?: number }[] = [];

  async delete(name: string, options: { w?: number; timeoutMs?: number } = {}): Promise<boolean> {
    this.deleteWaits.push({ w: options.w, timeoutMs: options.timeoutMs });
    return this.entries.delete(name);
  }

  async list(options: ListOptions): Promise<{ files: FileInfo[]; next?: string }> {
    const names = [...this.entries.keys()]
      .filter((n) => n.startsWith(options.prefix ?? ''))
      .filter((n) => options.cursor === undefined || n > options.cursor)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = names.slice(0, options.limit);
    const files = page.map((n) => (this.entries.get(n) as Entry).info);
    const last = page.at(-1);
    return names.length > options.limit && last !== undefined ? { files, next: last } : { files };
  }

  localStats(): { files: number; bytes: number } {
    let bytes = 0;
    for (const e of this.entries.values()) bytes += e.info.size;
    return { files: this.entries.size, bytes };
  }
}
