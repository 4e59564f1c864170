import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '@dfs/transport';
import { isS3Error } from '@dfs/s3';
import { MIN_PART_BYTES, MultipartUploads } from '../src/s3/multipart-store.js';

let root: string;
let clock: VirtualClock;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'dfs-mpu-'));
  clock = new VirtualClock();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isS3Error(error) ? error.code : String(error);
  }
  return undefined;
}

describe('multipart uploads on disk', () => {
  it('a re-uploaded part replaces the old one; parts assemble in order', async () => {
    const uploads = new MultipartUploads(root, clock, 1 << 30);
    await uploads.start();
    const id = await uploads.create('b', 'k', { contentType: 'a/b' });
    await uploads.putPart(id, 2, Readable.from([Buffer.from('second')]));
    await uploads.putPart(id, 1, Readable.from([Buffer.from('old')]));
    const md5 = await uploads.putPart(id, 1, Readable.from([Buffer.from('first ')]));
    const parts = await uploads.parts(id);
    expect(parts.map((p) => [p.partNumber, p.size])).toEqual([
      [1, 6],
      [2, 6],
    ]);
    expect(parts[0]?.md5).toBe(md5);
    expect((await readdir(path.join(root, id))).filter((f) => f.startsWith('part-')).length).toBe(
      2,
    );
    expect((await buffer(uploads.concatenate(parts))).toString()).toBe('first second');
    uploads.stop();
  });

  it('refuses a part past the size bound and keeps nothing of it', async () => {
    const uploads = new MultipartUploads(root, clock, 10);
    await uploads.start();
    const id = await uploads.create('b', 'k', {});
    expect(await codeOf(uploads.putPart(id, 1, Readable.from([Buffer.alloc(11)])))).toBe(
      'EntityTooLarge',
    );
    expect(await uploads.parts(id)).toEqual([]);
    expect((await readdir(path.join(root, id))).filter((f) => f !== 'upload.json')).toEqual([]);
    uploads.stop();
  });

  it('checks a completion like S3: order, ETags, minimum part size', async () => {
    const uploads = new MultipartUploads(root, clock, 1 << 30);
    await uploads.start();
    const id = await uploads.create('b', 'k', {});
    const small = await uploads.putPart(id, 1, Readable.from([Buffer.from('x')]));
    const big = await uploads.putPart(id, 2, Readable.from([Buffer.alloc(MIN_PART_BYTES)]));
    expect(
      await codeOf(
        uploads.plan(id, [
          { partNumber: 1, etag: small },
          { partNumber: 2, etag: big },
        ]),
      ),
    ).toBe('EntityTooSmall');
    expect(
      await codeOf(
        uploads.plan(id, [
          { partNumber: 2, etag: big },
          { partNumber: 1, etag: small },
        ]),
      ),
    ).toBe('InvalidPartOrder');
    expect(await codeOf(uploads.plan(id, [{ partNumber: 3, etag: big }]))).toBe('InvalidPart');
    expect(await codeOf(uploads.plan(id, [{ partNumber: 2, etag: small }]))).toBe('InvalidPart');
    expect(
      (
        await uploads.plan(
          id,
          [
            { partNumber: 2, etag: big },
            { partNumber: 3 - 2, etag: small },
          ].slice(0, 1),
        )
      ).size,
    ).toBe(MIN_PART_BYTES);
    uploads.stop();
  });

  it('an upload of another bucket or key, or an unknown id, is NoSuchUpload', async () => {
    const uploads = new MultipartUploads(root, clock, 1 << 30);
    await uploads.start();
    const id = await uploads.create('b', 'k', {});
    expect(await codeOf(uploads.get(id, 'b', 'other'))).toBe('NoSuchUpload');
    expect(await codeOf(uploads.get('../../etc', 'b', 'k'))).toBe('NoSuchUpload');
    expect((await uploads.get(id, 'b', 'k')).bucket).toBe('b');
    uploads.stop();
  });

  it('bounds the uploads in progress', async () => {
    const uploads = new MultipartUploads(root, clock, 1 << 30, { maxUploads: 2 });
    await uploads.start();
    await uploads.create('b', 'k1', {});
    await uploads.create('b', 'k2', {});
    expect(await codeOf(uploads.create('b', 'k3', {}))).toBe('SlowDown');
    uploads.stop();
  });

  it('a sweep removes uploads idle past the expiry, and keeps the others', async () => {
    const start = Date.now();
    await clock.advance(start);
    const uploads = new MultipartUploads(root, clock, 1 << 30, { expireAfterMs: 60_000 });
    await uploads.start();
    const idle = await uploads.create('b', 'idle', {});
    await clock.advance(61_000);
    const fresh = await uploads.create('b', 'fresh', {});
    // A part written now (file time ≈ real now, which the virtual clock is still near).
    await uploads.putPart(fresh, 1, Readable.from([Buffer.from('p')]));
    expect(await uploads.sweep()).toBe(1);
    expect((await uploads.list()).map((u) => u.uploadId)).toEqual([fresh]);
    expect(await codeOf(uploads.get(idle, 'b', 'idle'))).toBe('NoSuchUpload');
    uploads.stop();
  });

  it('a directory without a readable record is not an upload', async () => {
    const uploads = new MultipartUploads(root, clock, 1 << 30);
    await uploads.start();
    const id = await uploads.create('b', 'k', {});
    await writeFile(path.join(root, id, 'upload.json'), '{torn');
    expect(await codeOf(uploads.get(id, 'b', 'k'))).toBe('NoSuchUpload');
    uploads.stop();
  });
});
