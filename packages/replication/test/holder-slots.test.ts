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
  it('a node that drops its copy is no longer listed as a holder anywhere, until it holds it again', async () => {
    // Upkeep (which retries missing bodies) only once a minute, so it cannot undo the drop
    // before every node has seen it.
    cluster = await TestCluster.create(3, { config: { antiEntropyIntervalMs: 60_000 } });
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
    // Without placement every node is meant to hold every file: upkeep retries the missing body,
    // and once B holds it again its slot says so at a higher seq, everywhere.
    const all = (): boolean => cluster!.nodes.every((n) => n.engine.describe('f')?.holders === 3);
    await cluster.until(all, 120_000, 100);
    for (const node of cluster.nodes) {
      const entry = await wireEntry(cluster, a, node, 'f');
      expect(slotOf(entry, b.id)).toEqual({ node: b.id, seq: before.seq + 2, holds: true });
    }
  });
});
