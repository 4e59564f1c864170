/**
 * `ClusterPlacement`: the `PlacementView` of a real cluster (issue 12). It decides which nodes
 * should hold each file from three inputs:
 *
 * - SWIM membership (`observe`): who is up;
 * - the replicated nodes table (nodes-table.ts, spread by nodes-table-sync.ts): capacities, each
 *   node's R, drains and removals;
 * - the local clock (`tick`): the grace period before a down member is out, and the brake
 *   (out-tracker.ts).
 *
 * The members that are *in* — not out, not removed, started with the cluster's R — are ranked with
 * `placement/1`; a draining member is in with weight 0. The cluster's R is the R of the oldest
 * non-removed row (ties by id); a member with another R is not placed on, and if that member is this
 * node `replicasConflict` says so (the node app refuses to run).
 *
 * The `Placement` is rebuilt only when the in set or a weight changes, so `holders()` costs one
 * ranking when every target is up.
 */
import { Placement, PlacementError, checkReplicas, checkWeight } from './placement.js';
import { compareIds, placementNameHash } from './placement-hash.js';
import type { PlacementView } from './placement-view.js';
import type { Clock } from '@dfs/transport';
import { loadNodesFile, saveNodesFile } from './nodes-file.js';
import {
  MAX_NODE_ROWS,
  NodesTable,
  laterStatus,
  type NodeRow,
  type NodeStatus,
} from './nodes-table.js';
import { OutTracker, type SwimState } from './out-tracker.js';

export type PlacementState = 'in' | 'down' | 'out' | 'draining' | 'removed';

export interface MemberPlacement {
  id: string;
  state: PlacementState;
  up: boolean;
  capacity: number;
  /** The placement weight: the capacity, 0 while draining or not placed on. */
  weight: number;
  /** Local clock time the member was first seen down (while it is down). */
  downSince?: number;
  api: string;
  replicas: number;
}

export interface ClusterPlacementOptions {
  nodeId: string;
  replicas: number;
  capacity: number;
  api: string;
  clock: Clock;
  /** Grace before a down member is out. Default 600_000. */
  outAfterMs?: number;
  /** The brake: mark nothing out while up / (not out, not removed) is below this. Default 0.75. */
  minUpRatio?: number;
  /** Where nodes.json persists; none = memory only. */
  dir?: string;
  /** Rows stamped further ahead of now are refused. Default 60_000. */
  maxClockSkewMs?: number;
  /** fsync nodes.json writes. Default true (off only for tests). */
  fsync?: boolean;
  /** Told when nodes.json could not be written after a merge (drain/remove reject instead). */
  onPersistError?: (error: unknown) => void;
}

export const CLUSTER_PLACEMENT_DEFAULTS = {
  outAfterMs: 600_000,
  minUpRatio: 0.75,
  maxClockSkewMs: 60_000,
} as const;

export class ClusterPlacement implements PlacementView {
  private readonly options: ClusterPlacementOptions;
  private readonly table = new NodesTable();
  private readonly tracker: OutTracker;
  private readonly listeners = new Set<() => void>();
  private readonly maxClockSkewMs: number;
  private placement = Placement.of([]);
  /** The last name ranked, for the targets-then-holders pattern (valid for this placement and R). */
  private lastRanked:
    { name: string; placement: Placement; r: number; targets: readonly string[] } | undefined;
  private placementKey = '';
  private clusterReplicas: number;
  private downIn = new Set<string>();
  private signature = '';
  private refused = 0;
  private saving: Promise<void> = Promise.resolve();
  private queuedSave: Promise<void> | undefined;

  private constructor(options: ClusterPlacementOptions) {
    checkReplicas(options.replicas);
    checkWeight(options.nodeId, options.capacity);
    if (!(options.capacity > 0)) {
      throw new PlacementError('ERR_INVALID_MEMBER', 'capacity must be above 0');
    }
    this.options = options;
    this.clusterReplicas = options.replicas;
    this.maxClockSkewMs = options.maxClockSkewMs ?? CLUSTER_PLACEMENT_DEFAULTS.maxClockSkewMs;
    this.tracker = new OutTracker({
      selfId: options.nodeId,
      outAfterMs: options.outAfterMs ?? CLUSTER_PLACEMENT_DEFAULTS.outAfterMs,
      minUpRatio: options.minUpRatio ?? CLUSTER_PLACEMENT_DEFAULTS.minUpRatio,
    });
  }

  /** Loads nodes.json (if `dir`), then writes or refreshes this node's own row. */
  static async open(options: ClusterPlacementOptions): Promise<ClusterPlacement> {
    const placement = new ClusterPlacement(options);
    if (options.dir !== undefined) {
      const loaded = await loadNodesFile(options.dir, options.fsync ?? true);
      // Our own file: no skew bound (the clock may have stepped back since it was written).
      for (const row of loaded.rows) placement.table.merge(row, Number.MAX_SAFE_INTEGER);
    }
    const changed = placement.refreshOwnRow();
    placement.update(false);
    if (changed || options.dir !== undefined) await placement.persist();
    return placement;
  }

  get replicas(): number {
    return this.clusterReplicas;
  }

  get paused(): boolean {
    return this.tracker.paused;
  }

  /** Own R differs from the cluster's: the node must not run (its copies would be misplaced). */
  get replicasConflict(): { clusterReplicas: number; ownReplicas: number } | undefined {
    const own = this.options.replicas;
    return own === this.clusterReplicas
      ? undefined
      : { clusterReplicas: this.clusterReplicas, ownReplicas: own };
  }

  /** Rows from peers refused so far (invalid, stamped too far ahead, or past MAX_NODE_ROWS). */
  get refusedRows(): number {
    return this.refused;
  }

  targets(name: string): readonly string[] {
    // Callers ask targets and holders of one name in a row (resync's scan, puts): rank it once.
    const memo = this.lastRanked;
    if (
      memo?.name === name &&
      memo.placement === this.placement &&
      memo.r === this.clusterReplicas
    ) {
      return memo.targets;
    }
    const targets = this.placement.rank(name, this.clusterReplicas);
    this.lastRanked = { name, placement: this.placement, r: this.clusterReplicas, targets };
    return targets;
  }

  holders(name: string): readonly string[] {
    const targets = this.targets(name);
    if (this.downIn.size === 0 || !targets.some((id) => this.downIn.has(id))) return targets;
    const h = placementNameHash(name);
    // Every rank skipped past R is a down member, so R + (down members) ranks always suffice.
    const ranked = this.placement.rank(h, this.clusterReplicas + this.downIn.size);
    const listed = new Set(targets);
    const holders: string[] = [];
    let next = targets.length;
    for (const id of targets) {
      if (!this.downIn.has(id)) {
        holders.push(id);
        continue;
      }
      while (
        next < ranked.length &&
        (this.downIn.has(ranked[next]!) || listed.has(ranked[next]!))
      ) {
        next++;
      }
      if (next < ranked.length) {
        listed.add(ranked[next]!);
        holders.push(ranked[next++]!);
      }
    }
    return holders;
  }

  isUp(id: string): boolean {
    return this.tracker.isUp(id);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The SWIM view: every member SWIM knows with its state. Call on every membership change. */
  observe(members: Iterable<{ id: string; state: SwimState }>): void {
    this.tracker.setView(members);
    this.update(true);
  }

  /** Re-evaluates the grace period against the clock; call periodically. */
  tick(): void {
    this.update(true);
  }

  /** Every row's placement state, sorted by id. */
  memberStates(): MemberPlacement[] {
    return this.table.rows().map((row) => this.stateOf(row));
  }

  rows(): NodeRow[] {
    return this.table.rows();
  }

  /**
   * Merges rows from a peer (last writer wins per row; drain/remove are one-way). Each row is
   * validated; invalid ones, ones stamped more than `maxClockSkewMs` ahead and new ids past
   * MAX_NODE_ROWS are refused. Returns true if the table changed (then persists and may emit).
   */
  merge(rows: readonly NodeRow[]): boolean {
    if (!Array.isArray(rows) || rows.length > MAX_NODE_ROWS) {
      this.refused += Array.isArray(rows) ? rows.length : 1;
      return false;
    }
    const latest = this.options.clock.now() + this.maxClockSkewMs;
    let changed = false;
    for (const value of rows as readonly unknown[]) {
      const result = this.table.merge(value, latest);
      if (typeof result === 'string') this.refused++;
      else if (result !== undefined) changed = true;
    }
    if (!changed) return false;
    this.refreshOwnRow();
    this.update(true);
    void this.persist().catch((error: unknown) => this.options.onPersistError?.(error));
    return true;
  }

  /** Drains member `id` (weight 0: a target only when too few others). */
  drain(id: string): Promise<NodeRow> {
    return this.setStatus(id, 'draining');
  }

  /** Removes member `id`: out at once, for good. */
  remove(id: string): Promise<NodeRow> {
    return this.setStatus(id, 'removed');
  }

  /** The member's HTTP API base URL, if it has one. */
  apiOf(id: string): string | undefined {
    const api = this.table.get(id)?.api;
    return api === undefined || api === '' ? undefined : api;
  }

  /** Waits for the last nodes.json write. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.saving;
  }

  private async setStatus(id: string, status: NodeStatus): Promise<NodeRow> {
    const row = this.table.get(id);
    if (row === undefined) {
      throw new PlacementError(
        'ERR_NOT_MEMBER',
        `no node ${JSON.stringify(id)} in the nodes table`,
      );
    }
    const next = { ...row, status: laterStatus(row.status, status) };
    this.write(next);
    this.update(true);
    await this.persist();
    return this.table.get(id)!;
  }

  /** Writes a row as this node: a stamp above the previous one, this node as the writer. */
  private write(row: NodeRow): void {
    const now = this.options.clock.now();
    const previous = this.table.get(row.id)?.stamp ?? -1;
    const stamp = Math.max(now, previous + 1);
    this.table.merge({ ...row, stamp, writer: this.options.nodeId }, Number.MAX_SAFE_INTEGER);
  }

  /** Writes this node's row if it is missing or its capacity, R or API differ. */
  private refreshOwnRow(): boolean {
    const { nodeId, capacity, replicas, api, clock } = this.options;
    const own = this.table.get(nodeId);
    if (own && own.capacity === capacity && own.replicas === replicas && own.api === api)
      return false;
    this.write({
      id: nodeId,
      capacity,
      replicas,
      api,
      // Kept: this node's own refresh never undoes an operator's drain or remove.
      status: own?.status ?? 'active',
      since: own?.since ?? clock.now(),
      stamp: 0,
      writer: nodeId,
    });
    return true;
  }

  private update(emit: boolean): void {
    const rows = this.table.rows();
    const live = rows.filter((row) => row.status !== 'removed');
    this.tracker.update(
      live.map((row) => row.id),
      this.options.clock.now(),
    );
    this.clusterReplicas = clusterReplicasOf(live) ?? this.options.replicas;
    const members: { id: string; weight: number }[] = [];
    const downIn = new Set<string>();
    for (const row of live) {
      if (this.tracker.isOut(row.id) || row.replicas !== this.clusterReplicas) continue;
      members.push({ id: row.id, weight: row.status === 'draining' ? 0 : row.capacity });
      if (!this.tracker.isUp(row.id)) downIn.add(row.id);
    }
    const key = members.map((m) => `${m.id}\u0000${m.weight}`).join('\u0001');
    if (key !== this.placementKey) {
      this.placement = Placement.of(members);
      this.placementKey = key;
    }
    this.downIn = downIn;
    const signature = [
      this.clusterReplicas,
      this.tracker.paused,
      key,
      [...downIn].join('\u0001'),
      rows.map((row) => `${row.id}\u0000${this.stateOf(row).state}`).join('\u0001'),
      this.tracker.upIds().sort(compareIds).join('\u0001'),
    ].join('\u0002');
    if (signature === this.signature) return;
    this.signature = signature;
    if (emit) for (const listener of [...this.listeners]) listener();
  }

  private stateOf(row: NodeRow): MemberPlacement {
    const up = this.tracker.isUp(row.id);
    const placed = this.placement.weightOf(row.id);
    const downSince = up ? undefined : this.tracker.downSinceOf(row.id);
    let state: PlacementState;
    if (row.status === 'removed') state = 'removed';
    else if (placed === undefined) state = 'out';
    else if (row.status === 'draining') state = 'draining';
    else state = up ? 'in' : 'down';
    return {
      id: row.id,
      state,
      up,
      capacity: row.capacity,
      weight: placed ?? 0,
      ...(downSince === undefined || row.status === 'removed' ? {} : { downSince }),
      api: row.api,
      replicas: row.replicas,
    };
  }

  /** Queues a write of the whole table; writes queued while one waits share it. */
  private persist(): Promise<void> {
    const dir = this.options.dir;
    if (dir === undefined) return Promise.resolve();
    if (this.queuedSave) return this.queuedSave;
    const run = this.saving.then(() => {
      this.queuedSave = undefined;
      return saveNodesFile(dir, this.table.rows(), this.options.fsync ?? true);
    });
    this.queuedSave = run;
    this.saving = run.catch(() => undefined);
    return run;
  }
}

/** The R of the oldest row (by `since`, then id); undefined when there is none. */
function clusterReplicasOf(rows: readonly NodeRow[]): number | undefined {
  let oldest: NodeRow | undefined;
  for (const row of rows) {
    if (
      oldest === undefined ||
      row.since < oldest.since ||
      (row.since === oldest.since && compareIds(row.id, oldest.id) < 0)
    ) {
      oldest = row;
    }
  }
  return oldest?.replicas;
}
