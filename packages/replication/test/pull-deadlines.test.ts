import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { errorCode } from '../src/errors.js';
import { TestCluster, body, readText } from './cluster.js';
import { hijackFetch } from './hostile-holder.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const CONTENT = 'deadlines for every pull '.repeat(4_000); // 100 kB
const DEADLINES = { pullOpenTimeoutMs: 1_000, pullIdleTimeoutMs: 2_000 };

/** Settles with the stream's text or its error code, never throws. */
async function outcome(read: Promise<{ stream: Readable }>): Promise<string> {
  try {
    return await text((await read).stream);
  } catch (error) {
    return `error:${errorCode(error)}`;
  }
}

describe('replication: a stuck transfer never blocks a version', () => {
  it('a reader that finds the pull of its version stalled mid-body is served by another holder', async () => {
    cluster = await TestCluster.create(3, { config: DEADLINES });
    const [origin, staller, good] = cluster.nodes;
    await origin!.engine.put('big', body(CONTENT));
    await cluster.until(() =>
      [staller, good].every((n) => n!.engine.describe('big')?.local === true),
    );
    await cluster.stopNode(origin!);
    hijackFetch(staller!, { kind: 'stall-after', bytes: 4_096 });
    const reader = await cluster.addNode();
    // While `good` is out of reach the reader's background pull can only get stuck on `staller`.
    cluster.network.partition([reader.address], [good!.address]);
    await cluster.drive(reader.engine.syncWith({ id: staller!.id, address: staller!.address }));
    await cluster.until(() => reader.engine.stats().bytesPulled >= 4_096, 5_000);
    cluster.network.heal();

    const started = cluster.clock.now();
    const read = await cluster.drive(
      outcome(reader.engine.read('big')),
      DEADLINES.pullOpenTimeoutMs + 1_000,
    );
    expect(read).toBe(CONTENT);
    expect(cluster.clock.now() - started).toBeLessThan(DEADLINES.pullOpenTimeoutMs + 1_000);
    // The stuck pull gives up on the staller and the next try (another holder) keeps a copy.
    await cluster.until(() => reader.engine.describe('big')?.local === true, 10_000);
    expect(reader.engine.stats().transferTimeouts).toBeGreaterThanOrEqual(1);
  });

  it('after a holder missed its deadline, later pulls ask the other holders first', async () => {
    // One pull at a time, so each pull sees what the ones before it learned.
    cluster = await TestCluster.create(3, { config: { ...DEADLINES, transferConcurrency: 1 } });
    const [origin, staller, good] = cluster.nodes;
    const names = Array.from({ length: 12 }, (_, i) => `file-${i}`);
    for (const name of names) await origin!.engine.put(name, body(`${name}${CONTENT}`));
    await cluster.until(() =>
      names.every((n) => [staller, good].every((node) => node!.engine.describe(n)?.local)),
    );
    await cluster.stopNode(origin!);
    hijackFetch(staller!, { kind: 'silent' });
    const reader = await cluster.addNode();
    await cluster.drive(reader.engine.syncWith({ id: good!.id, address: good!.address }));
    await cluster.until(
      () => names.every((n) => reader.engine.describe(n)?.local === true),
      DEADLINES.pullOpenTimeoutMs + 3_000,
    );
    // Only the first miss costs a deadline; every pull after it asks `good` first.
    expect(reader.engine.stats().transferTimeouts).toBe(1);
  });

  it('a reader that takes no bytes is cut off after the idle timeout and the pull still keeps its copy', async () => {
    cluster = await TestCluster.create(1, { config: DEADLINES });
    const big = 'z'.repeat(2 * 1024 * 1024);
    await cluster.nodes[0]!.engine.put('large', body(big));
    const reader = await cluster.addNode();
    const { stream } = await cluster.drive(reader.engine.read('large'));
    const failed = new Promise<string | undefined>((resolve) => {
      stream.on('error', (error) => resolve(errorCode(error)));
    });
    // Nobody reads `stream`: backpressure stops the pull until the reader is cut off.
    await cluster.until(
      () => reader.engine.describe('large')?.local === true,
      DEADLINES.pullIdleTimeoutMs * 2 + 1_000,
    );
    expect(await failed).toBe('ERR_TIMEOUT');
    expect(await readText(reader.engine, 'large')).toBe(big);
  });
});

describe('replication: readers when the node stops', () => {
  it('a reader waiting for a holder and a reader mid-stream both fail promptly on stop()', async () => {
    cluster = await TestCluster.create(2, {
      config: { pullOpenTimeoutMs: 60_000, pullIdleTimeoutMs: 60_000 },
    });
    const [holder] = cluster.nodes;
    await holder!.engine.put('waiting', body(CONTENT));
    await holder!.engine.put('streaming', body(CONTENT));
    const reader = await cluster.addNode();
    hijackFetch(holder!, { kind: 'stall-after', bytes: 1_000 });
    const midStream = await cluster.drive(reader.engine.read('streaming'));
    const midStreamText = outcome(Promise.resolve(midStream));
    hijackFetch(holder!, { kind: 'silent' });
    const waiting = outcome(reader.engine.read('waiting'));
    await cluster.until(() => reader.engine.stats().activeTransfers === 2);

    await cluster.drive(reader.engine.stop());
    reader.up = false;
    expect(await waiting).toMatch(/^error:ERR_(UNAVAILABLE|ABORTED)$/);
    expect(await midStreamText).toMatch(/^error:/);
    expect(reader.engine.stats().activeTransfers).toBe(0);
    await reader.store.close();
  });
});
