import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isStoreError, MAX_METADATA_BYTES, openStore, StoreError } from '../src/index.js';
import {
  bytes,
  chunked,
  collect,
  filesUnder,
  getBytes,
  readAll,
  rejection,
  sha256,
  tempDir,
  tempStore,
  expectBytes,
} from './helpers.js';

describe('put and get', () => {
  it('stores a Buffer and returns its size and sha256', async () => {
    const { store } = await tempStore();
    const body = bytes(1000);
    const entry = await store.put('a/b.txt', body);
    expect(entry).toMatchObject({ key: 'a/b.txt', size: 1000, sha256: sha256(body), metadata: {} });
    expect(typeof entry.created).toBe('number');
    expectBytes(await getBytes(store, 'a/b.txt'), body);
  });

  it('stores a string as UTF-8', async () => {
    const { store } = await tempStore();
    const entry = await store.put('greeting', 'héllo wörld ✓');
    expect(entry.size).toBe(Buffer.byteLength('héllo wörld ✓'));
    expect((await getBytes(store, 'greeting')).toString('utf8')).toBe('héllo wörld ✓');
  });

  it('stores a Readable and an async iterable of mixed chunks', async () => {
    const { store } = await tempStore();
    const body = bytes(300_000, 7);
    await store.put('stream', chunked(body, 4096));
    expectBytes(await getBytes(store, 'stream'), body);
    async function* mixed(): AsyncGenerator<Uint8Array | string> {
      yield new Uint8Array([1, 2, 3]);
      yield 'abc';
      yield Buffer.from([4]);
    }
    const entry = await store.put('iterable', mixed());
    expect(entry.size).toBe(7);
    expectBytes(await getBytes(store, 'iterable'), Buffer.from([1, 2, 3, 97, 98, 99, 4]));
  });

  it('stores an empty body', async () => {
    const { store } = await tempStore();
    const entry = await store.put('empty', Buffer.alloc(0));
    expect(entry.size).toBe(0);
    expect(entry.sha256).toBe(sha256(''));
    expectBytes(await getBytes(store, 'empty'), Buffer.alloc(0));
  });

  it('overwrites a key with the new value and metadata', async () => {
    const { store } = await tempStore();
    await store.put('k', 'one', { metadata: { version: 'v1' } });
    await store.put('k', 'two!', { metadata: { version: 'v2', n: 2, ok: true, none: null } });
    expect((await getBytes(store, 'k')).toString()).toBe('two!');
    expect(await store.stat('k')).toMatchObject({
      size: 4,
      metadata: { version: 'v2', n: 2, ok: true, none: null },
    });
  });

  it('exposes the entry of the version being streamed even if overwritten meanwhile', async () => {
    const { store } = await tempStore();
    await store.put('k', 'old value');
    const stream = await store.get('k');
    await store.put('k', 'new');
    expect(stream.entry.sha256).toBe(sha256('old value'));
    expect((await readAll(stream)).toString()).toBe('old value');
  });

  it('rejects get of a missing key with ERR_NOT_FOUND', async () => {
    const { store } = await tempStore();
    expect((await rejection(store.get('missing'))).code).toBe('ERR_NOT_FOUND');
  });

  it('refuses bodies of the wrong type', async () => {
    const { store } = await tempStore();
    const error = await rejection(store.put('k', 42 as unknown as string));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    async function* badChunks(): AsyncGenerator<unknown> {
      yield { not: 'bytes' };
    }
    const bad = await rejection(store.put('k', badChunks() as AsyncIterable<string>));
    expect(bad.code).toBe('ERR_INVALID_ARGUMENT');
    expect(await store.has('k')).toBe(false);
  });

  it('refuses bad options', async () => {
    const { store } = await tempStore();
    const cases = [
      { expectedSha256: 'ABC' },
      { expectedSize: -1 },
      { maxBytes: 1.5 },
      { metadata: { nested: { a: 1 } } as unknown as Record<string, string> },
      { metadata: { n: Number.NaN } },
      { metadata: { big: 'x'.repeat(MAX_METADATA_BYTES) } },
    ];
    for (const options of cases) {
      expect((await rejection(store.put('k', 'x', options))).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('has, stat, delete', () => {
  it('reports presence and absence', async () => {
    const { store } = await tempStore();
    expect(await store.has('k')).toBe(false);
    expect(await store.stat('k')).toBeUndefined();
    await store.put('k', 'v');
    expect(await store.has('k')).toBe(true);
    expect(await store.stat('k')).toMatchObject({ key: 'k', size: 1, sha256: sha256('v') });
  });

  it('deletes durably and reports whether there was anything', async () => {
    const { store, dir } = await tempStore();
    await store.put('k', 'v');
    expect(await store.delete('k')).toBe(true);
    expect(await store.delete('k')).toBe(false);
    expect(await store.has('k')).toBe(false);
    expect(await filesUnder(dir)).toEqual(['.dfs-store.json']);
  });

  it('deletes only when ifSha256 matches', async () => {
    const { store } = await tempStore();
    await store.put('k', 'v');
    const error = await rejection(store.delete('k', { ifSha256: sha256('other') }));
    expect(error.code).toBe('ERR_PRECONDITION');
    expect(await store.has('k')).toBe(true);
    expect(await store.delete('k', { ifSha256: sha256('v') })).toBe(true);
  });
});

describe('list', () => {
  it('yields entries in UTF-8 byte order, filtered by prefix', async () => {
    const { store } = await tempStore();
    const keys = ['b', 'a/2', 'a/10', 'é', 'z', 'a', '\u{1F600}', 'ab'];
    for (const key of keys) await store.put(key, key, { metadata: { key } });
    const listed = await collect(store.list());
    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(listed.map((e) => e.key)).toEqual(expected);
    expect(listed.every((e) => e.sha256 === sha256(e.key) && e.metadata.key === e.key)).toBe(true);
    const prefixed = await collect(store.list({ prefix: 'a/' }));
    expect(prefixed.map((e) => e.key)).toEqual(['a/10', 'a/2']);
    expect(await collect(store.list({ prefix: 'nothing' }))).toEqual([]);
  });

  it('lists an empty store as empty and refuses a non-string prefix', async () => {
    const { store } = await tempStore();
    expect(await collect(store.list())).toEqual([]);
    expect(() => store.list({ prefix: 3 as unknown as string })).toThrow(StoreError);
  });
});

describe('metadata', () => {
  it('setMetadata replaces metadata and keeps the body', async () => {
    const { store } = await tempStore();
    const body = bytes(70_000);
    await store.put('k', body, { metadata: { version: '1' } });
    const updated = await store.setMetadata('k', { version: '2' }, { ifSha256: sha256(body) });
    expect(updated.metadata).toEqual({ version: '2' });
    expect(await store.stat('k')).toMatchObject({ metadata: { version: '2' }, size: 70_000 });
    expectBytes(await getBytes(store, 'k'), body);
    await store.verify('k');
  });

  it('setMetadata fails on a missing key or a different sha256', async () => {
    const { store } = await tempStore();
    expect((await rejection(store.setMetadata('k', {}))).code).toBe('ERR_NOT_FOUND');
    await store.put('k', 'v', { metadata: { version: '1' } });
    const error = await rejection(
      store.setMetadata('k', { version: '2' }, { ifSha256: sha256('x') }),
    );
    expect(error.code).toBe('ERR_PRECONDITION');
    expect((await store.stat('k'))?.metadata).toEqual({ version: '1' });
  });
});

describe('open and close', () => {
  it('keeps entries across reopen and removes leftover temp files', async () => {
    const dir = await tempDir();
    const first = await openStore({ dir });
    await first.put('k', 'v');
    await first.close();
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(`${dir}/ab`, { recursive: true });
    await writeFile(`${dir}/ab/.tmp-0123456789abcdef`, 'torn');
    await writeFile(`${dir}/.tmp-feedfacefeedface`, 'torn');
    const second = await openStore({ dir });
    try {
      expect((await getBytes(second, 'k')).toString()).toBe('v');
      expect((await filesUnder(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('refuses to reopen a directory with another layout', async () => {
    const { goCompatibleLayout } = await import('../src/index.js');
    const dir = await tempDir();
    await (await openStore({ dir })).close();
    const error = await rejection(openStore({ dir, layout: goCompatibleLayout }));
    expect(error.code).toBe('ERR_LAYOUT_MISMATCH');
  });

  it('fails every call after close with ERR_CLOSED, and close is idempotent', async () => {
    const { store } = await tempStore();
    await store.put('k', 'v');
    await store.close();
    await store.close();
    for (const call of [
      store.has('k'),
      store.put('k', 'v'),
      store.stat('k'),
      store.get('k'),
      store.delete('k'),
      store.verify('k'),
      collect(store.list()),
    ]) {
      expect(isStoreError(await rejection(call), 'ERR_CLOSED')).toBe(true);
    }
  });

  it('close aborts an in-flight put and an open read stream', async () => {
    const { store, dir } = await tempStore();
    await store.put('big', bytes(1_000_000));
    const reading = await store.get('big');
    const readError = new Promise<StoreError>((resolve) => reading.once('error', resolve));
    const source = new Readable({ read() {} });
    source.push(bytes(10));
    const putting = rejection(store.put('stalled', source));
    await store.close();
    expect((await putting).code).toBe('ERR_CLOSED');
    expect(reading.destroyed).toBe(true);
    expect((await readError).code).toBe('ERR_CLOSED');
    expect((await filesUnder(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a missing dir', async () => {
    const error = await rejection(openStore({ dir: '' }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('self-healing', () => {
  it('recreates a shard directory removed while the store is open', async () => {
    const { rm } = await import('node:fs/promises');
    const { sha256Layout } = await import('../src/index.js');
    const { store, dir } = await tempStore();
    await store.put('k', 'one');
    await rm(`${dir}/${sha256Layout.pathFor('k').split('/')[0] ?? ''}`, { recursive: true });
    await store.put('k', 'two');
    expect((await getBytes(store, 'k')).toString()).toBe('two');
  });
});

describe('list ignores what is not a committed entry', () => {
  it('skips in-flight temp files and stray files', async () => {
    const { writeFile, mkdir } = await import('node:fs/promises');
    const { store, dir } = await tempStore();
    await store.put('done', 'v');
    await mkdir(`${dir}/zz`, { recursive: true });
    await writeFile(`${dir}/zz/not-an-entry`, 'stray bytes that have no footer');
    const controller = new AbortController();
    let pulled = 0;
    const source = new Readable({
      read() {
        pulled += 1;
        if (pulled === 1) this.push(bytes(1000));
      },
    });
    const putting = rejection(store.put('in-flight', source, { signal: controller.signal }));
    // Wait until the put has a temp file on disk (polled, not slept; bounded).
    for (let polls = 0; !(await filesUnder(dir)).some((f) => f.includes('.tmp-')); polls++) {
      expect(polls).toBeLessThan(10_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await collect(store.list())).map((e) => e.key)).toEqual(['done']);
    controller.abort();
    expect((await putting).code).toBe('ERR_ABORTED');
  });
});
