/**
 * Choosing a few random members out of many. `sample` from @dfs/transport copies the whole list
 * (partial Fisher–Yates); choosing 3 gossip targets out of 1,000 members several times per probe
 * period on every node should not cost O(n), so this draws indices and rejects repeats instead.
 */
import { randomInt, sample, type Random } from '@dfs/transport';

/** Up to `k` distinct items of `items`, uniformly; O(k) expected when k is small next to n. */
export function pickDistinct<T>(random: Random, items: readonly T[], k: number): T[] {
  const n = items.length;
  if (k <= 0 || n === 0) return [];
  if (k * 4 > n) return sample(random, items, k); // dense: rejection would retry too often
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(randomInt(random, n));
  return [...chosen].map((i) => items[i] as T);
}
