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
    const queue = new BroadcastQueue<MemberUpdate>();
    queue.enqueue('a', update('a'));
    expect(queue.take(10, 3)).toHaveLength(1);
    expect(queue.take(10, 3)).toHaveLength(1);
    expect(queue.take(10, 3)).toHaveLength(1);
    expect(queue.take(10, 3)).toHaveLength(0);
    expect(queue.size).toBe(0);
  });

  it('sends the least-sent first and at most `max` per message', () => {
    const queue = new BroadcastQueue<MemberUpdate>();
    queue.enqueue('a', update('a'));
    queue.enqueue('b', update('b'));
    expect(queue.take(1, 5).map((u) => u.id)).toEqual(['a']);
    queue.enqueue('c', update('c'));
    expect(queue.take(2, 5).map((u) => u.id)).toEqual(['b', 'c']);
    expect(queue.take(3, 5).map((u) => u.id)).toEqual(['a', 'b', 'c']);
  });

  it('replaces older news about the same member and resets its count', () => {
    const queue = new BroadcastQueue<MemberUpdate>();
    queue.enqueue('a', update('a', 0));
    queue.take(1, 2);
    queue.enqueue('a', update('a', 1));
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
          const queue = new BroadcastQueue<MemberUpdate>();
          for (const id of ids) queue.enqueue(id, update(id));
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
    const queue = new BroadcastQueue<MemberUpdate>();
    queue.enqueue('a', { ...update('a'), state: 'suspect', from: 'x' } as MemberUpdate);
    queue.take(5, 3);
    queue.take(5, 3);
    queue.amend('a', { ...update('a'), state: 'suspect', from: 'y' } as MemberUpdate);
    expect(queue.take(5, 3)).toEqual([{ ...update('a'), state: 'suspect', from: 'y' }]);
    expect(queue.take(5, 3)).toEqual([]);
  });

  it('queues the update fresh when nothing about the member is queued', () => {
    const queue = new BroadcastQueue<MemberUpdate>();
    queue.amend('b', update('b'));
    expect(queue.take(5, 2)).toEqual([update('b')]);
    expect(queue.take(5, 2)).toEqual([update('b')]);
    expect(queue.take(5, 2)).toEqual([]);
  });
});

describe('hearing queued news again', () => {
  it('counts as a send of that same claim, and drops it at the limit', () => {
    const queue = new BroadcastQueue<MemberUpdate>();
    queue.enqueue('a', update('a', 1));
    queue.countAsSent('a', (u) => u.incarnation === 1, 3);
    queue.countAsSent('a', (u) => u.incarnation === 1, 3);
    expect(queue.take(5, 3)).toEqual([update('a', 1)]);
    expect(queue.size).toBe(0);
    queue.enqueue('b', update('b', 1));
    queue.countAsSent('b', (u) => u.incarnation === 1, 2);
    queue.countAsSent('b', (u) => u.incarnation === 1, 2);
    expect(queue.size).toBe(0);
  });

  it('leaves a different claim about the member alone', () => {
    const queue = new BroadcastQueue<MemberUpdate>();
    queue.enqueue('a', update('a', 2));
    queue.countAsSent('a', (u) => u.incarnation === 1, 2);
    queue.countAsSent('missing', () => true, 2);
    expect(queue.take(5, 2)).toEqual([update('a', 2)]);
    expect(queue.take(5, 2)).toEqual([update('a', 2)]);
  });
});
