import { text } from 'node:stream/consumers';
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

describe('replication: edge cases', () => {
  it('an empty file spreads and is served by read-through like any other', async () => {
    cluster = await TestCluster.create(2);
    const [a, b] = cluster.nodes;
    const info = await a!.engine.put('empty', body(''));
    expect(info.size).toBe(0);
    await cluster.until(() => b!.engine.describe('empty')?.local === true);
    expect(await readText(b!.engine, 'empty')).toBe('');
    const late = await cluster.addNode();
    const { stream } = await cluster.drive(late.engine.read('empty'));
    expect(await cluster.drive(text(stream))).toBe('');
  });

  it('lists live names in order with prefix and cursor paging', async () => {
    cluster = await TestCluster.create(1);
    const engine = cluster.nodes[0]!.engine;
    for (const name of ['b/2', 'a', 'b/1', 'c', 'b/3']) await engine.put(name, body(name));
    await engine.delete('b/2');
    const first = await engine.list({ prefix: 'b/', limit: 1 });
    expect(first.files.map((f) => f.name)).toEqual(['b/1']);
    const second = await engine.list({ prefix: 'b/', limit: 5, cursor: first.next });
    expect(second).toMatchObject({ files: [{ name: 'b/3', size: 3 }] });
    expect(second.next).toBeUndefined();
    expect((await engine.list({ limit: 10 })).files.map((f) => f.name)).toEqual([
      'a',
      'b/1',
      'b/3',
      'c',
    ]);
    expect(engine.localStats()).toEqual({ files: 4, bytes: 8 });
  });
});
