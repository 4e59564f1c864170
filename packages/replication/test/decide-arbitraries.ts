/** Arbitraries and helpers shared by the decide tests (entries honest and dishonest). */
import fc from 'fast-check';
import { decideEntry } from '../src/decide.js';
import type { Effect } from '../src/decide.js';
import type { IndexEntry } from '../src/file-index.js';
import { encodeVersion } from '../src/hlc.js';
import { normaliseSlots } from '../src/merge.js';
import type { HolderSlot, ReplicatedEntry } from '../src/merge.js';

/** This node in the decide tests: not one of the nodes the arbitraries write slots for. */
export const SELF = 'self';

export const slot: fc.Arbitrary<HolderSlot> = fc.record({
  node: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  seq: fc.integer({ min: 0, max: 3 }),
  holds: fc.boolean(),
});

/** Holder slots as an entry keeps them: sorted by node, one per node. */
export const holders = fc.array(slot, { maxLength: 6 }).map(normaliseSlots);

export const version = fc
  .record({
    wall: fc.integer({ min: 1, max: 3 }),
    counter: fc.integer({ min: 0, max: 1 }),
    node: fc.constantFrom('a', 'b'),
  })
  .map((v) => ({ ...v, encoded: encodeVersion({ wall: v.wall, counter: v.counter }, v.node) }));

/**
 * Honest entries: one version is one write, so its content (tombstone or not, sha256, size) is a
 * function of the version; only the holder set differs between copies. Tombstones expire at 1000+.
 */
export const honestEntry: fc.Arbitrary<ReplicatedEntry> = fc
  .record({ version, holders })
  .map(({ version: v, holders: h }) => {
    const deleted = (v.wall + v.counter) % 3 === 0;
    return {
      name: 'f',
      version: v.encoded,
      size: deleted ? 0 : v.wall,
      sha256: deleted ? '' : `sha-${v.encoded}`,
      deleted,
      expiresAt: deleted ? 1000 + v.wall : 0,
      holders: deleted ? [] : h,
    };
  });

/** Any entry, dishonest ones included (one version, different contents). */
export const anyEntry: fc.Arbitrary<ReplicatedEntry> = fc
  .record({
    version,
    deleted: fc.boolean(),
    sha: fc.constantFrom('aa', 'bb'),
    size: fc.integer({ min: 0, max: 2 }),
    expiresAt: fc.integer({ min: 0, max: 10 }),
    holders,
  })
  .map((r) => ({
    name: 'f',
    version: r.version.encoded,
    size: r.deleted ? 0 : r.size,
    sha256: r.deleted ? '' : r.sha,
    deleted: r.deleted,
    expiresAt: r.deleted ? r.expiresAt : 0,
    holders: r.deleted ? [] : r.holders,
  }));

export const indexEntry: fc.Arbitrary<IndexEntry> = fc
  .record({ entry: anyEntry, local: fc.boolean() })
  .map(({ entry, local }) => ({ ...entry, local: local && !entry.deleted }));

export function writes(effects: readonly Effect[]): IndexEntry[] {
  return effects.flatMap((e) => (e.kind === 'write' ? [e.entry] : []));
}

/** Delivers `entries` one by one through `decideEntry`, as the engine does; the final state. */
export function deliver(
  entries: readonly ReplicatedEntry[],
  now: number,
  nodeId = SELF,
): IndexEntry | undefined {
  let state: IndexEntry | undefined;
  for (const incoming of entries) {
    const decision = decideEntry(state, incoming, now, nodeId);
    if (decision.kind !== 'ignore') state = decision.effects[0].entry;
  }
  return state;
}
