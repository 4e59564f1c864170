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
 * - Side effects of a write (announce, wake waiters, delete superseded bytes, pull) come after the
 *   write in the effect list; the runner performs them only once the write is durable.
 */
import { compareVersions, versionWallTime } from './hlc.js';
import type { IndexEntry } from './file-index.js';
import { classifyIncoming, mergeEntries, unionHolders } from './merge.js';
import type { ReplicatedEntry } from './merge.js';

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
  /** Same version, new holders: merged, this node's `local` kept. */
  | { readonly kind: 'adopt-holders'; readonly effects: readonly [WriteEffect] }
  /** Unknown name or a newer version: adopted as not held here (its body is pulled). */
  | { readonly kind: 'adopt'; readonly effects: readonly [WriteEffect] };

/**
 * An entry from a peer (announcement, anti-entropy or lookup answer) that incoming.ts admitted
 * (version within the skew bound, holders known, tombstone expiry local), against the working view.
 */
function sameContent(a: ReplicatedEntry, b: ReplicatedEntry): boolean {
  return a.deleted === b.deleted && a.size === b.size && a.sha256 === b.sha256;
}

export function decideEntry(
  current: IndexEntry | undefined,
  incoming: ReplicatedEntry,
  now: number,
): EntryDecision {
  if (
    current !== undefined &&
    current.version === incoming.version &&
    !sameContent(current, incoming)
  ) {
    // One version names one body: different bytes or a tombstone under the same version is forged or
    // corrupt. Keep ours (and our claim to hold its bytes); honest peers only ever add holders.
    return { kind: 'ignore', reason: 'conflicting-content' };
  }
  const outcome = classifyIncoming(current, incoming);
  if (outcome === 'stale') return { kind: 'ignore', reason: 'stale' };
  if (outcome === 'holders' && current !== undefined) {
    const merged = mergeEntries(current, incoming);
    return { kind: 'adopt-holders', effects: [write({ ...merged, local: current.local })] };
  }
  if (incoming.deleted && incoming.expiresAt <= now && current === undefined) {
    return { kind: 'ignore', reason: 'expired-tombstone' };
  }
  return { kind: 'adopt', effects: [write({ ...incoming, local: false })] };
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
 * against the working view `latest`. `from` is the node that sent them, if any (a new holder).
 */
export function decideClaim(
  latest: IndexEntry | undefined,
  version: string,
  stored: StoredBody,
  from: string | undefined,
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
  const holders = from === undefined ? latest.holders : unionHolders(latest.holders, [from]);
  return {
    kind: 'claim',
    claimed: true,
    effects: [write({ ...latest, local: true, holders }, { bytesStored: true })],
  };
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

/** A pull of `name`@`version` stored verified bytes from holder `from`. */
export function decidePulled(
  latest: IndexEntry | undefined,
  name: string,
  version: string,
  from: string,
  running: boolean,
): PullCompletion {
  if (latest === undefined || latest.version !== version || !running) {
    return { kind: 'superseded', effects: [{ kind: 'delete-bytes', name, version }] };
  }
  const entry = { ...latest, local: true, holders: unionHolders(latest.holders, [from]) };
  return { kind: 'record', effects: [write(entry, { bytesStored: true })] };
}

export type ForgetDecision =
  | { readonly kind: 'ignore' }
  /**
   * Forget the copy (not announced: holders only grow on the wire; no pull yet: the bytes must be
   * deleted first, or the delete could remove the repaired copy), then delete it, then pull.
   */
  | { readonly kind: 'forget'; readonly effects: readonly Effect[] };

/** This node's copy of `version` was found corrupt or missing. */
export function decideForgetCopy(current: IndexEntry | undefined, version: string): ForgetDecision {
  if (current === undefined || current.version !== version || !current.local) {
    return { kind: 'ignore' };
  }
  return {
    kind: 'forget',
    effects: [
      write({ ...current, local: false }, { announce: false, pull: false }),
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
