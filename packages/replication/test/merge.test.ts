import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeVersion } from '../src/hlc.js';
import { classifyIncoming, entriesEqual, mergeEntries, unionHolders } from '../src/merge.js';
import type { ReplicatedEntry } from '../src/merge.js';

const holders = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 5 })
  .map((h) => h.sort());

// Few distinct versions so that equal versions (the union path) are common.
const entry: fc.Arbitrary<ReplicatedEntry> = fc
  .record({
    wall: fc.integer({ min: 1, max: 3 }),
    counter: fc.integer({ min: 0, max: 1 }),
    node: fc.constantFrom('a', 'b'),
    deleted: fc.boolean(),
    sha: fc.constantFrom('aa', 'bb'),
    size: fc.integer({ min: 0, max: 2 }),
    holders,
  })
  .map((r) => ({
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
      holders: ['a'],
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

describe('classifyIncoming', () => {
  const base: ReplicatedEntry = {
    name: 'f',
    version: encodeVersion({ wall: 5, counter: 0 }, 'a'),
    size: 1,
    sha256: 'aa',
    deleted: false,
    expiresAt: 0,
    holders: ['a'],
  };
  it('says what a receiver must do', () => {
    expect(classifyIncoming(undefined, base)).toBe('newer');
    expect(classifyIncoming(base, base)).toBe('stale');
    expect(classifyIncoming(base, { ...base, holders: ['a', 'b'] })).toBe('holders');
    expect(classifyIncoming(base, { ...base, holders: ['b'] })).toBe('holders');
    const newer = { ...base, version: encodeVersion({ wall: 6, counter: 0 }, 'a') };
    expect(classifyIncoming(base, newer)).toBe('newer');
    expect(classifyIncoming(newer, base)).toBe('stale');
  });

  it('unionHolders keeps the result sorted and unique', () => {
    fc.assert(
      fc.property(holders, holders, (a, b) => {
        expect(unionHolders(a, b)).toEqual([...new Set([...a, ...b])].sort());
      }),
    );
  });
});
