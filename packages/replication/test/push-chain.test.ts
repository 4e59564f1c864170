import { PassThrough } from 'node:stream';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_PUSH_CHAIN } from '../src/wire.js';
import { PROTOCOLS, blobKey } from '../src/index.js';
import { TestCluster, readText } from './cluster.js';
import type { TestNode } from './cluster.js';
import { RankedPlacement } from './ranked-placement.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const quiet = (stream: Duplex): Duplex => stream.on('error', () => undefined);
const CHUNK = Buffer.alloc(64 * 1024, 'c');
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Every node of a cluster whose placement wants each file on all `size` nodes, ranked. */
async function chainCluster(
  size: number,
): Promise<{ cluster: TestCluster; view: RankedPlacement }> {
  let view: RankedPlacement | undefined;
  const created = await TestCluster.create(size, {
    config: { pushPeers: 0 }, // placement, not pushPeers, picks the chain
    placement: (c) => (view ??= new RankedPlacement(c, size)),
  });
  return { cluster: created, view: view! };
}

/** The push streams each node opens, as `{to, chain}` (the header's remaining chain). */
function recordPushOpens(
  nodes: readonly TestNode[],
): Map<string, { to: string; chain: string[] }[]> {
  const opened = new Map<string, { to: string; chain: string[] }[]>();
  for (const node of nodes) {
    const list: { to: string; chain: string[] }[] = [];
    opened.set(node.id, list);
    const open = node.transport.openStream.bind(node.transport);
    vi.spyOn(node.transport, 'openStream').mockImplementation((address, protocol, header, o) => {
      if (protocol === PROTOCOLS.push) {
        const to = nodes.find((n) => n.address === address)?.id ?? address;
        list.push({ to, chain: [...(header as { chain: string[] }).chain] });
      }
      return open(address, protocol, header, o);
    });
  }
  return opened;
}

/** The origin (the lowest-ranked node) and the others in the chain order placement gives. */
function chainOf(c: TestCluster, view: RankedPlacement, name: string) {
  const ranked = view.holders(name);
  const origin = c.nodes.find((n) => n.id === ranked[ranked.length - 1])!;
  const chain = ranked.slice(0, -1).map((id) => c.nodes.find((n) => n.id === id)!);
  return { origin, chain };
}

async function storedKeys(node: TestNode): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of node.store.list()) keys.push(entry.key);
  return keys;
}

describe('replication: pipelined push chain', () => {
  it('a 3-node chain gets the body with one outgoing stream per node, in rank order', async () => {
    const made = await chainCluster(4);
    cluster = made.cluster;
    const name = 'chained';
    const { origin, chain } = chainOf(cluster, made.view, name);
    const opened = recordPushOpens(cluster.nodes);
    const content = 'relayed down the chain '.repeat(5000);
    const upload = new PassThrough();
    const put = origin.engine.put(name, upload);
    upload.end(content);
    const info = await cluster.drive(put);
    await cluster.until(() => chain.every((n) => n.engine.describe(name)?.local === true));
    expect(opened.get(origin.id)).toEqual([
      { to: chain[0]!.id, chain: [chain[1]!.id, chain[2]!.id] },
    ]);
    expect(opened.get(chain[0]!.id)).toEqual([{ to: chain[1]!.id, chain: [chain[2]!.id] }]);
    expect(opened.get(chain[1]!.id)).toEqual([{ to: chain[2]!.id, chain: [] }]);
    expect(opened.get(chain[2]!.id)).toEqual([]);
    for (const node of chain) {
      const stats = node.engine.stats();
      expect(stats).toMatchObject({ pushesReceived: 1, bytesPushedIn: info.size, bytesPulled: 0 });
      expect(await readText(node.engine, name)).toBe(content);
    }
    expect(origin.engine.stats().bytesServed).toBe(0);
    await cluster.until(() => cluster!.nodes.every((n) => n.engine.describe(name)?.holders === 4));
  });

  it('replicateAfterCommit: the put resolves before any push opens; then one chain carries it', async () => {
    const made = await chainCluster(4);
    cluster = made.cluster;
    const name = 'after-commit';
    const { origin, chain } = chainOf(cluster, made.view, name);
    const opened = recordPushOpens(cluster.nodes);
    const content = 'committed first, then relayed '.repeat(5000);
    const upload = new PassThrough();
    const put = origin.engine.put(name, upload, { replicateAfterCommit: true });
    upload.end(content);
    let pushedWhenAcknowledged = -1;
    const info = await cluster.drive(
      put.then((result) => {
        pushedWhenAcknowledged = sum(chain.map((n) => n.engine.stats().bytesPushedIn));
        return result;
      }),
    );
    expect(pushedWhenAcknowledged).toBe(0);
    await cluster.until(() => chain.every((n) => n.engine.describe(name)?.local === true));
    expect(opened.get(origin.id)).toEqual([
      { to: chain[0]!.id, chain: [chain[1]!.id, chain[2]!.id] },
    ]);
    expect(opened.get(chain[0]!.id)).toEqual([{ to: chain[1]!.id, chain: [chain[2]!.id] }]);
    for (const node of chain) {
      expect(node.engine.stats()).toMatchObject({ bytesPushedIn: info.size, bytesPulled: 0 });
      expect(await readText(node.engine, name)).toBe(content);
    }
  });

  it('replicateAfterCommit: past transferConcurrency pushes, bodies are pulled instead', async () => {
    let view: RankedPlacement | undefined;
    cluster = await TestCluster.create(2, {
      config: { pushPeers: 0, transferConcurrency: 1 },
      placement: (c) => (view ??= new RankedPlacement(c, 2)),
    });
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    // b accepts the first push but never reads it, so that push stays in flight.
    const stuck = new PassThrough();
    vi.spyOn(a.transport, 'openStream').mockImplementationOnce(async () => {
      stuck.resume = () => stuck;
      return stuck as unknown as Duplex;
    });
    const first = new PassThrough();
    const firstPut = a.engine.put('first', first, { replicateAfterCommit: true });
    first.end(CHUNK);
    await cluster.drive(firstPut);
    const second = new PassThrough();
    const secondPut = a.engine.put('second', second, { replicateAfterCommit: true });
    second.end('small');
    const info = await cluster.drive(secondPut);
    await cluster.until(() => b.engine.describe('second')?.local === true);
    stuck.destroy();
    // Neither body was pushed: the first push never got past a, the second was never started.
    expect(b.engine.stats()).toMatchObject({
      pushesReceived: 0,
      bytesPulled: CHUNK.length + info.size,
    });
  });

  it('an upload aborted after its bytes reached the tail leaves no bytes anywhere in the chain', async () => {
    const made = await chainCluster(4);
    cluster = made.cluster;
    const name = 'aborted';
    const { origin, chain } = chainOf(cluster, made.view, name);
    const upload = new PassThrough();
    const put = origin.engine.put(name, upload);
    put.catch(() => undefined);
    upload.write(CHUNK);
    await cluster.until(() => chain[2]!.engine.stats().bytesPushedIn > 0);
    upload.destroy(Object.assign(new Error('client went away'), { code: 'ECONNRESET' }));
    await expect(cluster.drive(put)).rejects.toThrow();
    await cluster.until(() => cluster!.nodes.every((n) => n.engine.stats().activeTransfers === 0));
    await cluster.clock.advance(3_000);
    for (const node of cluster.nodes) {
      expect(node.engine.describe(name)).toBeUndefined();
      expect(await storedKeys(node)).toEqual([]);
    }
  });

  it('a chain node that dies mid-stream leaves the copies before it intact; the rest pull', async () => {
    const made = await chainCluster(4);
    cluster = made.cluster;
    const name = 'broken-link';
    const { origin, chain } = chainOf(cluster, made.view, name);
    const [head, middle, tail] = chain as [TestNode, TestNode, TestNode];
    const upload = new PassThrough();
    const put = origin.engine.put(name, upload);
    upload.write(CHUNK);
    await cluster.until(() => tail.engine.stats().bytesPushedIn > 0);
    await cluster.stopNode(middle);
    made.view.notify();
    upload.end(CHUNK);
    const info = await cluster.drive(put);
    await cluster.until(() => [head, tail].every((n) => n.engine.describe(name)?.local === true));
    expect(head.engine.stats()).toMatchObject({ bytesPushedIn: info.size, bytesPulled: 0 });
    expect(tail.engine.stats().bytesPulled).toBe(info.size);
    expect(origin.engine.describe(name)?.local).toBe(true);
    for (const node of [origin, head, tail]) {
      expect(await node.store.stat(blobKey(name, info.version))).toMatchObject({ size: info.size });
    }
  });

  it.each([
    ['the head', 0, 'the origin starts the chain at the next'],
    ['a middle node', 1, 'its upstream relays to the next'],
  ])('%s not answering is skipped: %s', async (_what, unreachable) => {
    const made = await chainCluster(4);
    cluster = made.cluster;
    const name = 'skip';
    const { origin, chain } = chainOf(cluster, made.view, name);
    // Listed as live, but its upstream's frames to it are lost: the open times out.
    const upstream = unreachable === 0 ? origin : chain[unreachable - 1]!;
    cluster.network.partition([upstream.address], [chain[unreachable]!.address]);
    const reachable = chain.filter((_, i) => i !== unreachable);
    const upload = new PassThrough();
    const put = origin.engine.put(name, upload);
    upload.write(CHUNK); // still uploading when the skipped node's open times out
    await cluster.until(() => reachable.every((n) => n.engine.stats().bytesPushedIn > 0));
    upload.end(CHUNK);
    const info = await cluster.drive(put);
    await cluster.until(() => reachable.every((n) => n.engine.describe(name)?.local === true));
    for (const node of reachable) {
      expect(node.engine.stats()).toMatchObject({ bytesPushedIn: info.size, bytesPulled: 0 });
    }
    cluster.network.heal();
  });

  it('a hostile chain is bounded, and only ids the receiver knows as live peers are followed', async () => {
    cluster = await TestCluster.create(3);
    const [a, b, c] = cluster.nodes as [TestNode, TestNode, TestNode];
    const opened = recordPushOpens(cluster.nodes);
    const version = `000000000001.00000000.${a.id}`;
    const tooLong = await cluster.drive(
      a.transport
        .openStream(b.address, PROTOCOLS.push, {
          name: 'long',
          version,
          chain: Array.from({ length: MAX_PUSH_CHAIN + 1 }, () => c.id),
        })
        .then(quiet),
    );
    tooLong.resume();
    await cluster.until(() => tooLong.destroyed);
    expect(b.engine.stats()).toMatchObject({ invalidMessages: 1, pushesReceived: 0 });
    opened.get(a.id)!.length = 0;
    // Unknown ids, an address, the receiver, the origin, repeats: only c is followed, once.
    const chain = ['ghost', c.address, b.id, a.id, c.id, c.id, 'x'.repeat(128)];
    const push = await cluster.drive(
      a.transport
        .openStream(b.address, PROTOCOLS.push, { name: 'odd', version, chain })
        .then(quiet),
    );
    push.resume();
    push.end('bytes for the chain');
    await cluster.until(() => c.engine.stats().pushesReceived === 1);
    await cluster.until(() => [b, c].every((n) => n.engine.stats().activeTransfers === 0));
    expect(opened.get(b.id)).toEqual([{ to: c.id, chain: [] }]);
    expect(opened.get(c.id)).toEqual([]);
    const key = blobKey('odd', version);
    for (const node of [b, c]) expect(await node.store.stat(key)).toBeDefined(); // unclaimed
  });

  it('without placement the chain is the pushPeers random peers, each receiving once', async () => {
    cluster = await TestCluster.create(4, { config: { pushPeers: 3 } });
    const [a] = cluster.nodes;
    const opened = recordPushOpens(cluster.nodes);
    const info = await cluster.drive(
      a!.engine.put('random', new PassThrough().end('random chain')),
    );
    const others = cluster.nodes.slice(1);
    await cluster.until(() => others.every((n) => n.engine.describe('random')?.local === true));
    expect(opened.get(a!.id)).toHaveLength(1);
    const opens = [...opened.values()].reduce((sum, list) => sum + list.length, 0);
    expect(opens).toBe(3);
    for (const node of others) {
      expect(node.engine.stats()).toMatchObject({ pushesReceived: 1, bytesPushedIn: info.size });
    }
  });
});
