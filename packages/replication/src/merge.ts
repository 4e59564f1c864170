/**
 * The replicated state of one name and how two copies of it merge. This is the whole conflict
 * policy: last writer wins by version (HLC, then node id) for puts and deletes alike; a delete is a
 * tombstone entry, so it competes on version like any write and a node that missed it cannot bring
 * the file back. Equal versions describe the same write; their holder slots merge per node.
 *
 * Holder slots: each node has at most one slot per version, `{node, seq, holds}`, and only that node
 * writes it (raising `seq` each time), so a holder set can shrink: a node that drops its copy
 * announces `holds: false` at a higher seq. Per node the slot with the highest seq wins; at equal seq
 * `holds: false` wins, so the merge is deterministic even if two slots collide. Other nodes only ever
 * add a slot for a node at seq 0 (they saw it send the bytes), which anything that node writes beats.
 *
 * `mergeEntries` is commutative, associative and idempotent (property-tested), which is what lets
 * announcements and anti-entropy arrive in any order, any number of times, and still converge.
 */
import { fileMetaKey } from '@dfs/api';
import type { FileMeta } from '@dfs/api';
import { compareVersions } from './hlc.js';

/** One node's word on whether it holds an entry's version's bytes. Only `node` writes it. */
export interface HolderSlot {
  readonly node: string;
  /** Raised by `node` on every change of its slot; 0 for a slot another node inferred. */
  readonly seq: number;
  readonly holds: boolean;
}

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
   * Holder slots of this version, sorted by node id, one per node. Merged per node within one
   * version; a newer version starts over. Always empty for tombstones.
   */
  readonly holders: readonly HolderSlot[];
  /**
   * The version's metadata (content type, user metadata, MD5), in canonical form; absent when none
   * was given, always for tombstones. Written once with the version and never changed, so equal
   * versions carry equal metadata; only a copy that passed through a node older than metadata has
   * lost it, and the merge keeps the copy that still has it.
   */
  readonly meta?: FileMeta;
}

/** The slot that wins between two slots of one node: higher seq, then `holds: false`. */
function winningSlot(a: HolderSlot, b: HolderSlot): HolderSlot {
  if (a.seq !== b.seq) return a.seq > b.seq ? a : b;
  return a.holds ? b : a;
}

/** The per-node merge of two slot lists sorted by node (one slot per node in each). */
export function mergeSlots(a: readonly HolderSlot[], b: readonly HolderSlot[]): HolderSlot[] {
  const out: HolderSlot[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.node < y.node)) {
      out.push(x as HolderSlot);
      i++;
    } else if (x === undefined || y.node < x.node) {
      out.push(y);
      j++;
    } else {
      out.push(winningSlot(x, y));
      i++;
      j++;
    }
  }
  return out;
}

/** Slots in any order, possibly several per node: sorted by node, the winning slot of each node. */
export function normaliseSlots(slots: readonly HolderSlot[]): HolderSlot[] {
  const byNode = new Map<string, HolderSlot>();
  for (const slot of slots) {
    const seen = byNode.get(slot.node);
    byNode.set(slot.node, seen === undefined ? slot : winningSlot(seen, slot));
  }
  return [...byNode.values()].sort((x, y) => (x.node < y.node ? -1 : x.node > y.node ? 1 : 0));
}

export function slotsEqual(a: readonly HolderSlot[], b: readonly HolderSlot[]): boolean {
  return (
    a.length === b.length &&
    a.every((s, i) => {
      const t = b[i] as HolderSlot | undefined;
      return t !== undefined && s.node === t.node && s.seq === t.seq && s.holds === t.holds;
    })
  );
}

/** The ids of the nodes whose slot says they hold the bytes, sorted. */
export function holdingNodes(entry: ReplicatedEntry): string[] {
  return entry.holders.filter((s) => s.holds).map((s) => s.node);
}

export function slotOf(entry: ReplicatedEntry, node: string): HolderSlot | undefined {
  return entry.holders.find((s) => s.node === node);
}

/** `entry` with `slot` as its node's slot (replacing any), slots kept sorted. */
export function withSlot<E extends ReplicatedEntry>(entry: E, slot: HolderSlot): E {
  const others = entry.holders.filter((s) => s.node !== slot.node);
  let at = others.findIndex((s) => s.node > slot.node);
  if (at < 0) at = others.length;
  return { ...entry, holders: [...others.slice(0, at), slot, ...others.slice(at)] };
}

/**
 * `entry` with this node's own slot saying `holds`, at one seq above its previous slot (seq 1 when
 * it had none). Unchanged when the slot already says `holds`, or for a tombstone (no slots).
 */
export function withOwnSlot<E extends ReplicatedEntry>(
  entry: E,
  nodeId: string,
  holds: boolean,
): E {
  if (entry.deleted) return entry;
  const previous = slotOf(entry, nodeId);
  if (previous?.holds === holds) return entry;
  return withSlot(entry, { node: nodeId, seq: (previous?.seq ?? 0) + 1, holds });
}

/**
 * `entry` with a slot for `node` as another node saw it (it sent us the bytes): `{node, 0, true}`,
 * only if `node` has no slot yet, so it never overrides anything `node` wrote itself.
 */
export function withObservedHolder<E extends ReplicatedEntry>(entry: E, node: string): E {
  if (entry.deleted || slotOf(entry, node) !== undefined) return entry;
  return withSlot(entry, { node, seq: 0, holds: true });
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
  // Metadata present beats absent ('' sorts first), so a copy that lost it never wins.
  const metaA = fileMetaKey(a.meta);
  const metaB = fileMetaKey(b.meta);
  if (metaA !== metaB) return metaA < metaB ? -1 : 1;
  return 0;
}

/** The merge of two copies of the same name's state. */
export function mergeEntries(a: ReplicatedEntry, b: ReplicatedEntry): ReplicatedEntry {
  const order = compareVersions(a.version, b.version);
  if (order !== 0) return order > 0 ? a : b;
  const winner = compareContent(a, b) >= 0 ? a : b;
  const holders = winner.deleted ? [] : mergeSlots(a.holders, b.holders);
  return { ...winner, holders };
}

/** How `incoming` relates to what we hold: what the receiver has to do about it. */
export type MergeOutcome =
  /** Unknown name or a newer version: adopt it (and pull or delete bytes). */
  | 'newer'
  /** Same version, and it changed holder slots (new ones, or newer ones). */
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
  if (!slotsEqual(merged.holders, current.holders)) return 'holders';
  return 'stale';
}

/** Structural equality (slots compared in order; they are kept sorted). */
export function entriesEqual(a: ReplicatedEntry, b: ReplicatedEntry): boolean {
  return (
    a.name === b.name &&
    a.version === b.version &&
    a.size === b.size &&
    a.sha256 === b.sha256 &&
    a.deleted === b.deleted &&
    a.expiresAt === b.expiresAt &&
    fileMetaKey(a.meta) === fileMetaKey(b.meta) &&
    slotsEqual(a.holders, b.holders)
  );
}
