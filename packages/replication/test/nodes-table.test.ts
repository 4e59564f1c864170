import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PLACEMENT_WEIGHT } from '../src/placement.js';
import {
  MAX_NODE_ROWS,
  NodesTable,
  mergeRows,
  sameRow,
  type NodeRow,
  type NodeStatus,
} from '../src/nodes-table.js';

// Small pools so that equal stamps, equal writers and equal contents all happen often.
const rowOf = (id: string): fc.Arbitrary<NodeRow> =>
  fc.record({
    id: fc.constant(id),
    capacity: fc.constantFrom(1, 2, 4),
    replicas: fc.constantFrom(2, 3),
    api: fc.constantFrom('', 'http://a', 'http://b'),
    status: fc.constantFrom<NodeStatus>('active', 'draining', 'removed'),
    since: fc.integer({ min: 0, max: 3 }),
    stamp: fc.integer({ min: 0, max: 3 }),
    writer: fc.constantFrom('n0', 'n1', 'é'),
  });

const same = (a: NodeRow, b: NodeRow): boolean => sameRow(a, b);

describe('mergeRows', () => {
  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(rowOf('x'), rowOf('x'), rowOf('x'), (a, b, c) => {
        expect(same(mergeRows(a, b), mergeRows(b, a))).toBe(true);
        expect(same(mergeRows(mergeRows(a, b), c), mergeRows(a, mergeRows(b, c)))).toBe(true);
        expect(same(mergeRows(a, a), a)).toBe(true);
        expect(same(mergeRows(mergeRows(a, b), b), mergeRows(a, b))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('takes the newer write, the later status and the earliest since', () => {
    const base: NodeRow = {
      id: 'x',
      capacity: 1,
      replicas: 3,
      api: '',
      status: 'draining',
      since: 5,
      stamp: 10,
      writer: 'n1',
    };
    const newer: NodeRow = { ...base, capacity: 8, status: 'active', since: 9, stamp: 11 };
    expect(mergeRows(base, newer)).toEqual({ ...newer, status: 'draining', since: 5 });
    // Equal stamps: the larger writer id wins.
    const rival: NodeRow = { ...base, capacity: 2, writer: 'n2' };
    expect(mergeRows(base, rival).capacity).toBe(2);
  });
});

describe('NodesTable', () => {
  const now = 1_000_000;
  const good = (id: string, extra: Partial<NodeRow> = {}): NodeRow => ({
    id,
    capacity: 1,
    replicas: 3,
    api: '',
    status: 'active',
    since: now,
    stamp: now,
    writer: id,
    ...extra,
  });

  it('ends with the same rows whatever order the rows arrive in', () => {
    const ids = ['a', 'b', 'c'];
    const rowsInTwoOrders = fc
      .array(fc.constantFrom(...ids).chain(rowOf), { maxLength: 12 })
      .chain((list) =>
        fc.tuple(
          fc.constant(list),
          fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
        ),
      );
    fc.assert(
      fc.property(rowsInTwoOrders, ([list, shuffled]) => {
        const one = new NodesTable();
        const two = new NodesTable();
        for (const row of list) one.merge(row, Number.MAX_SAFE_INTEGER);
        for (const row of shuffled) two.merge(row, Number.MAX_SAFE_INTEGER);
        expect(one.rows()).toEqual(two.rows());
      }),
    );
  });

  it('refuses invalid rows: bad capacity, bad R, unknown fields, wrong types, far-future stamps', () => {
    const table = new NodesTable();
    const latest = now + 60_000;
    for (const bad of [
      good('a', { capacity: 0 }),
      good('a', { capacity: -1 }),
      good('a', { capacity: MAX_PLACEMENT_WEIGHT * 2 }),
      good('a', { capacity: Number.NaN }),
      good('a', { capacity: Number.POSITIVE_INFINITY }),
      good('a', { replicas: 0 }),
      good('a', { replicas: 2.5 }),
      good('a', { id: '' }),
      good('x'.repeat(129)),
      good('a', { api: 'h'.repeat(513) }),
      { ...good('a'), status: 'gone' },
      { ...good('a'), extra: 1 },
      { ...good('a'), stamp: '1' },
      null,
      'row',
    ]) {
      expect(table.merge(bad, latest)).toBe('invalid');
    }
    expect(table.merge(good('a', { stamp: latest + 1 }), latest)).toBe('future');
    expect(table.merge(good('a', { since: latest + 1 }), latest)).toBe('future');
    expect(table.size).toBe(0);
    expect(table.merge(good('a', { stamp: latest }), latest)).toMatchObject({ id: 'a' });
  });

  it(`holds at most ${MAX_NODE_ROWS} rows; existing rows still merge when full`, () => {
    const table = new NodesTable();
    for (let i = 0; i < MAX_NODE_ROWS; i++) table.merge(good(`n${i}`), now);
    expect(table.merge(good('one-too-many'), now)).toBe('full');
    expect(table.size).toBe(MAX_NODE_ROWS);
    expect(table.merge(good('n7', { status: 'draining', stamp: now + 1 }), now + 1)).toMatchObject({
      status: 'draining',
    });
  });
});
