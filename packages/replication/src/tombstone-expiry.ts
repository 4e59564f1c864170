/**
 * Forgetting expired tombstones. A tombstone is kept until its expiry (computed locally on receipt,
 * incoming.ts), capped by the local `tombstoneTtlMs` from its version's wall time (`tombstoneExpired`
 * in decide.ts); then its name is dropped from the index. Only durable tombstones that are still the
 * working view's entry are dropped, so a newer write of the name in flight is never undone; the
 * digests and list order follow once the drop is durable.
 */
import { tombstoneExpired } from './decide.js';
import type { FileIndex } from './file-index.js';
import type { IndexViews } from './index-views.js';
import type { Lifecycle } from './lifecycle.js';

export function expireTombstones(options: {
  index: FileIndex;
  views: IndexViews;
  lifecycle: Lifecycle;
  now: number;
  ttlMs: number;
}): void {
  const { index, views, lifecycle, now, ttlMs } = options;
  for (const entry of [...index.committedEntries()]) {
    if (tombstoneExpired(entry, now, ttlMs) && index.get(entry.name) === entry) {
      lifecycle.inBackground(index.drop(entry.name).then(() => views.sync(entry.name)));
    }
  }
}
