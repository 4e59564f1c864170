import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../src/data-lock.js';
import { loadIdentity } from '../src/identity.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dfs-identity-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('the node id is generated once and kept; the incarnation grows at each start', async () => {
  const data = path.join(dir, 'nested', 'data');
  const first = await loadIdentity(data);
  expect(first.incarnation).toBe(1);
  expect(first.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  const second = await loadIdentity(data);
  const third = await loadIdentity(data);
  expect([second.id, third.id]).toEqual([first.id, first.id]);
  expect([second.incarnation, third.incarnation]).toEqual([2, 3]);
  expect(JSON.parse(await readFile(path.join(data, 'node.json'), 'utf8'))).toEqual(third);
  // No temp files left behind.
  expect(await readdir(data)).toEqual(['node.json']);
});

it('different data directories get different ids', async () => {
  const a = await loadIdentity(path.join(dir, 'a'));
  const b = await loadIdentity(path.join(dir, 'b'));
  expect(a.id).not.toBe(b.id);
});

it.each([
  ['not json', '{'],
  ['no id', '{"incarnation":1}'],
  ['bad id', '{"id":"../x","incarnation":1}'],
  ['bad incarnation', '{"id":"abcdefghijkl","incarnation":-1}'],
])(
  'a damaged node.json (%s) is a clear startup error, not a new identity',
  async (_why, content) => {
    await writeFile(path.join(dir, 'node.json'), content);
    await expect(loadIdentity(dir)).rejects.toMatchObject({ code: 'ERR_STARTUP' });
    expect(await readFile(path.join(dir, 'node.json'), 'utf8')).toBe(content);
  },
);

describe('the data directory lock', () => {
  it('refuses a second node while the first holds it, and is free again after release', async () => {
    const release = await lockDataDir(dir);
    // A lock naming a running process that is not us (our parent) refuses.
    await writeFile(path.join(dir, 'node.lock'), `${process.ppid}\n`);
    await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'ERR_STARTUP' });
    await release();
    const again = await lockDataDir(dir);
    await again();
  });

  it('takes over a lock left by a node that no longer runs', async () => {
    // Pid 2^22+1 is above Linux's default pid_max: nothing runs there.
    await writeFile(path.join(dir, 'node.lock'), `${2 ** 22 + 1}\n`);
    const release = await lockDataDir(dir);
    expect((await readFile(path.join(dir, 'node.lock'), 'utf8')).trim()).toBe(String(process.pid));
    await release();
  });
});
