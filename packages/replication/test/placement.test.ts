import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_PLACEMENT_WEIGHT,
  Placement,
  PlacementError,
  placementTargets,
  rankMembers,
  type PlacementMember,
} from '../src/placement.js';
import {
  compareIds,
  placementBits,
  placementKey,
  placementNameHash,
  placementNodeHash,
  placementUniform,
  type Hash64,
} from '../src/placement-hash.js';

/** Ids from a small alphabet (so sets overlap) including non-ASCII and astral code points. */
const memberId = fc.constantFrom(
  'a',
  'b',
  'c',
  'node-1',
  'node-2',
  'node-10',
  'é',
  'ｚ',
  '😀',
  '\uffff',
  'b😀',
  'b\ue000',
);
const weight = fc.constantFrom(0, 0.5, 1, 1, 1, 2, 4, 7.25);
const members = fc
  .uniqueArray(fc.record({ id: memberId, weight }), { selector: (m) => m.id, maxLength: 12 })
  .map((ms): PlacementMember[] => ms);
const fileName = fc.string({ minLength: 1, maxLength: 40 });
const replicas = fc.integer({ min: 1, max: 5 });

/** The definition, spelled out: sort every member by key descending, then id by UTF-8 bytes. */
function referenceRank(name: string, ms: readonly PlacementMember[]): string[] {
  const h = placementNameHash(name);
  return ms
    .map((m) => ({ id: m.id, key: placementKey(h, placementNodeHash(m.id), m.weight) }))
    .sort((x, y) => (x.key === y.key ? compareIds(x.id, y.id) : y.key - x.key))
    .map((m) => m.id);
}

function difference(a: readonly string[], b: readonly string[]): string[] {
  return a.filter((id) => !b.includes(id));
}

const hex = (h: Hash64): string =>
  h.hi.toString(16).padStart(8, '0') + h.lo.toString(16).padStart(8, '0');

describe('placement/1 test vectors (docs/protocol.md §7)', () => {
  it('hashes, mixes and keys "docs/hello.txt" for node-a bit for bit', () => {
    const name = placementNameHash('docs/hello.txt');
    const node = placementNodeHash('node-a');
    expect(hex(name)).toBe('b3a5a52de07702a1');
    expect(hex(node)).toBe('fcb1292be0525d29');
    const bits = placementBits(name, node);
    expect(bits.toString(16)).toBe('3390446b59874');
    expect(placementUniform(bits)).toBe(0.20142009373514924);
    expect(placementKey(name, node, 1)).toBe(0.6240784960716568);
  });

  it('ranks five equal members', () => {
    const ms = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'].map((id) => ({ id, weight: 1 }));
    expect(rankMembers('docs/hello.txt', ms)).toEqual([
      'node-d',
      'node-b',
      'node-e',
      'node-a',
      'node-c',
    ]);
  });

  it('ranks weighted members with a drained one last', () => {
    const ms = [
      { id: 'node-a', weight: 1 },
      { id: 'node-b', weight: 2 },
      { id: 'node-c', weight: 4 },
      { id: 'node-d', weight: 0 },
      { id: 'node-e', weight: 1 },
    ];
    const h = placementNameHash('photos/2024/cat.jpg');
    expect(placementKey(h, placementNodeHash('node-c'), 4)).toBe(9.660023333962743);
    expect(placementKey(h, placementNodeHash('node-d'), 0)).toBe(-2.662054928280704);
    expect(rankMembers('photos/2024/cat.jpg', ms)).toEqual([
      'node-c',
      'node-e',
      'node-b',
      'node-a',
      'node-d',
    ]);
  });

  it('ranks non-ASCII names and ids, drained members as fallbacks in their own order', () => {
    const ms = [
      { id: 'α', weight: 1 },
      { id: 'b', weight: 0 },
      { id: 'c', weight: 0 },
      { id: '😀', weight: 3 },
    ];
    expect(hex(placementNameHash('été/ファイル.txt'))).toBe('d714f08961d43530');
    expect(rankMembers('été/ファイル.txt', ms)).toEqual(['😀', 'α', 'b', 'c']);
    // Two active members, R = 3: one drained member fills the third place.
    expect(placementTargets('été/ファイル.txt', ms, 3)).toEqual(['😀', 'α', 'b']);
  });
});

describe('placement/1 arithmetic', () => {
  it('the 32-bit-halves mixer equals splitmix64 Mix13 computed with BigInt', () => {
    const M1 = 0xbf58476d1ce4e5b9n;
    const M2 = 0x94d049bb133111ebn;
    const MASK = (1n << 64n) - 1n;
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(u32, u32, u32, u32, (nh, nl, mh, ml) => {
        let z = (BigInt((nh ^ mh) >>> 0) << 32n) | BigInt((nl ^ ml) >>> 0);
        z ^= z >> 30n;
        z = (z * M1) & MASK;
        z ^= z >> 27n;
        z = (z * M2) & MASK;
        z ^= z >> 31n;
        const expected = Number(z >> 12n);
        expect(placementBits({ hi: nh, lo: nl }, { hi: mh, lo: ml })).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('u stays strictly inside (0, 1) at the extremes of k', () => {
    expect(placementUniform(0)).toBe(2 ** -53);
    expect(placementUniform(2 ** 52 - 1)).toBe(1 - 2 ** -53);
    expect(-Math.log(placementUniform(2 ** 52 - 1))).toBeGreaterThan(0);
  });

  it('compareIds orders by UTF-8 bytes, not UTF-16 code units', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const bytes = Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
        expect(Math.sign(compareIds(a, b))).toBe(bytes);
      }),
    );
    // U+E000 is below U+1F600 in UTF-8, above its surrogate 0xD83D in UTF-16.
    expect(compareIds('\ue000', '😀')).toBeLessThan(0);
    expect('\ue000' < '😀').toBe(false);
  });
});

describe('placement properties', () => {
  it('every node computes the same ranking whatever the order of its member list', () => {
    fc.assert(
      fc.property(fileName, members, fc.integer(), (name, ms, seed) => {
        const shuffled = fc.sample(fc.shuffledSubarray(ms, { minLength: ms.length }), {
          numRuns: 1,
          seed,
        })[0]!;
        expect(rankMembers(name, shuffled)).toEqual(rankMembers(name, ms));
      }),
    );
  });

  it('ranks exactly as the definition (sort by key, then id) for every prefix length', () => {
    fc.assert(
      fc.property(fileName, members, fc.integer({ min: 0, max: 20 }), (name, ms, count) => {
        const reference = referenceRank(name, ms);
        const placement = Placement.of(ms);
        expect(placement.rank(name)).toEqual(reference);
        expect(placement.rank(name, count)).toEqual(reference.slice(0, count));
      }),
    );
  });

  it('with N ≤ R every member is a target', () => {
    fc.assert(
      fc.property(fileName, members, (name, ms) => {
        const targets = placementTargets(name, ms, Math.max(1, ms.length));
        expect([...targets].sort()).toEqual(ms.map((m) => m.id).sort());
      }),
    );
  });

  it('a drained member is a target only when fewer than R members have weight', () => {
    fc.assert(
      fc.property(fileName, members, replicas, (name, ms, r) => {
        const targets = placementTargets(name, ms, r);
        const active = ms.filter((m) => m.weight > 0).map((m) => m.id);
        const drainedTargets = targets.filter((id) => !active.includes(id));
        if (active.length >= r) expect(drainedTargets).toEqual([]);
        else {
          // Every active member is in, ahead of the drained ones.
          expect(targets.slice(0, active.length).sort()).toEqual([...active].sort());
          expect(drainedTargets).toHaveLength(Math.min(r, ms.length) - active.length);
        }
      }),
    );
  });

  it('a join moves copies only to the newcomer, never between unchanged members', () => {
    fc.assert(
      fc.property(fileName, members, replicas, weight, (name, ms, r, w) => {
        const newcomer = { id: 'newcomer', weight: w };
        const before = placementTargets(name, ms, r);
        const after = placementTargets(name, [...ms, newcomer], r);
        expect(difference(after, before).every((id) => id === 'newcomer')).toBe(true);
        // At most the one copy the newcomer took leaves an old target.
        expect(difference(before, after).length).toBeLessThanOrEqual(
          after.includes('newcomer') ? 1 : 0,
        );
      }),
    );
  });

  it('a leave moves copies only from the departed member, to at most one successor', () => {
    fc.assert(
      fc.property(fileName, members, replicas, (name, ms, r) => {
        fc.pre(ms.length > 0);
        const departed = ms[0]!.id;
        const before = placementTargets(name, ms, r);
        const after = placementTargets(name, ms.slice(1), r);
        expect(difference(before, after).every((id) => id === departed)).toBe(true);
        expect(difference(after, before).length).toBeLessThanOrEqual(
          before.includes(departed) ? 1 : 0,
        );
      }),
    );
  });

  it('with weights 1, 2 and 4 each member comes first in proportion to its weight', () => {
    const ms = [
      { id: 'light', weight: 1 },
      { id: 'medium', weight: 2 },
      { id: 'heavy', weight: 4 },
    ];
    const placement = Placement.of(ms);
    const firsts = new Map<string, number>();
    const names = 21_000;
    for (let i = 0; i < names; i++) {
      const first = placement.rank(`file-${i}`, 1)[0]!;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    for (const m of ms) {
      const expected = (names * m.weight) / 7;
      expect(Math.abs(firsts.get(m.id)! - expected) / expected).toBeLessThan(0.05);
    }
  });
});

describe('placement input checks', () => {
  it('refuses weights that are negative, not finite or above the cap', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, MAX_PLACEMENT_WEIGHT * 2]) {
      expect(() => Placement.of([{ id: 'a', weight: bad }])).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_MEMBER' }),
      );
    }
    expect(Placement.of([{ id: 'a', weight: MAX_PLACEMENT_WEIGHT }]).size).toBe(1);
  });

  it('refuses a member listed twice and a replica count below 1', () => {
    const twice = [
      { id: 'a', weight: 1 },
      { id: 'a', weight: 2 },
    ];
    expect(() => Placement.of(twice)).toThrow(PlacementError);
    expect(() => Placement.of(twice)).toThrow(
      expect.objectContaining({ code: 'ERR_DUPLICATE_MEMBER' }),
    );
    expect(() => placementTargets('f', [{ id: 'a', weight: 1 }], 0)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_MEMBER' }),
    );
  });

  it('with no members a name has no targets', () => {
    expect(placementTargets('f', [], 3)).toEqual([]);
  });
});
