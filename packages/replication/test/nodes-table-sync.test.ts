import { MemoryNetwork, VirtualClock, seededRandom } from '@dfs/transport';
import type { MemoryTransport, PeerInfo } from '@dfs/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterPlacement } from '../src/cluster-placement.js';
import { NODES_PROTOCOL, NodesTableSync } from '../src/nodes-table-sync.js';

interface SyncNode {
  id: string;
  transport: MemoryTransport;
  placement: ClusterPlacement;
  sync: NodesTableSync;
}

const running: SyncNode[] = [];

async function startCluster(
  size: number,
  seed = 7,
): Promise<{ clock: VirtualClock; nodes: SyncNode[] }> {
  const clock = new VirtualClock();
  const random = seededRandom(seed);
  const network = new MemoryNetwork({ clock, random, latencyMs: 5 });
  const nodes: SyncNode[] = [];
  const peers = (self: string) => (): PeerInfo[] =>
    nodes.filter((n) => n.id !== self).map((n) => ({ id: n.id, address: n.transport.address }));
  for (let i = 0; i < size; i++) {
    const id = `node-${i}`;
    const transport = network.createTransport({ id, address: `mem-${i}` });
    await transport.listen();
    const placement = await ClusterPlacement.open({
      nodeId: id,
      replicas: 3,
      capacity: 1 + i,
      api: `http://${id}`,
      clock,
    });
    const sync = new NodesTableSync({
      transport,
      placement,
      peers: peers(id),
      clock,
      random,
      intervalMs: 1_000,
      timeoutMs: 500,
    });
    nodes.push({ id, transport, placement, sync });
  }
  for (const node of nodes) node.sync.start();
  running.push(...nodes);
  return { clock, nodes };
}

afterEach(async () => {
  for (const node of running.splice(0)) {
    node.sync.stop();
    await node.placement.close();
    await node.transport.close();
  }
});

describe('NodesTableSync', () => {
  it('spreads every row, then a drain, to all 5 nodes', async () => {
    const { clock, nodes } = await startCluster(5);
    await clock.runUntil(() => nodes.every((n) => n.placement.rows().length === 5), {
      timeoutMs: 5_000,
    });
    const first = nodes[0]!.placement.rows();
    for (const node of nodes) expect(node.placement.rows()).toEqual(first);
    expect(nodes[4]!.placement.apiOf('node-2')).toBe('http://node-2');

    await nodes[1]!.placement.drain('node-3');
    await clock.runUntil(
      () =>
        nodes.every(
          (n) => n.placement.rows().find((r) => r.id === 'node-3')?.status === 'draining',
        ),
      { timeoutMs: 30_000 },
    );
    for (const node of nodes) {
      expect(node.placement.memberStates().find((m) => m.id === 'node-3')).toMatchObject({
        state: 'draining',
        weight: 0,
      });
    }
  });

  it('answers a malformed request with ERR_INVALID_MESSAGE and merges nothing', async () => {
    const { clock, nodes } = await startCluster(2);
    await clock.runUntil(() => nodes.every((n) => n.placement.rows().length === 2), {
      timeoutMs: 5_000,
    });
    const [a, b] = nodes as [SyncNode, SyncNode];
    const before = b.placement.rows();
    const reply = a.transport.request(b.transport.address, NODES_PROTOCOL, { rows: 'all of them' });
    const settled = reply.then(
      () => undefined,
      (error: unknown) => error,
    );
    await clock.advance(100);
    expect(await settled).toMatchObject({ code: 'ERR_INVALID_MESSAGE' });
    const hostile = a.transport.request(b.transport.address, NODES_PROTOCOL, {
      rows: Array.from({ length: 4097 }, () => ({})),
    });
    const hostileSettled = hostile.then(
      () => undefined,
      (error: unknown) => error,
    );
    await clock.advance(100);
    expect(await hostileSettled).toMatchObject({ code: 'ERR_INVALID_MESSAGE' });
    expect(b.placement.rows()).toEqual(before);
  });
});
