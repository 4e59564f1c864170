/**
 * What the rest of the cluster and the node's callers see of the index: only its durable view.
 * The wire form of an entry (its holder slots, this node's own among them), the anti-entropy
 * digests and the list order, kept in step with each durable change by `sync`, and the live holder
 * count and `FileInfo` of an entry.
 */
import type { PeerInfo } from '@dfs/transport';
import type { FileInfo } from './file-service.js';
import type { FileIndex, IndexEntry } from './file-index.js';
import { versionWallTime } from './hlc.js';
import type { IndexReconciler } from './index-reconciler.js';
import { ListOrder } from './list-order.js';
import type { ReplicatedEntry } from './merge.js';
import { toWire } from './wire.js';

export interface IndexViewsOptions {
  nodeId: string;
  index: FileIndex;
  reconciler: IndexReconciler;
  /** Live peers, without this node. */
  livePeers: () => PeerInfo[];
}

export class IndexViews {
  #live: Set<string> | undefined;
  readonly order = new ListOrder();
  readonly #options: IndexViewsOptions;

  constructor(options: IndexViewsOptions) {
    this.#options = options;
    for (const entry of options.index.committedEntries()) this.sync(entry.name);
  }

  /** Brings the anti-entropy digest and the list order of `name` in step with its durable entry. */
  sync(name: string): void {
    const entry = this.#options.index.committed(name);
    this.#options.reconciler.update(name, entry === undefined ? undefined : this.wire(entry));
    if (entry !== undefined && !entry.deleted) this.order.add(name);
    else this.order.remove(name);
  }

  /** The wire form of `name`'s durable entry, or undefined when there is none. */
  wireOf(name: string): ReplicatedEntry | undefined {
    const entry = this.#options.index.committed(name);
    return entry === undefined ? undefined : this.wire(entry);
  }

  wire(entry: IndexEntry): ReplicatedEntry {
    return toWire(entry.deleted ? { ...entry, holders: [] } : entry);
  }

  /**
   * This node (when it holds the bytes: `local`, not its slot) plus the other nodes that are live
   * now and whose slot says they hold it.
   */
  holderCount(entry: IndexEntry): number {
    return this.holderIds(entry).length;
  }

  /** The live nodes that hold the entry's bytes: this node first when it does, then its peers. */
  holderIds(entry: IndexEntry): string[] {
    if (entry.deleted) return [];
    const live = this.#liveIds();
    const self = this.#options.nodeId;
    const ids = entry.local ? [self] : [];
    for (const slot of entry.holders) {
      if (slot.holds && slot.node !== self && live.has(slot.node)) ids.push(slot.node);
    }
    return ids;
  }

  /**
   * The live peer ids, built once per synchronous run (a listing counts holders for every file of a
   * page; building the set per file made that files × members), dropped at the next microtask so a
   * membership change is seen at once.
   */
  #liveIds(): Set<string> {
    if (this.#live === undefined) {
      this.#live = new Set(this.#options.livePeers().map((p) => p.id));
      queueMicrotask(() => {
        this.#live = undefined;
      });
    }
    return this.#live;
  }

  info(entry: IndexEntry): FileInfo {
    const holderIds = this.holderIds(entry);
    return {
      name: entry.name,
      size: entry.size,
      sha256: entry.sha256,
      version: entry.version,
      modified: versionWallTime(entry.version),
      holders: holderIds.length,
      holderIds,
      ...(entry.meta === undefined ? {} : { meta: entry.meta }),
    };
  }
}
