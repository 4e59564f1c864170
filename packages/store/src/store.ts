/**
 * The filesystem store: one entry file per key at `layout.pathFor(key)` under `dir` (see format.ts).
 * Commits are a rename of a fsynced temp file plus an fsync of the directory; leftover temp files
 * from a crash are removed at open.
 */
import { copyFile, constants, open, rename, truncate, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import {
  checkMetadata,
  checkPutOptions,
  checkRange,
  checkSha256Option,
} from './argument-checks.js';
import {
  createTempFile,
  ensureDirectory,
  fsyncDirectory,
  tempPathIn,
  unlinkIfPresent,
  walkFiles,
  writeAll,
} from './durable-fs.js';
import { StoreError, isStoreError, systemErrorCode, toStoreError } from './errors.js';
import { encodeTrailer, readEntry } from './format.js';
import { assertValidKey, assertWellFormed } from './keys.js';
import { safeRelativePath, sha256Layout, type PathLayout } from './layout.js';
import { collectEntries } from './list-entries.js';
import { OperationTracker, type Operation } from './operations.js';
import { PathLock } from './path-lock.js';
import { EntryReadStream, READ_CHUNK_BYTES } from './read-stream.js';
import { readStoreMarker } from './marker.js';
import type {
  ConditionalOptions,
  GetOptions,
  ListOptions,
  PutBody,
  PutOptions,
  SignalOptions,
  Store,
  StoreEntry,
  StoreMetadata,
  StoreReadStream,
} from './types.js';
import { writeTempEntry } from './write-entry.js';

export interface OpenStoreOptions {
  /** Directory holding the entries; created if missing. Give the store a directory of its own. */
  dir: string;
  /** How keys map to file paths. Default `sha256Layout`. Fixed for the life of the directory. */
  layout?: PathLayout;
  /**
   * fsync files and directories on every commit. Default true. Turning it off keeps atomicity (a
   * crash still never exposes a torn value) but loses durability of recent puts: tests only.
   */
  fsync?: boolean;
}

/**
 * Opens (creating if needed) the store at `options.dir`, removing temp files left by a crash.
 * ERR_LAYOUT_MISMATCH when the directory was created with another layout.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) {
    throw new StoreError('ERR_INVALID_ARGUMENT', 'dir must be a non-empty string');
  }
  const layout = options.layout ?? sha256Layout;
  if (typeof layout.name !== 'string' || typeof layout.pathFor !== 'function') {
    throw new StoreError('ERR_INVALID_ARGUMENT', 'layout must have a name and a pathFor function');
  }
  const fsync = options.fsync ?? true;
  const dir = resolve(options.dir);
  try {
    await ensureDirectory(dir, fsync);
    await readStoreMarker(dir, layout.name, fsync);
    for await (const file of walkFiles(dir)) {
      if (file.temp) await unlinkIfPresent(file.absolute);
    }
  } catch (error) {
    throw toStoreError(error, `open ${dir}`);
  }
  return new FileStore(dir, layout, fsync);
}

class FileStore implements Store {
  readonly dir: string;
  readonly layout: PathLayout;
  readonly #fsync: boolean;
  readonly #operations = new OperationTracker();
  readonly #locks = new PathLock();
  /** Directories known to exist, so hot puts skip mkdir. */
  readonly #knownDirectories = new Set<string>();

  constructor(dir: string, layout: PathLayout, fsync: boolean) {
    this.dir = dir;
    this.layout = layout;
    this.#fsync = fsync;
  }

  #pathOf(key: string): string {
    return join(this.dir, safeRelativePath(this.layout, key));
  }

  /** Runs `task` as a tracked operation, mapping every failure to a StoreError. */
  async #run<T>(
    what: string,
    signal: AbortSignal | undefined,
    task: (op: Operation) => Promise<T>,
  ): Promise<T> {
    const op = this.#operations.begin(signal);
    try {
      return await task(op);
    } catch (error) {
      if (op.signal.aborted) op.check();
      throw toStoreError(error, what);
    } finally {
      op.end();
    }
  }

  /**
   * A temp file in the shard directory, creating the directory on first use. A directory removed
   * behind our back (ENOENT) is recreated once; no body byte has been consumed at that point.
   */
  async #createTempFile(directory: string): Promise<{ handle: FileHandle; path: string }> {
    if (!this.#knownDirectories.has(directory)) {
      await ensureDirectory(directory, this.#fsync);
      this.#knownDirectories.add(directory);
    }
    try {
      return await createTempFile(directory);
    } catch (error) {
      if (systemErrorCode(error) !== 'ENOENT') throw error;
      await ensureDirectory(directory, this.#fsync);
      return createTempFile(directory);
    }
  }

  /** The entry in the file at `path` if it belongs to `key`; undefined when absent. */
  async #openEntry(
    key: string,
    path: string,
  ): Promise<{ handle: FileHandle; entry: StoreEntry } | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const entry = await readEntry(handle);
      // A layout collision (two keys, one path) reads as absent for the key that does not own it.
      if (entry.key !== key) {
        await handle.close();
        return undefined;
      }
      return { handle, entry };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  async has(key: string, options?: SignalOptions): Promise<boolean> {
    return (await this.stat(key, options)) !== undefined;
  }

  async stat(key: string, options?: SignalOptions): Promise<StoreEntry | undefined> {
    assertValidKey(key);
    return this.#run('stat', options?.signal, async () => {
      const opened = await this.#openEntry(key, this.#pathOf(key));
      if (opened === undefined) return undefined;
      await opened.handle.close();
      return opened.entry;
    });
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<StoreEntry> {
    assertValidKey(key);
    const request = checkPutOptions(options);
    return this.#run('put', options.signal, async (op) => {
      const path = this.#pathOf(key);
      const directory = dirname(path);
      const written = await writeTempEntry({
        temp: await this.#createTempFile(directory),
        key,
        body,
        ...request,
        fsync: this.#fsync,
        signal: op.signal,
      });
      try {
        await this.#locks.run(path, async () => {
          op.check();
          await rename(written.tempPath, path);
        });
      } catch (error) {
        await unlinkIfPresent(written.tempPath).catch(() => undefined);
        throw error;
      }
      // Committed: from here the put stands, whatever the signal says.
      if (this.#fsync) await fsyncDirectory(directory);
      return written.entry;
    });
  }

  async get(key: string, options: GetOptions = {}): Promise<StoreReadStream> {
    assertValidKey(key);
    const range = options.range;
    const op = this.#operations.begin(options.signal);
    let opened: { handle: FileHandle; entry: StoreEntry } | undefined;
    try {
      opened = await this.#openEntry(key, this.#pathOf(key));
      op.check();
      if (opened === undefined) throw notFound(key);
      if (range !== undefined) checkRange(range, opened.entry.size);
    } catch (error) {
      await opened?.handle.close().catch(() => undefined);
      op.end();
      if (op.signal.aborted) op.check();
      throw toStoreError(error, 'get');
    }
    const stream = new EntryReadStream(
      opened.handle,
      opened.entry,
      range,
      () => {
        op.signal.removeEventListener('abort', onAbort);
        op.end();
      },
      options.verify ?? true,
    );
    const onAbort = (): void => {
      stream.destroy(op.signal.reason instanceof Error ? op.signal.reason : undefined);
    };
    op.signal.addEventListener('abort', onAbort, { once: true });
    return stream;
  }

  async delete(key: string, options: ConditionalOptions = {}): Promise<boolean> {
    assertValidKey(key);
    const ifSha256 = checkSha256Option(options.ifSha256, 'ifSha256');
    return this.#run('delete', options.signal, async (op) => {
      const path = this.#pathOf(key);
      return this.#locks.run(path, async () => {
        let entry: StoreEntry | undefined;
        try {
          const opened = await this.#openEntry(key, path);
          await opened?.handle.close();
          if (opened === undefined) return false;
          entry = opened.entry;
        } catch (error) {
          // A damaged entry can still be deleted unconditionally (its key is unknowable).
          if (!isStoreError(error, 'ERR_INTEGRITY') || ifSha256 !== undefined) throw error;
        }
        if (ifSha256 !== undefined && entry?.sha256 !== ifSha256) throw preconditionFailed(key);
        op.check();
        if (!(await unlinkIfPresent(path))) return false;
        if (this.#fsync) await fsyncDirectory(dirname(path));
        return true;
      });
    });
  }

  list(options: ListOptions = {}): AsyncIterable<StoreEntry> {
    const prefix = options.prefix ?? '';
    if (typeof prefix !== 'string') {
      throw new StoreError('ERR_INVALID_ARGUMENT', 'prefix must be a string');
    }
    assertWellFormed(prefix, 'ERR_INVALID_ARGUMENT', 'prefix');
    const collect = (): Promise<StoreEntry[]> =>
      this.#run('list', options.signal, (op) => collectEntries(this.dir, this.layout, prefix, op));
    return {
      async *[Symbol.asyncIterator]() {
        // Entries are gathered and sorted up front, so a consumer that stops early holds nothing.
        yield* await collect();
      },
    };
  }

  async verify(key: string, options?: SignalOptions): Promise<StoreEntry> {
    assertValidKey(key);
    return this.#run('verify', options?.signal, async (op) => {
      const opened = await this.#openEntry(key, this.#pathOf(key));
      if (opened === undefined) throw notFound(key);
      const { handle, entry } = opened;
      try {
        const hash = createHash('sha256');
        const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
        for (let position = 0; position < entry.size;) {
          op.check();
          const length = Math.min(buffer.length, entry.size - position);
          const { bytesRead } = await handle.read(buffer, 0, length, position);
          if (bytesRead === 0)
            throw new StoreError('ERR_INTEGRITY', 'body is shorter than recorded');
          hash.update(buffer.subarray(0, bytesRead));
          position += bytesRead;
        }
        const actual = hash.digest('hex');
        if (actual !== entry.sha256) {
          throw new StoreError(
            'ERR_INTEGRITY',
            `stored body of ${JSON.stringify(key)} has sha256 ${actual}, expected ${entry.sha256}`,
          );
        }
        return entry;
      } finally {
        await handle.close();
      }
    });
  }

  async setMetadata(
    key: string,
    metadata: StoreMetadata,
    options: ConditionalOptions = {},
  ): Promise<StoreEntry> {
    assertValidKey(key);
    checkMetadata(metadata);
    const ifSha256 = checkSha256Option(options.ifSha256, 'ifSha256');
    return this.#run('setMetadata', options.signal, async (op) => {
      const path = this.#pathOf(key);
      return this.#locks.run(path, async () => {
        const opened = await this.#openEntry(key, path);
        await opened?.handle.close();
        if (opened === undefined) throw notFound(key);
        if (ifSha256 !== undefined && opened.entry.sha256 !== ifSha256)
          throw preconditionFailed(key);
        const entry: StoreEntry = { ...opened.entry, metadata: { ...metadata } };
        // Under the lock the file cannot change, so copying by path copies the version just read.
        const tempPath = tempPathIn(dirname(path));
        try {
          await copyFile(path, tempPath, constants.COPYFILE_FICLONE);
          await truncate(tempPath, entry.size);
          const handle = await open(tempPath, 'a');
          try {
            await writeAll(handle, [encodeTrailer(entry)]);
            if (this.#fsync) await handle.datasync();
          } finally {
            await handle.close();
          }
          op.check();
          await rename(tempPath, path);
        } catch (error) {
          await unlinkIfPresent(tempPath).catch(() => undefined);
          throw error;
        }
        if (this.#fsync) await fsyncDirectory(dirname(path));
        return entry;
      });
    });
  }

  async close(): Promise<void> {
    await this.#operations.close();
  }
}

function notFound(key: string): StoreError {
  return new StoreError('ERR_NOT_FOUND', `no entry for key ${JSON.stringify(key)}`);
}

function preconditionFailed(key: string): StoreError {
  return new StoreError('ERR_PRECONDITION', `entry ${JSON.stringify(key)} has a different sha256`);
}
