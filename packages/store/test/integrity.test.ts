import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sha256Layout, type Store, type StoreError } from '../src/index.js';
import { toStoreError } from '../src/errors.js';
import {
  bytes,
  chunked,
  collect,
  filesUnder,
  getBytes,
  readAll,
  rejection,
  sha256,
  tempStore,
} from './helpers.js';

async function flipByte(path: string, position: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, position);
    one[0] = (one[0] ?? 0) ^ 0xff;
    await handle.write(one, 0, 1, position);
  } finally {
    await handle.close();
  }
}

async function onlyMarker(dir: string): Promise<void> {
  expect(await filesUnder(dir)).toEqual(['.dfs-store.json']);
}

/** Collects what a stream delivered before it failed, and the failure. */
async function drain(store: Store, key: string): Promise<{ got: Buffer; error?: StoreError }> {
  const stream = await store.get(key);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { got: Buffer.concat(chunks) };
  } catch (error) {
    return { got: Buffer.concat(chunks), error: error as StoreError };
  }
}

describe('corruption', () => {
  it('get fails with ERR_INTEGRITY before delivering the whole of a corrupt body', async () => {
    const { store, dir } = await tempStore();
    const body = bytes(1_000_000);
    await store.put('k', body);
    await flipByte(join(dir, sha256Layout.pathFor('k')), 10);
    const { got, error } = await drain(store, 'k');
    expect(error?.code).toBe('ERR_INTEGRITY');
    expect(got.length).toBeLessThan(body.length);
    expect((await rejection(store.verify('k'))).code).toBe('ERR_INTEGRITY');
  });

  it('verify: false skips the check: every byte as stored arrives, ranges included', async () => {
    const { store, dir } = await tempStore();
    const body = bytes(1_000_000);
    await store.put('k', body);
    const same = (a: Buffer, b: Buffer): boolean => a.equals(b);
    expect(same(await getBytes(store, 'k', { verify: false }), body)).toBe(true);
    await flipByte(join(dir, sha256Layout.pathFor('k')), 10);
    const damaged = Buffer.from(body);
    damaged[10] = (damaged[10] ?? 0) ^ 0xff;
    expect(same(await getBytes(store, 'k', { verify: false }), damaged)).toBe(true);
    const range = { start: 5, end: 300_000 };
    const ranged = await getBytes(store, 'k', { verify: false, range });
    expect(same(ranged, damaged.subarray(5, 300_001))).toBe(true);
    expect((await drain(store, 'k')).error?.code).toBe('ERR_INTEGRITY');
  });

  it('a range read of a corrupt body fails too, even when the range itself is intact', async () => {
    const { store, dir } = await tempStore();
    await store.put('k', bytes(1000));
    await flipByte(join(dir, sha256Layout.pathFor('k')), 999);
    const stream = await store.get('k', { range: { start: 0, end: 9 } });
    expect((await rejection(readAll(stream))).code).toBe('ERR_INTEGRITY');
  });

  it('a damaged trailer is ERR_INTEGRITY for stat and get, is skipped by list, and can be deleted', async () => {
    const { store, dir } = await tempStore();
    await store.put('k', 'value');
    await store.put('other', 'fine');
    const path = join(dir, sha256Layout.pathFor('k'));
    await flipByte(path, 7); // inside the metadata JSON
    expect((await rejection(store.stat('k'))).code).toBe('ERR_INTEGRITY');
    expect((await rejection(store.get('k'))).code).toBe('ERR_INTEGRITY');
    expect((await collect(store.list())).map((e) => e.key)).toEqual(['other']);
    expect(await store.delete('k')).toBe(true);
    await store.put('k', 'repaired');
    expect((await getBytes(store, 'k')).toString()).toBe('repaired');
  });

  it('a truncated entry file is ERR_INTEGRITY', async () => {
    const { store, dir } = await tempStore();
    await store.put('k', bytes(5000));
    const path = join(dir, sha256Layout.pathFor('k'));
    const handle = await open(path, 'r+');
    await handle.truncate((await stat(path)).size - 3);
    await handle.close();
    expect((await rejection(store.verify('k'))).code).toBe('ERR_INTEGRITY');
  });

  it('verify resolves to the entry of an intact body, ERR_NOT_FOUND for a missing one', async () => {
    const { store } = await tempStore();
    const entry = await store.put('k', bytes(300_000));
    expect(await store.verify('k')).toEqual(entry);
    expect((await rejection(store.verify('nope'))).code).toBe('ERR_NOT_FOUND');
  });
});

describe('expected size, sha256 and limits', () => {
  it('accepts a body matching expectedSha256 and expectedSize', async () => {
    const { store } = await tempStore();
    const body = bytes(10_000);
    const entry = await store.put('k', chunked(body, 1000), {
      expectedSha256: sha256(body),
      expectedSize: body.length,
    });
    expect(entry.sha256).toBe(sha256(body));
  });

  it('a sha256 mismatch fails with ERR_INTEGRITY and leaves nothing (and keeps the old value)', async () => {
    const { store, dir } = await tempStore();
    const error = await rejection(store.put('k', 'abc', { expectedSha256: sha256('abd') }));
    expect(error.code).toBe('ERR_INTEGRITY');
    await onlyMarker(dir);
    await store.put('k', 'old');
    await rejection(store.put('k', 'abc', { expectedSha256: sha256('abd') }));
    expect((await getBytes(store, 'k')).toString()).toBe('old');
  });

  it('a size mismatch fails with ERR_INTEGRITY, shorter or longer', async () => {
    const { store, dir } = await tempStore();
    expect((await rejection(store.put('k', 'abc', { expectedSize: 4 }))).code).toBe(
      'ERR_INTEGRITY',
    );
    expect((await rejection(store.put('k', 'abcde', { expectedSize: 4 }))).code).toBe(
      'ERR_INTEGRITY',
    );
    await onlyMarker(dir);
  });

  it('maxBytes stops a long stream with ERR_TOO_LARGE without reading it all', async () => {
    const { store, dir } = await tempStore();
    let produced = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        produced += 1024;
        yield Buffer.alloc(1024);
      }
    }
    const error = await rejection(store.put('k', endless(), { maxBytes: 10_000 }));
    expect(error.code).toBe('ERR_TOO_LARGE');
    expect(produced).toBeLessThanOrEqual(11 * 1024);
    expect((await rejection(store.put('k', 'abc', { maxBytes: 2 }))).code).toBe('ERR_TOO_LARGE');
    expect((await store.put('k', 'ab', { maxBytes: 2 })).size).toBe(2);
    expect((await filesUnder(dir)).length).toBe(2);
  });

  it('a failing source fails the put with its error and leaves nothing', async () => {
    const { store, dir } = await tempStore();
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(100);
      throw new Error('source broke');
    }
    const error = await rejection(store.put('k', failing()));
    expect(error.code).toBe('ERR_IO');
    expect(error.message).toContain('source broke');
    await onlyMarker(dir);
  });
});

describe('abort', () => {
  it('an abort mid-stream rejects with ERR_ABORTED and leaves nothing', async () => {
    const { store, dir } = await tempStore();
    const controller = new AbortController();
    let reads = 0;
    const source = new Readable({
      read() {
        reads += 1;
        if (reads <= 3) this.push(bytes(64 * 1024, reads));
        // then stall: the producer never ends, only the abort can finish the put
        else if (reads === 4) controller.abort();
      },
    });
    const error = await rejection(store.put('k', source, { signal: controller.signal }));
    expect(error.code).toBe('ERR_ABORTED');
    expect(source.destroyed).toBe(true);
    expect(await store.has('k')).toBe(false);
    await onlyMarker(dir);
  });

  it('an already aborted signal fails every call with ERR_ABORTED', async () => {
    const { store } = await tempStore();
    await store.put('k', 'v');
    const signal = AbortSignal.abort();
    const calls = [
      store.put('k', 'new', { signal }),
      store.get('k', { signal }),
      store.stat('k', { signal }),
      store.has('k', { signal }),
      store.delete('k', { signal }),
      store.verify('k', { signal }),
      collect(store.list({ signal })),
    ];
    for (const call of calls) expect((await rejection(call)).code).toBe('ERR_ABORTED');
    expect((await getBytes(store, 'k')).toString()).toBe('v');
  });

  it('aborting a read stream destroys it with ERR_ABORTED', async () => {
    const { store } = await tempStore();
    await store.put('k', bytes(2_000_000));
    const controller = new AbortController();
    const stream = await store.get('k', { signal: controller.signal });
    const failed = new Promise<StoreError>((resolve) => stream.once('error', resolve));
    stream.once('data', () => controller.abort());
    stream.resume();
    expect((await failed).code).toBe('ERR_ABORTED');
  });
});

describe('error mapping', () => {
  it('maps ENOSPC and EDQUOT to ERR_NO_SPACE and keeps the cause', () => {
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const cause = Object.assign(new Error('write failed'), { code });
      const error = toStoreError(cause, 'put');
      expect(error.code).toBe('ERR_NO_SPACE');
      expect(error.cause).toBe(cause);
    }
    expect(toStoreError(Object.assign(new Error('x'), { code: 'EACCES' }), 'put').code).toBe(
      'ERR_IO',
    );
  });
});
