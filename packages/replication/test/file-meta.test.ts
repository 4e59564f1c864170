import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { MAX_USER_META_BYTES, canonicalFileMeta, fileMetaKey } from '@dfs/api';
import type { FileMeta } from '@dfs/api';
import { encodeVersion } from '../src/hlc.js';
import { MAGIC, decodeLog, encodeRecord } from '../src/index-log.js';
import type { IndexEntry } from '../src/index-entry.js';
import { toWire, wireEntrySchema } from '../src/wire.js';
import { TestCluster, body, readText } from './cluster.js';

const sha = 'ab'.repeat(32);
const live: IndexEntry = {
  name: 'photos/cat.jpg',
  version: encodeVersion({ wall: 1_700_000_000_000, counter: 0 }, 'node-a'),
  size: 4,
  sha256: sha,
  deleted: false,
  expiresAt: 0,
  holders: [{ node: 'node-a', seq: 1, holds: true }],
  local: true,
};

const metaArbitrary: fc.Arbitrary<FileMeta> = fc.record(
  {
    contentType: fc.stringMatching(/^[a-z]{1,8}\/[a-z0-9.+-]{1,20}$/),
    userMeta: fc.dictionary(
      fc.stringMatching(/^[a-z0-9-]{1,16}$/),
      fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
      { maxKeys: 8 },
    ),
    md5: fc.stringMatching(/^[0-9a-f]{32}$/),
  },
  { requiredKeys: [] },
);

describe('metadata in the index log', () => {
  it('round-trips through a record (property)', () => {
    fc.assert(
      fc.property(metaArbitrary, (meta) => {
        const log = Buffer.concat([MAGIC, encodeRecord({ t: 'put', e: { ...live, meta } })]);
        const [record] = decodeLog(log, 'node-a').records;
        const decoded = record?.t === 'put' ? record.e : undefined;
        expect(decoded?.meta).toEqual(canonicalFileMeta(meta));
        expect(fileMetaKey(decoded?.meta)).toBe(fileMetaKey(meta));
      }),
    );
  });

  it('reads a record written before metadata existed as an entry without metadata', () => {
    const old = { t: 'put', e: { ...live, holders: ['node-b'] } };
    const payload = Buffer.from(JSON.stringify(old));
    const frame = Buffer.alloc(8);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(crc32(payload), 4);
    const decoded = decodeLog(Buffer.concat([MAGIC, frame, payload]), 'node-a');
    expect(decoded.damaged).toEqual([]);
    const [record] = decoded.records;
    expect(record?.t === 'put' && record.e.meta).toBe(undefined);
  });
});

describe('metadata on the wire', () => {
  it('an entry without metadata (a node older than metadata) still parses', () => {
    const { meta, ...parsed } = wireEntrySchema.parse(toWire(live));
    expect(meta).toBeUndefined();
    expect(parsed.name).toBe(live.name);
  });

  it('metadata passes and comes out canonical', () => {
    const wire = toWire({ ...live, meta: { userMeta: { b: '2', a: '1' }, contentType: 'a/b' } });
    const parsed = wireEntrySchema.parse(JSON.parse(JSON.stringify(wire)));
    expect(JSON.stringify(parsed.meta)).toBe('{"contentType":"a/b","userMeta":{"a":"1","b":"2"}}');
  });

  it('refuses user metadata over the bound and metadata on a tombstone', () => {
    const big = { ...toWire(live), meta: { userMeta: { k: 'v'.repeat(MAX_USER_META_BYTES) } } };
    expect(wireEntrySchema.safeParse(big).success).toBe(false);
    const tombstone = {
      ...toWire({ ...live, deleted: true, size: 0, sha256: '', holders: [] }),
      meta: { contentType: 'a/b' },
    };
    expect(wireEntrySchema.safeParse(tombstone).success).toBe(false);
  });
});

describe('metadata through the engine', () => {
  let cluster: TestCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('a version put with metadata carries it on every node, after a restart too', async () => {
    cluster = await TestCluster.create(3);
    const [a, b, c] = cluster.nodes;
    const meta = { contentType: 'text/plain', userMeta: { owner: 'ann' } };
    let hashed = false;
    const info = await a!.engine.put('doc.txt', body('hello'), {
      // A function is called once the body is stored: how a caller hands over a hash of the body.
      meta: () => {
        hashed = true;
        return { ...meta, md5: '5d41402abc4b2a76b9719d911017c592' };
      },
    });
    expect(hashed).toBe(true);
    expect(info.meta).toEqual({ ...meta, md5: '5d41402abc4b2a76b9719d911017c592' });
    await cluster.until(() => [b!, c!].every((n) => n.engine.describe('doc.txt')?.local === true));
    for (const node of [b!, c!]) {
      expect((await node.engine.stat('doc.txt'))?.meta).toEqual(info.meta);
      expect(await readText(node.engine, 'doc.txt')).toBe('hello');
    }
    await cluster.stopNode(b!);
    await cluster.restartNode(b!);
    expect((await b!.engine.stat('doc.txt'))?.meta).toEqual(info.meta);
    // A new version without metadata has none: metadata belongs to its version.
    await a!.engine.put('doc.txt', body('bye'));
    await cluster.until(() => c!.engine.describe('doc.txt')?.version !== info.version);
    expect((await c!.engine.stat('doc.txt'))?.meta).toBeUndefined();
  });
});
