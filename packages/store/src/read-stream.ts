/**
 * A Readable over one open entry file. Every body byte is hashed (also those outside a range), and
 * the last chunk is held back until the whole body's sha256 matched: a consumer that sees 'end' has
 * verified bytes, and a damaged body ends in ERR_INTEGRITY instead. The open handle pins the version
 * being read, so a concurrent overwrite or delete does not disturb it. Unverified (`verify: false`),
 * it hashes nothing and holds nothing back.
 */
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { StoreError, toStoreError } from './errors.js';
import type { ByteRange, StoreEntry, StoreReadStream } from './types.js';

export const READ_CHUNK_BYTES = 256 * 1024;

export class EntryReadStream extends Readable implements StoreReadStream {
  readonly entry: StoreEntry;
  readonly range: ByteRange | undefined;
  readonly #handle: FileHandle;
  readonly #hash: Hash | undefined;
  /** Next body offset to read. */
  #position = 0;
  /** First and one-past-last body offsets to emit. */
  readonly #emitStart: number;
  readonly #emitEnd: number;
  /** The most recent chunk to emit, released once another chunk (or verification) follows it. */
  #held: Buffer | undefined;

  /** Called once the file handle is closed, however the stream ended. */
  readonly #onClosed: () => void;

  constructor(
    handle: FileHandle,
    entry: StoreEntry,
    range: ByteRange | undefined,
    onClosed: () => void,
    verify = true,
  ) {
    super({ highWaterMark: READ_CHUNK_BYTES });
    this.#hash = verify ? createHash('sha256') : undefined;
    this.#handle = handle;
    this.#onClosed = onClosed;
    this.entry = entry;
    this.range = range;
    this.#emitStart = range?.start ?? 0;
    this.#emitEnd = range === undefined ? entry.size : range.end + 1;
  }

  override _read(): void {
    this.#readUntilPush().catch((error: unknown) => this.destroy(toStoreError(error, 'get')));
  }

  /** Node calls _read again only after a push, so each call must push (or end, or fail). */
  async #readUntilPush(): Promise<void> {
    const { size } = this.entry;
    while (this.#position < size) {
      const length = Math.min(READ_CHUNK_BYTES, size - this.#position);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await this.#handle.read(buffer, 0, length, this.#position);
      if (this.destroyed) return;
      if (bytesRead === 0) throw new StoreError('ERR_INTEGRITY', 'body is shorter than recorded');
      const chunk = buffer.subarray(0, bytesRead);
      this.#hash?.update(chunk);
      const chunkStart = this.#position;
      this.#position += bytesRead;
      const from = Math.max(this.#emitStart, chunkStart);
      const to = Math.min(this.#emitEnd, this.#position);
      if (from < to) {
        const emitted = chunk.subarray(from - chunkStart, to - chunkStart);
        if (this.#hash === undefined) {
          this.push(emitted); // unverified: nothing to hold back
          return;
        }
        const previous = this.#held;
        this.#held = emitted;
        if (previous !== undefined) {
          this.push(previous);
          return;
        }
      }
    }
    const actual = this.#hash?.digest('hex') ?? this.entry.sha256;
    if (actual !== this.entry.sha256) {
      throw new StoreError(
        'ERR_INTEGRITY',
        `stored body of ${JSON.stringify(this.entry.key)} has sha256 ${actual}, expected ${this.entry.sha256}`,
      );
    }
    const last = this.#held;
    this.#held = undefined;
    if (last !== undefined) this.push(last);
    this.push(null);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const finish = (): void => {
      this.#onClosed();
      callback(error);
    };
    this.#handle.close().then(finish, finish);
  }
}
