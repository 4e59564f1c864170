/**
 * What an incoming entry, push, pull completion or claim *means* for this node's index and store:
 * pure rules, beside merge.ts (the conflict policy) and incoming.ts (what a peer may make us do at
 * all). Each `decide…` function looks at the index's working view of one name (`current`) and what
 * arrived, and returns what to do as data: `Effect`s that `EffectRunner` (effect-runner.ts) applies
 * in order. Nothing here awaits, reads a clock or touches the disk, so each rule is property-tested
 * alone (test/decide.test.ts).
 *
 * Invariants the rules keep:
 * - A write never replaces an entry with an older version (`decideEntry`, `decideClaim`,
 *   `decidePulled` only write the current version or a newer one).
 * - Stored bytes become this node's copy only if the current entry is exactly their version and its
 *   sha256 and size match; superseded or mismatching bytes are deleted.
 * - An expired tombstone for a name this node does not know is not remembered.
 * - Only this node writes its own holder slot, and it says what `local` says; a peer's slot for this
 *   node is never adopted, only outbid (`reissuedOwnSlot`). Other nodes' slots come from their own
 *   announcements, or at seq 0 from having sent us the bytes (`withObservedHolder`).
 * - Side effects of a write (announce, wake waiters, delete superseded bytes, pull) come after the
 *   write in the effect list; the runner performs them only once the write is durable.
 */
import { compareVersions, versionWallTime } from './hlc.js';
import type { IndexEntry } from './file-index.js';
import {
  classifyIncoming,
  mergeEntries,
  slotOf,
  withObservedHolder,
  withOwnSlot,
  withSlot,
} from './merge.js';
import type { HolderSlot, ReplicatedEntry } from './merge.js';

/** One step `EffectRunner` performs. */
export type Effect =
  | {
      /**
       * Make `entry` the name's current state in the index; the runner performs the rest of the
       * list only once it is durable (a failed write rejects and nothing after it happens).
       */
      readonly kind: 'write';
      readonly entry: IndexEntry;
      /** Queue an announcement of the entry once durable. */
      readonly announce: boolean;
      /** Schedule a pull of the body once durable, if the entry is live and not held here. */
      readonly pull: boolean;
      /**
       * The entry's bytes are already in the store (claimed or pulled): if the write fails they
       * are held as unclaimed (and deleted later unless claimed), never left behind unaccounted.
       */
      readonly bytesStored: boolean;
    }
  | { readonly kind: 'cancel-transfer'; readonly name: string; readonly version: string }
  | { readonly kind: 'announce'; readonly name: string }
  | { readonly kind: 'wake-waiters'; readonly name: string }
  | { readonly kind: 'delete-bytes'; readonly name: string; readonly version: string }
  | { readonly kind: 'pull'; readonly entry: IndexEntry };

type WriteEffect = Extract<Effect, { kind: 'write' }>;

function write(
  entry: IndexEntry,
  options?: { announce?: boolean; pull?: boolean; bytesStored?: boolean },
): WriteEffect {
  return {
    kind: 'write',
    entry,
    announce: options?.announce ?? true,
    pull: options?.pull ?? true,
    bytesStored: options?.bytesStored ?? false,
  };
}

/**
 * What follows a durable write of `written` over `previous` (the working view before it), in this
 * order: abort the transfer of a replaced version, announce, wake holder waiters, delete the
 * replaced version's bytes, pull the new body.
 */
export function effectsAfterWrite(previous: IndexEntry | undefined, effect: WriteEffect): Effect[] {
  const written = effect.entry;
  const replaced = previous !== undefined && previous.version !== written.version;
  const effects: Effect[] = [];
  if (replaced)
    effects.push({ kind: 'cancel-transfer', name: previous.name, version: previous.version });
  if (effect.announce) effects.push({ kind: 'announce', name: written.name });
  effects.push({ kind: 'wake-waiters', name: written.name });
  if (replaced && previous.local) {
    effects.push({ kind: 'delete-bytes', name: previous.name, version: previous.version });
  }
  if (effect.pull && bodyMissing(written)) effects.push({ kind: 'pull', entry: written });
  return effects;
}

/** A live entry whose bytes this node does not hold: something to pull. */
export function bodyMissing(entry: IndexEntry | undefined): entry is IndexEntry {
  return entry !== undefined && !entry.deleted && !entry.local;
}

export type EntryDecision =
  | {
      readonly kind: 'ignore';
      readonly reason: 'stale' | 'expired-tombstone' | 'conflicting-content';
    }
  /** Same version, changed holder slots: merged, this node's `local` and own slot kept. */
  | { readonly kind: 'adopt-holders'; readonly effects: readonly [WriteEffect] }
  /** Unknown name or a newer version: adopted as not held here (its body is pulled). */
  | { readonly kind: 'adopt'; readonly effects: readonly [WriteEffect] }
  /**
   * Nothing else new, but the peer's slot for this node was at least as new as ours (our index was
   * rebuilt, or lost a write): our own slot is re-issued above it and announced.
   */
  | { readonly kind: 'reissue-own-slot'; readonly effects: readonly [WriteEffect] };

function sameContent(a: ReplicatedEntry, b: ReplicatedEntry): boolean {
  return a.deleted === b.deleted && a.size === b.size && a.sha256 === b.sha256;
}

/**
 * This node's own slot after a peer showed `theirs` for it, on an entry whose `local` is `local`:
 * undefined when ours already outbids it (a higher seq, or the same slot saying what `local` says);
 * else `{nodeId, theirs.seq + 1, holds: local}`, which every merge then prefers to the peer's.
 * A slot at the largest seq the wire allows (forged: slots are not signed) cannot be outbid; it is
 * left alone rather than answered with a slot every peer would refuse.
 */
export function reissuedOwnSlot(
  ours: HolderSlot | undefined,
  theirs: HolderSlot | undefined,
  nodeId: string,
  local: boolean,
): HolderSlot | undefined {
  if (theirs === undefined || theirs.seq >= Number.MAX_SAFE_INTEGER) return undefined;
  if (ours !== undefined && ours.seq > theirs.seq) return undefined;
  if (ours?.seq === theirs.seq && ours.holds === local && theirs.holds === local) return undefined;
  return { node: nodeId, seq: theirs.seq + 1, holds: local };
}

/**
 * An entry from a peer (announcement, anti-entropy or lookup answer) that incoming.ts admitted
 * (version within the skew bound, holder slots of known members, tombstone expiry local), against
 * the working view. `nodeId` is this node: the peer's slot for it is never merged (only `local` says
 * whether we hold bytes), but outbid when it is as new as ours (`reissuedOwnSlot`).
 */
export function decideEntry(
  current: IndexEntry | undefined,
  received: ReplicatedEntry,
  now: number,
  nodeId: string,
): EntryDecision {
  const theirs = slotOf(received, nodeId);
  const incoming =
    theirs === undefined
      ? received
      : { ...received, holders: received.holders.filter((s) => s.node !== nodeId) };
  if (
    current !== undefined &&
    current.version === incoming.version &&
    !sameContent(current, incoming)
  ) {
    // One version names one body: different bytes or a tombstone under the same version is forged or
    // corrupt. Keep ours (and our claim to hold its bytes); honest peers only ever change slots.
    return { kind: 'ignore', reason: 'conflicting-content' };
  }
  const outcome = classifyIncoming(current, incoming);
  const reissue = (entry: IndexEntry): IndexEntry | undefined => {
    const slot = reissuedOwnSlot(slotOf(entry, nodeId), theirs, nodeId, entry.local);
    return slot === undefined || entry.deleted ? undefined : withSlot(entry, slot);
  };
  if (outcome === 'stale') {
    const reissued = current?.version === incoming.version ? reissue(current) : undefined;
    if (reissued === undefined) return { kind: 'ignore', reason: 'stale' };
    return { kind: 'reissue-own-slot', effects: [write(reissued, { pull: false })] };
  }
  if (outcome === 'holders' && current !== undefined) {
    const merged: IndexEntry = { ...mergeEntries(current, incoming), local: current.local };
    return { kind: 'adopt-holders', effects: [write(reissue(merged) ?? merged)] };
  }
  if (incoming.deleted && incoming.expiresAt <= now && current === undefined) {
    return { kind: 'ignore', reason: 'expired-tombstone' };
  }
  const adopted: IndexEntry = { ...incoming, local: false };
  return { kind: 'adopt', effects: [write(reissue(adopted) ?? adopted)] };
}

/**
 * A push of `version` offered by its origin. Refused when this node is not running, a transfer of
 * the version is already queued or running, a newer version is current, or this version is held.
 */
export function decidePush(
  current: IndexEntry | undefined,
  version: string,
  context: { running: boolean; transferUnderWay: boolean },
): 'accept' | 'refuse' {
  if (!context.running || context.transferUnderWay) return 'refuse';
  if (current === undefined) return 'accept';
  if (compareVersions(current.version, version) > 0) return 'refuse';
  if (current.version === version && current.local) return 'refuse';
  return 'accept';
}

export interface StoredBody {
  readonly size: number;
  readonly sha256: string;
}

export type ClaimDecision =
  /** No entry for the name, or an older one: the bytes wait (a later announcement may claim them). */
  | { readonly kind: 'not-yet'; readonly claimed: false }
  | { readonly kind: 'already-local'; readonly claimed: true }
  /** A newer version, a tombstone, or a different sha256 or size: the bytes are deleted. */
  | { readonly kind: 'mismatch'; readonly claimed: false; readonly effects: readonly Effect[] }
  | { readonly kind: 'claim'; readonly claimed: true; readonly effects: readonly Effect[] };

/**
 * Bytes of `version` already in the store (pushed during the upload, or stored before a crash),
 * against the working view `latest`. `from` is the node that sent them, if any (a holder: given a
 * seq-0 slot if it has none). Claiming sets this node's own slot to holding.
 */
export function decideClaim(
  latest: IndexEntry | undefined,
  version: string,
  stored: StoredBody,
  from: string | undefined,
  nodeId: string,
): ClaimDecision {
  if (latest === undefined || compareVersions(latest.version, version) < 0) {
    return { kind: 'not-yet', claimed: false };
  }
  if (latest.version === version && latest.local) return { kind: 'already-local', claimed: true };
  const matches =
    latest.version === version &&
    !latest.deleted &&
    latest.sha256 === stored.sha256 &&
    latest.size === stored.size;
  if (!matches) {
    return {
      kind: 'mismatch',
      claimed: false,
      effects: [{ kind: 'delete-bytes', name: latest.name, version }],
    };
  }
  const observed = from === undefined ? latest : withObservedHolder(latest, from);
  const entry = withOwnSlot({ ...observed, local: true }, nodeId, true);
  return { kind: 'claim', claimed: true, effects: [write(entry, { bytesStored: true })] };
}

export type PullStart =
  /** The version is already held here: nothing to pull, and the pull counts as done. */
  | 'held'
  /** The name is gone or at another version now: nothing to pull. */
  | 'not-current'
  /** Larger than this node accepts (`maxFileBytes`). */
  | 'too-large'
  | 'pull';

/** Whether a queued pull of `version` still has work to do when it gets its turn. */
export function decidePullStart(
  current: IndexEntry | undefined,
  version: string,
  maxFileBytes: number,
): PullStart {
  if (current === undefined || current.version !== version) return 'not-current';
  if (current.local) return 'held';
  if (current.size > maxFileBytes) return 'too-large';
  return 'pull';
}

export type PullCompletion =
  /** Verified bytes of the current version: recorded local, the holder recorded as one. */
  | { readonly kind: 'record'; readonly effects: readonly Effect[] }
  /** The version was superseded (or the node stopped) while its bytes streamed in: deleted. */
  | { readonly kind: 'superseded'; readonly effects: readonly Effect[] };

/**
 * A pull of `name`@`version` stored verified bytes from holder `from` (given a seq-0 slot if it has
 * none); this node's own slot is set to holding.
 */
export function decidePulled(
  latest: IndexEntry | undefined,
  name: string,
  version: string,
  from: string,
  running: boolean,
  nodeId: string,
): PullCompletion {
  if (latest === undefined || latest.version !== version || !running) {
    return { kind: 'superseded', effects: [{ kind: 'delete-bytes', name, version }] };
  }
  const entry = withOwnSlot({ ...withObservedHolder(latest, from), local: true }, nodeId, true);
  return { kind: 'record', effects: [write(entry, { bytesStored: true })] };
}

export type ForgetDecision =
  | { readonly kind: 'ignore' }
  /**
   * Forget the copy and announce that this node no longer holds it (own slot `holds: false`; no
   * pull yet: the bytes must be deleted first, or the delete could remove the repaired copy), then
   * delete it. The caller pulls a healthy copy once this is done.
   */
  | { readonly kind: 'forget'; readonly effects: readonly Effect[] };

/** This node's copy of `version` was found corrupt or missing. */
export function decideForgetCopy(
  current: IndexEntry | undefined,
  version: string,
  nodeId: string,
): ForgetDecision {
  if (current === undefined || current.version !== version || !current.local) {
    return { kind: 'ignore' };
  }
  const forgotten = withOwnSlot({ ...current, local: false }, nodeId, false);
  return {
    kind: 'forget',
    effects: [
      write(forgotten, { announce: true, pull: false }),
      { kind: 'delete-bytes', name: current.name, version },
    ],
  };
}

export type DropDecision =
  | { readonly kind: 'ignore' }
  /** Stop holding: own slot `holds: false`, announced, never re-pulled; then delete the bytes. */
  | { readonly kind: 'drop'; readonly effects: readonly Effect[] };

/**
 * This node should no longer keep its (healthy) copy of `version` (a surplus copy whose targets
 * all confirmed theirs). Like `decideForgetCopy`, but nothing is pulled afterwards.
 */
export function decideDrop(
  current: IndexEntry | undefined,
  version: string,
  nodeId: string,
): DropDecision {
  if (current === undefined || current.version !== version || !current.local) {
    return { kind: 'ignore' };
  }
  const dropped = withOwnSlot({ ...current, local: false }, nodeId, false);
  return {
    kind: 'drop',
    effects: [
      write(dropped, { announce: true, pull: false }),
      { kind: 'delete-bytes', name: current.name, version },
    ],
  };
}

/**
 * True when a tombstone may be forgotten: its recorded expiry, capped by the local TTL from its
 * version's wall time (which also caps an expiry recorded before expiry was computed locally).
 */
export function tombstoneExpired(entry: IndexEntry, now: number, ttlMs: number): boolean {
  if (!entry.deleted) return false;
  return Math.min(entry.expiresAt, versionWallTime(entry.version) + ttlMs) <= now;
}
