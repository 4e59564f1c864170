/**
 * What the engine does at open, before it accepts any work: recover the index log (file-index.ts),
 * log what recovery found, and sort the stored bodies the index does not refer to (orphans.ts) into
 * salvaged, quarantined (held by `UnclaimedBodies`) and superseded.
 */
import type { Clock } from '@dfs/transport';
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import { FileIndex } from './file-index.js';
import type { IndexRecovery } from './file-index.js';
import { nodeIndexFs } from './index-fs.js';
import type { IndexFs } from './index-fs.js';
import { clearSalvagePending } from './index-files.js';
import { sortUnreferencedBodies } from './orphans.js';
import type { UnreferencedBodies } from './orphans.js';
import { UnclaimedBodies } from './unclaimed-bodies.js';
import type { HeldBody } from './unclaimed-bodies.js';

interface OpenLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export async function openIndexAndBodies(options: {
  /** This node (its holder slot in salvaged entries and in records from before slots). */
  nodeId: string;
  dir: string;
  fsync: 'always' | 'never' | undefined;
  fs: IndexFs | undefined;
  store: BlobStore;
  clock: Clock;
  unclaimedBodyTimeoutMs: number;
  log: OpenLogger;
}): Promise<{ index: FileIndex; unclaimed: UnclaimedBodies; sorted: UnreferencedBodies }> {
  const { log } = options;
  const index = await FileIndex.open({
    dir: options.dir,
    fsync: options.fsync,
    fs: options.fs,
    nodeId: options.nodeId,
  });
  logRecovery(log, index.recovery);
  const unclaimed = new UnclaimedBodies({
    clock: options.clock,
    store: options.store,
    timeoutMs: options.unclaimedBodyTimeoutMs,
    claimed: (key, body) => isClaimed(index, key, body),
  });
  const { recovery } = index;
  const sorted = await sortUnreferencedBodies({
    store: options.store,
    index,
    // The index lost records (or all of them), now or at an open that did not finish: bodies it
    // does not know are rebuilt into it.
    salvage: recovery.salvagePending,
    nodeId: options.nodeId,
    quarantine: (key, body) => void unclaimed.hold(key, body),
  });
  if (recovery.salvagePending) {
    await index.settled();
    await clearSalvagePending(options.fs ?? nodeIndexFs, options.dir);
  }
  if (sorted.salvaged + sorted.quarantined + sorted.superseded > 0) {
    const level = sorted.salvaged > 0 ? 'warn' : 'info';
    log[level]({ ...sorted }, 'sorted stored bodies the index did not refer to');
  }
  return { index, unclaimed, sorted };
}

/** True when the index's working view refers to the body under `key` (held bodies are then kept). */
function isClaimed(index: FileIndex, key: string, body: HeldBody): boolean {
  if (body.name !== undefined) {
    const entry = index.get(body.name);
    return entry !== undefined && !entry.deleted && entry.version === body.version;
  }
  for (const entry of index.entries()) {
    if (!entry.deleted && blobKey(entry.name, entry.version) === key) return true;
  }
  return false;
}

function logRecovery(log: OpenLogger, recovery: IndexRecovery): void {
  if (recovery.damagedRegions > 0) {
    log.warn(
      { ...recovery },
      'index log was damaged: skipped the damaged records, kept every valid one, kept the damaged log aside',
    );
  } else if (recovery.tornTailBytes > 0) {
    log.info({ tornTailBytes: recovery.tornTailBytes }, 'cut an incomplete last index record');
  }
}
