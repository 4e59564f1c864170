/**
 * `LifePlacement`: one engine incarnation's view of its node's placement, whose change listeners
 * are dropped when that incarnation crashes (a crashed engine is never stopped, so it would
 * otherwise keep scanning on every membership change of the node's later lives).
 */
import type { PlacementView } from '@dfs/replication';

export interface MemberView {
  id: string;
  state: 'alive' | 'suspect' | 'dead' | 'left';
}

export class LifePlacement implements PlacementView {
  readonly #inner: PlacementView;
  readonly #unsubscribe = new Set<() => void>();

  constructor(inner: PlacementView) {
    this.#inner = inner;
  }

  get replicas(): number {
    return this.#inner.replicas;
  }

  get paused(): boolean {
    return this.#inner.paused;
  }

  targets(name: string): readonly string[] {
    return this.#inner.targets(name);
  }

  holders(name: string): readonly string[] {
    return this.#inner.holders(name);
  }

  isUp(id: string): boolean {
    return this.#inner.isUp(id);
  }

  onChange(listener: () => void): () => void {
    const unsubscribe = this.#inner.onChange(listener);
    this.#unsubscribe.add(unsubscribe);
    return () => {
      unsubscribe();
      this.#unsubscribe.delete(unsubscribe);
    };
  }

  /** Drops every listener (the incarnation crashed). */
  detach(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe.clear();
  }
}
