import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetransmitQueue, retransmitLimit } from '../src/index.js';

const item = (value: string, bytes = 10, key?: string) => ({ value, bytes, key });

describe('retransmitLimit', () => {
  it('follows memberlist: multiplier * ceil(log10(n + 1))', () => {
    expect(retransmitLimit(4, 1)).toBe(4);
    expect(retransmitLimit(4, 9)).toBe(4);
    expect(retransmitLimit(4, 10)).toBe(8);
    expect(retransmitLimit(4, 1000)).toBe(16);
    expect(retransmitLimit(3, 0)).toBe(3);
  });

  it('never decreases as the cluster grows (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.nat(1e6), fc.nat(1e6), (m, a, b) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        expect(retransmitLimit(m, small)).toBeLessThanOrEqual(retransmitLimit(m, large));
      }),
    );
  });
});

describe('RetransmitQueue', () => {
  it('retires an item after `limit` transmissions', () => {
    const queue = new RetransmitQueue<string>(10);
    queue.push(item('a'));
    expect(queue.take(100, 3)).toEqual(['a']);
    expect(queue.take(100, 3)).toEqual(['a']);
    expect(queue.take(100, 3)).toEqual(['a']);
    expect(queue.take(100, 3)).toEqual([]);
    expect(queue.length).toBe(0);
  });

  it('fills the byte budget with the least-transmitted, then newest items', () => {
    const queue = new RetransmitQueue<string>(10);
    queue.push(item('old'));
    queue.take(100, 5);
    queue.push(item('new1'));
    queue.push(item('new2'));
    expect(queue.take(25, 5)).toEqual(['new2', 'new1']);
    // Now all three were sent once: newest first.
    expect(queue.take(30, 5)).toEqual(['new2', 'new1', 'old']);
  });

  it('skips an item that does not fit but keeps filling with smaller ones', () => {
    const queue = new RetransmitQueue<string>(10);
    queue.push(item('small', 5));
    queue.push(item('big', 50));
    expect(queue.take(20, 5)).toEqual(['small']);
    expect(queue.snapshot()).toEqual([
      { value: 'small', transmits: 1 },
      { value: 'big', transmits: 0 },
    ]);
  });

  it('replaces a queued item with the same key', () => {
    const queue = new RetransmitQueue<string>(10);
    queue.push(item('alive inc 1', 10, 'node-x'));
    queue.push(item('other', 10));
    queue.push(item('suspect inc 1', 10, 'node-x'));
    expect(queue.snapshot().map((s) => s.value)).toEqual(['other', 'suspect inc 1']);
  });

  it('drops the most-transmitted item when over capacity', () => {
    const queue = new RetransmitQueue<string>(2);
    queue.push(item('a'));
    queue.take(100, 10);
    queue.push(item('b'));
    queue.push(item('c'));
    expect(queue.snapshot().map((s) => s.value)).toEqual(['b', 'c']);
  });

  it('sends every item exactly `limit` times in total and stays within budget (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 40, max: 200 }),
        (sizes, limit, budget) => {
          const queue = new RetransmitQueue<number>(100);
          sizes.forEach((bytes, i) => queue.push({ value: i, bytes, key: undefined }));
          const sent = new Map<number, number>();
          for (let round = 0; round < 1000 && queue.length > 0; round++) {
            const taken = queue.take(budget, limit);
            const used = taken.reduce((s, i) => s + (sizes[i] as number), 0);
            expect(used).toBeLessThanOrEqual(budget);
            for (const i of taken) sent.set(i, (sent.get(i) ?? 0) + 1);
          }
          expect(queue.length).toBe(0);
          sizes.forEach((_, i) => expect(sent.get(i)).toBe(limit));
        },
      ),
    );
  });
});
