/**
 * The writer reads and hashes on while a write is in flight and sends what piled up in the next
 * write (write-entry.ts). Whatever the chunking and timing, the file must hold exactly the body's
 * bytes in order, and a put that fails part-way must leave nothing.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../src/index.js';
import {
  bytes,
  expectBytes,
  filesUnder,
  getBytes,
  rejection,
  sha256,
  tempStore,
} from './helpers.js';

/** `body` cut at `cuts`, yielding to the event loop after some chunks so writes overlap reads. */
async function* cutInto(body: Buffer, cuts: number[], pauses: boolean[]): AsyncGenerator<Buffer> {
  let start = 0;
  const ends = [...new Set(cuts.map((c) => c % body.length))].sort((a, b) => a - b);
  for (const [i, end] of [...ends, body.length].entries()) {
    if (end <= start) continue;
    yield body.subarray(start, end);
    start = end;
    if (pauses[i % Math.max(1, pauses.length)] === true) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

describe('write batching', () => {
  it('stores every byte in order whatever the chunk sizes and timing (property)', async () => {
    const { store } = await tempStore();
    const body = bytes(3 * 1024 * 1024 + 17);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(body.length), { maxLength: 40 }),
        fc.array(fc.boolean(), { maxLength: 8 }),
        async (cuts, pauses) => {
          const entry = await store.put('k', cutInto(body, cuts, pauses));
          expect(entry.size).toBe(body.length);
          expect(entry.sha256).toBe(sha256(body));
          expectBytes(await getBytes(store, 'k'), body);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('a body that fails after several MiB were written leaves nothing behind', async () => {
    const { store, dir } = await tempStore();
    async function* failing(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 40; i++) {
        yield bytes(128 * 1024);
        if (i % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      throw new Error('upload cut off');
    }
    const error = await rejection(store.put('k', failing()));
    expect(error).toBeInstanceOf(StoreError);
    expect(await store.has('k')).toBe(false);
    expect((await filesUnder(dir)).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('stores a Readable that was paused before the put, every chunk in order', async () => {
    const { store } = await tempStore();
    const body = bytes(2 * 1024 * 1024 + 5);
    const source = new PassThrough();
    source.pause();
    const putting = store.put('k', source);
    for (let at = 0; at < body.length; at += 64 * 1024) {
      if (!source.write(body.subarray(at, at + 64 * 1024))) {
        await new Promise((resolve) => source.once('drain', resolve));
      }
    }
    source.end();
    const entry = await putting;
    expect(entry.sha256).toBe(sha256(body));
    expectBytes(await getBytes(store, 'k'), body);
  });

  it('a Readable source is paused, not drained into memory, while the writer is behind', async () => {
    const { store } = await tempStore();
    const source = new PassThrough({ highWaterMark: 64 * 1024 });
    const putting = store.put('k', source);
    // Write without waiting for the store: the source must push back (write() false) well before
    // the whole body is buffered anywhere, since the store stops taking chunks past its bound.
    let written = 0;
    while (source.write(bytes(64 * 1024, written + 1))) {
      written += 64 * 1024;
      expect(written).toBeLessThan(64 * 1024 * 1024);
      if (written % (1024 * 1024) === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    source.end();
    expect((await putting).size).toBe(written + 64 * 1024);
  });
});
