/**
 * Randomness as a seam: peer selection, jitter and nonces-for-simulation go through a `Random`, so a
 * simulation run is reproducible from its seed. Cryptographic nonces never use this: they come from
 * node:crypto.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
}

export const systemRandom: Random = { next: () => Math.random() };

/** A fast seeded generator (mulberry32): good statistical spread, not cryptographic. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random.next() * n);
}

/** Up to `k` distinct items chosen uniformly from `items` (partial Fisher–Yates; input untouched). */
export function sample<T>(random: Random, items: readonly T[], k: number): T[] {
  const copy = items.slice();
  const count = Math.min(k, copy.length);
  for (let i = 0; i < count; i++) {
    const j = i + randomInt(random, copy.length - i);
    const tmp = copy[i] as T;
    copy[i] = copy[j] as T;
    copy[j] = tmp;
  }
  return copy.slice(0, count);
}

/** A shuffled copy of `items`. */
export function shuffle<T>(random: Random, items: readonly T[]): T[] {
  return sample(random, items, items.length);
}
