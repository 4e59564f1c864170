import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baseOfName, defaultNameFor, joinName, userDirectory, walkTree } from '../src/paths.js';
import { resolveNodes, resolveToken } from '../src/context.js';

describe('the user directory', () => {
  it('is the working directory for a plain run', () => {
    expect(userDirectory('/home/u/work', {})).toBe('/home/u/work');
  });

  it('is INIT_CWD when pnpm runs us as a script in the package directory', () => {
    const env = { INIT_CWD: '/home/u/photos', npm_package_json: '/repo/package.json' };
    expect(userDirectory('/repo', env)).toBe('/home/u/photos');
  });

  it('ignores an INIT_CWD inherited by a process started elsewhere', () => {
    const env = { INIT_CWD: '/home/u/photos', npm_package_json: '/repo/package.json' };
    expect(userDirectory('/tmp/elsewhere', env)).toBe('/tmp/elsewhere');
    expect(userDirectory('/repo', { INIT_CWD: '/home/u' })).toBe('/repo');
  });
});

describe('names from paths', () => {
  it('defaults to the base name of a file and of a dfs name', () => {
    expect(defaultNameFor('some/dir/file.txt')).toBe('file.txt');
    expect(baseOfName('docs/2024/q1.pdf')).toBe('q1.pdf');
    expect(baseOfName('plain')).toBe('plain');
    expect(baseOfName('trailing/')).toBe('trailing');
  });

  it('joins a prefix and a relative path with slashes', () => {
    expect(joinName('www', 'css/site.css')).toBe('www/css/site.css');
    expect(joinName('www/', 'a')).toBe('www/a');
    expect(joinName('', 'a')).toBe('a');
  });
});

describe('walking a tree', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-walk-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists regular files in sorted order and skips symbolic links', async () => {
    await mkdir(join(dir, 'b/c'), { recursive: true });
    await writeFile(join(dir, 'z.txt'), 'zz');
    await writeFile(join(dir, 'b/c/deep.bin'), 'deep');
    await writeFile(join(dir, 'a.txt'), 'a');
    await symlink(join(dir, 'b'), join(dir, 'loop'));
    const walk = await walkTree(dir);
    expect(walk.files.map((file) => [file.relative, file.size])).toEqual([
      ['a.txt', 1],
      ['b/c/deep.bin', 4],
      ['z.txt', 2],
    ]);
    expect(walk.skipped).toEqual(['loop']);
  });
});

describe('global options', () => {
  it('takes --node over DFS_NODE over the default, splitting lists', () => {
    expect(resolveNodes(undefined, {})).toEqual(['127.0.0.1:4001']);
    expect(resolveNodes(undefined, { DFS_NODE: 'a:1, b:2' })).toEqual(['a:1', 'b:2']);
    expect(resolveNodes('c:3', { DFS_NODE: 'a:1' })).toEqual(['c:3']);
    expect(resolveNodes(undefined, { DFS_NODE: '  ' })).toEqual(['127.0.0.1:4001']);
  });

  it('takes --token over DFS_API_TOKEN; empty means none', () => {
    expect(resolveToken(undefined, { DFS_API_TOKEN: 't' })).toBe('t');
    expect(resolveToken('u', { DFS_API_TOKEN: 't' })).toBe('u');
    expect(resolveToken(undefined, { DFS_API_TOKEN: '' })).toBeUndefined();
  });
});
