import { afterEach, describe, expect, it } from 'vitest';
import { TestCluster, body } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('failed background pulls back off', () => {
  it('retries a pull whose holder cannot serve with doubling waits, and at once when membership changes', async () => {
    cluster = await TestCluster.create(2, { config: { pullOpenTimeoutMs: 100 } });
    const [a, b] = cluster.nodes;
    // b learns of the file, but a cannot be reached (still listed live, as membership would be
    // until it notices).
    cluster.network.kill(b!.address);
    await a!.engine.put('far', body('unreachable'));
    cluster.network.revive(b!.address);
    await cluster.until(() => b!.engine.describe('far') !== undefined);
    cluster.network.kill(a!.address);
    const before = b!.engine.stats().transfersStarted;
    // One virtual second at a time, each pull attempt settled before time moves on, so the count
    // does not depend on how far the clock ran while an attempt was still opening (a loaded CI).
    for (let second = 0; second < 64; second++) {
      await cluster.clock.advance(1_000);
      await cluster.until(() => b!.engine.stats().activeTransfers === 0);
    }
    // Antientropy runs every second; without backoff that is ~64 tries. Doubling from 1 s: ~7.
    const tries = b!.engine.stats().transfersStarted - before;
    expect(tries).toBeGreaterThanOrEqual(4);
    expect(tries).toBeLessThanOrEqual(8);
    // a comes back as a new member set (here: a third node joins): the wait is reset.
    cluster.network.revive(a!.address);
    await cluster.addNode();
    await cluster.until(() => b!.engine.describe('far')?.local === true, 5_000);
  });
});
