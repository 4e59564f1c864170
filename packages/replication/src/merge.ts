/**
 * The replicated state of one name and how two copies of it merge. This is the whole conflict
 * policy: last writer wins by version (HLC, then node id) for puts and deletes alike; a delete is a
 * tombstone entry, so it competes on version like any write and a node that missed it cannot bring
 * the file back. Equal versions describe the same write, so their holder sets are unioned.
 *
 * `mergeEntries` is commutative, associative and idempotent (property-tested), which is what lets
 * announcements and anti-entropy arrive in any order, any number of times, and still converge.
 */
import { compareVersions } from './hlc.js';

export interface ReplicatedEntry {
  readonly name: string;
  /** Encoded HLC version (see hlc.ts); string order is version order. */
  readonly version: string;
  /** Body size in bytes; 0 for tombstones. */
  readonly size: number;
  /** Lower-case hex sha256 of the body; empty for tombstones. */
  readonly sha256: string;
  /** True for a tombstone. */
  readonly deleted: boolean;
  /** Wall ms after which a tombstone may be forgotten; 0 for live entries. */
  readonly expiresAt: number;
  /**
   * Node ids known to hold this version's bytes, sorted and unique. Grows by union within one
   * version; a newer version starts over. Always empty for tombstones.
   */
  readonly holders: readonly string[];
}

/** Sorted, de-duplicated union of two sorted holder lists. */
export function unionHolders(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    let next: string;
    if (y === undefined || (x !== undefined && x < y)) {
      next = x as string;
      i++;
    } else if (x === undefined || y < x) {
      next = y;
      j++;
    } else {
      next = x;
      i++;
      j++;
    }
    if (out.length === 0 || out[out.length - 1] !== next) out.push(next);
  }
  return out;
}

export function normaliseHolders(holders: readonly string[]): string[] {
  return [...new Set(holders)].sort();
}

/**
 * Orders two entries of equal version by their content fields. Honest nodes never produce two
 * different entries with one version; this only makes the merge deterministic if one does.
 */
function compareContent(a: ReplicatedEntry, b: ReplicatedEntry): number {
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  if (a.sha256 !== b.sha256) return a.sha256 < b.sha256 ? -1 : 1;
  if (a.size !== b.size) return a.size < b.size ? -1 : 1;
  if (a.expiresAt !== b.expiresAt) return a.expiresAt < b.expiresAt ? -1 : 1;
  return 0;
}

/** The merge of two copies of the same name's state. */
export function mergeEntries(a: ReplicatedEntry, b: ReplicatedEntry): ReplicatedEntry {
  const order = compareVersions(a.version, b.version);
  if (order !== 0) return order > 0 ? a : b;
  const winner = compareContent(a, b) >= 0 ? a : b;
  const holders = winner.deleted ? [] : unionHolders(a.holders, b.holders);
  return { ...winner, holders };
}

/** How `incoming` relates to what we hold: what the receiver has to do about it. */
export type MergeOutcome =
  /** Unknown name or a newer version: adopt it (and pull or delete bytes). */
  | 'newer'
  /** Same version, and it taught us new holders. */
  | 'holders'
  /** Nothing new (same or older). */
  | 'stale';

export function classifyIncoming(
  current: ReplicatedEntry | undefined,
  incoming: ReplicatedEntry,
): MergeOutcome {
  if (current === undefined) return 'newer';
  const order = compareVersions(incoming.version, current.version);
  if (order > 0) return 'newer';
  if (order < 0) return 'stale';
  const merged = mergeEntries(current, incoming);
  if (merged.holders.length !== current.holders.length) return 'holders';
  return 'stale';
}

/** Structural equality (holders compared in order; they are kept sorted). */
export function entriesEqual(a: ReplicatedEntry, b: ReplicatedEntry): boolean {
  return (
    a.name === b.name &&
    a.version === b.version &&
    a.size === b.size &&
    a.sha256 === b.sha256 &&
    a.deleted === b.deleted &&
    a.expiresAt === b.expiresAt &&
    a.holders.length === b.holders.length &&
    a.holders.every((h, i) => h === b.holders[i])
  );
}
