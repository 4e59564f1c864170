/**
 * Membership as an oracle for the partial replication scenario (as in replication/run.ts): what
 * each node would learn from SWIM, without running it. A node sees a member alive when both are up
 * and no partition separates them, dead otherwise — `detectMs` after the change that made it so
 * (the failure-detection scenario measures how long SWIM takes). A node that starts learns the
 * whole view at once (a join hands it the member list); the others see it `detectMs` later.
 *
 * On every change of a node's view, `onView(index, view)` runs: the cluster feeds it to that
 * node's placement (`observe`) and rebuilds its peer list.
 */
import type { Clock } from '@dfs/transport';
import type { MemberView } from './life-placement.js';

interface Truth {
  up: ReadonlySet<number>;
  side: ReadonlyMap<number, number>;
  members: readonly number[];
}

export class MembershipOracle {
  readonly #clock: Clock;
  readonly #detectMs: number;
  readonly #ids: string[] = [];
  readonly #up = new Set<number>();
  /** Which side of a partition each node is on (none: no partition). */
  #side = new Map<number, number>();
  readonly #views: Map<number, ReadonlySet<number>> = new Map();
  readonly #onView: (index: number, alive: ReadonlySet<number>) => void;

  constructor(options: {
    clock: Clock;
    detectMs: number;
    onView: (index: number, alive: ReadonlySet<number>) => void;
  }) {
    this.#clock = options.clock;
    this.#detectMs = options.detectMs;
    this.#onView = options.onView;
  }

  /** Adds a member (it is down until `started`). Returns its index. */
  add(id: string): number {
    this.#ids.push(id);
    return this.#ids.length - 1;
  }

  get size(): number {
    return this.#ids.length;
  }

  isUp(index: number): boolean {
    return this.#up.has(index);
  }

  /** Which members `index` currently sees alive (itself included). */
  aliveSeenBy(index: number): ReadonlySet<number> {
    return this.#views.get(index) ?? new Set([index]);
  }

  /** What `index` would hand its placement: every member, alive or dead as it sees them. */
  viewOf(index: number): MemberView[] {
    const alive = this.aliveSeenBy(index);
    return this.#ids.map((id, i) => ({ id, state: alive.has(i) ? 'alive' : 'dead' }));
  }

  /** Nodes came up: each sees the truth at once, the others `detectMs` later. */
  started(indexes: readonly number[]): void {
    for (const index of indexes) this.#up.add(index);
    const truth = this.#truth();
    for (const index of indexes) this.#set(index, this.#reachable(truth, index));
    this.#changed();
  }

  /** Node `index` went down (crashed): the others notice `detectMs` later. */
  stopped(index: number): void {
    this.#up.delete(index);
    this.#views.delete(index);
    this.#changed();
  }

  /** Splits the members into sides (each node's side number); nodes not listed are alone. */
  partition(sides: readonly (readonly number[])[]): void {
    this.#side = new Map();
    sides.forEach((group, s) => {
      for (const i of group) this.#side.set(i, s);
    });
    this.#changed();
  }

  heal(): void {
    this.#side = new Map();
    this.#changed();
  }

  #truth(): Truth {
    return {
      up: new Set(this.#up),
      side: new Map(this.#side),
      members: this.#ids.map((_, i) => i),
    };
  }

  #reachable(truth: Truth, from: number): Set<number> {
    const side = truth.side.get(from);
    const alive = new Set<number>();
    for (const i of truth.members) {
      if (!truth.up.has(i)) continue;
      if (truth.side.size > 0 && truth.side.get(i) !== side) continue;
      alive.add(i);
    }
    alive.add(from);
    return alive;
  }

  /** Schedules every up node's view of the truth as it is now, `detectMs` from now. */
  #changed(): void {
    const truth = this.#truth();
    this.#clock.setTimeout(() => {
      for (const i of truth.members) {
        if (!this.#up.has(i)) continue;
        this.#set(i, this.#reachable(truth, i));
      }
    }, this.#detectMs);
  }

  #set(index: number, alive: Set<number>): void {
    const before = this.#views.get(index);
    if (
      before !== undefined &&
      before.size === alive.size &&
      [...alive].every((i) => before.has(i))
    )
      return;
    this.#views.set(index, alive);
    this.#onView(index, alive);
  }
}
