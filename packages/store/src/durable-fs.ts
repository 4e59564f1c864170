/**
 * The filesystem steps that make a rename-based commit durable: a new directory entry only survives
 * a crash once its parent directory is fsynced, and a file's bytes only once the file is.
 */
import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDirectoryDurably, fsyncDirectory } from '@dfs/base';
import { systemErrorCode } from './errors.js';

/** Temp files live beside their final name (same filesystem, so rename is atomic). */
export const TEMP_PREFIX = '.tmp-';

export function tempPathIn(directory: string): string {
  return join(directory, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
}

/** Creates a new temp file in `directory` (O_EXCL, so two writers never share one). */
export async function createTempFile(
  directory: string,
): Promise<{ handle: FileHandle; path: string }> {
  const path = tempPathIn(directory);
  return { handle: await open(path, 'wx', 0o644), path };
}

export { fsyncDirectory };

/**
 * mkdir -p, then (when `durable`) fsync the parent of every directory it created, top-down, so the
 * new directories themselves survive a crash.
 */
export async function ensureDirectory(directory: string, durable: boolean): Promise<void> {
  await ensureDirectoryDurably(directory, { fsync: durable });
}

/** Writes every byte of `chunks` at the handle's current offset (writev may write partially). */
export async function writeAll(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  let pending = chunks.filter((c) => c.length > 0);
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev(pending);
    const rest: Buffer[] = [];
    for (const chunk of pending) {
      if (bytesWritten >= chunk.length) {
        bytesWritten -= chunk.length;
      } else {
        rest.push(bytesWritten > 0 ? chunk.subarray(bytesWritten) : chunk);
        bytesWritten = 0;
      }
    }
    pending = rest;
  }
}

export async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

export interface FoundFile {
  /** `/`-separated path relative to the root. */
  relative: string;
  absolute: string;
  /** True for a leftover temp file. */
  temp: boolean;
}

/**
 * Every regular file under `root`, depth-first, skipping hidden names at the root (the store's own
 * marker). Directories that vanish while walking are skipped.
 */
export async function* walkFiles(root: string, relative = ''): AsyncGenerator<FoundFile> {
  let entries: Dirent[];
  try {
    entries = await readdir(relative === '' ? root : join(root, relative), { withFileTypes: true });
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      if (relative === '' && entry.name.startsWith('.')) continue;
      yield* walkFiles(root, rel);
    } else if (entry.isFile()) {
      const temp = entry.name.startsWith(TEMP_PREFIX);
      if (relative === '' && entry.name.startsWith('.') && !temp) continue;
      yield { relative: rel, absolute: join(root, rel), temp };
    }
  }
}
