import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOLS, blobKey, isReplicationError } from '../src/index.js';
import { TestCluster, body, readText } from './cluster.js';
import type { TestNode } from './cluster.js';
import { holding } from './slots.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function flipFirstByte(node: TestNode, name: string): Promise<void> {
  const version = node.engine.describe(name)!.version;
  const path = join(node.store.dir, node.store.layout.pathFor(blobKey(name, version)));
  const data = await readFile(path);
  data.writeUInt8((data[0] ?? 0) ^ 0xff, 0);
  await writeFile(path, data);
}

const CONTENT = 'precious bytes '.repeat(100);

describe('replication: integrity', () => {
  it('the scrub finds a flipped byte on disk and repairs the copy from a healthy peer', async () => {
    cluster = await TestCluster.create(3);
    const [a, b] = cluster.nodes;
    await a!.engine.put('precious', body(CONTENT));
    await cluster.until(() =>
      cluster!.nodes.every((n) => n.engine.describe('precious')?.local === true),
    );
    await flipFirstByte(b!, 'precious');

    await cluster.drive(b!.engine.scrubNow());
    expect(b!.engine.stats().corruptDetected).toBe(1);
    await cluster.until(() => b!.engine.describe('precious')?.local === true);
    expect(await readText(b!.engine, 'precious')).toBe(CONTENT);
    await cluster.drive(b!.engine.scrubNow());
    expect(b!.engine.stats().corruptDetected).toBe(1);
  });

  it('a read of a corrupt copy fails instead of serving bad bytes, then the copy is repaired', async () => {
    cluster = await TestCluster.create(2);
    const [a, b] = cluster.nodes;
    await a!.engine.put('precious', body(CONTENT));
    await cluster.until(() => b!.engine.describe('precious')?.local === true);
    await flipFirstByte(b!, 'precious');

    const { stream } = await b!.engine.read('precious');
    await expect(text(stream)).rejects.toSatisfy(
      (e) => (e as { code?: string }).code === 'ERR_INTEGRITY',
    );
    await cluster.until(() => b!.engine.stats().corruptDetected === 1);
    await cluster.until(() => b!.engine.describe('precious')?.local === true);
    expect(await readText(b!.engine, 'precious')).toBe(CONTENT);
  });

  it('a read miss streams the body from a holder, verified, and keeps a copy', async () => {
    cluster = await TestCluster.create(2);
    const [a] = cluster.nodes;
    const info = await a!.engine.put('far/away', body(CONTENT));
    const late = await cluster.addNode();
    expect(late.engine.describe('far/away')).toBeUndefined();
    const { info: seen, stream } = await cluster.drive(late.engine.read('far/away'));
    expect(seen.sha256).toBe(info.sha256);
    expect(await cluster.drive(text(stream))).toBe(CONTENT);
    await cluster.until(() => late.engine.describe('far/away')?.local === true);
    expect(late.engine.stats().bytesPulled).toBe(info.size);
    // Ranges are served too (from the copy now kept locally).
    const ranged = await late.engine.read('far/away', { range: { start: 8, end: 12 } });
    expect(await text(ranged.stream)).toBe(CONTENT.slice(8, 13));
  });

  it('a read of a name no live node has is ERR_NOT_FOUND; a bad range is ERR_RANGE', async () => {
    cluster = await TestCluster.create(2);
    await cluster.nodes[0]!.engine.put('small', body('0123456789'));
    const reader = cluster.nodes[0]!.engine;
    await expect(cluster.drive(reader.read('nobody-has-this'))).rejects.toSatisfy((e) =>
      isReplicationError(e, 'ERR_NOT_FOUND'),
    );
    await expect(reader.read('small', { range: { start: 5, end: 10 } })).rejects.toSatisfy((e) =>
      isReplicationError(e, 'ERR_RANGE'),
    );
    await expect(reader.read('small', { range: { start: 6, end: 5 } })).rejects.toSatisfy((e) =>
      isReplicationError(e, 'ERR_RANGE'),
    );
    await expect(reader.put('/bad', body('x'))).rejects.toSatisfy((e) =>
      isReplicationError(e, 'ERR_INVALID_NAME'),
    );
  });

  it('an oversized put is refused with ERR_TOO_LARGE and leaves nothing', async () => {
    cluster = await TestCluster.create(1, { config: { maxFileBytes: 100 } });
    const engine = cluster.nodes[0]!.engine;
    await expect(engine.put('big', body('x'.repeat(101)))).rejects.toSatisfy((e) =>
      isReplicationError(e, 'ERR_TOO_LARGE'),
    );
    expect(engine.describe('big')).toBeUndefined();
    const stored: string[] = [];
    for await (const entry of cluster.nodes[0]!.store.list()) stored.push(entry.key);
    expect(stored).toEqual([]);
  });
});

describe('replication: bandwidth and hostile input', () => {
  it('duplicate announcements pull the body once', async () => {
    cluster = await TestCluster.create(2);
    const [a, b] = cluster.nodes;
    const spy = cluster.network.createTransport({ id: 'spy', address: 'mem-spy' });
    await spy.listen();
    const info = await a!.engine.put('once', body(CONTENT));
    const announcement = {
      entries: [
        {
          name: 'once',
          version: info.version,
          size: info.size,
          sha256: info.sha256,
          deleted: false,
          expiresAt: 0,
          holders: holding(a!.id),
        },
      ],
    };
    await Promise.all(
      Array.from({ length: 5 }, () => spy.send(b!.address, PROTOCOLS.announce, announcement)),
    );
    await cluster.until(() => b!.engine.describe('once')?.local === true);
    for (let i = 0; i < 5; i++) await spy.send(b!.address, PROTOCOLS.announce, announcement);
    await cluster.clock.advance(3_000);
    const stats = b!.engine.stats();
    expect(stats.transfersStarted).toBe(1);
    expect(stats.bytesPulled).toBe(info.size);
    expect(a!.engine.stats().bytesServed).toBe(info.size);
    // Both hold it now, and say who: the answering node first.
    await cluster.until(() => b!.engine.describe('once')?.holders === 2);
    expect((await b!.engine.stat('once'))?.holderIds).toEqual([b!.id, a!.id]);
    await spy.close();
  });

  it('a body being served counts as a serve in flight until its stream ends', async () => {
    cluster = await TestCluster.create(1);
    const [a] = cluster.nodes;
    const spy = cluster.network.createTransport({ id: 'spy', address: 'mem-spy' });
    await spy.listen();
    const info = await a!.engine.put('served', body('x'.repeat(4 * 1024 * 1024)));
    expect(a!.engine.stats().servesInFlight).toBe(0);
    // The spy opens a fetch and reads nothing: the serve stays open under backpressure.
    let stream: Duplex | undefined;
    void spy
      .openStream(a!.address, PROTOCOLS.fetch, { name: 'served', version: info.version })
      .then((opened) => {
        opened.on('error', () => undefined);
        stream = opened;
      });
    await cluster.until(() => stream !== undefined && a!.engine.stats().servesInFlight === 1);
    stream!.destroy();
    await cluster.until(() => a!.engine.stats().servesInFlight === 0);
    expect(a!.engine.stats().servesStarted).toBe(1);
    await spy.close();
  });

  it('malformed messages are counted and dropped without touching state', async () => {
    cluster = await TestCluster.create(1);
    const [a] = cluster.nodes;
    const spy = cluster.network.createTransport({ id: 'spy', address: 'mem-spy' });
    await spy.listen();
    const bad = [
      null,
      'hello',
      { entries: 'no' },
      { entries: [{ name: '../x', version: 'v', size: -1 }] },
      {
        entries: [
          {
            name: 'ok',
            version: '000000000001.00000000.x',
            size: 1,
            sha256: 'zz',
            deleted: false,
            expiresAt: 0,
            holders: [],
          },
        ],
      },
    ];
    for (const message of bad) await spy.send(a!.address, PROTOCOLS.announce, message);
    await cluster.clock.advance(10);
    expect(a!.engine.stats().invalidMessages).toBe(bad.length);
    expect(a!.engine.stats().indexEntries).toBe(0);
    await expect(
      cluster.drive(spy.request(a!.address, PROTOCOLS.lookup, { name: '' })),
    ).rejects.toBeDefined();
    const stream = await cluster.drive(
      spy.openStream(a!.address, PROTOCOLS.fetch, { nope: 1 }).then((s) => {
        s.on('error', () => undefined);
        return s;
      }),
    );
    stream.resume();
    await cluster.until(() => stream.destroyed);
    await spy.close();
  });

  it('stop() aborts a running transfer cleanly and leaves no partial body', async () => {
    cluster = await TestCluster.create(2);
    const [a, b] = cluster.nodes;
    cluster.network.setLink(a!.address, b!.address, { bandwidthBytesPerSec: 1_000 });
    await a!.engine.put('slow', body('y'.repeat(20_000)));
    await cluster.until(() => b!.engine.stats().activeTransfers === 1);
    await cluster.clock.advance(2_000);
    await cluster.drive(b!.engine.stop());
    expect(b!.engine.stats().activeTransfers).toBe(0);
    b!.up = false;
    const stored: string[] = [];
    for await (const entry of b!.store.list()) stored.push(entry.key);
    expect(stored).toEqual([]);
    await b!.store.close();
  });
});
