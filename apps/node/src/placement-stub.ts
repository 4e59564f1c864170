/**
 * TEMPORARY: a stand-in for `ClusterPlacement` and `NodesTableSync` from @dfs/replication (issue 12,
 * branch i12-nodes), so the node compiles and runs before they land. Full replication (every up
 * member holds every file), a nodes table that lives in memory and is never synced. Deleted when
 * the real classes are merged; nothing but node.ts and placement-control.ts imports it.
 */
import { CodedError } from '@dfs/base';
import type { PlacementView } from '@dfs/replication';
import type { Clock, PeerInfo, Random, Transport } from '@dfs/transport';

export type NodeStatus = 'active' | 'draining' | 'removed';
export interface NodeRow {
  id: string;
  capacity: number;
  replicas: number;
  api: string;
  status: NodeStatus;
  since: number;
  stamp: number;
  writer: string;
}
export type PlacementState = 'in' | 'down' | 'out' | 'draining' | 'removed';
export interface MemberPlacement {
  id: string;
  state: PlacementState;
  up: boolean;
  capacity: number;
  weight: number;
  downSince?: number;
  api: string;
  replicas: number;
}

export class PlacementError extends CodedError<'ERR_NOT_MEMBER'> {
  override readonly name = 'PlacementError';
}

type SwimState = 'alive' | 'suspect' | 'dead' | 'left';

export class ClusterPlacement implements PlacementView {
  readonly #nodeId: string;
  readonly #clock: Clock;
  readonly #rows = new Map<string, NodeRow>();
  readonly #swim = new Map<string, SwimState>();
  readonly #listeners = new Set<() => void>();
  readonly replicas: number;

  private constructor(o: {
    nodeId: string;
    replicas: number;
    capacity: number;
    api: string;
    clock: Clock;
  }) {
    this.#nodeId = o.nodeId;
    this.#clock = o.clock;
    this.replicas = o.replicas;
    this.#rows.set(o.nodeId, {
      id: o.nodeId,
      capacity: o.capacity,
      replicas: o.replicas,
      api: o.api,
      status: 'active',
      since: o.clock.now(),
      stamp: o.clock.now(),
      writer: o.nodeId,
    });
    this.#swim.set(o.nodeId, 'alive');
  }

  static async open(o: {
    nodeId: string;
    replicas: number;
    capacity: number;
    api: string;
    clock: Clock;
    outAfterMs?: number;
    minUpRatio?: number;
    dir?: string;
    maxClockSkewMs?: number;
  }): Promise<ClusterPlacement> {
    return new ClusterPlacement(o);
  }

  get paused(): boolean {
    return false;
  }

  get replicasConflict(): { clusterReplicas: number; ownReplicas: number } | undefined {
    return undefined;
  }

  observe(members: Iterable<{ id: string; state: SwimState }>): void {
    for (const m of members) {
      this.#swim.set(m.id, m.state);
      if (!this.#rows.has(m.id)) {
        this.#rows.set(m.id, {
          id: m.id,
          capacity: 1,
          replicas: this.replicas,
          api: '',
          status: 'active',
          since: this.#clock.now(),
          stamp: 0,
          writer: m.id,
        });
      }
    }
    for (const listener of this.#listeners) listener();
  }

  tick(): void {}

  isUp(id: string): boolean {
    const state = this.#swim.get(id);
    return state === 'alive' || state === 'suspect';
  }

  memberStates(): MemberPlacement[] {
    return [...this.#rows.values()].map((row) => {
      const up = this.isUp(row.id);
      const state: PlacementState =
        row.status === 'draining'
          ? 'draining'
          : row.status === 'removed'
            ? 'removed'
            : up
              ? 'in'
              : 'down';
      return {
        id: row.id,
        state,
        up,
        capacity: row.capacity,
        weight: row.status === 'active' ? row.capacity : 0,
        api: row.api,
        replicas: row.replicas,
      };
    });
  }

  rows(): NodeRow[] {
    return [...this.#rows.values()];
  }

  async drain(id: string): Promise<NodeRow> {
    return this.#mark(id, 'draining');
  }

  async remove(id: string): Promise<NodeRow> {
    return this.#mark(id, 'removed');
  }

  #mark(id: string, status: NodeStatus): NodeRow {
    const row = this.#rows.get(id);
    if (!row) throw new PlacementError('ERR_NOT_MEMBER', `no member ${JSON.stringify(id)}`);
    const now = this.#clock.now();
    const next = {
      ...row,
      status,
      since: now,
      stamp: Math.max(row.stamp + 1, now),
      writer: this.#nodeId,
    };
    this.#rows.set(id, next);
    for (const listener of this.#listeners) listener();
    return next;
  }

  apiOf(id: string): string | undefined {
    const api = this.#rows.get(id)?.api;
    return api ? api : undefined;
  }

  targets(_name?: string): readonly string[] {
    return [...this.#rows.values()]
      .filter((row) => row.status !== 'removed')
      .map((row) => row.id)
      .sort();
  }

  holders(_name?: string): readonly string[] {
    return this.targets().filter((id) => this.isUp(id));
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

export class NodesTableSync {
  constructor(_o: {
    transport: Transport;
    placement: ClusterPlacement;
    peers: () => PeerInfo[];
    clock: Clock;
    random: Random;
    intervalMs?: number;
    timeoutMs?: number;
  }) {}
  start(): void {}
  stop(): void {}
  async syncWith(_peer: PeerInfo): Promise<void> {}
}
