/**
 * Each indexed name's targets under the current member set, kept up to date cheaply as members come
 * and go (docs/protocol.md §7).
 *
 * Per entry it keeps the name's hash, its targets and the R-th target's key. Rendezvous hashing makes
 * a member's key for a name independent of the other members, so:
 *
 * - a join changes an entry only if the newcomer beats its R-th target: one key per entry decides,
 *   and an entry it enters re-sorts just its R targets plus the newcomer;
 * - an out changes only the entries that listed the departed member; they are ranked again in full;
 * - a weight change (a drain) is an out followed by a join of the same id.
 *
 * Invariant: for every entry, `targets` equals `placement.targets(name, replicas)` and `lastKey` is
 * the key of `targets[targets.length - 1]` (the property tests compare against a fresh ranking).
 */
import { Placement, checkReplicas, checkWeight, type PlacementMember } from './placement.js';
import { compareIds, keyOfMixed, placementNameHash, placementNodeHash } from './placement-hash.js';

interface CachedPlacement {
  readonly hi: number;
  readonly lo: number;
  targets: readonly string[];
  /** The last target's key: a newcomer enters above it (or equal to it with a smaller id). */
  lastKey: number;
}

/** An entry whose targets changed: the resync loop pulls to `after` and offloads from the rest. */
export interface PlacementChange {
  readonly name: string;
  readonly before: readonly string[];
  readonly after: readonly string[];
}

export interface PlacementCacheOptions {
  /** R: the number of copies of each file (cluster-wide). */
  replicas: number;
  /** The members that are *in* at the start. */
  members: readonly PlacementMember[];
}

export class PlacementCache {
  readonly replicas: number;
  private current: Placement;
  private readonly entries = new Map<string, CachedPlacement>();

  constructor(options: PlacementCacheOptions) {
    checkReplicas(options.replicas);
    this.replicas = options.replicas;
    this.current = Placement.of(options.members);
  }

  /** The member set the cached targets are computed over. */
  get placement(): Placement {
    return this.current;
  }

  /** Number of cached names. */
  get size(): number {
    return this.entries.size;
  }

  /** The targets of `name`, computed and cached on first use. */
  targets(name: string): readonly string[] {
    const cached = this.entries.get(name);
    if (cached) return cached.targets;
    const h = placementNameHash(name);
    const ranked = this.current.rankWithKeys(h, this.replicas);
    this.entries.set(name, {
      hi: h.hi,
      lo: h.lo,
      targets: ranked.ids,
      lastKey: ranked.keys[ranked.keys.length - 1] ?? Number.NEGATIVE_INFINITY,
    });
    return ranked.ids;
  }

  /** Drops a name's entry (its file is gone from the index). */
  forget(name: string): void {
    this.entries.delete(name);
  }

  /** Adds a member that came *in*; returns the entries it joined (and the target each lost). */
  join(member: PlacementMember): PlacementChange[] {
    checkWeight(member.id, member.weight);
    const next = this.current.with(member);
    const changes: PlacementChange[] = [];
    const { id, weight } = member;
    const node = placementNodeHash(id);
    for (const [name, entry] of this.entries) {
      const key = keyOfMixed(entry.hi ^ node.hi, entry.lo ^ node.lo, weight);
      const full = entry.targets.length >= this.replicas;
      if (full) {
        if (key < entry.lastKey) continue;
        const last = entry.targets[entry.targets.length - 1]!;
        if (key === entry.lastKey && compareIds(id, last) > 0) continue;
      }
      this.rerankAmong(name, entry, next, [...entry.targets, id], changes);
    }
    this.current = next;
    return changes;
  }

  /** Removes a member that went *out*; returns the entries that listed it, with their new targets. */
  leave(id: string): PlacementChange[] {
    const next = this.current.without(id);
    const changes: PlacementChange[] = [];
    for (const [name, entry] of this.entries) {
      if (!entry.targets.includes(id)) continue;
      const ranked = next.rankWithKeys(entry, this.replicas);
      changes.push({ name, before: entry.targets, after: ranked.ids });
      entry.targets = ranked.ids;
      entry.lastKey = ranked.keys[ranked.keys.length - 1] ?? Number.NEGATIVE_INFINITY;
    }
    this.current = next;
    return changes;
  }

  /** Changes a member's weight (0 drains it): an out then a join, reported as one change per name. */
  setWeight(id: string, weight: number): PlacementChange[] {
    checkWeight(id, weight);
    const left = this.leave(id);
    const joined = this.join({ id, weight });
    const before = new Map(left.map((c) => [c.name, c.before]));
    const merged = new Map<string, PlacementChange>();
    for (const c of left) merged.set(c.name, c);
    for (const c of joined) {
      merged.set(c.name, { name: c.name, before: before.get(c.name) ?? c.before, after: c.after });
    }
    return [...merged.values()].filter((c) => !sameTargets(c.before, c.after));
  }

  // The new targets are the best of the old targets plus the newcomer: rank just those.
  private rerankAmong(
    name: string,
    entry: CachedPlacement,
    placement: Placement,
    candidates: readonly string[],
    changes: PlacementChange[],
  ): void {
    const scored = candidates.map((id) => ({ id, key: placement.keyOf(entry, id)! }));
    scored.sort((a, b) => b.key - a.key || compareIds(a.id, b.id));
    const kept = scored.slice(0, this.replicas);
    const after = kept.map((s) => s.id);
    changes.push({ name, before: entry.targets, after });
    entry.targets = after;
    entry.lastKey = kept[kept.length - 1]!.key;
  }
}

function sameTargets(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
