import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { goCompatibleLayout, MAX_KEY_BYTES, sha256Layout, type PathLayout } from '../src/index.js';
import { collect, filesUnder, getBytes, rejection, tempDir, tempStore } from './helpers.js';

describe('keys', () => {
  it('stores hostile keys inside the store directory, each under its own entry', async () => {
    // The store lives one level below a fresh directory, so anything escaping it would show there.
    const parentDir = await tempDir();
    const { store, dir } = await tempStore({ dir: `${parentDir}/store` });
    const keys = [
      '../x',
      '../../etc/passwd',
      '/absolute',
      'a\u0000b',
      'with\nnewline',
      '.',
      '..',
      'k'.repeat(10_000),
      '\u{1F4A9}/ünïcödé/日本語',
      'caf\u00e9', // NFC
      'cafe\u0301', // NFD: the same text in another normalisation is another key
    ];
    for (const [i, key] of keys.entries()) await store.put(key, `value ${i}`);
    for (const [i, key] of keys.entries()) {
      expect((await getBytes(store, key)).toString()).toBe(`value ${i}`);
    }
    expect((await collect(store.list())).length).toBe(keys.length);
    // Nothing escaped: the parent holds only the store directory.
    expect(await readdir(parentDir)).toEqual(['store']);
    expect((await filesUnder(dir)).length).toBe(keys.length + 1);
  });

  it('refuses empty, non-string, lone-surrogate and oversized keys with ERR_INVALID_KEY', async () => {
    const { store } = await tempStore();
    const bad: unknown[] = ['', 42, undefined, 'a\ud800b', 'x'.repeat(MAX_KEY_BYTES + 1)];
    for (const key of bad) {
      expect((await rejection(store.put(key as string, 'v'))).code).toBe('ERR_INVALID_KEY');
      expect((await rejection(store.get(key as string))).code).toBe('ERR_INVALID_KEY');
      expect((await rejection(store.stat(key as string))).code).toBe('ERR_INVALID_KEY');
      expect((await rejection(store.delete(key as string))).code).toBe('ERR_INVALID_KEY');
    }
    expect((await store.put('x'.repeat(MAX_KEY_BYTES), 'v')).size).toBe(1);
  });
});

describe('layouts', () => {
  it('the Go-compatible layout reproduces the original paths', () => {
    expect(goCompatibleLayout.pathFor('hello world!')).toBe(
      '430ce/34d02/0724e/d75a1/96dfc/2ad67/c7777/2d169/430ce34d020724ed75a196dfc2ad67c77772d169',
    );
  });

  it('the default layout shards the sha256 of the key', () => {
    expect(sha256Layout.pathFor('hello world!')).toBe(
      '75/7509e5bda0c762d2bac7f90d758b5b2263fa01ccbc542ab5e3df163be08e6ca9',
    );
  });

  it('a store works with the Go-compatible layout', async () => {
    const { store, dir } = await tempStore({ layout: goCompatibleLayout });
    await store.put('hello world!', 'hi');
    expect(await filesUnder(dir)).toContain(
      '430ce/34d02/0724e/d75a1/96dfc/2ad67/c7777/2d169/430ce34d020724ed75a196dfc2ad67c77772d169',
    );
    expect((await getBytes(store, 'hello world!')).toString()).toBe('hi');
  });

  it('refuses a custom layout that returns an unsafe path', async () => {
    const escaping: PathLayout = { name: 'evil', pathFor: () => '../outside' };
    const { store } = await tempStore({ layout: escaping, dir: await tempDir() });
    expect((await rejection(store.put('k', 'v'))).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('a key whose path another key owns (layout collision) reads as absent', async () => {
    const colliding: PathLayout = { name: 'one-file', pathFor: () => 'all' };
    const { store } = await tempStore({ layout: colliding });
    await store.put('first', '1');
    expect(await store.has('second')).toBe(false);
    expect((await rejection(store.get('second'))).code).toBe('ERR_NOT_FOUND');
    expect(await store.delete('second')).toBe(false);
    expect(await store.has('first')).toBe(true);
  });
});
