import { afterEach, describe, expect, it } from 'vitest';
import { TestCluster, body, readText } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('replication: spread', () => {
  it('a file put on one node is stored by every node and readable from each', async () => {
    cluster = await TestCluster.create(5);
    const [first] = cluster.nodes;
    const info = await first!.engine.put('docs/hello.txt', body('hello, cluster'));
    expect(info).toMatchObject({ name: 'docs/hello.txt', size: 14, holders: 1 });
    await cluster.until(() =>
      cluster!.nodes.every((n) => n.engine.describe('docs/hello.txt')?.local === true),
    );
    for (const node of cluster.nodes) {
      expect(node.engine.describe('docs/hello.txt')?.version).toBe(info.version);
      expect(await readText(node.engine, 'docs/hello.txt')).toBe('hello, cluster');
    }
    await cluster.until(() =>
      cluster!.nodes.every((n) => n.engine.describe('docs/hello.txt')?.holders === 5),
    );
  });

  it('waitForHolders resolves once N nodes hold the version, and false on timeout', async () => {
    cluster = await TestCluster.create(3);
    const engine = cluster.nodes[0]!.engine;
    const info = await engine.put('w', body('wait for me'));
    const three = engine.waitForHolders('w', info.version, 3, { timeoutMs: 10_000 });
    await cluster.until(() => engine.describe('w')?.holders === 3);
    expect(await three).toBe(true);
    const four = engine.waitForHolders('w', info.version, 4, { timeoutMs: 2_000 });
    await cluster.clock.advance(2_001);
    expect(await four).toBe(false);
  });
});
