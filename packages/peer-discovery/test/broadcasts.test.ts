import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BroadcastQueue } from '../src/broadcasts.js';
import type { MemberUpdate } from '../src/index.js';

const update = (id: string, incarnation = 0): MemberUpdate => ({
  id,
  address: id,
  state: 'alive',
  incarnation,
});

describe('the broadcast queue', () => {
  it('sends each update `limit` times, then forgets it', () => {
    const queue = new BroadcastQueue();
    queue.enqueue(update('a'));
    expect(queue.take(10, 3)).toHaveLength(1);
    expect(queue.take(10, 3)).toHaveLength(1);
    expect(queue.take(10, 3)).toHaveLength(1);
    expect(queue.take(10, 3)).toHaveLength(0);
    expect(queue.size).toBe(0);
  });

  it('sends the least-sent first and at most `max` per message', () => {
    const queue = new BroadcastQueue();
    queue.enqueue(update('a'));
    queue.enqueue(update('b'));
    expect(queue.take(1, 5).map((u) => u.id)).toEqual(['a']);
    queue.enqueue(update('c'));
    expect(queue.take(2, 5).map((u) => u.id)).toEqual(['b', 'c']);
    expect(queue.take(3, 5).map((u) => u.id)).toEqual(['a', 'b', 'c']);
  });

  it('replaces older news about the same member and resets its count', () => {
    const queue = new BroadcastQueue();
    queue.enqueue(update('a', 0));
    queue.take(1, 2);
    queue.enqueue(update('a', 1));
    expect(queue.size).toBe(1);
    expect(queue.take(5, 2)).toEqual([update('a', 1)]);
    expect(queue.take(5, 2)).toEqual([update('a', 1)]);
    expect(queue.take(5, 2)).toEqual([]);
  });

  it('never sends an update twice in one message, and every update exactly `limit` times', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 5 }),
        (ids, max, limit) => {
          const queue = new BroadcastQueue();
          for (const id of ids) queue.enqueue(update(id));
          const sent = new Map<string, number>();
          for (let i = 0; i < 1000 && queue.size > 0; i++) {
            const batch = queue.take(max, limit);
            expect(batch.length).toBeLessThanOrEqual(max);
            expect(new Set(batch.map((u) => u.id)).size).toBe(batch.length);
            for (const u of batch) sent.set(u.id, (sent.get(u.id) ?? 0) + 1);
          }
          for (const id of ids) expect(sent.get(id)).toBe(limit);
        },
      ),
    );
  });
});

describe('amending a queued update', () => {
  it('replaces the update but keeps its send count', () => {
    const queue = new BroadcastQueue();
    queue.enqueue({ ...update('a'), state: 'suspect', from: 'x' });
    queue.take(5, 3);
    queue.take(5, 3);
    queue.amend({ ...update('a'), state: 'suspect', from: 'y' });
    expect(queue.take(5, 3)).toEqual([{ ...update('a'), state: 'suspect', from: 'y' }]);
    expect(queue.take(5, 3)).toEqual([]);
  });

  it('queues the update fresh when nothing about the member is queued', () => {
    const queue = new BroadcastQueue();
    queue.amend(update('b'));
    expect(queue.take(5, 2)).toEqual([update('b')]);
    expect(queue.take(5, 2)).toEqual([update('b')]);
    expect(queue.take(5, 2)).toEqual([]);
  });
});
