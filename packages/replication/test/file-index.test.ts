import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileIndex, decodeLog, encodeRecord } from '../src/file-index.js';
import { MAGIC } from '../src/index-log.js';
import type { IndexEntry } from '../src/file-index.js';
import { encodeVersion } from '../src/hlc.js';
import { holding } from './slots.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-index-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function entry(name: string, wall: number, extra: Partial<IndexEntry> = {}): IndexEntry {
  return {
    name,
    version: encodeVersion({ wall, counter: 0 }, 'node-a'),
    size: 10,
    sha256: 'ab'.repeat(32),
    deleted: false,
    expiresAt: 0,
    holders: holding('node-b'),
    local: true,
    ...extra,
  };
}

const snapshot = (index: FileIndex): IndexEntry[] =>
  [...index.entries()].sort((a, b) => (a.name < b.name ? -1 : 1));

describe('FileIndex', () => {
  it('a restart restores every entry, tombstone and the HLC high-water mark exactly', async () => {
    const index = await FileIndex.open({ dir });
    await index.set(entry('a', 100));
    await index.set(entry('b/c', 101, { holders: holding('x', 'y'), local: false }));
    await index.set(
      entry('a', 102, { deleted: true, size: 0, sha256: '', holders: [], expiresAt: 9 }),
    );
    await index.set(entry('gone', 103));
    await index.drop('gone');
    await index.noteHighWater({ wall: 500, counter: 3 });
    const before = snapshot(index);
    await index.close();

    const reopened = await FileIndex.open({ dir });
    expect(snapshot(reopened)).toEqual(before);
    expect(reopened.get('gone')).toBeUndefined();
    expect(reopened.highWater).toEqual({ wall: 500, counter: 3 });
    await reopened.close();
  });

  it('restores any sequence of updates exactly (property)', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        name: fc.constantFrom('a', 'b', 'ü/x'),
        wall: fc.nat(1000),
        local: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('drop' as const), name: fc.constantFrom('a', 'b', 'ü/x') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 15 }), async (ops) => {
        const sub = await mkdtemp(join(dir, 'p-'));
        const index = await FileIndex.open({ dir: sub, fsync: 'never', compactMinBytes: 200 });
        await Promise.all(
          ops.map((o) =>
            o.kind === 'set'
              ? index.set(entry(o.name, o.wall, { local: o.local }))
              : index.drop(o.name),
          ),
        );
        const before = snapshot(index);
        await index.close();
        const reopened = await FileIndex.open({ dir: sub });
        expect(snapshot(reopened)).toEqual(before);
        await reopened.close();
      }),
      { numRuns: 25 },
    );
  });

  it('truncates a torn tail left by a crash mid-append and keeps every complete record', async () => {
    const index = await FileIndex.open({ dir });
    await index.set(entry('kept', 100));
    await index.close();
    const path = join(dir, 'index.log');
    const goodSize = (await stat(path)).size;
    const torn = encodeRecord({ t: 'put', e: entry('torn', 101) });
    await appendFile(path, torn.subarray(0, torn.length - 5));

    const reopened = await FileIndex.open({ dir });
    expect(reopened.get('kept')).toEqual(entry('kept', 100));
    expect(reopened.get('torn')).toBeUndefined();
    expect((await stat(path)).size).toBe(goodSize);
    await reopened.set(entry('after', 102));
    await reopened.close();
    const again = await FileIndex.open({ dir });
    expect(again.get('after')).toEqual(entry('after', 102));
    expect(again.size).toBe(2);
    await again.close();
  });

  it('skips a record whose checksum does not match and keeps the damaged log aside', async () => {
    const index = await FileIndex.open({ dir });
    await index.set(entry('one', 1));
    await index.set(entry('two', 2));
    await index.close();
    const path = join(dir, 'index.log');
    const data = await readFile(path);
    data.writeUInt8((data.at(-3) ?? 0) ^ 0xff, data.length - 3); // flip a byte inside the last record's payload
    await writeFile(path, data);
    const reopened = await FileIndex.open({ dir });
    expect(reopened.get('one')).toBeDefined();
    expect(reopened.get('two')).toBeUndefined();
    expect(reopened.recovery).toMatchObject({ damagedRegions: 1, recordsSkipped: 1 });
    expect(await readFile(`${path}.damaged-1`)).toEqual(data);
    await reopened.close();
  });

  it('opens a log written before holder slots: plain ids become seq-0 slots, its own copy seq 1', async () => {
    // Frames exactly as the previous version wrote them (holders as plain node ids).
    const frame = (json: string): Buffer => {
      const payload = Buffer.from(json, 'utf8');
      const header = Buffer.alloc(8);
      header.writeUInt32LE(payload.length, 0);
      header.writeUInt32LE(crc32(payload), 4);
      return Buffer.concat([header, payload]);
    };
    const v1 = encodeVersion({ wall: 100, counter: 0 }, 'node-b');
    const v2 = encodeVersion({ wall: 101, counter: 0 }, 'node-c');
    const sha = 'ab'.repeat(32);
    const old = Buffer.concat([
      MAGIC,
      frame(
        `{"t":"put","e":{"name":"held","version":"${v1}","size":10,"sha256":"${sha}","deleted":false,"expiresAt":0,"holders":["node-c","node-b"],"local":true}}`,
      ),
      frame(
        `{"t":"put","e":{"name":"not-held","version":"${v2}","size":10,"sha256":"${sha}","deleted":false,"expiresAt":0,"holders":["node-c"],"local":false}}`,
      ),
      frame(
        `{"t":"put","e":{"name":"gone","version":"${v2}","size":0,"sha256":"","deleted":true,"expiresAt":9,"holders":[],"local":false}}`,
      ),
    ]);
    await writeFile(join(dir, 'index.log'), old);
    const index = await FileIndex.open({ dir, nodeId: 'node-a' });
    expect(index.recovery.damagedRegions).toBe(0);
    expect(index.get('held')?.holders).toEqual([
      { node: 'node-a', seq: 1, holds: true },
      { node: 'node-b', seq: 0, holds: true },
      { node: 'node-c', seq: 0, holds: true },
    ]);
    expect(index.get('not-held')?.holders).toEqual([{ node: 'node-c', seq: 0, holds: true }]);
    expect(index.get('gone')).toMatchObject({ deleted: true, holders: [] });
    // New records beside the old ones, then compaction-free reopen: both kinds still read.
    await index.set({ ...index.get('not-held')!, holders: holding('node-b') });
    await index.close();
    const reopened = await FileIndex.open({ dir, nodeId: 'node-a' });
    expect(reopened.get('held')?.holders).toHaveLength(3);
    expect(reopened.get('not-held')?.holders).toEqual(holding('node-b'));
    await reopened.close();
  });

  it('refuses garbage and oversized length prefixes without throwing', () => {
    expect(decodeLog(Buffer.from('not an index')).records).toEqual([]);
    const header = Buffer.from('DFSIDX1\n', 'latin1');
    const huge = Buffer.alloc(8);
    huge.writeUInt32LE(0xffffffff, 0);
    expect(decodeLog(Buffer.concat([header, huge])).validBytes).toBe(header.length);
  });

  it('starts a fresh log when the file is damaged before the first record', async () => {
    await writeFile(join(dir, 'index.log'), 'garbage');
    const index = await FileIndex.open({ dir });
    expect(index.size).toBe(0);
    expect(await readFile(join(dir, 'index.log.damaged-1'), 'utf8')).toBe('garbage');
    await index.set(entry('x', 1));
    await index.close();
    const reopened = await FileIndex.open({ dir });
    expect(reopened.size).toBe(1);
    await reopened.close();
  });

  it('compacts a log of overwritten records and still restores exactly', async () => {
    const index = await FileIndex.open({ dir, fsync: 'never', compactMinBytes: 4096 });
    for (let i = 0; i < 200; i++) await index.set(entry(`n${i % 5}`, i));
    expect(index.compactions).toBeGreaterThan(0);
    expect(index.logBytes).toBeLessThan(4096 * 2);
    const before = snapshot(index);
    const highWater = index.highWater;
    await index.drop('n0');
    await index.compact();
    await index.close();
    const reopened = await FileIndex.open({ dir });
    expect(snapshot(reopened)).toEqual(before.filter((e) => e.name !== 'n0'));
    expect(reopened.highWater).toEqual(highWater);
    await reopened.close();
  });

  it('rejects mutations after close', async () => {
    const index = await FileIndex.open({ dir });
    await index.close();
    await expect(index.set(entry('x', 1))).rejects.toThrow(/closed/);
  });

  it('a log cut at every byte offset opens with a prefix of the records', async () => {
    const index = await FileIndex.open({ dir, fsync: 'never' });
    for (let i = 0; i < 3; i++) await index.set(entry(`f${i}`, i));
    await index.close();
    const path = join(dir, 'index.log');
    const full = await readFile(path);
    for (let cut = 0; cut <= full.length; cut += 7) {
      await writeFile(path, full);
      await truncate(path, cut);
      const reopened = await FileIndex.open({ dir, fsync: 'never' });
      const names = snapshot(reopened).map((e) => e.name);
      expect(['f0', 'f1', 'f2'].slice(0, names.length)).toEqual(names);
      await reopened.close();
    }
  });
});
