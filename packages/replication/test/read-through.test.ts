import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { errorCode } from '../src/errors.js';
import { TestCluster, body, readText } from './cluster.js';
import type { TestNode } from './cluster.js';
import { hijackFetch } from './hostile-holder.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const CONTENT = 'read through a peer '.repeat(5_000); // 100 kB: several stream chunks

interface Consumed {
  bytes: number;
  text: string;
  /** Undefined when the stream ended cleanly. */
  error: unknown;
}

/** Reads `stream` to its end or its error, keeping what arrived. */
async function consume(stream: Readable): Promise<Consumed> {
  const chunks: Buffer[] = [];
  let error: unknown;
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (caught) {
    error = caught;
  }
  const all = Buffer.concat(chunks);
  return { bytes: all.length, text: all.toString(), error };
}

/** Reads `name` on `node` while advancing virtual time; any failure is returned, not thrown. */
async function readThrough(node: TestNode, name: string, withinMs: number): Promise<Consumed> {
  return cluster!.drive(
    node.engine.read(name).then(
      ({ stream }) => consume(stream),
      (error: unknown) => ({ bytes: 0, text: '', error }),
    ),
    withinMs,
  );
}

describe('replication: read-through is verified before it completes', () => {
  it('a holder serving wrong bytes of the right length never gives the reader a clean, complete body', async () => {
    cluster = await TestCluster.create(2);
    const [holder, reader] = cluster.nodes;
    hijackFetch(holder!, { kind: 'wrong-bytes', size: CONTENT.length });
    await holder!.engine.put('forged', body(CONTENT));
    // The background pull fails the sha256 check; the read below then pulls with a reader teed.
    await cluster.until(
      () =>
        reader!.engine.stats().integrityFailures >= 1 &&
        reader!.engine.stats().activeTransfers === 0,
    );

    const seen = await readThrough(reader!, 'forged', 10_000);
    expect(errorCode(seen.error)).toBe('ERR_INTEGRITY');
    // The tail is held back until the sha256 matched: a plain HTTP client gets a short body.
    expect(seen.bytes).toBeLessThan(CONTENT.length);
    expect(reader!.engine.describe('forged')?.local).toBe(false);
  });

  it('a ranged read through a peer serves exactly the range, and never the whole range of wrong bytes', async () => {
    cluster = await TestCluster.create(2);
    const [holder, reader] = cluster.nodes;
    await holder!.engine.put('plain', body(CONTENT));
    const late = await cluster.addNode();
    const ranged = await cluster.drive(
      late.engine
        .read('plain', { range: { start: 70_000, end: 70_099 } })
        .then(({ stream }) => consume(stream)),
    );
    expect(ranged.error).toBeUndefined();
    expect(ranged.text).toBe(CONTENT.slice(70_000, 70_100));

    hijackFetch(holder!, { kind: 'wrong-bytes', size: CONTENT.length });
    await holder!.engine.put('forged', body(CONTENT));
    await cluster.until(
      () =>
        reader!.engine.stats().integrityFailures >= 1 &&
        reader!.engine.stats().activeTransfers === 0,
    );
    const forged = await cluster.drive(
      reader!.engine
        .read('forged', { range: { start: 10, end: 30 } })
        .then(({ stream }) => consume(stream)),
    );
    expect(errorCode(forged.error)).toBe('ERR_INTEGRITY');
    expect(forged.bytes).toBeLessThan(21);
  });

  it('a holder that fails before sending data is skipped for the next one, before the reader gets a stream', async () => {
    for (const kind of ['silent', 'reset', 'empty'] as const) {
      cluster = await TestCluster.create(2, {
        config: { pullOpenTimeoutMs: 1_000, pullIdleTimeoutMs: 2_000 },
      });
      const [good, bad] = cluster.nodes;
      const names = ['one', 'two', 'three', 'four'];
      for (const name of names) await good!.engine.put(name, body(`${name}:${CONTENT}`));
      await cluster.until(() => names.every((n) => bad!.engine.describe(n)?.local === true));
      const hostile = hijackFetch(bad!, { kind });
      const reader = await cluster.addNode();
      for (const name of names) {
        // Open deadline + one good holder + slack: never the 30 s transport default, never forever.
        const seen = await readThrough(reader, name, 1_000 + 1_500);
        expect(seen.error, `${kind} holder, ${name}`).toBeUndefined();
        expect(seen.text).toBe(`${name}:${CONTENT}`);
      }
      expect(hostile.opened(), `${kind} holder was never tried`).toBeGreaterThan(0);
      await cluster.close();
      cluster = undefined;
    }
  });
});

describe('replication: pull deadlines', () => {
  it('a holder that stalls mid-body fails the read and the pull within the idle timeout; a healthy holder serves it later', async () => {
    const config = { pullOpenTimeoutMs: 1_000, pullIdleTimeoutMs: 2_000 };
    cluster = await TestCluster.create(2, { config });
    const [good, staller] = cluster.nodes;
    await good!.engine.put('big', body(CONTENT));
    await cluster.until(() => staller!.engine.describe('big')?.local === true);
    hijackFetch(staller!, { kind: 'stall-after', bytes: 4_096 });
    const reader = await cluster.addNode();
    // The good holder is unreachable from the reader (an open never answers); the other stalls.
    cluster.network.partition([reader.address], [good!.address]);

    const bound = 500 /* lookup */ + config.pullOpenTimeoutMs + config.pullIdleTimeoutMs + 1_000;
    const seen = await readThrough(reader, 'big', bound);
    expect(errorCode(seen.error)).toBe('ERR_TIMEOUT');
    expect(seen.bytes).toBeLessThan(CONTENT.length);
    await cluster.until(() => reader.engine.stats().activeTransfers === 0, bound);
    expect(reader.engine.stats().transferTimeouts).toBeGreaterThanOrEqual(1);

    // The stalled peer goes away and the partition heals: the retry (pullMissing) finds the body.
    await cluster.stopNode(staller!);
    cluster.network.heal();
    await cluster.until(() => reader.engine.describe('big')?.local === true, 10_000);
    expect(await readText(reader.engine, 'big')).toBe(CONTENT);
  });
});
