import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from '../src/index.js';

interface Item {
  due: number;
  seq: number;
}

const before = (a: Item, b: Item): boolean => a.due < b.due || (a.due === b.due && a.seq < b.seq);

describe('MinHeap', () => {
  it('pops items in (due, insertion) order under any mix of pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant<'pop'>('pop')), {
          maxLength: 200,
        }),
        (operations) => {
          const heap = new MinHeap<Item>(before);
          const model: Item[] = [];
          let seq = 0;
          for (const operation of operations) {
            if (operation === 'pop') {
              model.sort((a, b) => (before(a, b) ? -1 : 1));
              expect(heap.pop()).toEqual(model.shift());
            } else {
              const item = { due: operation, seq: seq++ };
              heap.push(item);
              model.push(item);
            }
            expect(heap.size).toBe(model.length);
          }
        },
      ),
    );
  });

  it('peeks without removing and clears everything', () => {
    const heap = new MinHeap<Item>(before);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
    heap.push({ due: 5, seq: 0 });
    heap.push({ due: 1, seq: 1 });
    expect(heap.peek()).toEqual({ due: 1, seq: 1 });
    expect(heap.size).toBe(2);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
  });
});
