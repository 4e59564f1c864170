import { PassThrough, Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOLS, blobKey, isReplicationError } from '../src/index.js';
import { TestCluster, body, readText } from './cluster.js';
import { holding } from './slots.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Attach an error listener in the same tick the stream is handed over (resets may follow). */
const quiet = (stream: Duplex): Duplex => stream.on('error', () => undefined);

const CONTENT = 'streamed while uploading '.repeat(400);

describe('replication: push during upload', () => {
  it('peers receive the body during the upload and never pull it afterwards', async () => {
    cluster = await TestCluster.create(3, { config: { pushPeers: 2, fanout: 2 } });
    const [a, b, c] = cluster.nodes;
    const info = await cluster.drive(a!.engine.put('pushed', body(CONTENT)));
    await cluster.until(() => [b, c].every((n) => n!.engine.describe('pushed')?.local === true));
    for (const node of [b!, c!]) {
      const stats = node.engine.stats();
      expect(stats.pushesReceived).toBe(1);
      expect(stats.bytesPushedIn).toBe(info.size);
      expect(stats.bytesPulled).toBe(0);
      expect(stats.transfersAvoided).toBe(1);
      expect(await readText(node.engine, 'pushed')).toBe(CONTENT);
    }
    expect(a!.engine.stats().bytesServed).toBe(0);
    await cluster.until(() => a!.engine.describe('pushed')?.holders === 3);
  });

  it('an upload that fails midway leaves nothing on the peers it was pushed to', async () => {
    cluster = await TestCluster.create(3, { config: { pushPeers: 2 } });
    const [a, b, c] = cluster.nodes;
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('x'.repeat(5000));
      throw Object.assign(new Error('client went away'), { code: 'ECONNRESET' });
    }
    await expect(
      cluster.drive(a!.engine.put('broken', Readable.from(failing()))),
    ).rejects.toThrow();
    await cluster.clock.advance(3_000);
    for (const node of cluster.nodes) {
      expect(node.engine.describe('broken')).toBeUndefined();
      const stored: string[] = [];
      for await (const entry of node.store.list()) stored.push(entry.key);
      expect(stored).toEqual([]);
    }
    expect(b!.engine.stats().pushesReceived + c!.engine.stats().pushesReceived).toBe(2);
  });

  it('an upload that fails while the pushes are still opening is refused without an uncaught error', async () => {
    cluster = await TestCluster.create(2, { config: { pushPeers: 1 } });
    const upload = new PassThrough();
    const put = cluster.nodes[0]!.engine.put('early-abort', upload);
    upload.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    await expect(cluster.drive(put)).rejects.toThrow();
    expect(cluster.nodes[0]!.engine.describe('early-abort')).toBeUndefined();
  });

  it('an oversized upload is refused on the origin and dropped by the peers', async () => {
    cluster = await TestCluster.create(2, { config: { pushPeers: 1, maxFileBytes: 1000 } });
    const [a, b] = cluster.nodes;
    await expect(cluster.drive(a!.engine.put('big', body('y'.repeat(5000))))).rejects.toSatisfy(
      (e) => isReplicationError(e, 'ERR_TOO_LARGE'),
    );
    await cluster.clock.advance(1_000);
    const stored: string[] = [];
    for await (const entry of b!.store.list()) stored.push(entry.key);
    expect(stored).toEqual([]);
  });

  it('a pushed body whose hash does not match the announced entry is deleted, not kept', async () => {
    cluster = await TestCluster.create(2, { config: { pushPeers: 0 } });
    const [a, b] = cluster.nodes;
    const info = await a!.engine.put('honest', body('the real bytes'));
    const version = info.version.replace(/\.[^.]*$/, `.${a!.id}`);
    const push = await cluster.drive(
      a!.transport.openStream(b!.address, PROTOCOLS.push, { name: 'forged', version }).then(quiet),
    );
    push.resume();
    push.end('not the announced bytes');
    const key = blobKey('forged', version);
    await cluster.until(
      () => b!.engine.stats().pushesReceived === 1 && b!.engine.stats().activeTransfers === 0,
    );
    expect(await b!.store.stat(key)).toBeDefined(); // kept until the entry is known
    await a!.transport.send(b!.address, PROTOCOLS.announce, {
      entries: [
        {
          name: 'forged',
          version,
          size: info.size,
          sha256: info.sha256,
          deleted: false,
          expiresAt: 0,
          holders: holding(a!.id),
        },
      ],
    });
    await cluster.until(() => b!.engine.stats().transfersFailed >= 1);
    expect(await b!.store.stat(key)).toBeUndefined();
    expect(b!.engine.describe('forged')?.local).toBe(false);
    expect(b!.engine.stats().transfersAvoided).toBe(0);
  });

  it('a push that stalls is abandoned after the idle timeout and leaves nothing', async () => {
    cluster = await TestCluster.create(2, { config: { pushPeers: 0, pushIdleTimeoutMs: 2_000 } });
    const [a, b] = cluster.nodes;
    const version = `000000000001.00000000.${a!.id}`;
    const push = await cluster.drive(
      a!.transport.openStream(b!.address, PROTOCOLS.push, { name: 'stall', version }).then(quiet),
    );
    push.write('a few bytes, then nothing');
    await cluster.until(() => b!.engine.stats().bytesPushedIn > 0);
    expect(b!.engine.stats().activeTransfers).toBe(1);
    await cluster.clock.advance(2_500);
    await cluster.until(() => b!.engine.stats().activeTransfers === 0);
    expect(await b!.store.stat(blobKey('stall', version))).toBeUndefined();
  });

  it('a push reset by its origin right after opening is dropped without an uncaught error', async () => {
    cluster = await TestCluster.create(2, { config: { pushPeers: 0 } });
    const [a, b] = cluster.nodes;
    for (let i = 0; i < 5; i++) {
      const version = `00000000000${i + 1}.00000000.${a!.id}`;
      const push = await cluster.drive(
        a!.transport
          .openStream(b!.address, PROTOCOLS.push, { name: `reset-${i}`, version })
          .then(quiet),
      );
      push.write('some bytes');
      push.destroy(new Error('origin gave up'));
    }
    await cluster.until(
      () => b!.engine.stats().pushesReceived === 5 && b!.engine.stats().activeTransfers === 0,
    );
    const stored: string[] = [];
    for await (const entry of b!.store.list()) stored.push(entry.key);
    expect(stored).toEqual([]);
  });

  it('a push whose opener gave up before the accept arrived frees its slot and leaves nothing', async () => {
    // Found by the partial-replication sim: the accepting end is closed without an error, so the
    // receiver saw neither an end nor an error and held the version's transfer slot for good —
    // the target never pulled the body and the origin's surplus copy was never dropped.
    cluster = await TestCluster.create(2, {
      config: { pushPeers: 0, pushIdleTimeoutMs: 2_000 },
      latencyMs: 10,
    });
    const [a, b] = cluster.nodes;
    const version = `000000000001.00000000.${a!.id}`;
    const open = a!.transport.openStream(
      b!.address,
      PROTOCOLS.push,
      { name: 'late-accept', version },
      { timeoutMs: 15 },
    );
    await expect(cluster.drive(open)).rejects.toThrow();
    await cluster.until(() => b!.engine.stats().pushesReceived === 1);
    // Well past the idle timeout, which cannot help: destroying a destroyed stream emits nothing.
    await cluster.until(() => b!.engine.stats().activeTransfers === 0, 5_000);
    expect(await b!.store.stat(blobKey('late-accept', version))).toBeUndefined();
  });

  it("a push that does not come from the version's own node is refused", async () => {
    cluster = await TestCluster.create(2, { config: { pushPeers: 0 } });
    const [a, b] = cluster.nodes;
    const push = await cluster.drive(
      a!.transport
        .openStream(b!.address, PROTOCOLS.push, {
          name: 'x',
          version: '000000000001.00000000.someone-else',
        })
        .then(quiet),
    );
    push.resume();
    await cluster.until(() => push.destroyed);
    expect(b!.engine.stats().invalidMessages).toBe(1);
    expect(b!.engine.stats().pushesReceived).toBe(0);
  });
});
