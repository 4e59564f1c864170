/**
 * The filesystem steps that make a write survive a crash, written once. A file's bytes are durable
 * only once the file is fsynced; a new or renamed directory entry only once its parent directory is.
 * So a durable replace is: write a temp file beside the target (same filesystem, so the rename is
 * atomic), write every byte, fsync it, rename it over the target, fsync the directory. A crash at
 * any point leaves the old file or the new one, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** fsyncs a directory, making its entries (creates, renames, removes) durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface DurabilityOptions {
  /**
   * fsync files and directories. Default true. Off keeps atomicity (readers see the old or the new
   * file) but a crash may lose the write: for tests and throwaway data only.
   */
  fsync?: boolean;
}

/**
 * mkdir -p, then fsync the parent of every directory it created, top-down, so the new directories
 * themselves survive a crash. Nothing to do when the directory already exists.
 */
export async function ensureDirectoryDurably(
  directory: string,
  options: DurabilityOptions = {},
): Promise<void> {
  const firstCreated = await mkdir(directory, { recursive: true });
  if (firstCreated === undefined || options.fsync === false) return;
  const created: string[] = [];
  for (let d = directory; ; d = dirname(d)) {
    created.push(d);
    if (d === firstCreated || dirname(d) === d) break;
  }
  for (const d of created.reverse()) await fsyncDirectory(dirname(d));
}

export type DurableData = string | Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

export interface WriteFileDurablyOptions extends DurabilityOptions {
  /** Permissions of the new file. Default 0o644. */
  mode?: number;
  /**
   * Where the temp file goes; it must be in the target's directory. Default a random
   * `.<name>.<hex>.tmp` beside the target. A crash can leave it behind; the caller's recovery may
   * remove leftovers by this name.
   */
  tempPath?: string;
}

/**
 * Replaces (or creates) `path` with `data` durably: temp file (exclusive create), every byte
 * written, fsync, rename over `path`, fsync of the directory. If anything before the rename fails
 * the temp file is removed and `path` is untouched; once this resolves the new content survives a
 * crash. A failure of the final directory fsync rejects although the rename happened: the caller
 * cannot count on the new content surviving a crash.
 */
export async function writeFileDurably(
  path: string,
  data: DurableData,
  options: WriteFileDurablyOptions = {},
): Promise<void> {
  const fsync = options.fsync ?? true;
  const directory = dirname(path);
  const temp = options.tempPath ?? defaultTempPath(path);
  // Exclusive create: a temp path someone else holds is an error, and never ours to remove.
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    try {
      await writeFile(handle, data);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  if (fsync) await fsyncDirectory(directory);
}

function defaultTempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}
