/**
 * What the replication engine needs to know about placement (issue 12): which nodes should hold a
 * name's body right now, whether the mass-failure brake holds, and when that changes. The engine
 * pulls a body only where it is wanted, aims an upload's pushes at the wanted nodes, counts `?w` on
 * them, and drops a surplus copy only after every target confirmed its own (resync.ts).
 *
 * `ClusterPlacement` (cluster-placement.ts) implements it from membership, the replicated nodes
 * table and the grace period. An engine given no placement keeps every file on every node.
 */

export interface PlacementView {
  /** The replication factor R, cluster-wide. */
  readonly replicas: number;
  /** The R targets of `name` among the members that are *in* (placement/1), best first. */
  targets(name: string): readonly string[];
  /**
   * Who should hold `name`'s body now, best first: the targets, with each target that is down
   * (dead or left, not yet out) replaced by the next-ranked in member that is up (a hinted copy,
   * which becomes a real one if the target goes out). Never longer than R + the down targets.
   */
  holders(name: string): readonly string[];
  /** True while the brake holds: no member is marked out and no surplus copy is dropped. */
  readonly paused: boolean;
  /** Whether member `id` is up (alive or suspect) as far as this node knows. */
  isUp(id: string): boolean;
  /** Calls `listener` after any change of who is in, up or out, or of a weight. Returns an unsubscribe. */
  onChange(listener: () => void): () => void;
}
