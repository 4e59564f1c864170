import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL, type Member } from '../src/index.js';
import { createCluster, type TestCluster, type TestNode } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

async function startCluster(size: number, seed = 1, lossRate = 0): Promise<TestNode[]> {
  cluster = createCluster(seed, { lossRate });
  const nodes: TestNode[] = [];
  for (let i = 0; i < size; i++) nodes.push(await cluster.add());
  await cluster.startAll(nodes);
  await cluster.clock.runUntil(() => cluster!.complete(nodes), { timeoutMs: 5000 });
  return nodes;
}

describe('failure detection', () => {
  it('a crashed node is marked dead by every live node', async () => {
    const nodes = await startCluster(10);
    const victim = nodes[3] as TestNode;
    const survivors = nodes.filter((n) => n !== victim);
    const deaths: Member[] = [];
    for (const node of survivors) node.membership.on('dead', (m) => deaths.push(m));
    cluster!.network.kill(victim.address);
    await cluster!.clock.runUntil(() => cluster!.seenAs(survivors, victim.id, 'dead'), {
      timeoutMs: 5000,
    });
    expect(deaths.map((m) => m.id)).toEqual(survivors.map(() => victim.id));
    for (const node of survivors) {
      expect(node.membership.liveMembers().map((m) => m.id)).not.toContain(victim.id);
    }
  });

  it('a suspected node refutes with a higher incarnation and stays alive', async () => {
    const nodes = await startCluster(8, 2);
    const target = nodes[2] as TestNode;
    const others = nodes.filter((n) => n !== target);
    // Cut the target off briefly: long enough to be suspected, far shorter than the suspicion.
    cluster!.network.isolate(target.address);
    await cluster!.clock.runUntil(
      () => others.some((n) => n.membership.member(target.id)?.state === 'suspect'),
      { timeoutMs: 2000 },
    );
    cluster!.network.heal();
    await cluster!.clock.runUntil(
      () =>
        others.every((n) => {
          const seen = n.membership.member(target.id);
          return seen?.state === 'alive' && seen.incarnation >= 1;
        }),
      { timeoutMs: 3000 },
    );
    expect(target.membership.self.incarnation).toBeGreaterThanOrEqual(1);
    for (const node of others) expect(node.membership.member(target.id)?.state).toBe('alive');
  });

  it('5 % message loss causes no false deaths', async () => {
    const nodes = await startCluster(12, 3, 0.05);
    const deaths: string[] = [];
    for (const node of nodes) node.membership.on('dead', (m) => deaths.push(m.id));
    await cluster!.clock.advance(100 * 100); // 100 probe periods
    expect(deaths).toEqual([]);
    expect(cluster!.complete(nodes)).toBe(true);
  });
});

describe('leaving and coming back', () => {
  it('a node that leaves is marked left, not dead, everywhere', async () => {
    const nodes = await startCluster(8, 4);
    const leaver = nodes[5] as TestNode;
    const others = nodes.filter((n) => n !== leaver);
    const deaths: string[] = [];
    for (const node of others) node.membership.on('dead', (m) => deaths.push(m.id));
    let left = false;
    void leaver.membership.leave().then(() => (left = true));
    await cluster!.clock.runUntil(() => left, { timeoutMs: 1000 });
    await leaver.membership.stop();
    cluster!.network.kill(leaver.address);
    await cluster!.clock.runUntil(() => cluster!.seenAs(others, leaver.id, 'left'), {
      timeoutMs: 3000,
    });
    await cluster!.clock.advance(3000); // later suspicion of a silent node must not turn it dead
    expect(cluster!.seenAs(others, leaver.id, 'left')).toBe(true);
    expect(deaths).toEqual([]);
  });

  it('a restarted node rejoins alive with a higher incarnation', async () => {
    const nodes = await startCluster(6, 5);
    const victim = nodes[4] as TestNode;
    const survivors = nodes.filter((n) => n !== victim);
    cluster!.network.kill(victim.address);
    await cluster!.clock.runUntil(() => cluster!.seenAs(survivors, victim.id, 'dead'), {
      timeoutMs: 5000,
    });
    await victim.membership.stop();
    await victim.transport.close();
    cluster!.network.revive(victim.address);
    // Same id and address, incarnation forgotten: the cluster's memory of it forces a refutation.
    const reborn = await cluster!.add({ id: victim.id, address: victim.address, incarnation: 0 });
    await cluster!.startAll([reborn]);
    const group = [...survivors, reborn];
    await cluster!.clock.runUntil(
      () => cluster!.complete(group) && cluster!.seenAs(survivors, victim.id, 'alive'),
      { timeoutMs: 5000 },
    );
    expect(reborn.membership.self.incarnation).toBeGreaterThan(0);
    for (const node of survivors) {
      expect(node.membership.member(victim.id)?.incarnation).toBe(
        reborn.membership.self.incarnation,
      );
    }
  });
});

describe('reaping', () => {
  it('a reaped dead member is not brought back by stale gossip, only by a restart', async () => {
    cluster = createCluster(7, { config: { deadReapMs: 2000, tombstoneTtlMs: 60_000 } });
    const nodes: TestNode[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await cluster.add());
    await cluster.startAll(nodes);
    await cluster.clock.runUntil(() => cluster!.complete(nodes), { timeoutMs: 3000 });
    const [a, , , victim] = nodes as [TestNode, TestNode, TestNode, TestNode];
    const survivors = nodes.slice(0, 3);
    cluster.network.kill(victim.address);
    await victim.membership.stop();
    await cluster.clock.runUntil(() => cluster!.seenAs(survivors, victim.id, 'dead'), {
      timeoutMs: 5000,
    });
    await cluster.clock.runUntil(
      () => survivors.every((n) => n.membership.member(victim.id) === undefined),
      { timeoutMs: 10_000 },
    );
    // A peer with an old view gossips the victim as alive at its old incarnation: ignored.
    const stale = [victim.id, victim.address, 0, 0, ''];
    let answered = false;
    void survivors[1]!.transport
      .request(a.address, PROTOCOL.gossip, { updates: [stale] })
      .then(() => (answered = true));
    await cluster.clock.runUntil(() => answered, { timeoutMs: 1000 });
    expect(a.membership.member(victim.id)).toBeUndefined();
    // The same claim at a higher incarnation is a restart: it is news.
    answered = false;
    void survivors[1]!.transport
      .request(a.address, PROTOCOL.gossip, { updates: [[victim.id, victim.address, 0, 1, '']] })
      .then(() => (answered = true));
    await cluster.clock.runUntil(() => answered, { timeoutMs: 1000 });
    expect(a.membership.member(victim.id)).toMatchObject({ state: 'alive', incarnation: 1 });
  });
});

describe('partitions', () => {
  it('two halves that declared each other dead merge again after the partition heals', async () => {
    const nodes = await startCluster(10, 6);
    const left = nodes.slice(0, 5);
    const right = nodes.slice(5);
    cluster!.network.partition(
      left.map((n) => n.address),
      right.map((n) => n.address),
    );
    await cluster!.clock.runUntil(
      () =>
        right.every((r) => cluster!.seenAs(left, r.id, 'dead')) &&
        left.every((l) => cluster!.seenAs(right, l.id, 'dead')),
      { timeoutMs: 10_000 },
    );
    expect(cluster!.complete(left)).toBe(true);
    expect(cluster!.complete(right)).toBe(true);
    cluster!.network.heal();
    await cluster!.clock.runUntil(() => cluster!.complete(nodes), { timeoutMs: 10_000 });
    for (const node of nodes) {
      expect(node.membership.members().every((m) => m.state === 'alive')).toBe(true);
    }
  });
});
