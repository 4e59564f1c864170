import type { BucketDigest } from './digest-tree.js';
import { GossipError } from './errors.js';
import { DIGEST_WIRE_BYTES } from './wire.js';

/** Digests travel packed, 12 bytes each (count, high, low as uint32 BE), not as msgpack maps. */
export function packDigests(digests: readonly BucketDigest[]): Uint8Array {
  const bytes = Buffer.alloc(digests.length * DIGEST_WIRE_BYTES);
  digests.forEach((d, i) => {
    const at = i * DIGEST_WIRE_BYTES;
    bytes.writeUInt32BE(d.count >>> 0, at);
    bytes.writeUInt32BE(d.high >>> 0, at + 4);
    bytes.writeUInt32BE(d.low >>> 0, at + 8);
  });
  return bytes;
}

/** Unpacks exactly `expected` digests; anything else is a malformed response. */
export function unpackDigests(packed: Uint8Array, expected: number): BucketDigest[] {
  if (packed.byteLength !== expected * DIGEST_WIRE_BYTES) {
    throw new GossipError(
      'ERR_INVALID_MESSAGE',
      `expected ${expected} digests (${expected * DIGEST_WIRE_BYTES} bytes), got ${packed.byteLength} bytes`,
    );
  }
  const view = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const digests: BucketDigest[] = [];
  for (let at = 0; at < packed.byteLength; at += DIGEST_WIRE_BYTES) {
    digests.push({
      count: view.readUInt32BE(at),
      high: view.readUInt32BE(at + 4),
      low: view.readUInt32BE(at + 8),
    });
  }
  return digests;
}
