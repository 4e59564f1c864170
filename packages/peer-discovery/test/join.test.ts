import { afterEach, describe, expect, it } from 'vitest';
import { createCluster, type TestCluster, type TestNode } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

describe('joining', () => {
  it('every node learns every other after joining through one seed', async () => {
    cluster = createCluster(1);
    const nodes: TestNode[] = [];
    for (let i = 0; i < 8; i++) nodes.push(await cluster.add());
    await cluster.startAll(nodes);
    await cluster.clock.runUntil(() => cluster!.complete(nodes), { timeoutMs: 5000 });
    for (const node of nodes) {
      expect(node.membership.members()).toHaveLength(8);
      expect(node.membership.self.state).toBe('alive');
    }
  });
});
