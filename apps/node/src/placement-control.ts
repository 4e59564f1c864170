/**
 * What the HTTP API asks placement (issue 12), as one small interface so the routes do not depend
 * on `ClusterPlacement` or the store: R and how many targets can answer (the bounds and default of
 * `?w`), where a body should be (`?redirect=1`), and the operator actions (drain, remove).
 */
import type { NodeRow } from '@dfs/api';
import { blobKey } from '@dfs/replication';
import type { ClusterPlacement } from '@dfs/replication';

export interface PlacementControl {
  /** The replication factor R. */
  readonly replicas: number;
  /** Members placement counts as in and up (state `in`), this node included. */
  upMembers(): number;
  /**
   * Members placement places files on, up or not (state `in` or `down`), and live members its
   * nodes table has no row for yet (one that just joined gets its row within a round trip): no
   * more than this many can ever hold a file, so a larger `?w` is refused at once.
   */
  placedMembers(): number;
  /** API base URLs of the up members that should hold `name`, best first, this node left out. */
  holderApis(name: string): string[];
  /** Whether this node's store holds the body of `version` of `name`. */
  holdsLocally(name: string, version: string): Promise<boolean>;
  /** Operator actions; reject with code ERR_NOT_MEMBER for an unknown id. */
  drain(id: string): Promise<NodeRow>;
  remove(id: string): Promise<NodeRow>;
}

/** The default `?w`: a majority of the targets that can answer, ⌊min(R, up members)/2⌋+1. */
export function defaultWriteQuorum(replicas: number, upMembers: number): number {
  return Math.floor(Math.min(replicas, Math.max(upMembers, 0)) / 2) + 1;
}

export function placementControl(options: {
  nodeId: string;
  placement: ClusterPlacement;
  store: { has(key: string): Promise<boolean> };
  /** Ids of the live members (membership's view, this node left out or not). */
  liveIds: () => readonly string[];
}): PlacementControl {
  const { nodeId, placement, store, liveIds } = options;
  return {
    get replicas() {
      return placement.replicas;
    },
    upMembers: () => placement.memberStates().filter((m) => m.state === 'in' && m.up).length,
    placedMembers: () => {
      const rows = placement.memberStates();
      const placed = new Set(
        rows.filter((m) => m.state === 'in' || m.state === 'down').map((m) => m.id),
      );
      const known = new Set(rows.map((m) => m.id));
      for (const id of [nodeId, ...liveIds()]) if (!known.has(id)) placed.add(id);
      return placed.size;
    },
    holderApis(name) {
      const urls: string[] = [];
      for (const id of placement.holders(name)) {
        if (id === nodeId || !placement.isUp(id)) continue;
        const api = placement.apiOf(id);
        if (api !== undefined && api !== '') urls.push(api);
      }
      return urls;
    },
    holdsLocally: (name, version) => store.has(blobKey(name, version)),
    drain: (id) => placement.drain(id),
    remove: (id) => placement.remove(id),
  };
}
