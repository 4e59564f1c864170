import { describe, expect, it } from 'vitest';
import { scenario as failureDetection } from '../src/scenarios/failure-detection.js';
import { scenario as joinStorm } from '../src/scenarios/join-storm.js';
import { scenario as partition } from '../src/scenarios/partition.js';

// The membership scenarios at 50 nodes: the same code paths as `pnpm sim` at 1,000, in seconds.
describe('membership scenarios at 50 nodes', () => {
  it('failure detection: crashed nodes are dead everywhere within 10 periods, no false deaths', async () => {
    const result = await failureDetection.run({ seed: 3, nodes: 50 });
    expect(result.passed).toBe(true);
    const f = result.figures;
    expect(f['kill 1: periods until all mark it dead']).toBeLessThanOrEqual(10);
    expect(f['kill 10: periods until all mark them dead']).toBeLessThanOrEqual(10);
    expect(f['false deaths (no loss)']).toBe(0);
    expect(f['5% loss: false deaths']).toBe(0);
    expect(f['10 slow nodes: false deaths']).toBe(0);
  });

  it('join storm: every view is complete after 49 nodes join through one seed at once', async () => {
    const result = await joinStorm.run({ seed: 4, nodes: 50 });
    expect(result.figures['nodes joining at once']).toBe(49);
    expect(result.figures['views verified member by member']).toBe(true);
    expect(result.figures['members the seed saw join']).toBe(49);
    expect(result.passed).toBe(true);
  });

  it('partition: membership and the gossiped data converge after the heal', async () => {
    const result = await partition.run({ seed: 5, nodes: 50 });
    expect(result.figures['views verified member by member']).toBe(true);
    expect(result.figures['periods after heal until every node has all data']).toEqual(
      expect.any(Number),
    );
    expect(result.passed).toBe(true);
  });

  it('is reproducible from its seed', async () => {
    const first = await joinStorm.run({ seed: 9, nodes: 30 });
    const second = await joinStorm.run({ seed: 9, nodes: 30 });
    expect(second.figures).toEqual(first.figures);
  });
});
