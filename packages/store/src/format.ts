/**
 * One file per entry: `[body][metadata JSON][footer]`. Body and metadata share one file so a single
 * rename publishes both; they can never disagree, and concurrent puts of a key end with one whole
 * value. The footer is fixed-size so a reader finds the metadata from the end of the file.
 *
 * footer (32 bytes): magic "DFSENTRY" | format u16 | reserved u16 | metaLength u32 |
 *                    bodySize u64 | first 8 bytes of sha256(metadata JSON)
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { StoreError } from './errors.js';
import type { StoreEntry, StoreMetadata } from './types.js';

export const FOOTER_BYTES = 32;
const MAGIC = Buffer.from('DFSENTRY', 'latin1');
const FORMAT_VERSION = 1;
/** Most trailers fit in one read of this many bytes from the end of the file. */
const TAIL_READ_BYTES = 4096;

function metaCheck(meta: Buffer): Buffer {
  return createHash('sha256').update(meta).digest().subarray(0, 8);
}

/** The bytes appended after the body. */
export function encodeTrailer(entry: StoreEntry): Buffer {
  const meta = Buffer.from(
    JSON.stringify({
      key: entry.key,
      size: entry.size,
      sha256: entry.sha256,
      created: entry.created,
      metadata: entry.metadata,
    }),
    'utf8',
  );
  const footer = Buffer.alloc(FOOTER_BYTES);
  MAGIC.copy(footer, 0);
  footer.writeUInt16BE(FORMAT_VERSION, 8);
  footer.writeUInt32BE(meta.length, 12);
  footer.writeBigUInt64BE(BigInt(entry.size), 16);
  metaCheck(meta).copy(footer, 24);
  return Buffer.concat([meta, footer]);
}

function damaged(what: string): StoreError {
  return new StoreError('ERR_INTEGRITY', `entry file is damaged: ${what}`);
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function isMetadataValue(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

export function isStoreMetadata(value: unknown): value is StoreMetadata {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every(isMetadataValue)
  );
}

/** Parses and checks the metadata JSON against the footer's body size. */
export function decodeMeta(meta: Buffer, bodySize: number): StoreEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(meta.toString('utf8'));
  } catch {
    throw damaged('metadata is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw damaged('metadata is not an object');
  const record = parsed as Record<string, unknown>;
  const { key, size, sha256, created, metadata } = record;
  if (typeof key !== 'string' || key.length === 0) throw damaged('bad key');
  if (size !== bodySize) throw damaged('size disagrees with footer');
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) throw damaged('bad sha256');
  if (typeof created !== 'number' || !Number.isFinite(created)) throw damaged('bad created');
  if (!isStoreMetadata(metadata)) throw damaged('bad user metadata');
  return { key, size: bodySize, sha256, created, metadata };
}

/** Reads the entry described by an open entry file's trailer, checking it against the file length. */
export async function readEntry(handle: FileHandle): Promise<StoreEntry> {
  const { size: fileSize } = await handle.stat();
  if (fileSize < FOOTER_BYTES) throw damaged('shorter than its footer');
  const tailLength = Math.min(fileSize, TAIL_READ_BYTES);
  const tail = Buffer.alloc(tailLength);
  await readFully(handle, tail, fileSize - tailLength);
  const footer = tail.subarray(tailLength - FOOTER_BYTES);
  if (!footer.subarray(0, 8).equals(MAGIC)) throw damaged('no footer magic');
  if (footer.readUInt16BE(8) !== FORMAT_VERSION) throw damaged('unknown format version');
  if (footer.readUInt16BE(10) !== 0) throw damaged('reserved footer bytes are not zero');
  const metaLength = footer.readUInt32BE(12);
  const bodySize = footer.readBigUInt64BE(16);
  if (bodySize > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged('body size out of range');
  const size = Number(bodySize);
  if (size + metaLength + FOOTER_BYTES !== fileSize) throw damaged('length disagrees with footer');
  let meta: Buffer;
  if (metaLength + FOOTER_BYTES <= tailLength) {
    meta = tail.subarray(tailLength - FOOTER_BYTES - metaLength, tailLength - FOOTER_BYTES);
  } else {
    meta = Buffer.alloc(metaLength);
    await readFully(handle, meta, size);
  }
  if (!metaCheck(meta).equals(footer.subarray(24, 32))) throw damaged('metadata checksum mismatch');
  return decodeMeta(meta, size);
}

/** pread until `target` is full; a short file is damage, not EOF. */
export async function readFully(
  handle: FileHandle,
  target: Buffer,
  position: number,
): Promise<void> {
  let offset = 0;
  while (offset < target.length) {
    const { bytesRead } = await handle.read(
      target,
      offset,
      target.length - offset,
      position + offset,
    );
    if (bytesRead === 0) throw damaged('file ended early');
    offset += bytesRead;
  }
}
