/**
 * What an entry from a peer (announcement, anti-entropy or lookup answer) must satisfy before it may
 * touch the index: pure rules, checked against local truth rather than taken on the peer's word.
 *
 * - Its version may not be `maxClockSkewMs` or more ahead of the local wall clock. Such an entry is
 *   refused whole: not merged, not observed by the version clock, so neither the index's high-water
 *   mark nor any later local version can be dragged to the peer's future.
 * - Holder slots must be of members this node knows (any state); others are dropped and counted, so
 *   a record's slots are a subset of the cluster and their number bounded by the cluster's. Slots are
 *   sorted by node, one per node (the winning one of any duplicates). A slot for this node itself is
 *   kept: `decideEntry` never adopts it, but may have to outbid it (decide.ts).
 * - A tombstone's expiry is this node's own: its version's wall time (never later than now) plus the
 *   local `tombstoneTtlMs`. The peer's `expiresAt` is ignored. Honest nodes compute the same value
 *   from the same version, so expiry stays in step across the cluster.
 */
import { versionWallTime } from './hlc.js';
import { normaliseSlots } from './merge.js';
import type { HolderSlot, ReplicatedEntry } from './merge.js';

export interface AdmissionContext {
  /** This node: its slot is kept for `decideEntry`, whatever `members` says. */
  readonly nodeId: string;
  /** Every member id this node knows, in any state. */
  readonly members: ReadonlySet<string>;
  /** Local wall clock, ms. */
  readonly now: number;
  readonly maxClockSkewMs: number;
  readonly tombstoneTtlMs: number;
}

export type Admission =
  | {
      readonly accepted: true;
      /** The entry as it may be merged: slots filtered and normalised, expiry local. */
      readonly entry: ReplicatedEntry;
      /** Holder slots dropped because no known member has their node id. */
      readonly unknownHolders: number;
    }
  | {
      readonly accepted: false;
      readonly reason: 'future-version';
      /** How far ahead of the local clock the version's wall time is. */
      readonly aheadMs: number;
    };

export function admitEntry(incoming: ReplicatedEntry, context: AdmissionContext): Admission {
  const wall = versionWallTime(incoming.version);
  if (isTooFarAhead(wall, context.now, context.maxClockSkewMs)) {
    return { accepted: false, reason: 'future-version', aheadMs: wall - context.now };
  }
  if (incoming.deleted) {
    const expiresAt = tombstoneExpiry(incoming.version, context.now, context.tombstoneTtlMs);
    return { accepted: true, entry: { ...incoming, expiresAt, holders: [] }, unknownHolders: 0 };
  }
  const known: HolderSlot[] = [];
  const unknown = new Set<string>();
  for (const slot of incoming.holders) {
    if (slot.node === context.nodeId || context.members.has(slot.node)) known.push(slot);
    else unknown.add(slot.node);
  }
  const holders = normaliseSlots(known);
  return {
    accepted: true,
    entry: { ...incoming, expiresAt: 0, holders },
    unknownHolders: unknown.size,
  };
}

/** The same bound as `HybridLogicalClock.isTooFarAhead` (exclusive: `maxSkewMs` ahead is refused). */
export function isTooFarAhead(wall: number, now: number, maxClockSkewMs: number): boolean {
  return wall >= now + maxClockSkewMs;
}

/**
 * When a tombstone of `version` may be forgotten, by this node's own TTL: the version's wall time,
 * never later than `now`, plus `ttlMs`. So a tombstone is kept at most `ttlMs` from when this node
 * learns of it, whatever the version claims.
 */
export function tombstoneExpiry(version: string, now: number, ttlMs: number): number {
  return Math.min(versionWallTime(version), now) + ttlMs;
}
