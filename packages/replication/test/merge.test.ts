import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeVersion } from '../src/hlc.js';
import {
  classifyIncoming,
  entriesEqual,
  holdingNodes,
  mergeEntries,
  mergeSlots,
  normaliseSlots,
  slotOf,
  withObservedHolder,
  withOwnSlot,
} from '../src/merge.js';
import type { HolderSlot, ReplicatedEntry } from '../src/merge.js';
import { holders, slot } from './decide-arbitraries.js';

// Few distinct versions so that equal versions (the slot-merge path) are common.
const entry: fc.Arbitrary<ReplicatedEntry> = fc
  .record({
    wall: fc.integer({ min: 1, max: 3 }),
    counter: fc.integer({ min: 0, max: 1 }),
    node: fc.constantFrom('a', 'b'),
    deleted: fc.boolean(),
    sha: fc.constantFrom('aa', 'bb'),
    size: fc.integer({ min: 0, max: 2 }),
    holders,
    meta: fc.option(
      fc.constantFrom({ contentType: 'text/plain' }, { md5: '0'.repeat(32), userMeta: { a: 'b' } }),
      { nil: undefined },
    ),
  })
  .map((r) => ({
    ...(r.deleted || r.meta === undefined ? {} : { meta: r.meta }),
    name: 'f',
    version: encodeVersion({ wall: r.wall, counter: r.counter }, r.node),
    size: r.deleted ? 0 : r.size,
    sha256: r.deleted ? '' : r.sha,
    deleted: r.deleted,
    expiresAt: r.deleted ? r.wall + 100 : 0,
    holders: r.deleted ? [] : r.holders,
  }));

const same = (a: ReplicatedEntry, b: ReplicatedEntry): void => {
  expect(entriesEqual(a, b)).toBe(true);
};

describe('mergeEntries (last writer wins)', () => {
  it('is commutative', () => {
    fc.assert(fc.property(entry, entry, (a, b) => same(mergeEntries(a, b), mergeEntries(b, a))));
  });

  it('is associative', () => {
    fc.assert(
      fc.property(entry, entry, entry, (a, b, c) =>
        same(mergeEntries(mergeEntries(a, b), c), mergeEntries(a, mergeEntries(b, c))),
      ),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(entry, entry, (a, b) => {
        same(mergeEntries(a, a), a);
        const ab = mergeEntries(a, b);
        same(mergeEntries(ab, b), ab);
      }),
    );
  });

  it('converges to the newest version whatever the delivery order', () => {
    fc.assert(
      fc.property(
        fc.array(entry, { minLength: 1, maxLength: 8 }),
        fc.integer(),
        (entries, seed) => {
          const shuffled = [...entries].sort((x, y) =>
            x.version + seed < y.version + seed ? -1 : 1,
          );
          const forward = entries.reduce(mergeEntries);
          const other = shuffled.reduce(mergeEntries);
          same(forward, other);
          const newest = entries
            .map((e) => e.version)
            .sort()
            .at(-1);
          expect(forward.version).toBe(newest);
        },
      ),
    );
  });

  it('a newer delete beats an older put, and a newer put beats an older delete', () => {
    const put: ReplicatedEntry = {
      name: 'f',
      version: encodeVersion({ wall: 10, counter: 0 }, 'a'),
      size: 3,
      sha256: 'aa',
      deleted: false,
      expiresAt: 0,
      holders: [{ node: 'a', seq: 1, holds: true }],
    };
    const del: ReplicatedEntry = {
      ...put,
      version: encodeVersion({ wall: 10, counter: 0 }, 'b'),
      size: 0,
      sha256: '',
      deleted: true,
      expiresAt: 1000,
      holders: [],
    };
    expect(mergeEntries(put, del).deleted).toBe(true); // node id breaks the tie
    const later = { ...put, version: encodeVersion({ wall: 11, counter: 0 }, 'a') };
    expect(mergeEntries(del, later).deleted).toBe(false);
  });
});

describe('holder slots', () => {
  const base: ReplicatedEntry = {
    name: 'f',
    version: encodeVersion({ wall: 5, counter: 0 }, 'a'),
    size: 1,
    sha256: 'aa',
    deleted: false,
    expiresAt: 0,
    holders: [],
  };
  const at = (...slots: HolderSlot[]): ReplicatedEntry => ({ ...base, holders: slots });

  it('merge keeps, per node, the highest seq, and at equal seq `holds: false`', () => {
    const merged = mergeEntries(
      at({ node: 'a', seq: 1, holds: true }, { node: 'b', seq: 2, holds: true }),
      at({ node: 'a', seq: 2, holds: false }, { node: 'b', seq: 2, holds: false }),
    );
    expect(merged.holders).toEqual([
      { node: 'a', seq: 2, holds: false },
      { node: 'b', seq: 2, holds: false },
    ]);
    expect(holdingNodes(merged)).toEqual([]);
  });

  it('a holder set shrinks when a node announces it no longer holds, whatever the order', () => {
    const put = at({ node: 'a', seq: 1, holds: true });
    const pulledByB = withOwnSlot(put, 'b', true);
    const droppedByB = withOwnSlot(pulledByB, 'b', false);
    expect(holdingNodes(pulledByB)).toEqual(['a', 'b']);
    expect(slotOf(droppedByB, 'b')).toEqual({ node: 'b', seq: 2, holds: false });
    expect(holdingNodes(mergeEntries(pulledByB, droppedByB))).toEqual(['a']);
    expect(holdingNodes(mergeEntries(droppedByB, pulledByB))).toEqual(['a']);
    // Holding again later wins over the drop: the seq keeps rising.
    const again = withOwnSlot(droppedByB, 'b', true);
    expect(slotOf(again, 'b')?.seq).toBe(3);
    expect(holdingNodes(mergeEntries(droppedByB, again))).toEqual(['a', 'b']);
  });

  it('withOwnSlot starts at seq 1, is a no-op when the slot already says so, and leaves tombstones alone', () => {
    const own = withOwnSlot(base, 'c', true);
    expect(own.holders).toEqual([{ node: 'c', seq: 1, holds: true }]);
    expect(withOwnSlot(own, 'c', true)).toBe(own);
    const tombstone = { ...base, deleted: true, sha256: '', size: 0 };
    expect(withOwnSlot(tombstone, 'c', true)).toBe(tombstone);
  });

  it('withObservedHolder adds a seq-0 slot only for a node without one, which its own slot beats', () => {
    const observed = withObservedHolder(base, 'b');
    expect(observed.holders).toEqual([{ node: 'b', seq: 0, holds: true }]);
    const dropped = at({ node: 'b', seq: 2, holds: false });
    expect(withObservedHolder(dropped, 'b')).toBe(dropped);
    expect(holdingNodes(mergeEntries(observed, withOwnSlot(base, 'b', false)))).toEqual([]);
  });

  it('slot lists stay sorted by node, one slot per node', () => {
    fc.assert(
      fc.property(fc.array(slot, { maxLength: 8 }), fc.array(slot, { maxLength: 8 }), (a, b) => {
        const merged = mergeSlots(normaliseSlots(a), normaliseSlots(b));
        expect(merged).toEqual(normaliseSlots([...a, ...b]));
        const nodes = merged.map((s) => s.node);
        expect(nodes).toEqual([...new Set(nodes)].sort());
      }),
    );
  });

  it('withOwnSlot keeps the list sorted and outbids every earlier slot of the node', () => {
    fc.assert(
      fc.property(holders, fc.constantFrom('a', 'c', 'e', 'z'), fc.boolean(), (h, node, holds) => {
        const before = at(...h);
        const after = withOwnSlot(before, node, holds);
        expect(after.holders).toEqual(normaliseSlots(after.holders));
        expect(slotOf(after, node)?.holds).toBe(holds);
        expect(entriesEqual(mergeEntries(before, after), after)).toBe(true);
      }),
    );
  });
});

describe('classifyIncoming', () => {
  const base: ReplicatedEntry = {
    name: 'f',
    version: encodeVersion({ wall: 5, counter: 0 }, 'a'),
    size: 1,
    sha256: 'aa',
    deleted: false,
    expiresAt: 0,
    holders: [{ node: 'a', seq: 1, holds: true }],
  };
  it('says what a receiver must do', () => {
    expect(classifyIncoming(undefined, base)).toBe('newer');
    expect(classifyIncoming(base, base)).toBe('stale');
    const b = { node: 'b', seq: 1, holds: true };
    expect(classifyIncoming(base, { ...base, holders: [...base.holders, b] })).toBe('holders');
    expect(classifyIncoming(base, { ...base, holders: [b] })).toBe('holders');
    // A newer slot of a known node, even with as many slots: its holder set shrank.
    const dropped = { ...base, holders: [{ node: 'a', seq: 2, holds: false }] };
    expect(classifyIncoming(base, dropped)).toBe('holders');
    expect(classifyIncoming(dropped, base)).toBe('stale');
    const newer = { ...base, version: encodeVersion({ wall: 6, counter: 0 }, 'a') };
    expect(classifyIncoming(base, newer)).toBe('newer');
    expect(classifyIncoming(newer, base)).toBe('stale');
  });
});

describe('metadata in the merge', () => {
  const base: ReplicatedEntry = {
    name: 'f',
    version: encodeVersion({ wall: 5, counter: 0 }, 'a'),
    size: 3,
    sha256: 'aa',
    deleted: false,
    expiresAt: 0,
    holders: [],
  };
  const withMeta: ReplicatedEntry = { ...base, meta: { contentType: 'image/png' } };

  it('a copy of the same version that lost its metadata never wins over one that kept it', () => {
    expect(mergeEntries(base, withMeta).meta).toEqual({ contentType: 'image/png' });
    expect(mergeEntries(withMeta, base).meta).toEqual({ contentType: 'image/png' });
  });

  it('a newer version brings its own metadata, or none', () => {
    const newer = { ...base, version: encodeVersion({ wall: 6, counter: 0 }, 'a') };
    expect(mergeEntries(withMeta, newer).meta).toBeUndefined();
  });

  it('entries differing only in metadata are not equal', () => {
    expect(entriesEqual(base, withMeta)).toBe(false);
  });
});
