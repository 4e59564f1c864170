/**
 * The decoder of an `aws-chunked` request body (S3's streaming uploads), as a Transform: framed
 * chunks in, the payload bytes out as they arrive, with flat memory whatever the body's size.
 *
 *     <hex size>[;chunk-signature=<sig>]\r\n <size bytes> \r\n   … repeated …
 *     0[;chunk-signature=<sig>]\r\n  [<trailer>:<value>\r\n … [x-amz-trailer-signature:<sig>\r\n]] \r\n
 *
 * With `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` every chunk carries a signature chained from
 * the request's seed signature over the chunk's sha256 (and the trailer its own over the trailer
 * lines); each is checked when its chunk ends, so a bad one fails the stream
 * (`SignatureDoesNotMatch`) before the final chunk, and the consumer (an atomic store write) keeps
 * nothing. With `STREAMING-UNSIGNED-PAYLOAD-TRAILER` chunks are unsigned. A trailing checksum named
 * by the request's `x-amz-trailer` header is computed over the decoded bytes and compared
 * (`BadDigest`); a declared `x-amz-decoded-content-length` must match exactly (`IncompleteBody`).
 *
 * Every quantity the client controls is bounded: a chunk header line, a chunk's size, the trailer's
 * lines and bytes. Malformed framing is `IncompleteBody` (cut short) or `InvalidRequest`.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { ChecksumHasher } from './checksums.js';
import type { ChecksumAlgorithm } from './checksums.js';
import { S3Error } from './errors.js';
import { EMPTY_SHA256, hmacHex, sha256Hex } from './sigv4.js';
import type { SigningContext } from './sigv4.js';

/** The longest chunk header or trailer line. */
export const MAX_CHUNK_LINE = 4096;
/** The largest chunk (clients send 64 KiB to 8 MiB). */
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
/** Trailer lines and bytes after the final chunk. */
export const MAX_TRAILER_LINES = 16;
export const MAX_TRAILER_BYTES = 16 * 1024;

export interface ChunkedDecoderOptions {
  /** Present for the signed modes: chunk signatures are verified from this seed. */
  signing?: SigningContext;
  /** True for the `-TRAILER` modes. */
  trailer: boolean;
  /** The checksum the trailer carries (from `x-amz-trailer`), verified against the bytes. */
  trailerChecksum?: ChecksumAlgorithm;
  /** `x-amz-decoded-content-length`, when declared. */
  decodedLength?: number;
}

type State = 'header' | 'data' | 'data-end' | 'trailer' | 'final-crlf' | 'done';

const CRLF = Buffer.from('\r\n');

export class AwsChunkedDecoder extends Transform {
  readonly #options: ChunkedDecoderOptions;
  #state: State = 'header';
  /** Bytes of an incomplete line (header, trailer) or of the CRLF after a chunk's data. */
  #line = Buffer.alloc(0);
  #remaining = 0;
  #chunkSignature: string | undefined;
  #chunkHash: Hash | undefined;
  #previousSignature: string | undefined;
  readonly #checksum: ChecksumHasher | undefined;
  #decoded = 0;
  readonly #trailers: [string, string][] = [];
  #trailerBytes = 0;
  /** The checksums the trailer carried, by header name (after the stream ended). */
  readonly trailers = new Map<string, string>();

  constructor(options: ChunkedDecoderOptions) {
    super();
    this.#options = options;
    this.#previousSignature = options.signing?.seedSignature;
    this.#checksum =
      options.trailerChecksum === undefined
        ? undefined
        : new ChecksumHasher(options.trailerChecksum);
  }

  /** Payload bytes decoded so far. */
  get decodedBytes(): number {
    return this.#decoded;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#consume(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.#state !== 'done' && !(this.#state === 'final-crlf' && this.#line.length === 0)) {
      callback(new S3Error('IncompleteBody', 'the aws-chunked body ended before its final chunk'));
      return;
    }
    callback();
  }

  #consume(input: Buffer): void {
    let at = 0;
    while (at < input.length) {
      switch (this.#state) {
        case 'data': {
          const take = Math.min(this.#remaining, input.length - at);
          const part = input.subarray(at, at + take);
          this.#chunkHash?.update(part);
          this.#checksum?.update(part);
          this.#decoded += take;
          const declared = this.#options.decodedLength;
          if (declared !== undefined && this.#decoded > declared) {
            throw new S3Error(
              'IncompleteBody',
              'the body is longer than x-amz-decoded-content-length',
            );
          }
          this.push(part);
          this.#remaining -= take;
          at += take;
          if (this.#remaining === 0) this.#state = 'data-end';
          break;
        }
        case 'data-end':
        case 'final-crlf': {
          // Exactly CRLF, possibly split across input buffers.
          while (at < input.length && this.#line.length < 2) {
            this.#line = Buffer.concat([this.#line, input.subarray(at, at + 1)]);
            at++;
          }
          if (this.#line.length < 2) break;
          if (!this.#line.equals(CRLF)) {
            throw new S3Error(
              'IncompleteBody',
              'a chunk of the aws-chunked body is not followed by CRLF',
            );
          }
          this.#line = Buffer.alloc(0);
          if (this.#state === 'data-end') {
            this.#endChunk();
            this.#state = 'header';
          } else {
            this.#finish();
          }
          break;
        }
        case 'header':
        case 'trailer': {
          const end = input.indexOf(0x0a, at);
          const stop = end < 0 ? input.length : end + 1;
          this.#line = Buffer.concat([this.#line, input.subarray(at, stop)]);
          at = stop;
          if (this.#line.length > MAX_CHUNK_LINE + 2) {
            throw new S3Error(
              'InvalidRequest',
              'an aws-chunked header or trailer line is too long',
            );
          }
          if (end < 0) break;
          if (this.#line.length < 2 || this.#line[this.#line.length - 2] !== 0x0d) {
            throw new S3Error('InvalidRequest', 'an aws-chunked line does not end in CRLF');
          }
          const line = this.#line.subarray(0, this.#line.length - 2).toString('latin1');
          this.#line = Buffer.alloc(0);
          if (this.#state === 'header') this.#startChunk(line);
          else this.#trailerLine(line);
          break;
        }
        case 'done':
          throw new S3Error(
            'InvalidRequest',
            'bytes follow the final chunk of the aws-chunked body',
          );
      }
    }
  }

  #startChunk(line: string): void {
    const [sizeText = '', ...extensions] = line.split(';');
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) {
      throw new S3Error('InvalidRequest', 'an aws-chunked chunk size is not hex');
    }
    const size = parseInt(sizeText, 16);
    if (size > MAX_CHUNK_SIZE) {
      throw new S3Error(
        'InvalidRequest',
        `an aws-chunked chunk is larger than ${MAX_CHUNK_SIZE} bytes`,
      );
    }
    this.#chunkSignature = undefined;
    for (const extension of extensions) {
      const [name, value] = extension.split('=', 2);
      if (name?.trim() === 'chunk-signature') this.#chunkSignature = value?.trim();
    }
    if (this.#options.signing !== undefined) {
      if (this.#chunkSignature === undefined || !/^[0-9a-f]{64}$/.test(this.#chunkSignature)) {
        throw new S3Error(
          'SignatureDoesNotMatch',
          'a chunk of a signed aws-chunked body has no signature',
        );
      }
      this.#chunkHash = createHash('sha256');
    }
    this.#remaining = size;
    if (size > 0) {
      this.#state = 'data';
      return;
    }
    // The final chunk: its signature covers no data.
    this.#endChunk();
    this.#state = this.#options.trailer ? 'trailer' : 'final-crlf';
  }

  #endChunk(): void {
    const signing = this.#options.signing;
    if (signing === undefined || this.#chunkHash === undefined) return;
    const stringToSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      signing.amzDate,
      signing.scope,
      this.#previousSignature,
      EMPTY_SHA256,
      this.#chunkHash.digest('hex'),
    ].join('\n');
    this.#chunkHash = undefined;
    const expected = hmacHex(signing.key, stringToSign);
    if (expected !== this.#chunkSignature) {
      throw new S3Error(
        'SignatureDoesNotMatch',
        'a chunk signature of the aws-chunked body does not match',
      );
    }
    this.#previousSignature = expected;
  }

  #trailerLine(line: string): void {
    if (line === '') {
      this.#finish();
      return;
    }
    this.#trailerBytes += line.length + 2;
    if (this.#trailers.length >= MAX_TRAILER_LINES || this.#trailerBytes > MAX_TRAILER_BYTES) {
      throw new S3Error('InvalidRequest', 'the aws-chunked trailer is too large');
    }
    const at = line.indexOf(':');
    if (at <= 0)
      throw new S3Error('InvalidRequest', 'an aws-chunked trailer line is not name:value');
    const name = line.slice(0, at).trim().toLowerCase();
    const value = line.slice(at + 1).trim();
    this.#trailers.push([name, value]);
  }

  /** The end of the body: trailer signature, checksum and length checks. */
  #finish(): void {
    this.#state = 'done';
    const signing = this.#options.signing;
    const signatureLine = this.#trailers.find(([name]) => name === 'x-amz-trailer-signature');
    const trailers = this.#trailers.filter(([name]) => name !== 'x-amz-trailer-signature');
    if (signing !== undefined && this.#options.trailer) {
      const canonical = trailers.map(([name, value]) => `${name}:${value}\n`).join('');
      const stringToSign = [
        'AWS4-HMAC-SHA256-TRAILER',
        signing.amzDate,
        signing.scope,
        this.#previousSignature,
        sha256Hex(canonical),
      ].join('\n');
      if (signatureLine === undefined || hmacHex(signing.key, stringToSign) !== signatureLine[1]) {
        throw new S3Error(
          'SignatureDoesNotMatch',
          'the trailer signature of the aws-chunked body does not match',
        );
      }
    }
    for (const [name, value] of trailers) this.trailers.set(name, value);
    if (this.#checksum !== undefined) {
      const name = `x-amz-checksum-${this.#checksum.algorithm}`;
      const given = this.trailers.get(name);
      if (given === undefined) {
        throw new S3Error('InvalidRequest', `the trailer does not carry the declared ${name}`);
      }
      if (given !== this.#checksum.digestBase64()) {
        throw new S3Error(
          'BadDigest',
          `the ${this.#checksum.algorithm} you specified did not match the calculated checksum`,
        );
      }
    }
    const declared = this.#options.decodedLength;
    if (declared !== undefined && this.#decoded !== declared) {
      throw new S3Error('IncompleteBody', 'the body is shorter than x-amz-decoded-content-length');
    }
  }
}
