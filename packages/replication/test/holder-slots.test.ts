/**
 * Holder sets shrink across the cluster: a node that stops holding its copy says so in its own
 * holder slot, and every other node's entry stops listing it as a holder (issue 12).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { holdingNodes, slotOf } from '../src/merge.js';
import type { ReplicatedEntry } from '../src/merge.js';
import { PROTOCOLS } from '../src/wire.js';
import { TestCluster, body } from './cluster.js';
import type { TestNode } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** `of`'s durable entry for `name` as it announces it, asked by `asker` over the lookup protocol. */
async function wireEntry(
  c: TestCluster,
  asker: TestNode,
  of: TestNode,
  name: string,
): Promise<ReplicatedEntry> {
  const answer = (await c.drive(
    asker.transport.request(of.address, PROTOCOLS.lookup, { name }),
  )) as {
    entry: ReplicatedEntry;
  };
  return answer.entry;
}

describe('holder slots', () => {
  it('a node that drops its copy is no longer listed as a holder anywhere, and stays dropped', async () => {
    cluster = await TestCluster.create(3);
    const [a, b, c] = cluster.nodes as [TestNode, TestNode, TestNode];
    const info = await a.engine.put('f', body('shrink me'));
    await cluster.until(() => cluster!.nodes.every((n) => n.engine.describe('f')?.holders === 3));
    for (const node of cluster.nodes) {
      const entry = await wireEntry(cluster, a, node, 'f');
      expect(holdingNodes(entry)).toEqual([a.id, b.id, c.id]);
    }
    const before = slotOf(await wireEntry(cluster, a, b, 'f'), b.id)!;

    expect(await cluster.drive(b.engine.dropLocalCopy('f'))).toBe(true);
    expect(b.engine.describe('f')).toMatchObject({ version: info.version, local: false });
    expect(await cluster.drive(b.engine.dropLocalCopy('f'))).toBe(false);

    await cluster.until(() => cluster!.nodes.every((n) => n.engine.describe('f')?.holders === 2));
    for (const node of cluster.nodes) {
      const entry = await wireEntry(cluster, a, node, 'f');
      expect(holdingNodes(entry)).toEqual([a.id, c.id]);
      expect(slotOf(entry, b.id)).toEqual({ node: b.id, seq: before.seq + 1, holds: false });
    }
    // Anti-entropy rounds later nothing has brought the copy or the holder back.
    await cluster.clock.advance(10_000);
    for (const node of cluster.nodes) expect(node.engine.describe('f')?.holders).toBe(2);
    expect(b.engine.describe('f')?.local).toBe(false);
    // Its slot is durable: after a restart it still says it does not hold the version.
    await cluster.stopNode(b);
    await cluster.restartNode(b);
    expect(slotOf(await wireEntry(cluster, a, b, 'f'), b.id)).toMatchObject({ holds: false });
  });
});
