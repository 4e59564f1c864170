/**
 * Listing: every committed entry file under the store's directory, its trailer read a few files at a
 * time, keeping the entries whose key has the prefix and lives where the layout puts it.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { walkFiles } from './durable-fs.js';
import { isStoreError, systemErrorCode } from './errors.js';
import { readEntry } from './format.js';
import { safeRelativePath, type PathLayout } from './layout.js';
import type { Operation } from './operations.js';
import type { StoreEntry } from './types.js';

/** Trailers are read with this many files open at once while listing. */
const LIST_CONCURRENCY = 16;

/** Every entry whose key starts with `prefix`, sorted by key bytes. */
export async function collectEntries(
  dir: string,
  layout: PathLayout,
  prefix: string,
  op: Operation,
): Promise<StoreEntry[]> {
  const files: { relative: string; absolute: string }[] = [];
  for await (const file of walkFiles(dir)) {
    op.check();
    if (!file.temp) files.push(file);
  }
  const found: { sortKey: Buffer; entry: StoreEntry }[] = [];
  for (let i = 0; i < files.length; i += LIST_CONCURRENCY) {
    op.check();
    const batch = files.slice(i, i + LIST_CONCURRENCY);
    const entries = await Promise.all(batch.map((file) => entryAt(layout, file, prefix)));
    for (const entry of entries) {
      if (entry !== undefined) found.push({ sortKey: Buffer.from(entry.key, 'utf8'), entry });
    }
  }
  found.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
  return found.map((f) => f.entry);
}

/** The entry of a listed file, or undefined when damaged, vanished, or not where its key maps. */
async function entryAt(
  layout: PathLayout,
  file: { relative: string; absolute: string },
  prefix: string,
): Promise<StoreEntry | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file.absolute, 'r');
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const entry = await readEntry(handle);
    if (!entry.key.startsWith(prefix)) return undefined;
    if (safeRelativePath(layout, entry.key) !== file.relative) return undefined;
    return entry;
  } catch (error) {
    if (isStoreError(error, 'ERR_INTEGRITY')) return undefined;
    throw error;
  } finally {
    await handle.close();
  }
}
