/**
 * Bodies nobody refers to: a crash between the store's commit and the index write (a put that never
 * answered 201, a pull that finished as the node died), or a push whose entry never arrived. Run once
 * at open, before the engine accepts puts or pushes, so nothing in flight can be mistaken for an
 * orphan. Bodies of any version the index knows are kept (a not-yet-local one is claimed later by
 * its sha256 instead of being pulled again).
 */
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import type { IndexEntry } from './file-index.js';

export async function removeOrphanBlobs(
  store: BlobStore,
  entries: Iterable<IndexEntry>,
): Promise<number> {
  if (store.list === undefined) return 0;
  const wanted = new Set<string>();
  for (const entry of entries) if (!entry.deleted) wanted.add(blobKey(entry.name, entry.version));
  const orphans: string[] = [];
  for await (const stored of store.list()) if (!wanted.has(stored.key)) orphans.push(stored.key);
  for (const key of orphans) await store.delete(key).catch(() => false);
  return orphans.length;
}
