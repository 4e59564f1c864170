/**
 * The additional checksums S3 clients send with a body (`x-amz-checksum-<algorithm>`, as a header or
 * as an aws-chunked trailer): CRC32 and CRC32C (big-endian, base64), SHA-1 and SHA-256 (base64).
 * Computed incrementally while the body streams, so a mismatch is found without holding the body.
 * CRC32 is node:zlib's; CRC32C comes from @aws-crypto/crc32c (what the AWS SDK itself uses).
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32c } from '@aws-crypto/crc32c';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** `x-amz-checksum-<algorithm>` → its algorithm, or undefined for any other name. */
export function checksumAlgorithmOf(headerName: string): ChecksumAlgorithm | undefined {
  const match = /^x-amz-checksum-([a-z0-9]+)$/.exec(headerName.toLowerCase());
  const name = match?.[1];
  return CHECKSUM_ALGORITHMS.find((a) => a === name);
}

export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm}`;
}

/** One running checksum of a body. */
export class ChecksumHasher {
  readonly algorithm: ChecksumAlgorithm;
  #crc = 0;
  readonly #crc32c: Crc32c | undefined;
  readonly #hash: Hash | undefined;

  constructor(algorithm: ChecksumAlgorithm) {
    this.algorithm = algorithm;
    this.#crc32c = algorithm === 'crc32c' ? new Crc32c() : undefined;
    this.#hash = algorithm === 'sha1' || algorithm === 'sha256' ? createHash(algorithm) : undefined;
  }

  update(data: Uint8Array): void {
    if (this.algorithm === 'crc32') this.#crc = crc32(data, this.#crc);
    else if (this.#crc32c !== undefined) this.#crc32c.update(data);
    else this.#hash?.update(data);
  }

  /** The value in S3's form (base64); call once, at the end. */
  digestBase64(): string {
    if (this.#hash !== undefined) return this.#hash.digest('base64');
    const value = this.#crc32c !== undefined ? this.#crc32c.digest() : this.#crc;
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value >>> 0);
    return bytes.toString('base64');
  }
}
