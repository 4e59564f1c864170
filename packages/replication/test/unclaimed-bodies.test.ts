/**
 * Bodies no index entry refers to are never deleted just because the index lost track of them:
 * pushed bytes wait (bounded by `unclaimedBodyTimeoutMs`) for the announcement that claims them,
 * and at open a body is salvaged, quarantined or, when its name moved on, deleted as superseded.
 * Finding: 193 MiB from 12 unclaimed pushes stayed on disk until restart.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { openStore } from '@dfs/store';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeVersion } from '../src/hlc.js';
import { PROTOCOLS, blobKey } from '../src/index.js';
import { TestCluster, body, readText } from './cluster.js';
import type { TestNode } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const TIMEOUT = 5_000;

/** `from` pushes `content` for (name, version) to `to`, as an origin does during its upload. */
async function push(from: TestNode, to: TestNode, name: string, version: string, content: string) {
  const stream = await cluster!.drive(
    from.transport.openStream(to.address, PROTOCOLS.push, { name, version, chain: [] }),
  );
  stream.on('error', () => undefined);
  stream.resume();
  stream.end(Buffer.from(content));
}

async function stored(node: TestNode, name: string, version: string): Promise<boolean> {
  return (await node.store.stat(blobKey(name, version))) !== undefined;
}

describe('unclaimed bodies', () => {
  it('a push that no announcement claims is removed after the timeout while the node runs', async () => {
    cluster = await TestCluster.create(2, { config: { unclaimedBodyTimeoutMs: TIMEOUT } });
    const [a, b] = cluster.nodes;
    const version = encodeVersion({ wall: cluster.clock.now(), counter: 0 }, a!.id);
    await push(a!, b!, 'orphan', version, 'pushed, never announced');
    await cluster.until(() => b!.engine.stats().bodiesQuarantined === 1);
    expect(await stored(b!, 'orphan', version)).toBe(true);
    const heldSince = cluster.clock.now();
    await cluster.until(() => b!.engine.stats().unclaimedBodiesRemoved === 1, 4 * TIMEOUT);
    expect(cluster.clock.now() - heldSince).toBeGreaterThanOrEqual(TIMEOUT);
    expect(await stored(b!, 'orphan', version)).toBe(false);
  });

  it('a held push is claimed by a later announcement of exactly its version, and then kept', async () => {
    cluster = await TestCluster.create(2, { config: { unclaimedBodyTimeoutMs: TIMEOUT } });
    const [a, b] = cluster.nodes;
    const content = 'pushed, announced late';
    const version = encodeVersion({ wall: cluster.clock.now(), counter: 0 }, a!.id);
    await push(a!, b!, 'late', version, content);
    await cluster.until(() => b!.engine.stats().bodiesQuarantined === 1);
    await a!.transport.send(b!.address, PROTOCOLS.announce, {
      entries: [
        {
          name: 'late',
          version,
          size: content.length,
          sha256: createHash('sha256').update(content).digest('hex'),
          deleted: false,
          expiresAt: 0,
          holders: [],
        },
      ],
    });
    await cluster.until(() => b!.engine.describe('late')?.local === true);
    expect(b!.engine.stats()).toMatchObject({ transfersAvoided: 1, transfersStarted: 0 });
    await cluster.clock.advance(2 * TIMEOUT);
    await cluster.until(() => b!.engine.stats().antiEntropyRounds > 0);
    expect(b!.engine.stats().unclaimedBodiesRemoved).toBe(0);
    expect(await readText(b!.engine, 'late')).toBe(content);
  });

  it('at open, a body whose name has a newer version is deleted as superseded', async () => {
    cluster = await TestCluster.create(1);
    const [a] = cluster.nodes;
    const old = await a!.engine.put('x', body('old'));
    await a!.engine.put('x', body('new'));
    await cluster.stopNode(a!);
    // The old version's bytes, as a crash before their deletion would leave them.
    const store = await openStore({ dir: join(a!.dir, 'store'), fsync: false });
    await store.put(blobKey('x', old.version), 'old', {
      metadata: { name: 'x', version: old.version, origin: 'put' },
    });
    await store.close();
    await cluster.restartNode(a!);
    expect(a!.engine.stats()).toMatchObject({ supersededBodiesRemoved: 1, bodiesQuarantined: 0 });
    expect(await stored(a!, 'x', old.version)).toBe(false);
    expect(await readText(a!.engine, 'x')).toBe('new');
  });

  it('at open with an intact index, a newer body without an entry is quarantined, not salvaged', async () => {
    cluster = await TestCluster.create(1);
    const [a] = cluster.nodes;
    await a!.engine.put('y', body('acknowledged'));
    await cluster.stopNode(a!);
    // A put that crashed after its body committed and before its index record: never acknowledged.
    const version = encodeVersion({ wall: cluster.clock.now() + 1_000, counter: 0 }, a!.id);
    const store = await openStore({ dir: join(a!.dir, 'store'), fsync: false });
    await store.put(blobKey('y', version), 'unacknowledged', {
      metadata: { name: 'y', version, origin: 'put' },
    });
    await store.close();
    await cluster.restartNode(a!);
    expect(a!.engine.stats()).toMatchObject({ bodiesQuarantined: 1, bodiesSalvaged: 0 });
    expect(await readText(a!.engine, 'y')).toBe('acknowledged');
    expect(await stored(a!, 'y', version)).toBe(true);
  });
});
