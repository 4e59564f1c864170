/**
 * Where a file's copies live: weighted rendezvous hashing (`placement/1`, docs/protocol.md §7).
 *
 * Every node ranks the *in* members for a name by `placementKey` and the first R are the file's
 * targets; ranks R+1, R+2, … are the fallbacks. No table is agreed on: each node computes the same
 * answer from the same member set, in any order. Adding or removing a member moves copies only to or
 * from that member, because the other members' keys for a name do not depend on who else is in.
 *
 * `Placement` holds a validated member set with each id hashed once, so ranking a name costs one
 * SHA-256 of the name and one 64-bit mix per member. Use it (or `PlacementCache`) on hot paths; the
 * free functions `rankMembers` and `placementTargets` hash every id on each call.
 */
import { CodedError } from '@dfs/base';
import {
  compareIds,
  keyOfMixed,
  placementNameHash,
  placementNodeHash,
  type Hash64,
} from './placement-hash.js';

/** The placement function's version; any change to what it computes needs `placement/2`. */
export const PLACEMENT_VERSION = 'placement/1';

/**
 * Weights are capacities in any unit the cluster agrees on. The cap keeps `weight / −ln(u)` finite
 * (−ln(u) ≥ 2^-53) and bounds what a peer can claim through the nodes table.
 */
export const MAX_PLACEMENT_WEIGHT = 2 ** 32;

/** A member that is *in* (not out); weight 0 means drained: a target only when too few others. */
export interface PlacementMember {
  readonly id: string;
  readonly weight: number;
}

export type PlacementErrorCode = 'ERR_INVALID_MEMBER' | 'ERR_DUPLICATE_MEMBER' | 'ERR_NOT_MEMBER';

/** Invalid input to placement: a bad weight or replica count, a duplicate or unknown member. */
export class PlacementError extends CodedError<PlacementErrorCode> {
  override readonly name = 'PlacementError';
}

/** Throws unless `weight` is a finite number in [0, MAX_PLACEMENT_WEIGHT]. */
export function checkWeight(id: string, weight: number): void {
  if (!Number.isFinite(weight) || weight < 0 || weight > MAX_PLACEMENT_WEIGHT) {
    throw new PlacementError(
      'ERR_INVALID_MEMBER',
      `member ${JSON.stringify(id)} has weight ${weight}; weights are 0..${MAX_PLACEMENT_WEIGHT}`,
    );
  }
}

/** Throws unless `replicas` is an integer ≥ 1. */
export function checkReplicas(replicas: number): void {
  if (!Number.isSafeInteger(replicas) || replicas < 1) {
    throw new PlacementError(
      'ERR_INVALID_MEMBER',
      `replicas must be an integer ≥ 1, not ${replicas}`,
    );
  }
}

/** Above this many wanted ranks, sorting every key beats keeping a short sorted list. */
const INSERTION_LIMIT = 16;

/** A validated, hashed member set: rank names over it. Immutable; `with`/`without` return copies. */
export class Placement {
  /** Member ids sorted by UTF-8 bytes, so an index comparison is the id tie-break. */
  readonly ids: readonly string[];
  private readonly weights: Float64Array;
  private readonly hashHi: Uint32Array;
  private readonly hashLo: Uint32Array;
  private readonly indexById: Map<string, number>;

  private constructor(sorted: readonly PlacementMember[], hashes: ReadonlyMap<string, Hash64>) {
    const n = sorted.length;
    this.ids = sorted.map((m) => m.id);
    this.weights = new Float64Array(n);
    this.hashHi = new Uint32Array(n);
    this.hashLo = new Uint32Array(n);
    this.indexById = new Map();
    for (let i = 0; i < n; i++) {
      const member = sorted[i]!;
      const h = hashes.get(member.id) ?? placementNodeHash(member.id);
      this.weights[i] = member.weight;
      this.hashHi[i] = h.hi;
      this.hashLo[i] = h.lo;
      this.indexById.set(member.id, i);
    }
  }

  /** Validates the members (unique ids, weights in range) and hashes each id once. */
  static of(members: readonly PlacementMember[]): Placement {
    return Placement.build(members, new Map());
  }

  private static build(
    members: readonly PlacementMember[],
    hashes: ReadonlyMap<string, Hash64>,
  ): Placement {
    const seen = new Set<string>();
    for (const member of members) {
      checkWeight(member.id, member.weight);
      if (seen.has(member.id)) {
        throw new PlacementError(
          'ERR_DUPLICATE_MEMBER',
          `member ${JSON.stringify(member.id)} is listed twice`,
        );
      }
      seen.add(member.id);
    }
    const sorted = members
      .map((m) => ({ id: m.id, weight: m.weight }))
      .sort((a, b) => compareIds(a.id, b.id));
    return new Placement(sorted, hashes);
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.indexById.has(id);
  }

  weightOf(id: string): number | undefined {
    const i = this.indexById.get(id);
    return i === undefined ? undefined : this.weights[i];
  }

  /** The members, sorted by id. */
  members(): PlacementMember[] {
    return this.ids.map((id, i) => ({ id, weight: this.weights[i]! }));
  }

  /** This set plus `member` (reusing the other members' hashes). */
  with(member: PlacementMember): Placement {
    if (this.has(member.id)) {
      throw new PlacementError(
        'ERR_DUPLICATE_MEMBER',
        `member ${JSON.stringify(member.id)} is already in`,
      );
    }
    return Placement.build([...this.members(), member], this.hashMap());
  }

  /** This set without member `id`. */
  without(id: string): Placement {
    if (!this.has(id)) {
      throw new PlacementError('ERR_NOT_MEMBER', `member ${JSON.stringify(id)} is not in`);
    }
    return Placement.build(
      this.members().filter((m) => m.id !== id),
      this.hashMap(),
    );
  }

  private hashMap(): Map<string, Hash64> {
    const map = new Map<string, Hash64>();
    this.ids.forEach((id, i) => map.set(id, { hi: this.hashHi[i]!, lo: this.hashLo[i]! }));
    return map;
  }

  /** The key of member `id` for a name (see `placementKey`); undefined if `id` is not in. */
  keyOf(name: Hash64, id: string): number | undefined {
    const i = this.indexById.get(id);
    if (i === undefined) return undefined;
    return keyOfMixed(name.hi ^ this.hashHi[i]!, name.lo ^ this.hashLo[i]!, this.weights[i]!);
  }

  /**
   * The first `count` member ids for a name, best first (default: all). A name is hashed here;
   * pass a `Hash64` from `placementNameHash` to rank the same name again without rehashing.
   */
  rank(name: string | Hash64, count: number = this.size): string[] {
    const h = typeof name === 'string' ? placementNameHash(name) : name;
    const wanted = Math.min(Math.max(0, Math.floor(count)), this.size);
    if (wanted === 0) return [];
    const order = wanted <= INSERTION_LIMIT ? this.topByInsertion(h, wanted) : this.topBySort(h);
    const result = new Array<string>(wanted);
    for (let r = 0; r < wanted; r++) result[r] = this.ids[order[r]!]!;
    return result;
  }

  /** The targets of a name: its first `replicas` ranks, or every member when there are fewer. */
  targets(name: string | Hash64, replicas: number): string[] {
    checkReplicas(replicas);
    return this.rank(name, replicas);
  }

  /** The ranked ids with their keys (for caches that must compare a newcomer with the R-th). */
  rankWithKeys(name: Hash64, count: number): { ids: string[]; keys: number[] } {
    const ids = this.rank(name, count);
    return { ids, keys: ids.map((id) => this.keyOf(name, id)!) };
  }

  // A short sorted list of the best `wanted` so far; ties go to the lower index (= smaller id).
  private topByInsertion(h: Hash64, wanted: number): Int32Array {
    const bestKeys = new Float64Array(wanted);
    const bestIndex = new Int32Array(wanted);
    let filled = 0;
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const key = keyOfMixed(h.hi ^ this.hashHi[i]!, h.lo ^ this.hashLo[i]!, this.weights[i]!);
      // Members are visited in index order, so an equal key never beats one already listed.
      if (filled === wanted && key <= bestKeys[wanted - 1]!) continue;
      let at = filled < wanted ? filled++ : wanted - 1;
      while (at > 0 && key > bestKeys[at - 1]!) {
        bestKeys[at] = bestKeys[at - 1]!;
        bestIndex[at] = bestIndex[at - 1]!;
        at--;
      }
      bestKeys[at] = key;
      bestIndex[at] = i;
    }
    return bestIndex;
  }

  private topBySort(h: Hash64): Int32Array {
    const n = this.size;
    const keys = new Float64Array(n);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      keys[i] = keyOfMixed(h.hi ^ this.hashHi[i]!, h.lo ^ this.hashLo[i]!, this.weights[i]!);
      order[i] = i;
    }
    return order.sort((a, b) => keys[b]! - keys[a]! || a - b);
  }
}

/** All member ids ranked for `name` (or the first `count`), best first. Hashes every id. */
export function rankMembers(
  name: string,
  members: readonly PlacementMember[],
  count?: number,
): string[] {
  return Placement.of(members).rank(name, count);
}

/** The R targets of `name` among the *in* members (every member when N ≤ R). Hashes every id. */
export function placementTargets(
  name: string,
  members: readonly PlacementMember[],
  replicas: number,
): string[] {
  return Placement.of(members).targets(name, replicas);
}
