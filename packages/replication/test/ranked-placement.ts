/**
 * A placement for engine tests: every node of the test cluster is in, ranked by placement/1, and a
 * target that is down is replaced by the next-ranked node that is up. No grace period and no brake
 * (`ClusterPlacement` owns those and is tested alone); `paused` and `notify()` let a test drive them.
 */
import { Placement } from '../src/index.js';
import type { PlacementView } from '../src/index.js';
import type { TestCluster } from './cluster.js';

export class RankedPlacement implements PlacementView {
  paused = false;
  readonly #cluster: TestCluster;
  readonly #listeners = new Set<() => void>();

  constructor(
    cluster: TestCluster,
    readonly replicas: number,
  ) {
    this.#cluster = cluster;
  }

  #placement(): Placement {
    return Placement.of(this.#cluster.nodes.map((n) => ({ id: n.id, weight: 1 })));
  }

  targets(name: string): readonly string[] {
    return this.#placement().targets(name, this.replicas);
  }

  holders(name: string): readonly string[] {
    const ranked = this.#placement().rank(name);
    const targets = ranked.slice(0, this.replicas);
    const out = targets.filter((id) => this.isUp(id));
    let next = this.replicas;
    for (let down = targets.length - out.length; down > 0 && next < ranked.length; next++) {
      const id = ranked[next]!;
      if (this.isUp(id)) {
        out.push(id);
        down--;
      }
    }
    return out;
  }

  isUp(id: string): boolean {
    return this.#cluster.nodes.some((n) => n.id === id && n.up);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every engine that membership changed (a node went down or came back). */
  notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
