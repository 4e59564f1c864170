import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MEMBER_STATES,
  MemberTable,
  compareUpdates,
  type MemberState,
  type MemberUpdate,
} from '../src/index.js';

const updateArb: fc.Arbitrary<MemberUpdate> = fc.record({
  id: fc.constantFrom('a', 'b', 'c', 'd'),
  address: fc.constantFrom('x:1', 'x:2', 'y:1'),
  state: fc.constantFrom<MemberState>(...MEMBER_STATES),
  incarnation: fc.nat({ max: 4 }),
});

/** The view as the protocol defines it; lastSeen and since are local bookkeeping. */
function view(table: MemberTable): string[] {
  return table
    .all()
    .map((m) => `${m.id}|${m.address}|${m.state}|${m.incarnation}`)
    .sort();
}

function applyAll(updates: readonly MemberUpdate[]): MemberTable {
  const table = new MemberTable('self');
  updates.forEach((u, i) => table.apply(u, i));
  return table;
}

const alive = (incarnation: number): MemberUpdate => ({
  id: 'a',
  address: 'x:1',
  state: 'alive',
  incarnation,
});
const claim = (state: MemberState, incarnation: number): MemberUpdate => ({
  ...alive(incarnation),
  state,
});

describe('the membership merge', () => {
  it('gives the same view whatever order the same updates arrive in', () => {
    fc.assert(
      fc.property(
        fc
          .array(updateArb, { maxLength: 30 })
          .chain((updates) =>
            fc.tuple(
              fc.constant(updates),
              fc.shuffledSubarray(updates, { minLength: updates.length }),
            ),
          ),
        ([updates, shuffled]) => {
          expect(view(applyAll(shuffled))).toEqual(view(applyAll(updates)));
        },
      ),
    );
  });

  it('is idempotent: hearing the same news twice changes nothing the second time', () => {
    fc.assert(
      fc.property(fc.array(updateArb, { maxLength: 30 }), (updates) => {
        const once = applyAll(updates);
        const twice = applyAll([...updates, ...updates]);
        expect(view(twice)).toEqual(view(once));
        for (const u of updates) expect(once.apply(u, 999)).toBeUndefined();
      }),
    );
  });

  it('keeps its live count equal to the number of alive and suspect members', () => {
    fc.assert(
      fc.property(
        fc.array(updateArb, { maxLength: 40 }),
        fc.nat({ max: 50 }),
        (updates, reapAt) => {
          const table = applyAll(updates);
          table.reap(reapAt, 10, 1000);
          const live = table.all().filter((m) => m.state === 'alive' || m.state === 'suspect');
          expect(table.liveCount).toBe(live.length);
        },
      ),
    );
  });

  it('keeps, for each member, the greatest claim received', () => {
    fc.assert(
      fc.property(fc.array(updateArb, { minLength: 1, maxLength: 30 }), (updates) => {
        const table = applyAll(updates);
        for (const member of table.all()) {
          for (const u of updates.filter((x) => x.id === member.id)) {
            expect(compareUpdates(u, member)).toBeLessThanOrEqual(0);
          }
        }
      }),
    );
  });

  it('orders claims as SWIM does', () => {
    expect(compareUpdates(claim('suspect', 1), alive(1))).toBeGreaterThan(0);
    expect(compareUpdates(alive(2), claim('suspect', 1))).toBeGreaterThan(0);
    expect(compareUpdates(alive(1), claim('suspect', 1))).toBeLessThan(0);
    expect(compareUpdates(claim('dead', 1), claim('suspect', 1))).toBeGreaterThan(0);
    expect(compareUpdates(claim('left', 1), claim('dead', 1))).toBeGreaterThan(0);
    expect(compareUpdates(alive(2), claim('left', 1))).toBeGreaterThan(0);
    expect(compareUpdates(alive(1), alive(1))).toBe(0);
  });

  it('refutation: an alive claim at the same incarnation does not clear a suspicion', () => {
    const table = new MemberTable('self');
    table.apply(alive(3), 0);
    expect(table.apply(claim('suspect', 3), 1)?.member.state).toBe('suspect');
    expect(table.apply(alive(3), 2)).toBeUndefined();
    expect(table.apply(alive(4), 3)?.member).toMatchObject({ state: 'alive', incarnation: 4 });
  });

  it('reports whether a member was added, with its previous state', () => {
    const table = new MemberTable('self');
    const first = table.apply(alive(0), 0);
    expect(first).toMatchObject({ added: true, previous: undefined });
    const second = table.apply(claim('dead', 0), 5);
    expect(second?.added).toBe(false);
    expect(second?.previous?.state).toBe('alive');
    expect(second?.member.since).toBe(5);
  });
});

describe('the member table', () => {
  it('lists live peers without itself and with suspects', () => {
    const table = new MemberTable('self');
    table.apply({ id: 'self', address: 's', state: 'alive', incarnation: 0 }, 0);
    table.apply(alive(0), 0);
    table.apply({ id: 'b', address: 'b', state: 'suspect', incarnation: 0 }, 0);
    table.apply({ id: 'c', address: 'c', state: 'dead', incarnation: 0 }, 0);
    expect(table.livePeerIds()).toEqual(['a', 'b']);
    expect(table.livePeers().map((m) => m.id)).toEqual(['a', 'b']);
    expect(table.size).toBe(4);
  });

  it('touch() moves lastSeen forward only', () => {
    const table = new MemberTable('self');
    table.apply(alive(0), 10);
    table.touch('a', 50);
    table.touch('a', 20);
    expect(table.get('a')?.lastSeen).toBe(50);
    expect(table.livePeers()[0]?.lastSeen).toBe(50);
  });

  it('reaps dead members after a while, and stale gossip does not bring them back', () => {
    const table = new MemberTable('self');
    table.apply(alive(2), 0);
    table.apply(claim('dead', 2), 100);
    expect(table.reap(150, 100, 1000)).toEqual([]);
    expect(table.reap(200, 100, 1000).map((m) => m.id)).toEqual(['a']);
    expect(table.get('a')).toBeUndefined();
    expect(table.known('a')?.state).toBe('dead');
    expect(table.apply(alive(2), 300)).toBeUndefined();
    expect(table.apply(claim('suspect', 1), 300)).toBeUndefined();
    expect(table.get('a')).toBeUndefined();
    // A restart (higher incarnation) is news: it comes back.
    expect(table.apply(alive(3), 400)).toMatchObject({ added: true });
    expect(table.get('a')?.state).toBe('alive');
  });

  it('forgets a tombstone after its time to live', () => {
    const table = new MemberTable('self');
    table.apply(claim('left', 0), 0);
    table.reap(100, 100, 1000);
    expect(table.known('a')).toBeDefined();
    table.reap(1100, 100, 1000);
    expect(table.known('a')).toBeUndefined();
  });

  it('never reaps live members', () => {
    const table = new MemberTable('self');
    table.apply(alive(0), 0);
    table.apply({ id: 'b', address: 'b', state: 'suspect', incarnation: 0 }, 0);
    expect(table.reap(1e9, 1, 1)).toEqual([]);
    expect(table.size).toBe(2);
  });
});

describe('the live peer list', () => {
  it('always holds exactly the alive and suspect members other than self (and the dead list the dead)', () => {
    const ids = fc.constantFrom('self', 'a', 'b', 'c', 'd');
    const updates = fc.array(
      fc.record({
        id: ids,
        address: fc.constant('x'),
        state: fc.constantFrom<MemberState>(...MEMBER_STATES),
        incarnation: fc.nat({ max: 4 }),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(updates, (list) => {
        const table = new MemberTable('self');
        list.forEach((u, i) => {
          table.apply(u, i);
          const expected = table
            .all()
            .filter((m) => m.id !== 'self' && (m.state === 'alive' || m.state === 'suspect'))
            .map((m) => m.id)
            .sort();
          expect([...table.livePeerIds()].sort()).toEqual(expected);
          expect(
            table
              .livePeers()
              .map((m) => m.id)
              .sort(),
          ).toEqual(expected);
        });
      }),
    );
  });
});
