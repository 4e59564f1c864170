/**
 * A simulated blob store: implements `BlobStore` (@dfs/replication) in memory with the semantics
 * of @dfs/store — a put is atomic and durable when it resolves (a put still running at a crash
 * leaves nothing), reads verify the whole body's sha256 and end in ERR_INTEGRITY (holding back the
 * last chunk) when the bytes at rest were damaged, and errors carry @dfs/store's codes.
 *
 * Faults (switched by the runner): a full store (puts fail ERR_NO_SPACE), EIO on puts (ERR_IO), and
 * bit flips at rest, found on read and verify. Operations take a little virtual time, and calls
 * through a dead incarnation never settle.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Random } from '@dfs/transport';
import { randomInt } from '@dfs/transport';
import type { BlobMetadata, BlobPutOptions, BlobStore, ByteRange } from '@dfs/replication';
import type { Incarnation } from './incarnation.js';
import { never } from './incarnation.js';

export type SimStoreErrorCode =
  | 'ERR_NOT_FOUND'
  | 'ERR_INTEGRITY'
  | 'ERR_NO_SPACE'
  | 'ERR_IO'
  | 'ERR_TOO_LARGE'
  | 'ERR_RANGE'
  | 'ERR_ABORTED';

export class SimStoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: SimStoreErrorCode;
  constructor(code: SimStoreErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface StoreFaultSwitches {
  /** Every put fails with ERR_NO_SPACE while set. */
  full: boolean;
  /** Probability that a put fails with ERR_IO. */
  eioRate: number;
}

interface StoredBlob {
  bytes: Buffer;
  size: number;
  /** Recorded at put time; the bytes may since have rotted. */
  sha256: string;
  metadata?: BlobMetadata;
}

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
/** Small chunks, so a damaged body can stream some bytes before its ERR_INTEGRITY. */
const READ_CHUNK = 16;

export class SimBlobStore {
  readonly faults: StoreFaultSwitches = { full: false, eioRate: 0 };
  readonly #random: Random;
  readonly #blobs = new Map<string, StoredBlob>();
  readonly injected = { noSpace: 0, eio: 0, bitFlips: 0 };

  constructor(random: Random) {
    this.#random = random;
  }

  view(life: Incarnation): BlobStore {
    return new SimBlobStoreView(this, life);
  }

  /** Keys whose bytes still match their recorded sha256. */
  healthy(key: string): boolean {
    const blob = this.#blobs.get(key);
    return blob !== undefined && sha256Of(blob.bytes) === blob.sha256;
  }

  keys(): string[] {
    return [...this.#blobs.keys()];
  }

  /** Flips one bit of `key`'s bytes at rest. */
  flipBit(key: string): boolean {
    const blob = this.#blobs.get(key);
    if (blob === undefined || blob.bytes.length === 0) return false;
    const offset = randomInt(this.#random, blob.bytes.length);
    blob.bytes[offset] = (blob.bytes[offset] as number) ^ (1 << randomInt(this.#random, 8));
    this.injected.bitFlips++;
    return true;
  }

  latency(): number {
    return randomInt(this.#random, 3);
  }

  /** Decides a put's fate once its body was read; commits it (atomically) when it passes. */
  commit(key: string, bytes: Buffer, options: BlobPutOptions | undefined): StoredBlob {
    const sha256 = sha256Of(bytes);
    if (options?.expectedSha256 !== undefined && options.expectedSha256 !== sha256) {
      throw new SimStoreError('ERR_INTEGRITY', `body of ${key} has sha256 ${sha256}`);
    }
    if (this.faults.full) {
      this.injected.noSpace++;
      throw new SimStoreError('ERR_NO_SPACE', 'no space left on device');
    }
    if (this.faults.eioRate > 0 && this.#random.next() < this.faults.eioRate) {
      this.injected.eio++;
      throw new SimStoreError('ERR_IO', 'write failed');
    }
    const blob: StoredBlob = { bytes, size: bytes.length, sha256 };
    if (options?.metadata !== undefined) blob.metadata = { ...options.metadata };
    this.#blobs.set(key, blob);
    return blob;
  }

  get(key: string): StoredBlob | undefined {
    return this.#blobs.get(key);
  }

  delete(key: string): boolean {
    return this.#blobs.delete(key);
  }
}

class SimBlobStoreView implements BlobStore {
  readonly #store: SimBlobStore;
  readonly #life: Incarnation;
  constructor(store: SimBlobStore, life: Incarnation) {
    this.#store = store;
    this.#life = life;
  }

  async #step(): Promise<void> {
    if (!this.#life.alive) return never();
    await this.#life.after(this.#store.latency());
    if (!this.#life.alive) return never();
  }

  async put(
    key: string,
    body: Readable,
    options?: BlobPutOptions,
  ): Promise<{ size: number; sha256: string }> {
    if (!this.#life.alive) return never();
    const chunks: Buffer[] = [];
    let size = 0;
    const maxBytes = options?.maxBytes ?? Infinity;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (options?.signal?.aborted) throw new SimStoreError('ERR_ABORTED', 'put aborted');
        size += chunk.length;
        if (size > maxBytes) {
          body.destroy();
          throw new SimStoreError('ERR_TOO_LARGE', `body of ${key} exceeds ${maxBytes} bytes`);
        }
        chunks.push(Buffer.from(chunk));
      }
    } catch (error) {
      if (!this.#life.alive) return never();
      if (error instanceof SimStoreError) throw error;
      if (options?.signal?.aborted) throw new SimStoreError('ERR_ABORTED', 'put aborted');
      throw error; // the body's own error (a reset stream): the put stores nothing
    }
    await this.#step();
    if (options?.signal?.aborted) throw new SimStoreError('ERR_ABORTED', 'put aborted');
    const blob = this.#store.commit(key, Buffer.concat(chunks), options);
    return { size: blob.size, sha256: blob.sha256 };
  }

  async get(key: string, options?: { range?: ByteRange; signal?: AbortSignal }): Promise<Readable> {
    await this.#step();
    const blob = this.#store.get(key);
    if (blob === undefined) throw new SimStoreError('ERR_NOT_FOUND', `no blob ${key}`);
    const range = options?.range;
    if (range !== undefined && (range.start > range.end || range.end >= blob.size)) {
      throw new SimStoreError('ERR_RANGE', `range not satisfiable for ${blob.size} bytes`);
    }
    const bytes = Buffer.from(blob.bytes);
    const intact = sha256Of(bytes) === blob.sha256;
    const slice = range === undefined ? bytes : bytes.subarray(range.start, range.end + 1);
    const chunks: Buffer[] = [];
    for (let i = 0; i < slice.length; i += READ_CHUNK)
      chunks.push(slice.subarray(i, i + READ_CHUNK));
    // As @dfs/store: the last chunk is released only once the whole body verified.
    if (!intact) chunks.pop();
    let next = 0;
    return new Readable({
      read() {
        if (next < chunks.length) {
          this.push(chunks[next++]);
        } else if (intact) {
          this.push(null);
        } else {
          this.destroy(new SimStoreError('ERR_INTEGRITY', `stored body of ${key} is damaged`));
        }
      },
    });
  }

  async stat(
    key: string,
  ): Promise<{ size: number; sha256: string; metadata?: BlobMetadata } | undefined> {
    await this.#step();
    const blob = this.#store.get(key);
    if (blob === undefined) return undefined;
    return blob.metadata === undefined
      ? { size: blob.size, sha256: blob.sha256 }
      : { size: blob.size, sha256: blob.sha256, metadata: blob.metadata };
  }

  async delete(key: string): Promise<boolean> {
    await this.#step();
    return this.#store.delete(key);
  }

  /** Replaces a body's metadata atomically (durable when it resolves, like a put). */
  async setMetadata(key: string, metadata: BlobMetadata): Promise<void> {
    await this.#step();
    const blob = this.#store.get(key);
    if (blob === undefined) throw new SimStoreError('ERR_NOT_FOUND', `no body ${key}`);
    blob.metadata = { ...metadata };
  }

  async *list(): AsyncIterable<{
    key: string;
    size?: number;
    sha256?: string;
    metadata?: BlobMetadata;
  }> {
    await this.#step();
    const keys = this.#store.keys().sort();
    for (const key of keys) {
      const blob = this.#store.get(key);
      if (blob === undefined) continue;
      yield blob.metadata === undefined
        ? { key, size: blob.size, sha256: blob.sha256 }
        : { key, size: blob.size, sha256: blob.sha256, metadata: blob.metadata };
    }
  }

  async verify(key: string): Promise<unknown> {
    await this.#step();
    if (this.#store.get(key) === undefined) {
      throw new SimStoreError('ERR_NOT_FOUND', `no blob ${key}`);
    }
    if (!this.#store.healthy(key)) {
      throw new SimStoreError('ERR_INTEGRITY', `stored body of ${key} is damaged`);
    }
    return { key };
  }
}
