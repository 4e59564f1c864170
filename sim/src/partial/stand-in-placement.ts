/**
 * A stand-in for `ClusterPlacement` (@dfs/replication, being merged): the same surface the partial
 * replication scenario drives — `observe` a membership view, `tick`, `merge`/`rows` of a nodes
 * table, `drain`, `memberStates`, `paused` — with the same rules: a member down for `outAfterMs` is
 * out, unless fewer than `minUpRatio` of the members not out are up (the brake); a draining member
 * is in with weight 0; a down target is stood in for by the next-ranked up member.
 */
import { Placement, placementNameHash } from '@dfs/replication';
import type { PlacementView } from '@dfs/replication';
import type { Clock } from '@dfs/transport';
import type { MemberView, SimPlacement } from './sim-placement.js';

interface Row {
  id: string;
  status: 'active' | 'draining' | 'removed';
  capacity: number;
}

const STATUS_ORDER = { active: 0, draining: 1, removed: 2 } as const;

export class StandInPlacement implements PlacementView, SimPlacement {
  readonly replicas: number;
  readonly #nodeId: string;
  readonly #clock: Clock;
  readonly #outAfterMs: number;
  readonly #minUpRatio: number;
  readonly #rows = new Map<string, Row>();
  readonly #listeners = new Set<() => void>();
  #view = new Map<string, MemberView['state']>();
  readonly #downSince = new Map<string, number>();
  readonly #out = new Set<string>();
  #brake = false;
  #placement = Placement.of([]);
  #downIn = new Set<string>();
  #signature = '';
  #membersKey = '';

  constructor(options: {
    nodeId: string;
    replicas: number;
    capacity: number;
    clock: Clock;
    outAfterMs: number;
    minUpRatio: number;
  }) {
    this.replicas = options.replicas;
    this.#nodeId = options.nodeId;
    this.#clock = options.clock;
    this.#outAfterMs = options.outAfterMs;
    this.#minUpRatio = options.minUpRatio;
    this.#rows.set(options.nodeId, {
      id: options.nodeId,
      status: 'active',
      capacity: options.capacity,
    });
    this.#update();
  }

  get paused(): boolean {
    return this.#brake;
  }

  targets(name: string): readonly string[] {
    return this.#placement.rank(name, this.replicas);
  }

  holders(name: string): readonly string[] {
    const h = placementNameHash(name);
    const targets = this.#placement.rank(h, this.replicas);
    if (!targets.some((id) => this.#downIn.has(id))) return targets;
    const ranked = this.#placement.rank(h);
    const listed = new Set(targets);
    const holders: string[] = [];
    let next = targets.length;
    for (const id of targets) {
      if (!this.#downIn.has(id)) {
        holders.push(id);
        continue;
      }
      while (next < ranked.length && (this.#downIn.has(ranked[next]!) || listed.has(ranked[next]!)))
        next++;
      if (next < ranked.length) {
        listed.add(ranked[next]!);
        holders.push(ranked[next++]!);
      }
    }
    return holders;
  }

  isUp(id: string): boolean {
    if (id === this.#nodeId) return true;
    const state = this.#view.get(id);
    return state === 'alive' || state === 'suspect';
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  observe(members: Iterable<MemberView>): void {
    this.#view = new Map([...members].map((m) => [m.id, m.state]));
    this.#update();
  }

  tick(): void {
    this.#update();
  }

  rows(): Row[] {
    return [...this.#rows.values()].map((r) => ({ ...r }));
  }

  merge(rows: readonly Row[]): boolean {
    let changed = false;
    for (const row of rows) {
      const mine = this.#rows.get(row.id);
      if (mine === undefined || STATUS_ORDER[row.status] > STATUS_ORDER[mine.status]) {
        this.#rows.set(row.id, { ...row });
        changed = true;
      }
    }
    if (changed) this.#update();
    return changed;
  }

  drain(id: string): Promise<Row> {
    const row = this.#rows.get(id);
    if (row === undefined) return Promise.reject(new Error(`no node ${id}`));
    this.merge([{ ...row, status: 'draining' }]);
    return Promise.resolve(this.#rows.get(id)!);
  }

  memberStates(): { id: string; state: string }[] {
    return [...this.#rows.values()].map((row) => ({
      id: row.id,
      state:
        row.status === 'removed' || this.#out.has(row.id)
          ? 'out'
          : row.status === 'draining'
            ? 'draining'
            : this.isUp(row.id)
              ? 'in'
              : 'down',
    }));
  }

  #update(): void {
    const now = this.#clock.now();
    const ids = [...this.#rows.values()].filter((r) => r.status !== 'removed').map((r) => r.id);
    let up = 0;
    for (const id of ids) {
      if (this.isUp(id)) {
        up++;
        this.#downSince.delete(id);
        this.#out.delete(id);
      } else if (!this.#downSince.has(id)) this.#downSince.set(id, now);
    }
    const notOut = ids.filter((id) => !this.#out.has(id)).length;
    this.#brake = notOut > 0 && up / notOut < this.#minUpRatio;
    if (!this.#brake) {
      for (const [id, since] of this.#downSince) {
        if (now - since >= this.#outAfterMs) this.#out.add(id);
      }
    }
    const members = [...this.#rows.values()]
      .filter((r) => r.status !== 'removed' && !this.#out.has(r.id))
      .map((r) => ({ id: r.id, weight: r.status === 'draining' ? 0 : r.capacity }));
    const downIn = members.filter((m) => !this.isUp(m.id)).map((m) => m.id);
    const membersKey = members.map((m) => `${m.id}:${m.weight}`).join(',');
    const signature = `${membersKey}|${downIn.join(',')}|${this.#brake}`;
    if (signature === this.#signature) return;
    this.#signature = signature;
    if (membersKey !== this.#membersKey) {
      this.#membersKey = membersKey;
      this.#placement = Placement.of(members);
    }
    this.#downIn = new Set(downIn);
    for (const listener of this.#listeners) listener();
  }
}
