import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GossipUpdate } from '../src/broadcasts.js';
import { MEMBER_STATES, compareUpdates, type MemberState } from '../src/index.js';
import { compareWire, fromWire, toWire, updateSchema } from '../src/messages.js';

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
