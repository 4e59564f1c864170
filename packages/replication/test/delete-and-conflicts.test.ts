import { afterEach, describe, expect, it } from 'vitest';
import { compareVersions, isReplicationError } from '../src/index.js';
import { TestCluster, body, readText } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const allAgree = (
  c: TestCluster,
  name: string,
  check: (d: ReturnType<TestCluster['nodes'][number]['engine']['describe']>) => boolean,
): boolean => c.upNodes().every((n) => check(n.engine.describe(name)));

describe('replication: deletes', () => {
  it('a delete spreads to every node, removes the bytes everywhere and reads then 404', async () => {
    cluster = await TestCluster.create(4);
    const [a, , c] = cluster.nodes;
    await a!.engine.put('gone', body('soon deleted'));
    await cluster.until(() => allAgree(cluster!, 'gone', (d) => d?.local === true));
    expect(await c!.engine.delete('gone')).toBe(true);
    await cluster.until(() => allAgree(cluster!, 'gone', (d) => d?.deleted === true));
    for (const node of cluster.nodes) {
      expect(node.engine.localStats()).toEqual({ files: 0, bytes: 0 });
      expect(await node.engine.stat('gone')).toBeUndefined();
      await expect(cluster.drive(node.engine.read('gone'))).rejects.toSatisfy((e) =>
        isReplicationError(e, 'ERR_NOT_FOUND'),
      );
      expect((await node.engine.list({ limit: 10 })).files).toEqual([]);
    }
    expect(await a!.engine.delete('gone')).toBe(false);
    expect(await cluster.drive(a!.engine.delete('never-existed'))).toBe(false);
  });

  it('tombstones are forgotten after the TTL', async () => {
    cluster = await TestCluster.create(2, { config: { tombstoneTtlMs: 5_000 } });
    const [a, b] = cluster.nodes;
    await a!.engine.put('t', body('x'));
    await cluster.until(() => b!.engine.describe('t')?.local === true);
    await a!.engine.delete('t');
    await cluster.until(() => b!.engine.describe('t')?.deleted === true);
    await cluster.clock.advance(7_000);
    expect(a!.engine.describe('t')).toBeUndefined();
    expect(b!.engine.describe('t')).toBeUndefined();
  });
});

describe('replication: last writer wins', () => {
  it('concurrent puts of one name on two nodes converge to the newer version everywhere', async () => {
    cluster = await TestCluster.create(4);
    const [a, b] = cluster.nodes;
    // Same virtual instant: versions tie on wall time and counter and are ordered by node id.
    const [fromA, fromB] = await Promise.all([
      a!.engine.put('race', body('written by a')),
      b!.engine.put('race', body('written by b')),
    ]);
    const winner = compareVersions(fromA.version, fromB.version) > 0 ? fromA : fromB;
    await cluster.until(() =>
      allAgree(cluster!, 'race', (d) => d?.version === winner.version && d.local),
    );
    for (const node of cluster.nodes) {
      expect(await readText(node.engine, 'race')).toBe(
        winner === fromA ? 'written by a' : 'written by b',
      );
    }
    expect(cluster.nodes.reduce((n, node) => n + node.engine.localStats().files, 0)).toBe(4);
  });

  it('a put and a concurrent delete: the newer version wins, a later put beats the delete', async () => {
    cluster = await TestCluster.create(3);
    const [a, b, c] = cluster.nodes;
    await a!.engine.put('doc', body('v1'));
    await cluster.until(() => allAgree(cluster!, 'doc', (d) => d?.local === true));
    await cluster.clock.advance(10);
    const deleted = await b!.engine.delete('doc');
    expect(deleted).toBe(true);
    await cluster.clock.advance(10);
    const v2 = await c!.engine.put('doc', body('v2 after delete'));
    await cluster.until(() =>
      allAgree(cluster!, 'doc', (d) => d?.version === v2.version && d.local),
    );
    expect(await readText(a!.engine, 'doc')).toBe('v2 after delete');

    // Now the delete is the newer write: it wins over the put everywhere.
    await cluster.clock.advance(10);
    await a!.engine.delete('doc');
    await cluster.until(() => allAgree(cluster!, 'doc', (d) => d?.deleted === true));
  });
});
