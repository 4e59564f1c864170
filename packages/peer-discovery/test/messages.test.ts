import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GossipUpdate } from '../src/broadcasts.js';
import { MEMBER_STATES, compareUpdates, type MemberState } from '../src/index.js';
import {
  compareWire,
  fromWire,
  gossipSchema,
  isWireUpdate,
  syncSchema,
  toWire,
  updateSchema,
} from '../src/messages.js';

const updateArb: fc.Arbitrary<GossipUpdate> = fc.oneof(
  fc.record({
    id: fc.string({ minLength: 1, maxLength: 256 }),
    address: fc.string({ minLength: 1, maxLength: 512 }),
    state: fc.constantFrom<MemberState>(...MEMBER_STATES),
    incarnation: fc.maxSafeNat(),
  }),
  fc.record({
    id: fc.string({ minLength: 1, maxLength: 256 }),
    address: fc.string({ minLength: 1, maxLength: 512 }),
    state: fc.constant<MemberState>('suspect'),
    incarnation: fc.maxSafeNat(),
    from: fc.string({ minLength: 1, maxLength: 256 }),
  }),
);

describe('the wire form of an update', () => {
  it('round-trips every valid update through the schema', () => {
    fc.assert(
      fc.property(updateArb, (update) => {
        const wire = toWire(update);
        const parsed = updateSchema.parse(wire);
        expect(fromWire(parsed)).toEqual(update);
      }),
    );
  });

  it('rejects anything that is not a well-formed tuple', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = updateSchema.safeParse(value);
        if (parsed.success) {
          // Whatever passes must be a usable update.
          const update = fromWire(parsed.data);
          expect(MEMBER_STATES).toContain(update.state);
          expect(Number.isSafeInteger(update.incarnation)).toBe(true);
          expect(update.id.length).toBeGreaterThan(0);
        }
      }),
    );
  });
});

describe('the hand-written update guard', () => {
  // Tuples that are valid or wrong in exactly one field, so the property reaches every branch.
  const nearTuple = fc.tuple(
    fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null)),
    fc.oneof(fc.string({ maxLength: 600 }), fc.boolean()),
    fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double(), fc.string()),
    fc.oneof(fc.maxSafeNat(), fc.integer(), fc.double(), fc.constant(2 ** 53), fc.string()),
    fc.oneof(fc.string({ maxLength: 300 }), fc.constant(undefined)),
  );
  const shapes = fc.oneof(
    nearTuple,
    nearTuple.map((t) => [...t, 'extra']),
    nearTuple.map((t) => t.slice(0, 4)),
    updateArb.map(toWire),
    fc.anything(),
  );

  it('agrees with updateSchema on valid, near-valid and arbitrary values', () => {
    fc.assert(
      fc.property(shapes, (value) => {
        expect(isWireUpdate(value)).toBe(updateSchema.safeParse(value).success);
      }),
      { numRuns: 2000 },
    );
  });

  it('makes a message with one bad update in its list invalid', () => {
    const good = toWire({ id: 'a', address: 'x', state: 'alive', incarnation: 1 });
    expect(gossipSchema.safeParse({ updates: [good, good] }).success).toBe(true);
    expect(gossipSchema.safeParse({ updates: [good, [...good.slice(0, 3), -1, '']] }).success).toBe(
      false,
    );
    expect(gossipSchema.safeParse({ updates: 'nope' }).success).toBe(false);
    expect(gossipSchema.safeParse({ updates: new Array(513).fill(good) }).success).toBe(false);
    expect(syncSchema.safeParse({ join: true, members: [good, { id: 'a' }] }).success).toBe(false);
  });

  it('passes the received tuples through without copying them', () => {
    const wire = toWire({ id: 'a', address: 'x', state: 'dead', incarnation: 2 });
    const parsed = gossipSchema.parse({ updates: [wire] });
    expect(parsed.updates[0]).toBe(wire);
  });
});

describe('comparing on the wire form', () => {
  it('agrees with compareUpdates on every pair', () => {
    const small: fc.Arbitrary<GossipUpdate> = fc.record({
      id: fc.constant('a'),
      address: fc.constantFrom('x', 'y'),
      state: fc.constantFrom<MemberState>(...MEMBER_STATES),
      incarnation: fc.nat({ max: 3 }),
    });
    fc.assert(
      fc.property(small, small, (a, b) => {
        expect(Math.sign(compareWire(toWire(a), b))).toBe(Math.sign(compareUpdates(a, b)));
      }),
    );
  });
});
