/**
 * Every replication message that crosses the wire, as zod schemas. Received values are parsed with
 * these before use; anything that fails is dropped (and counted), touching no state.
 */
import { z } from 'zod';
import { MAX_NAME_BYTES, canonicalFileMeta, fileMetaSchema, nameProblem } from '@dfs/api';
import { isVersion } from './hlc.js';
import type { ReplicatedEntry } from './merge.js';

export const PROTOCOLS = {
  /**
   * One-way: `{entries}` — versions (puts and tombstones) and holder slots a peer should know.
   * /2: holders are slots `{node, seq, holds}` (/1 had plain node ids). A live entry may carry
   * `meta` (file-meta in @dfs/api): added without a new protocol id since it is optional and nodes
   * older than it ignore it (see docs/protocol.md).
   */
  announce: 'dfs/repl/announce/2',
  /** Bulk stream: header `{name, version}`; the holder streams that version's whole body. */
  fetch: 'dfs/repl/fetch/1',
  /**
   * Bulk stream, upstream → next node of a push chain: header `{name, version, chain}`; the body of a
   * version still being uploaded. The origin opens one to the chain's head; each receiver stores the
   * bytes and relays them to the next reachable node of `chain` (member ids, resolved by the receiver
   * through its own view of live members) while they arrive. A stream ends only once the node
   * sending it committed (the origin: its index; a relay: its store, after its upstream ended).
   * /2: chained (/1 was one stream from the origin to each peer).
   */
  push: 'dfs/repl/push/2',
  /**
   * Request `{name}` → `{entry}` (or null): asked of live peers on a read or delete miss. /2: the
   * entry's holders are slots, as in announce/2.
   */
  lookup: 'dfs/repl/lookup/2',
} as const;

/** Entries in one announcement; a node's own announcer splits larger batches. */
export const MAX_ENTRIES_PER_MESSAGE = 512;
/**
 * Holder slots in one entry on the wire. The receiver keeps only slots of members it knows
 * (incoming.ts), so what it stores is bounded by the cluster size; this bounds the message.
 */
export const MAX_HOLDERS = 1024;
const MAX_ID_LENGTH = 128;
const MAX_VERSION_LENGTH = 22 + MAX_ID_LENGTH;

// The length check (UTF-16 units never exceed UTF-8 bytes) runs first, so a huge string is refused
// before nameProblem encodes it.
const nameSchema = z
  .string()
  .max(MAX_NAME_BYTES)
  .refine((name) => nameProblem(name) === undefined, 'invalid name');
const versionSchema = z.string().max(MAX_VERSION_LENGTH).refine(isVersion, 'invalid version');

export const holderSlotSchema = z.object({
  node: z.string().min(1).max(MAX_ID_LENGTH),
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  holds: z.boolean(),
});

export const wireEntrySchema = z
  .object({
    name: nameSchema,
    version: versionSchema,
    size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    sha256: z.string().regex(/^([0-9a-f]{64})?$/),
    deleted: z.boolean(),
    expiresAt: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    holders: z.array(holderSlotSchema).max(MAX_HOLDERS),
    // Optional, so entries from nodes older than metadata parse; those nodes drop it (zod strips
    // keys it does not know), see docs/protocol.md.
    meta: fileMetaSchema.optional(),
  })
  .refine((e) => e.deleted || e.sha256.length === 64, 'a live entry needs a sha256')
  .refine((e) => !e.deleted || e.meta === undefined, 'a tombstone carries no metadata')
  .transform(({ meta, ...rest }): ReplicatedEntry => {
    const canonical = canonicalFileMeta(meta);
    return canonical === undefined ? rest : { ...rest, meta: canonical };
  });

export const announceSchema = z.object({
  entries: z.array(wireEntrySchema).max(MAX_ENTRIES_PER_MESSAGE),
});

export const fetchHeaderSchema = z.object({ name: nameSchema, version: versionSchema });
export type FetchHeader = z.infer<typeof fetchHeaderSchema>;

/** Node ids a push may still be relayed to (the origin's holders beyond the head are far fewer). */
export const MAX_PUSH_CHAIN = 16;

export const pushHeaderSchema = z.object({
  name: nameSchema,
  version: versionSchema,
  chain: z.array(z.string().min(1).max(MAX_ID_LENGTH)).max(MAX_PUSH_CHAIN),
});
export type PushHeader = z.infer<typeof pushHeaderSchema>;

export const lookupRequestSchema = z.object({ name: nameSchema });
export const lookupResponseSchema = z.object({ entry: wireEntrySchema.nullable() });

/** A plain, codec-friendly copy of an entry (holder slots as fresh objects). */
export function toWire(entry: ReplicatedEntry): ReplicatedEntry {
  return {
    name: entry.name,
    version: entry.version,
    size: entry.size,
    sha256: entry.sha256,
    deleted: entry.deleted,
    expiresAt: entry.expiresAt,
    holders: entry.holders.map((s) => ({ node: s.node, seq: s.seq, holds: s.holds })),
    ...(entry.meta === undefined || entry.deleted ? {} : { meta: entry.meta }),
  };
}
