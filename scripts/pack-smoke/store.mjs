// Runs in a temp project where @dfs/store was installed from its packed tarball.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { goCompatibleLayout, isStoreError, openStore } from '@dfs/store';

const dir = await mkdtemp(join(tmpdir(), 'dfs-store-smoke-'));
try {
  const store = await openStore({ dir });
  const body = Buffer.from('hello from the packed tarball');
  const entry = await store.put('smoke/a.txt', Readable.from([body]), {
    metadata: { version: '1' },
  });
  assert.equal(entry.size, body.length);
  assert.equal(entry.sha256, createHash('sha256').update(body).digest('hex'));
  await store.put('smoke/b.txt', 'second');

  const chunks = [];
  for await (const chunk of await store.get('smoke/a.txt')) chunks.push(chunk);
  assert.deepEqual(Buffer.concat(chunks), body);
  const ranged = [];
  for await (const chunk of await store.get('smoke/a.txt', { range: { start: 0, end: 4 } })) {
    ranged.push(chunk);
  }
  assert.equal(Buffer.concat(ranged).toString(), 'hello');

  const keys = [];
  for await (const e of store.list({ prefix: 'smoke/' })) keys.push(e.key);
  assert.deepEqual(keys, ['smoke/a.txt', 'smoke/b.txt']);
  assert.deepEqual((await store.stat('smoke/a.txt'))?.metadata, { version: '1' });

  assert.equal(await store.delete('smoke/a.txt'), true);
  assert.equal(await store.has('smoke/a.txt'), false);
  await assert.rejects(store.get('smoke/a.txt'), (error) => isStoreError(error, 'ERR_NOT_FOUND'));
  await store.close();
  assert.equal(
    goCompatibleLayout.pathFor('hello world!').split('/').slice(0, 8).join('/'),
    '430ce/34d02/0724e/d75a1/96dfc/2ad67/c7777/2d169',
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
