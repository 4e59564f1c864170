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

describe('announcing a new member', () => {
  it('spreads even when the seed crashes right after answering the join', async () => {
    cluster = createCluster(2);
    const nodes: TestNode[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await cluster.add());
    await cluster.startAll(nodes);
    await cluster.clock.runUntil(() => cluster!.complete(nodes), { timeoutMs: 3000 });
    const seed = nodes[0] as TestNode;
    const joiner = await cluster.add({ seeds: [seed.address] });
    let joined = false;
    void joiner.membership.start().then(() => {
      joined = true;
      cluster!.network.kill(seed.address); // before the seed gossiped anything
    });
    await cluster.clock.runUntil(() => joined, { timeoutMs: 1000 });
    await seed.membership.stop();
    const others = nodes.slice(1);
    await cluster.clock.runUntil(() => cluster!.seenAs(others, joiner.id, 'alive'), {
      timeoutMs: 2000,
    });
    expect(joiner.membership.liveMembers().length).toBeGreaterThanOrEqual(3);
  });
});
