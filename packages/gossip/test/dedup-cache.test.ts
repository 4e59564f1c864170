import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DedupCache, isGossipError } from '../src/index.js';

describe('DedupCache', () => {
  it('reports an id as new exactly once', () => {
    const cache = new DedupCache(4);
    expect(cache.add('a')).toBe(true);
    expect(cache.add('a')).toBe(false);
    expect(cache.has('a')).toBe(true);
  });

  it('forgets the oldest id first once full', () => {
    const cache = new DedupCache(2);
    cache.add('a');
    cache.add('b');
    cache.add('c');
    expect(cache.has('a')).toBe(false);
    expect(cache.has('b')).toBe(true);
    expect(cache.has('c')).toBe(true);
    expect(cache.size).toBe(2);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new DedupCache(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
    try {
      new DedupCache(0);
    } catch (error) {
      expect(isGossipError(error, 'ERR_INVALID_OPTION')).toBe(true);
    }
  });

  it('never holds more than its capacity and remembers the most recent ids (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }),
        (capacity, ids) => {
          const cache = new DedupCache(capacity);
          // Model: the distinct ids in first-insertion order, trimmed to the newest `capacity`.
          let model: string[] = [];
          for (const id of ids) {
            const fresh = !model.includes(id);
            expect(cache.add(id)).toBe(fresh);
            if (fresh) model = [...model, id].slice(-capacity);
            expect(cache.size).toBeLessThanOrEqual(capacity);
          }
          for (const id of model) expect(cache.has(id)).toBe(true);
          expect(cache.size).toBe(model.length);
        },
      ),
    );
  });
});
