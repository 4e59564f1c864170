/**
 * Multipart uploads in progress on this node, on its disk: one directory per upload under
 * `<data>/s3-uploads/<uploadId>/`, holding `upload.json` (bucket, key, metadata, start time) and one
 * file per part, `part-<n>-<md5 hex>`. A part is written like every durable write here — temp file,
 * fsync, rename, directory fsync — before UploadPart answers 200, so an acknowledged part survives
 * a crash (kill -9) of the node. Re-uploading a part number renames the new part into place first
 * and only then removes the old file; if a crash falls between the two, the newer file (by mtime)
 * is the part.
 *
 * An upload lives on the node that created it: its parts must be sent there. Completing streams the
 * parts in order into one dfs file (flat memory, whatever the size) and removes the directory.
 * Uploads idle longer than `expireAfterMs` are removed by a sweep (at start and every
 * `sweepIntervalMs`). Counts and sizes are bounded: uploads in progress, parts per upload (S3's
 * 10,000), bytes per part and per object.
 */
import { createReadStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { z } from 'zod';
import { ensureDirectoryDurably, fsyncDirectory, writeFileDurably } from '@dfs/base';
import { fileMetaSchema, type FileMeta } from '@dfs/api';
import { S3Error } from '@dfs/s3';
import type { Clock } from '@dfs/transport';

/** S3's smallest part but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's largest part. */
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

export interface MultipartLimits {
  /** Uploads in progress on this node at once. */
  maxUploads: number;
  /** An upload not touched for this long is removed. */
  expireAfterMs: number;
  sweepIntervalMs: number;
  /** fsync parts (tests of throwaway data may turn it off; the node never does). */
  fsync: boolean;
}

export const MULTIPART_DEFAULTS: MultipartLimits = {
  maxUploads: 1000,
  expireAfterMs: 7 * 24 * 3600 * 1000,
  sweepIntervalMs: 3600 * 1000,
  fsync: true,
};

const uploadSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  meta: fileMetaSchema,
  created: z.number(),
});
export type UploadRecord = z.infer<typeof uploadSchema>;

export interface StoredPart {
  partNumber: number;
  md5: string;
  size: number;
  modified: number;
  path: string;
}

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_FILE = /^part-(\d{5})-([0-9a-f]{32})$/;

/** Counts bytes and refuses past a bound (EntityTooLarge), hashing MD5 on the way. */
class PartBody extends Transform {
  readonly #md5 = createHash('md5');
  bytes = 0;
  md5Hex = '';
  readonly #max: number;

  constructor(max: number) {
    super();
    this.#max = max;
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#max) {
      callback(new S3Error('EntityTooLarge', `a part is at most ${this.#max} bytes`));
      return;
    }
    this.#md5.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.md5Hex = this.#md5.digest('hex');
    callback();
  }
}

export class MultipartUploads {
  readonly #root: string;
  readonly #clock: Clock;
  readonly #limits: MultipartLimits;
  readonly #maxObjectBytes: number;
  #sweeper: { cancel(): void } | undefined;

  constructor(
    root: string,
    clock: Clock,
    maxObjectBytes: number,
    limits: Partial<MultipartLimits> = {},
  ) {
    this.#root = root;
    this.#clock = clock;
    this.#maxObjectBytes = maxObjectBytes;
    this.#limits = { ...MULTIPART_DEFAULTS, ...limits };
  }

  /** Creates the directory and sweeps expired uploads now and then periodically. */
  async start(): Promise<void> {
    await ensureDirectoryDurably(this.#root, { fsync: this.#limits.fsync });
    await this.sweep();
    this.#sweeper = this.#clock.setInterval(() => {
      void this.sweep().catch(() => undefined);
    }, this.#limits.sweepIntervalMs);
  }

  stop(): void {
    this.#sweeper?.cancel();
    this.#sweeper = undefined;
  }

  #dir(uploadId: string): string {
    return join(this.#root, uploadId);
  }

  async #ids(): Promise<string[]> {
    const names = await readdir(this.#root).catch(() => [] as string[]);
    return names.filter((n) => UPLOAD_ID.test(n));
  }

  async create(bucket: string, key: string, meta: FileMeta): Promise<string> {
    if ((await this.#ids()).length >= this.#limits.maxUploads) {
      throw new S3Error(
        'SlowDown',
        `this node holds ${this.#limits.maxUploads} multipart uploads in progress; complete or abort some`,
      );
    }
    const uploadId = randomBytes(16).toString('hex');
    const dir = this.#dir(uploadId);
    await ensureDirectoryDurably(dir, { fsync: this.#limits.fsync });
    const record: UploadRecord = { bucket, key, meta, created: this.#clock.now() };
    await writeFileDurably(join(dir, 'upload.json'), JSON.stringify(record), {
      fsync: this.#limits.fsync,
    });
    return uploadId;
  }

  /** The upload's record, or NoSuchUpload (also for one of another bucket or key). */
  async get(uploadId: string, bucket: string, key: string): Promise<UploadRecord> {
    const record = UPLOAD_ID.test(uploadId) ? await this.#record(uploadId) : undefined;
    if (record === undefined || record.bucket !== bucket || record.key !== key) {
      throw new S3Error(
        'NoSuchUpload',
        'the specified multipart upload does not exist (it may have been aborted, completed or expired, or been started on another node)',
      );
    }
    return record;
  }

  async #record(uploadId: string): Promise<UploadRecord | undefined> {
    try {
      const parsed = uploadSchema.safeParse(
        JSON.parse(await readFile(join(this.#dir(uploadId), 'upload.json'), 'utf8')),
      );
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores one part durably; resolves with its MD5 (the part's ETag) once it is fsynced. */
  async putPart(uploadId: string, partNumber: number, body: Readable): Promise<string> {
    const dir = this.#dir(uploadId);
    const counted = new PartBody(Math.min(MAX_PART_BYTES, this.#maxObjectBytes));
    body.on('error', (error) => counted.destroy(error));
    // The body flows into `counted` while the temp file opens: an error then (a refused size, a bad
    // chunk) must not be an uncaught 'error'; the write still sees it when it starts reading.
    counted.on('error', () => undefined);
    const staging = join(dir, `.part-${randomBytes(6).toString('hex')}.tmp`);
    // Written under a temporary name first: its final name holds the MD5, known only at the end.
    await writeFileDurably(staging, body.pipe(counted), {
      fsync: this.#limits.fsync,
      tempPath: `${staging}.w`,
    });
    const name = `part-${String(partNumber).padStart(5, '0')}-${counted.md5Hex}`;
    await rename(staging, join(dir, name));
    if (this.#limits.fsync) await fsyncDirectory(dir);
    // Older files of the same part number are replaced only once the new one is durable.
    for (const part of await this.#partFiles(uploadId)) {
      if (part.partNumber === partNumber && part.path !== join(dir, name))
        await rm(part.path, { force: true });
    }
    return counted.md5Hex;
  }

  async #partFiles(uploadId: string): Promise<StoredPart[]> {
    const dir = this.#dir(uploadId);
    const out: StoredPart[] = [];
    for (const file of await readdir(dir).catch(() => [] as string[])) {
      const match = PART_FILE.exec(file);
      if (match === null) continue;
      const info = await stat(join(dir, file)).catch(() => undefined);
      if (info === undefined) continue;
      out.push({
        partNumber: Number(match[1]),
        md5: match[2] as string,
        size: info.size,
        modified: info.mtimeMs,
        path: join(dir, file),
      });
    }
    return out;
  }

  /** The parts, one per number (the newest file of a number), by number. */
  async parts(uploadId: string): Promise<StoredPart[]> {
    const byNumber = new Map<number, StoredPart>();
    for (const part of await this.#partFiles(uploadId)) {
      const seen = byNumber.get(part.partNumber);
      if (
        seen === undefined ||
        part.modified > seen.modified ||
        (part.modified === seen.modified && part.path > seen.path)
      ) {
        byNumber.set(part.partNumber, part);
      }
    }
    return [...byNumber.values()].sort((a, b) => a.partNumber - b.partNumber);
  }

  /**
   * The parts a CompleteMultipartUpload lists, checked as S3 checks them (ascending numbers, each
   * present with that ETag, each but the last ≥ 5 MiB, the total within the object limit), and the
   * multipart ETag `<md5 of the binary part MD5s>-<count>`.
   */
  async plan(
    uploadId: string,
    wanted: readonly { partNumber: number; etag: string }[],
  ): Promise<{ parts: StoredPart[]; md5: string; size: number }> {
    const stored = new Map((await this.parts(uploadId)).map((p) => [p.partNumber, p]));
    const parts: StoredPart[] = [];
    let previous = 0;
    let size = 0;
    const combined = createHash('md5');
    for (const want of wanted) {
      if (want.partNumber <= previous)
        throw new S3Error('InvalidPartOrder', 'the list of parts was not in ascending order');
      previous = want.partNumber;
    }
    for (const [i, want] of wanted.entries()) {
      const part = stored.get(want.partNumber);
      if (part === undefined || part.md5 !== want.etag.toLowerCase()) {
        throw new S3Error(
          'InvalidPart',
          `part ${want.partNumber} could not be found or its ETag does not match`,
        );
      }
      if (i < wanted.length - 1 && part.size < MIN_PART_BYTES) {
        throw new S3Error(
          'EntityTooSmall',
          `part ${want.partNumber} is smaller than the minimum allowed size (5 MiB) and not the last`,
        );
      }
      size += part.size;
      combined.update(Buffer.from(part.md5, 'hex'));
      parts.push(part);
    }
    if (size > this.#maxObjectBytes) {
      throw new S3Error(
        'EntityTooLarge',
        `the object would be larger than ${this.#maxObjectBytes} bytes`,
      );
    }
    return { parts, md5: `${combined.digest('hex')}-${parts.length}`, size };
  }

  /** The parts' bytes in order, one file open at a time. */
  concatenate(parts: readonly StoredPart[]): Readable {
    const out = new PassThrough();
    void (async () => {
      for (const part of parts) {
        const input = createReadStream(part.path);
        for await (const chunk of input) {
          if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
          if (out.destroyed) {
            input.destroy();
            return;
          }
        }
      }
      out.end();
    })().catch((error: unknown) => out.destroy(error as Error));
    return out;
  }

  async remove(uploadId: string): Promise<void> {
    await rm(this.#dir(uploadId), { recursive: true, force: true });
    if (this.#limits.fsync) await fsyncDirectory(this.#root).catch(() => undefined);
  }

  /** Uploads in progress (optionally of one bucket), oldest key first. */
  async list(bucket?: string): Promise<{ uploadId: string; record: UploadRecord }[]> {
    const out: { uploadId: string; record: UploadRecord }[] = [];
    for (const uploadId of await this.#ids()) {
      const record = await this.#record(uploadId);
      if (record !== undefined && (bucket === undefined || record.bucket === bucket))
        out.push({ uploadId, record });
    }
    return out.sort((a, b) =>
      a.record.key < b.record.key
        ? -1
        : a.record.key > b.record.key
          ? 1
          : a.record.created - b.record.created,
    );
  }

  async hasUploads(bucket: string): Promise<boolean> {
    return (await this.list(bucket)).length > 0;
  }

  /** Removes uploads whose last part (or creation) is older than `expireAfterMs`. */
  async sweep(): Promise<number> {
    const now = this.#clock.now();
    let removed = 0;
    for (const uploadId of await this.#ids()) {
      const record = await this.#record(uploadId);
      const parts = await this.#partFiles(uploadId);
      const touched = Math.max(record?.created ?? 0, ...parts.map((p) => p.modified));
      if (now - touched > this.#limits.expireAfterMs) {
        await this.remove(uploadId);
        removed++;
      }
    }
    return removed;
  }
}
