import fc from 'fast-check';
import { seededRandom } from '@dfs/transport';
import { describe, expect, it } from 'vitest';
import { pickDistinct } from '../src/pick.js';

describe('picking a few random members', () => {
  it('returns min(k, n) distinct items of the list', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(), { maxLength: 60 }),
        fc.integer({ min: -1, max: 70 }),
        fc.nat(),
        (items, k, seed) => {
          const picked = pickDistinct(seededRandom(seed), items, k);
          expect(picked).toHaveLength(Math.max(0, Math.min(k, items.length)));
          expect(new Set(picked).size).toBe(picked.length);
          for (const item of picked) expect(items).toContain(item);
        },
      ),
    );
  });

  it('spreads its choices over the whole list', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const random = seededRandom(5);
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 3000; i++) for (const x of pickDistinct(random, items, 3)) counts[x]!++;
    // 90 expected per item; a biased picker (say, never the last items) falls far outside this.
    expect(Math.min(...counts)).toBeGreaterThan(45);
    expect(Math.max(...counts)).toBeLessThan(150);
  });
});
