import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { blobKey } from '../src/index.js';
import { APPLY_PROTOCOL } from '../src/delete-quorum.js';
import { HOLDS_PROTOCOL, resyncEveryMs } from '../src/resync.js';
import { TestCluster, body } from './cluster.js';
import type { TestNode } from './cluster.js';
import { RankedPlacement } from './ranked-placement.js';

const DROP_DELAY_MS = 5_000;
let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** A cluster of `size` engines whose placement keeps `replicas` copies (one shared view). */
async function placedCluster(size: number, replicas: number, config?: { fanout: number }) {
  let view: RankedPlacement | undefined;
  const created = await TestCluster.create(size, {
    config: { dropDelayMs: DROP_DELAY_MS, ...config },
    placement: (c) => (view ??= new RankedPlacement(c, replicas)),
  });
  return { cluster: created, placement: view! };
}

async function holdsBytes(node: TestNode, name: string, version: string): Promise<boolean> {
  return (await node.store.stat(blobKey(name, version))) !== undefined;
}

function byId(c: TestCluster, ids: readonly string[]): TestNode[] {
  return c.nodes.filter((n) => ids.includes(n.id));
}

describe('replication with placement: each file on R nodes', () => {
  it('a put on a non-target ends with the body on exactly the R targets', async () => {
    const placed = await placedCluster(5, 2);
    cluster = placed.cluster;
    const name = 'docs/placed.txt';
    const targets = placed.placement.targets(name);
    const origin = cluster.nodes.find((n) => !targets.includes(n.id))!;
    const info = await cluster.drive(origin.engine.put(name, body('two copies')));
    const confirmed = origin.engine.waitForHolders(name, info.version, 2, { timeoutMs: 10_000 });
    expect(await cluster.drive(confirmed)).toBe(true);
    // The origin's copy is surplus: dropped once both targets confirmed and the delay passed.
    await cluster.until(() => origin.engine.describe(name)?.local === false, 60_000, 100);
    for (const node of cluster.nodes) {
      const expected = targets.includes(node.id);
      expect(await holdsBytes(node, name, info.version)).toBe(expected);
      expect(node.engine.describe(name)?.local).toBe(expected);
    }
    await origin.engine.resyncNow();
    expect(origin.engine.stats()).toMatchObject({ surplusCopiesDropped: 1, surplusCopies: 0 });
    // The dropped copy leaves every node's holder set (holder slots shrink).
    await cluster.until(() => cluster!.nodes.every((n) => n.engine.describe(name)?.holders === 2));
  });

  it('no surplus copy is dropped before the drop delay, nor while the brake holds', async () => {
    const placed = await placedCluster(4, 2);
    cluster = placed.cluster;
    const name = 'held';
    const targets = placed.placement.targets(name);
    const origin = cluster.nodes.find((n) => !targets.includes(n.id))!;
    placed.placement.paused = true;
    const info = await cluster.drive(origin.engine.put(name, body('keep me')));
    await cluster.until(() => byId(cluster!, targets).every((n) => n.engine.describe(name)?.local));
    await cluster.clock.advance(DROP_DELAY_MS * 4);
    await origin.engine.resyncNow();
    expect(await holdsBytes(origin, name, info.version)).toBe(true);
    expect(origin.engine.stats()).toMatchObject({ rebalancePaused: 1, surplusCopies: 1 });
    // Every node counts the surplus copy from the holder slots it knows.
    const target = byId(cluster, targets)[0]!;
    await target.engine.resyncNow();
    expect(target.engine.stats()).toMatchObject({ surplusCopies: 1, underReplicatedFiles: 0 });
    placed.placement.paused = false;
    await cluster.until(() => origin.engine.describe(name)?.local === false, 60_000, 100);
  });

  it('a non-target reads through a verified proxy and keeps no copy', async () => {
    const placed = await placedCluster(5, 2);
    cluster = placed.cluster;
    const name = 'proxied';
    const targets = placed.placement.targets(name);
    const [writer, reader] = cluster.nodes.filter((n) => !targets.includes(n.id));
    const info = await cluster.drive(writer!.engine.put(name, body('from a holder')));
    await cluster.until(() => reader!.engine.describe(name) !== undefined);
    const { stream } = await cluster.drive(reader!.engine.read(name));
    expect(await cluster.drive(text(stream))).toBe('from a holder');
    await reader!.engine.resyncNow();
    expect(await holdsBytes(reader!, name, info.version)).toBe(false);
    expect(reader!.engine.describe(name)?.local).toBe(false);
  });

  it('a down target is stood in for, and the stand-in drops its copy once the target is back', async () => {
    const placed = await placedCluster(5, 2);
    cluster = placed.cluster;
    const name = 'hinted';
    const [first, second] = placed.placement.targets(name);
    const down = cluster.nodes.find((n) => n.id === second)!;
    await cluster.stopNode(down);
    placed.placement.notify();
    const standIn = placed.placement.holders(name).find((id) => id !== first)!;
    const origin = cluster.nodes.find((n) => n.up && n.id !== first && n.id !== standIn)!;
    const info = await cluster.drive(origin.engine.put(name, body('hinted copy')));
    const helper = cluster.nodes.find((n) => n.id === standIn)!;
    await cluster.until(() => helper.engine.describe(name)?.local === true);
    expect(
      await cluster.drive(
        origin.engine.waitForHolders(name, info.version, 2, { timeoutMs: 5_000 }),
      ),
    ).toBe(true);
    await cluster.restartNode(down);
    placed.placement.notify();
    await cluster.until(() => down.engine.describe(name)?.local === true, 60_000, 100);
    await cluster.until(() => helper.engine.describe(name)?.local === false, 60_000, 100);
    expect(await holdsBytes(helper, name, info.version)).toBe(false);
    expect(await holdsBytes(down, name, info.version)).toBe(true);
  });
});

describe('hinted copies', () => {
  it('a stand-in that gets the pushed bytes before the entry keeps them as its copy', async () => {
    // Fanout 1: most stand-ins learn of the entry only after their push finished.
    const placed = await placedCluster(6, 2, { fanout: 1 });
    cluster = placed.cluster;
    const placement = placed.placement;
    const down = cluster.nodes[5]!;
    await cluster.stopNode(down);
    placement.notify();
    const names = Array.from({ length: 40 }, (_, i) => `hint-${i}`).filter((n) =>
      placement.targets(n).includes(down.id),
    );
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      const origin = cluster.nodes.find((n) => n.up && !placement.holders(name).includes(n.id))!;
      await cluster.drive(origin.engine.put(name, body(name)));
    }
    const standInOf = (name: string): TestNode => {
      const upTarget = placement.targets(name).find((id) => id !== down.id);
      const standIn = placement.holders(name).find((id) => id !== upTarget);
      return cluster!.nodes.find((n) => n.id === standIn)!;
    };
    await cluster.until(
      () => names.every((name) => standInOf(name).engine.describe(name)?.local === true),
      30_000,
      50,
    );
  });
});

describe('a miss', () => {
  it("asks only the name's targets, which know of every write to it", async () => {
    const placed = await placedCluster(6, 2);
    cluster = placed.cluster;
    const name = 'asked-of-targets';
    const targets = placed.placement.targets(name);
    const [writer, late] = cluster.nodes.filter((n) => !targets.includes(n.id));
    cluster.network.kill(late!.address);
    const info = await cluster.drive(writer!.engine.put(name, body('ask the targets')));
    await cluster.drive(writer!.engine.waitForHolders(name, info.version, 2, { timeoutMs: 5_000 }));
    // Only the targets can answer: every other node forgets nothing but is unreachable.
    for (const node of cluster.nodes) {
      if (!targets.includes(node.id)) cluster.network.kill(node.address);
    }
    cluster.network.revive(late!.address);
    expect(late!.engine.describe(name)).toBeUndefined();
    const { stream } = await cluster.drive(late!.engine.read(name));
    expect(await cluster.drive(text(stream))).toBe('ask the targets');
  });
});

describe('a node going down', () => {
  it('moves no existing body: stand-ins take only new writes', async () => {
    const placed = await placedCluster(5, 2);
    cluster = placed.cluster;
    const name = 'stays-put';
    const [first, second] = placed.placement.targets(name);
    const writer = cluster.nodes.find((n) => n.id === first)!;
    const info = await cluster.drive(writer.engine.put(name, body('two copies')));
    await cluster.drive(writer.engine.waitForHolders(name, info.version, 2, { timeoutMs: 5_000 }));
    const pulledBefore = cluster.nodes.map((n) => n.engine.stats().rebalanceBytesPulled);
    await cluster.stopNode(cluster.nodes.find((n) => n.id === second)!);
    placed.placement.notify();
    await cluster.clock.advance(DROP_DELAY_MS * 3);
    for (const node of cluster.upNodes()) await node.engine.resyncNow();
    await cluster.until(() =>
      cluster!.upNodes().every((n) => n.engine.stats().queuedTransfers === 0),
    );
    cluster.nodes.forEach((node, i) => {
      if (node.up) expect(node.engine.stats().rebalanceBytesPulled).toBe(pulledBefore[i]);
    });
    const standIn = cluster.nodes.find((n) => n.id === placed.placement.holders(name)[1])!;
    expect(standIn.engine.describe(name)?.local).toBe(false);
    // The down target's copy is not surplus: it cannot drop it, and it may come back.
    for (const node of cluster.upNodes()) expect(node.engine.stats().surplusCopies).toBe(0);
  });
});

describe('DELETE ?w=N', () => {
  it('resolves once w wanted nodes applied the tombstone, and times out when they cannot', async () => {
    const placed = await placedCluster(5, 3);
    cluster = placed.cluster;
    const name = 'gone';
    const targets = placed.placement.targets(name);
    const origin = cluster.nodes.find((n) => !targets.includes(n.id))!;
    const info = await cluster.drive(origin.engine.put(name, body('to delete')));
    await cluster.drive(origin.engine.waitForHolders(name, info.version, 3, { timeoutMs: 10_000 }));
    expect(await cluster.drive(origin.engine.delete(name, { w: 3, timeoutMs: 5_000 }))).toBe(true);
    for (const node of byId(cluster, targets))
      expect(node.engine.describe(name)?.deleted).toBe(true);

    const again = 'gone-again';
    const [t1, t2] = byId(cluster, placed.placement.targets(again));
    await cluster.drive(t1!.engine.put(again, body('x')));
    await cluster.until(() => t2!.engine.describe(again) !== undefined);
    // Every other node unreachable: only the deleting node itself applies it.
    for (const node of cluster.nodes) if (node !== t1) cluster.network.kill(node.address);
    const short = cluster.drive(t1!.engine.delete(again, { w: 2, timeoutMs: 1_000 }));
    await expect(short).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    expect(t1!.engine.describe(again)?.deleted).toBe(true);
  });
});

describe('placement protocols refuse malformed requests', () => {
  it('holds and apply requests outside their schema are refused and counted', async () => {
    const placed = await placedCluster(2, 2);
    cluster = placed.cluster;
    const [a, b] = cluster.nodes;
    const before = b!.engine.stats().invalidMessages;
    const tooMany = Array.from({ length: 513 }, (_, i) => ({ name: `n${i}`, version: 'x' }));
    const asks = [
      a!.transport.request(b!.address, HOLDS_PROTOCOL, { items: tooMany }, { timeoutMs: 1_000 }),
      a!.transport.request(b!.address, HOLDS_PROTOCOL, { items: [{ name: '../x' }] }, {}),
      a!.transport.request(b!.address, APPLY_PROTOCOL, { entry: { name: 'x' } }, {}),
    ];
    const results = await cluster.drive(Promise.allSettled(asks));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(b!.engine.stats().invalidMessages).toBe(before + 3);
  });
});

describe('resync pacing', () => {
  it('rescans at most once a minute, a quarter of the drop delay, never faster than anti-entropy', () => {
    expect(resyncEveryMs(10 * 60_000, 5_000)).toBe(60_000);
    expect(resyncEveryMs(5_000, 1_000)).toBe(1_250);
    expect(resyncEveryMs(1_000, 300)).toBe(300);
  });
});
