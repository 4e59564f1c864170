/**
 * Everything that crosses the wire, as zod schemas. Every received message is parsed with these
 * before use; a message that fails touches no state and is counted as invalid. Limits here are hard
 * protocol bounds (what any peer may send), tighter configured limits are checked on top.
 */
import { z } from 'zod';
import { DIGEST_BRANCHING_BITS, DIGEST_DEPTH } from './defaults.js';

/** Protocol hard caps, independent of local configuration. */
export const MAX_ID_LENGTH = 64;
export const MAX_TOPIC_LENGTH = 128;
export const MAX_RUMORS_PER_PACKET = 1024;
export const MAX_BUCKETS_PER_REQUEST = 4096;
export const MAX_KEY_LENGTH = 4096;

const bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes');

export const rumorSchema = z.object({
  id: z.string().min(1).max(MAX_ID_LENGTH),
  topic: z.string().min(1).max(MAX_TOPIC_LENGTH),
  payload: bytes,
});
export type Rumor = z.infer<typeof rumorSchema>;

export const rumorListSchema = z.array(rumorSchema).max(MAX_RUMORS_PER_PACKET);

export const rumorPacketSchema = z.object({ rumors: rumorListSchema });
export type RumorPacket = z.infer<typeof rumorPacketSchema>;

/**
 * msgpack framing per rumor (map header, three keys, string and bin headers). An over-estimate, so
 * a packet filled up to its budget by summed estimates never exceeds it once encoded.
 */
export const RUMOR_ENVELOPE_BYTES = 32;

/** Encoded size estimate of a rumor (strings counted as UTF-8). */
export function rumorBytes(rumor: Rumor): number {
  return (
    RUMOR_ENVELOPE_BYTES +
    Buffer.byteLength(rumor.id) +
    Buffer.byteLength(rumor.topic) +
    rumor.payload.byteLength
  );
}

const depth = z.number().int().min(0).max(DIGEST_DEPTH);
const bucketIndex = z
  .number()
  .int()
  .min(0)
  .max(2 ** (DIGEST_BRANCHING_BITS * DIGEST_DEPTH) - 1);

/** Anti-entropy requests, sent by the node that pulls. */
export const syncRequestSchema = z.discriminatedUnion('op', [
  /** The digest of the whole state: equal roots end the round after one small exchange. */
  z.object({ op: z.literal('root') }),
  /** The digests of every child of each `parents` bucket at `depth`. */
  z.object({
    op: z.literal('children'),
    depth: depth.max(DIGEST_DEPTH - 1),
    parents: z.array(bucketIndex).min(1).max(MAX_BUCKETS_PER_REQUEST),
  }),
  /** The entries in these buckets ([depth, index] pairs), up to `maxBytes`. */
  z.object({
    op: z.literal('entries'),
    buckets: z
      .array(z.tuple([depth, bucketIndex]))
      .min(1)
      .max(MAX_BUCKETS_PER_REQUEST),
    maxBytes: z.number().int().min(1),
  }),
]);
export type SyncRequest = z.infer<typeof syncRequestSchema>;

/** Response to `root` and `children`: 12 bytes per digest (count, high, low as uint32 BE). */
export const digestsResponseSchema = z.object({ digests: bytes });

export const entriesResponseSchema = z.object({
  entries: z.array(z.object({ key: z.string().min(1).max(MAX_KEY_LENGTH), value: bytes })),
  /** True when the responder stopped at `maxBytes`; the rest follows in later rounds. */
  truncated: z.boolean(),
});
export type EntriesResponse = z.infer<typeof entriesResponseSchema>;

export const DIGEST_WIRE_BYTES = 12;
