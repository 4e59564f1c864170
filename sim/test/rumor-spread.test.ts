import { retransmitLimit } from '@dfs/gossip';
import { describe, expect, it } from 'vitest';
import { estimateRounds, scenario, simulateSpread } from '../src/scenarios/rumor-spread.js';

describe('rumor-spread scenario at 100 nodes', () => {
  it('reaches every node within 12 rounds at 0 % and 10 % loss, within the retransmit bound', async () => {
    for (const loss of [0, 0.1]) {
      const run = await simulateSpread(100, loss, 7);
      expect(run.coverage).toBe(1);
      expect(run.roundsToAll).toBeLessThanOrEqual(12);
      // Anti-entropy can only make full coverage come sooner, never later.
      expect(run.roundsToAllWithAntiEntropy).toBeLessThanOrEqual(run.roundsToAll!);
      // Every node sends the rumor exactly its retransmit limit times (one rumor per packet).
      expect(run.messagesPerNode).toBeLessThanOrEqual(retransmitLimit(4, 100));
      expect(run.messagesPerNode).toBeGreaterThan(retransmitLimit(4, 100) - 1);
    }
  });

  it('is reproducible from its seed', async () => {
    const a = await simulateSpread(100, 0.3, 11);
    const b = await simulateSpread(100, 0.3, 11);
    expect(a).toEqual(b);
  });

  it('reports figures and a pass verdict through the Scenario interface', async () => {
    const result = await scenario.run({ seed: 1, nodes: 100 });
    expect(result.name).toBe('rumor-spread');
    expect(result.passed).toBe(true);
    expect(result.figures['loss 10 %: coverage %']).toBe(100);
    expect(result.figures['loss 0 %: estimate log_(f+1) N + ln N / f']).toBeCloseTo(
      estimateRounds(100, 3, 0),
      1,
    );
  });

  it('the log-fanout estimate grows with N and with loss', () => {
    expect(estimateRounds(1000, 3, 0)).toBeCloseTo(7.3, 1);
    expect(estimateRounds(1000, 3, 0.1)).toBeGreaterThan(estimateRounds(1000, 3, 0));
    expect(estimateRounds(10_000, 3, 0)).toBeGreaterThan(estimateRounds(1000, 3, 0));
  });
});
