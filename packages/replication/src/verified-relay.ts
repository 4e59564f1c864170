/**
 * The stage between a holder's bytes and a reader: it hashes the whole body as it passes, emits
 * only the reader's range, and holds back the last chunk it would emit until the body's size and
 * sha256 matched. So a reader that sees 'end' has verified bytes, and a body that does not match
 * errors (ERR_INTEGRITY) *before* its last byte: an HTTP response fed from it is cut short, never
 * completed with wrong bytes. The same promise `@dfs/store` makes for local reads.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { ReplicationError } from './errors.js';
import type { ByteRange } from './file-service.js';

export interface RelayExpectation {
  /** The announced body size; more bytes than this fail at once. */
  size: number;
  sha256: string;
  /** Inclusive byte range to emit; the whole body when undefined. */
  range?: ByteRange;
}

export class VerifiedRelay extends Transform {
  readonly #expected: RelayExpectation;
  readonly #hash: Hash = createHash('sha256');
  readonly #emitStart: number;
  readonly #emitEnd: number;
  /** Body bytes seen so far. */
  #position = 0;
  /** The newest chunk to emit, released once another one (or verification) follows it. */
  #held: Buffer | undefined;

  constructor(expected: RelayExpectation) {
    super();
    this.#expected = expected;
    this.#emitStart = expected.range?.start ?? 0;
    this.#emitEnd = expected.range === undefined ? expected.size : expected.range.end + 1;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const chunkStart = this.#position;
    this.#position += chunk.length;
    if (this.#position > this.#expected.size) {
      callback(this.#mismatch(`more than the announced ${this.#expected.size} bytes`));
      return;
    }
    this.#hash.update(chunk);
    const from = Math.max(this.#emitStart, chunkStart);
    const to = Math.min(this.#emitEnd, this.#position);
    if (from < to) {
      const previous = this.#held;
      this.#held = chunk.subarray(from - chunkStart, to - chunkStart);
      if (previous !== undefined) this.push(previous);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#position !== this.#expected.size) {
      callback(this.#mismatch(`${this.#position} bytes, announced ${this.#expected.size}`));
      return;
    }
    const actual = this.#hash.digest('hex');
    if (actual !== this.#expected.sha256) {
      callback(this.#mismatch(`sha256 ${actual}, announced ${this.#expected.sha256}`));
      return;
    }
    const last = this.#held;
    this.#held = undefined;
    callback(null, last);
  }

  #mismatch(detail: string): ReplicationError {
    this.#held = undefined;
    return new ReplicationError(
      'ERR_INTEGRITY',
      `the holder sent a body that does not match: ${detail}`,
    );
  }
}
