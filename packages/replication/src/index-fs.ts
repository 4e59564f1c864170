/**
 * The filesystem calls the index log makes, behind one small interface so the whole-node simulator
 * can run the index on a simulated disk that injects ENOSPC, EIO, short writes, bit flips and crashes
 * that lose whatever was not fsynced. `nodeIndexFs` is the real one (node:fs).
 *
 * Contract (the simulator's disk keeps it too): `write` may write fewer bytes than asked (the caller
 * must check); data is durable only after `datasync`; a new or renamed directory entry is durable
 * only after `syncDir` of its parent.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ensureDirectoryDurably, fsyncDirectory } from '@dfs/base';

export interface IndexFileHandle {
  /** Writes `data` at `position`; resolves with the number of bytes written (may be short). */
  write(data: Buffer, position: number): Promise<number>;
  /** Makes the file's data durable. */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface IndexFs {
  /** mkdir -p, then fsync the parent of every directory it created, so they survive a crash. */
  ensureDir(dir: string): Promise<void>;
  /** The whole file, or undefined when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Opens for reading and writing; `create` makes an empty file when absent (else ENOENT). */
  open(path: string, options: { create: boolean }): Promise<IndexFileHandle>;
  /** Atomic replace of `to` by `from` (durable only after `syncDir(dirname(to))`). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; no error when it does not exist. */
  remove(path: string): Promise<void>;
  /** fsyncs a directory, making its entries (creates, renames, removes) durable. */
  syncDir(dir: string): Promise<void>;
}

class NodeIndexFile implements IndexFileHandle {
  readonly #handle: FileHandle;
  constructor(handle: FileHandle) {
    this.#handle = handle;
  }
  async write(data: Buffer, position: number): Promise<number> {
    const { bytesWritten } = await this.#handle.write(data, 0, data.length, position);
    return bytesWritten;
  }
  datasync(): Promise<void> {
    return this.#handle.datasync();
  }
  truncate(length: number): Promise<void> {
    return this.#handle.truncate(length);
  }
  close(): Promise<void> {
    return this.#handle.close();
  }
}

export const nodeIndexFs: IndexFs = {
  ensureDir(dir) {
    return ensureDirectoryDurably(dir);
  },
  async readFile(path) {
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  },
  async open(path, options) {
    return new NodeIndexFile(
      await open(path, options.create ? 'a+' : 'r+').then(async (h) => {
        if (!options.create) return h;
        // 'a+' creates without truncating but forces appends; reopen positional read/write.
        await h.close();
        return open(path, 'r+');
      }),
    );
  },
  rename(from, to) {
    return rename(from, to);
  },
  remove(path) {
    return rm(path, { force: true });
  },
  syncDir: fsyncDirectory,
};
