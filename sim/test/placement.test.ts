import { describe, expect, it } from 'vitest';
import {
  measureBalance,
  measureMoves,
  measureWeights,
  population,
} from '../src/placement/model.js';
import { runPlacement } from '../src/scenarios/placement.js';

// Small sizes: 20k files on 20 nodes keeps the balance statistics meaningful (3,000 copies a node)
// while the test stays well under a second of CPU. Times are reported, never asserted.
const FILES = 20_000;

describe('placement model at small sizes', () => {
  it('stores bytes within 10 % of the mean on every node', () => {
    const balance = measureBalance(20, population(FILES, 3), 3);
    expect(balance.maxOverMeanBytes).toBeLessThan(1.1);
    expect(balance.minOverMeanBytes).toBeGreaterThan(0.9);
    expect(balance.maxOverMeanCount).toBeLessThan(1.1);
  });

  it('a join or a leave moves about the ideal share, and nothing between unchanged nodes', () => {
    const { moves } = measureMoves(20, population(FILES, 4), 3, { joins: 2, leaves: 2, seed: 4 });
    expect(moves.movesBetweenUnchanged).toBe(0);
    for (const ratio of [...moves.joinRatios, ...moves.leaveRatios]) {
      expect(ratio).toBeGreaterThan(0.9);
      expect(ratio).toBeLessThan(1.1);
    }
    expect(moves.joinUpdateMs).toHaveLength(2);
  });

  it('weights 1, 2 and 4 store within 5 % of proportional', () => {
    const { byWeight } = measureWeights([1, 2, 4], 7, population(FILES, 5), 3);
    expect([...byWeight.keys()]).toEqual([1, 2, 4]);
    for (const share of byWeight.values()) expect(Math.abs(share - 1)).toBeLessThan(0.05);
  });

  it('sizes are exponential with the stated mean and reproducible from the seed', () => {
    const a = population(FILES, 9);
    const b = population(FILES, 9);
    expect(a.names).toEqual(b.names);
    expect(a.sizes).toEqual(b.sizes);
    expect(a.totalBytes / FILES / (1 << 20)).toBeGreaterThan(0.97);
    expect(a.totalBytes / FILES / (1 << 20)).toBeLessThan(1.03);
    expect(population(FILES, 10).sizes).not.toEqual(a.sizes);
  });

  it('the scenario reports its figures, identical for the same seed apart from CPU times', () => {
    const deterministic = (figures: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(Object.entries(figures).filter(([key]) => !/CPU|ns per|ms per/.test(key)));
    const options = {
      seed: 2,
      files: 2_000,
      largeFiles: 0,
      thousandNodeFiles: 0,
      rankingNames: 500,
    };
    const a = runPlacement(options);
    const b = runPlacement(options);
    expect(a.name).toBe('placement');
    expect(deterministic(a.figures)).toEqual(deterministic(b.figures));
    expect(a.figures['100 nodes × 2000 files: copies moved between unchanged nodes']).toBe(0);
    expect(a.figures['rank R=3 at 1000 nodes: CPU µs per name (hash cached)']).toBeGreaterThan(0);
  });
});
