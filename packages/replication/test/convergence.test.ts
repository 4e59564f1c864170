import { join } from 'node:path';
import { openStore } from '@dfs/store';
import { afterEach, describe, expect, it } from 'vitest';
import { blobKey } from '../src/index.js';
import { TestCluster, body, readText } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const names = (c: TestCluster, i: number): Promise<string[]> =>
  c.nodes[i]!.engine.list({ limit: 100 }).then((p) => p.files.map((f) => `${f.name}:${f.sha256}`));

describe('replication: convergence', () => {
  it('a node that missed a delete does not resurrect the file when it returns', async () => {
    cluster = await TestCluster.create(4);
    const [a, b, , d] = cluster.nodes;
    await a!.engine.put('secret', body('delete me'));
    await cluster.until(() =>
      cluster!.nodes.every((n) => n.engine.describe('secret')?.local === true),
    );

    await cluster.stopNode(d!);
    await b!.engine.delete('secret');
    await cluster.until(() =>
      cluster!.upNodes().every((n) => n.engine.describe('secret')?.deleted === true),
    );

    await cluster.restartNode(d!);
    expect(d!.engine.describe('secret')).toMatchObject({ deleted: false, local: true });
    await cluster.until(() => d!.engine.describe('secret')?.deleted === true);
    expect(d!.engine.localStats().files).toBe(0);
    // And it never came back anywhere while the returning node caught up.
    await cluster.clock.advance(5_000);
    for (const node of cluster.nodes) expect(node.engine.describe('secret')?.deleted).toBe(true);
  });

  it('a late joiner converges to every file through anti-entropy', async () => {
    cluster = await TestCluster.create(3);
    const [a, b] = cluster.nodes;
    for (let i = 0; i < 20; i++) {
      await (i % 2 === 0 ? a : b)!.engine.put(`file-${i}`, body(`content ${i}`));
    }
    await a!.engine.delete('file-0');
    await cluster.until(() => cluster!.nodes.every((n) => n.engine.localStats().files === 19));

    const late = await cluster.addNode();
    await cluster.until(() => late.engine.localStats().files === 19, 60_000);
    expect(await names(cluster, 3)).toEqual(await names(cluster, 0));
    expect(late.engine.describe('file-0')?.deleted).toBe(true);
    expect(late.engine.stats().antiEntropyRounds).toBeGreaterThan(0);
    expect(await readText(late.engine, 'file-7')).toBe('content 7');
  });

  it('partitioned halves accept writes and converge after the partition heals', async () => {
    cluster = await TestCluster.create(4);
    const addresses = cluster.nodes.map((n) => n.address);
    await cluster.nodes[0]!.engine.put('shared', body('before'));
    await cluster.until(() =>
      cluster!.nodes.every((n) => n.engine.describe('shared')?.local === true),
    );

    cluster.network.partition(addresses.slice(0, 2), addresses.slice(2));
    await cluster.nodes[0]!.engine.put('left', body('written on the left'));
    await cluster.clock.advance(5);
    await cluster.nodes[3]!.engine.put('right', body('written on the right'));
    await cluster.nodes[3]!.engine.put('shared', body('after, on the right'));
    await cluster.clock.advance(3_000);
    expect(cluster.nodes[0]!.engine.describe('right')).toBeUndefined();

    const newest = cluster.nodes[3]!.engine.describe('shared')!.version;
    cluster.network.heal();
    await cluster.until(
      () =>
        cluster!.nodes.every(
          (n) =>
            n.engine.localStats().files === 3 &&
            n.engine.describe('shared')?.version === newest &&
            n.engine.describe('shared')?.local === true,
        ),
      120_000,
    );
    const expected = await names(cluster, 0);
    for (let i = 1; i < 4; i++) expect(await names(cluster, i)).toEqual(expected);
    expect(await readText(cluster.nodes[1]!.engine, 'shared')).toBe('after, on the right');
  });

  it('a restarted node keeps its files, versions and tombstones', async () => {
    cluster = await TestCluster.create(2);
    const [a] = cluster.nodes;
    const kept = await a!.engine.put('kept', body('kept across restart'));
    await a!.engine.put('dropped', body('x'));
    await a!.engine.delete('dropped');
    await cluster.stopNode(a!);
    await cluster.restartNode(a!);
    expect(a!.engine.describe('kept')).toMatchObject({ version: kept.version, local: true });
    expect(a!.engine.describe('dropped')?.deleted).toBe(true);
    expect(await readText(a!.engine, 'kept')).toBe('kept across restart');
    const next = await a!.engine.put('kept', body('newer'));
    expect(next.version > kept.version).toBe(true);
  });

  it('bodies left behind by a crash before the index write are kept a while, then removed unclaimed', async () => {
    cluster = await TestCluster.create(1, { config: { unclaimedBodyTimeoutMs: 5_000 } });
    const [a] = cluster.nodes;
    await a!.engine.put('kept', body('kept'));
    await cluster.stopNode(a!);
    const store = await openStore({ dir: join(a!.dir, 'store'), fsync: false });
    await store.put('0'.repeat(64), body('orphaned by a crash'));
    await store.close();
    await cluster.restartNode(a!);
    const keys = async (): Promise<string[]> => {
      const found: string[] = [];
      for await (const entry of a!.store.list()) found.push(entry.key);
      return found.sort();
    };
    const kept = blobKey('kept', a!.engine.describe('kept')!.version);
    // The index is intact, so the body is a failed write: quarantined, not deleted at once.
    expect(await keys()).toEqual(['0'.repeat(64), kept].sort());
    expect(a!.engine.stats().bodiesQuarantined).toBe(1);
    await cluster.until(() => a!.engine.stats().unclaimedBodiesRemoved === 1, 20_000);
    expect(await keys()).toEqual([kept]);
    expect(await readText(a!.engine, 'kept')).toBe('kept');
  });
});

describe('replication: at scale', () => {
  it('10 nodes converge on every file and delete despite 20% message loss', async () => {
    cluster = await TestCluster.create(10, { lossRate: 0.2 });
    const nodes = cluster.nodes;
    for (let i = 0; i < 30; i++) {
      await nodes[i % nodes.length]!.engine.put(`bulk/${i}`, body(`bulk body ${i}`));
    }
    for (let i = 0; i < 5; i++) {
      // The deleting node may not know the name yet: it asks its peers, so drive the clock.
      expect(await cluster.drive(nodes[(i * 3) % nodes.length]!.engine.delete(`bulk/${i}`))).toBe(
        true,
      );
    }
    const settled = (): boolean =>
      nodes.every(
        (n) =>
          n.engine.localStats().files === 25 &&
          Array.from({ length: 5 }, (_, i) => n.engine.describe(`bulk/${i}`)?.deleted).every(
            Boolean,
          ),
      );
    await cluster.until(settled, 120_000, 50);
    const expected = await names(cluster, 0);
    expect(expected).toHaveLength(25);
    for (let i = 1; i < nodes.length; i++) expect(await names(cluster, i)).toEqual(expected);
    for (const node of nodes) expect(node.engine.describe('bulk/3')?.deleted).toBe(true);
    // Each node pulled each surviving body at most once or twice (a lost reply may retry).
    const pulls = nodes.reduce((sum, n) => sum + n.engine.stats().transfersCompleted, 0);
    expect(pulls).toBeLessThanOrEqual(9 * 30);
  }, 30_000);
});
