/**
 * Checks of the arguments callers pass the store: byte ranges (against the entry's size), sha256
 * conditions, metadata and byte counts. Each fails with ERR_RANGE or ERR_INVALID_ARGUMENT.
 */
import { StoreError } from './errors.js';
import { isStoreMetadata } from './format.js';
import type { ByteRange, PutOptions, StoreMetadata } from './types.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Metadata is for small facts (a version, a content type); list holds all of it in memory. */
export const MAX_METADATA_BYTES = 16 * 1024;

export function checkRange(range: ByteRange, size: number): void {
  if (typeof range !== 'object' || range === null) {
    throw new StoreError('ERR_RANGE', 'range must be an object { start, end }');
  }
  const { start, end } = range;
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(end) ||
    start < 0 ||
    start > end ||
    end >= size
  ) {
    throw new StoreError(
      'ERR_RANGE',
      `range ${String(start)}-${String(end)} is not satisfiable for ${size} bytes`,
    );
  }
}

export function checkSha256Option(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) {
    throw new StoreError('ERR_INVALID_ARGUMENT', `${name} must be 64 lower-case hex characters`);
  }
  return value;
}

export function checkMetadata(value: unknown): asserts value is StoreMetadata {
  if (!isStoreMetadata(value)) {
    throw new StoreError(
      'ERR_INVALID_ARGUMENT',
      'metadata must be an object of string, finite number, boolean or null values',
    );
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > MAX_METADATA_BYTES) {
    throw new StoreError(
      'ERR_INVALID_ARGUMENT',
      `metadata is ${bytes} bytes as JSON; the limit is ${MAX_METADATA_BYTES}`,
    );
  }
}

function checkByteCount(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StoreError('ERR_INVALID_ARGUMENT', `${name} must be a non-negative integer`);
  }
  return value;
}

export function checkPutOptions(options: PutOptions): {
  metadata: StoreMetadata;
  expectedSha256: string | undefined;
  expectedSize: number | undefined;
  maxBytes: number;
} {
  const metadata = options.metadata ?? {};
  checkMetadata(metadata);
  return {
    metadata: { ...metadata },
    expectedSha256: checkSha256Option(options.expectedSha256, 'expectedSha256'),
    expectedSize: checkByteCount(options.expectedSize, 'expectedSize'),
    maxBytes: checkByteCount(options.maxBytes, 'maxBytes') ?? Number.MAX_SAFE_INTEGER,
  };
}
