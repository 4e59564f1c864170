import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Placement, type PlacementMember } from '../src/placement.js';
import { PlacementCache, type PlacementChange } from '../src/placement-cache.js';

const NAMES = Array.from({ length: 60 }, (_, i) => `dir-${i % 7}/file-${i}`);
const ID_POOL = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'é', '😀'];
const weight = fc.constantFrom(0, 1, 1, 2, 4);

type Step =
  | { kind: 'join'; id: string; weight: number }
  | { kind: 'leave'; pick: number }
  | { kind: 'weight'; pick: number; weight: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('join' as const), id: fc.constantFrom(...ID_POOL), weight }),
  fc.record({ kind: fc.constant('leave' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('weight' as const), pick: fc.nat(), weight }),
);

function changedNames(
  before: ReadonlyMap<string, readonly string[]>,
  after: ReadonlyMap<string, readonly string[]>,
): string[] {
  return [...before.keys()].filter((n) => before.get(n)!.join() !== after.get(n)!.join()).sort();
}

describe('PlacementCache', () => {
  it('after any sequence of joins, outs and weight changes, equals a fresh ranking and reports exactly the changed names', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ id: fc.constantFrom(...ID_POOL), weight }), {
          selector: (m) => m.id,
          maxLength: 6,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(step, { maxLength: 8 }),
        (initial, replicas, steps) => {
          const cache = new PlacementCache({ replicas, members: initial });
          let members: PlacementMember[] = [...initial];
          for (const name of NAMES) cache.targets(name);
          for (const s of steps) {
            const before = new Map(NAMES.map((n) => [n, cache.targets(n)]));
            let changes: PlacementChange[];
            if (s.kind === 'join') {
              if (members.some((m) => m.id === s.id)) continue;
              changes = cache.join({ id: s.id, weight: s.weight });
              members = [...members, { id: s.id, weight: s.weight }];
            } else {
              if (members.length === 0) continue;
              const id = members[s.pick % members.length]!.id;
              if (s.kind === 'leave') {
                changes = cache.leave(id);
                members = members.filter((m) => m.id !== id);
              } else {
                changes = cache.setWeight(id, s.weight);
                members = members.map((m) => (m.id === id ? { id, weight: s.weight } : m));
              }
            }
            const fresh = Placement.of(members);
            const after = new Map(NAMES.map((n) => [n, fresh.targets(n, replicas)]));
            for (const name of NAMES) expect(cache.targets(name)).toEqual(after.get(name));
            const reported = changes.filter((c) => c.before.join() !== c.after.join());
            expect(reported.map((c) => c.name).sort()).toEqual(changedNames(before, after));
            for (const c of changes) {
              expect(c.before).toEqual(before.get(c.name));
              expect(c.after).toEqual(after.get(c.name));
            }
          }
        },
      ),
    );
  });

  it('a join reports only entries the newcomer entered, and each lost at most one old target', () => {
    const members = Array.from({ length: 20 }, (_, i) => ({ id: `node-${i}`, weight: 1 }));
    const cache = new PlacementCache({ replicas: 3, members });
    const names = Array.from({ length: 2_000 }, (_, i) => `file-${i}`);
    for (const name of names) cache.targets(name);
    const changes = cache.join({ id: 'node-new', weight: 1 });
    // The newcomer's fair share is 3/21 of the entries; 2,000 entries keep it well above zero.
    expect(changes.length).toBeGreaterThan(150);
    expect(changes.length).toBeLessThan(450);
    for (const change of changes) {
      expect(change.after).toContain('node-new');
      expect(change.before.filter((id) => !change.after.includes(id))).toHaveLength(1);
    }
  });

  it('with N ≤ R a join adds the newcomer to every entry', () => {
    const cache = new PlacementCache({ replicas: 3, members: [{ id: 'a', weight: 1 }] });
    for (const name of NAMES) cache.targets(name);
    expect(cache.join({ id: 'b', weight: 1 })).toHaveLength(NAMES.length);
    for (const name of NAMES) expect([...cache.targets(name)].sort()).toEqual(['a', 'b']);
  });

  it('forgets entries and refuses a second join or an out of an unknown member', () => {
    const cache = new PlacementCache({ replicas: 2, members: [{ id: 'a', weight: 1 }] });
    cache.targets('x');
    expect(cache.size).toBe(1);
    cache.forget('x');
    expect(cache.size).toBe(0);
    expect(() => cache.join({ id: 'a', weight: 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_DUPLICATE_MEMBER' }),
    );
    expect(() => cache.leave('zz')).toThrow(expect.objectContaining({ code: 'ERR_NOT_MEMBER' }));
    expect(() => cache.join({ id: 'b', weight: -2 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_MEMBER' }),
    );
    expect(() => new PlacementCache({ replicas: 0, members: [] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_MEMBER' }),
    );
  });
});
