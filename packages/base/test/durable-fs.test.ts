import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ensureDirectoryDurably,
  errorCode,
  fsyncDirectory,
  writeFileDurably,
} from '../src/index.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-base-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('writing a file durably', () => {
  it('creates a new file with the data and leaves no temp file', async () => {
    const path = join(dir, 'node.json');
    await writeFileDurably(path, '{"id":"a"}\n');
    expect(await readFile(path, 'utf8')).toBe('{"id":"a"}\n');
    expect(await readdir(dir)).toEqual(['node.json']);
  });

  it('replaces an existing file whole, with bytes or a stream of chunks', async () => {
    const path = join(dir, 'data.bin');
    await writeFile(path, 'old content that is longer than the new one');
    await writeFileDurably(path, Buffer.from('new'));
    expect(await readFile(path, 'utf8')).toBe('new');
    async function* chunks() {
      yield Buffer.from('one ');
      yield Buffer.from('two');
    }
    await writeFileDurably(path, chunks());
    expect(await readFile(path, 'utf8')).toBe('one two');
    expect(await readdir(dir)).toEqual(['data.bin']);
  });

  it('a write that fails part-way leaves the old file intact and removes its temp file', async () => {
    const path = join(dir, 'node.json');
    await writeFile(path, 'old');
    async function* failing() {
      yield Buffer.alloc(64 * 1024, 1);
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    }
    const error = await rejection(writeFileDurably(path, failing()));
    expect(errorCode(error)).toBe('ENOSPC');
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['node.json']);
  });

  it('a rename that fails leaves the target as it was and removes the temp file', async () => {
    const target = join(dir, 'occupied');
    await ensureDirectoryDurably(join(target, 'child'));
    const error = await rejection(writeFileDurably(target, 'x'));
    expect(errorCode(error)).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST|EPERM)$/);
    expect((await stat(target)).isDirectory()).toBe(true);
    expect(await readdir(dir)).toEqual(['occupied']);
  });

  it('refuses a temp path that already exists and does not remove it', async () => {
    const path = join(dir, 'marker');
    const tempPath = join(dir, '.tmp-taken');
    await writeFile(tempPath, 'someone else');
    const error = await rejection(writeFileDurably(path, 'x', { tempPath }));
    expect(errorCode(error)).toBe('EEXIST');
    expect(await readFile(tempPath, 'utf8')).toBe('someone else');
    await rm(tempPath);
    await writeFileDurably(path, 'mine', { tempPath });
    expect(await readdir(dir)).toEqual(['marker']);
  });

  it('creates the file with the given mode', async () => {
    const path = join(dir, 'secret');
    await writeFileDurably(path, 'x', { mode: 0o600 });
    expect((await stat(path)).mode & 0o077).toBe(0);
  });

  it('fails when the directory does not exist, creating nothing', async () => {
    const error = await rejection(writeFileDurably(join(dir, 'missing', 'f'), 'x'));
    expect(errorCode(error)).toBe('ENOENT');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('directories', () => {
  it('ensureDirectoryDurably creates every missing level and accepts an existing one', async () => {
    const deep = join(dir, 'a', 'b', 'c');
    await ensureDirectoryDurably(deep);
    expect((await stat(deep)).isDirectory()).toBe(true);
    await ensureDirectoryDurably(deep);
    await ensureDirectoryDurably(join(dir, 'a', 'd'), { fsync: false });
    expect((await readdir(join(dir, 'a'))).sort()).toEqual(['b', 'd']);
  });

  it('fsyncDirectory syncs a directory and rejects a missing one', async () => {
    await fsyncDirectory(dir);
    expect(errorCode(await rejection(fsyncDirectory(join(dir, 'missing'))))).toBe('ENOENT');
  });
});
