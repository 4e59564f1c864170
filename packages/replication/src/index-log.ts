/**
 * The index log's on-disk format and its decoder (pure: bytes in, records out).
 *
 * Format: an 8-byte magic, then frames `u32 length | u32 crc32(payload) | payload`, where the payload
 * is the JSON of one record and always begins with `{"t":"` (the record's type key comes first).
 *
 * Decoding never takes the first bad frame for the end of the log. A frame is valid when its length
 * is within bounds, its crc32 matches and its JSON passes the record schema. After an invalid frame
 * the decoder resynchronises: it looks for the next offset where a valid frame starts (candidates
 * are found by the payload's opening `{"t":"`, which JSON escaping keeps out of every payload's
 * interior), records the bytes in between as a damaged region, and goes on. Only when nothing valid
 * follows is the rest a tail: an incomplete last frame is a torn append (a crash mid-write) and is
 * simply cut; a complete but invalid one is damage like any other.
 *
 * Holders: records hold holder slots `{node, seq, holds}` (merge.ts). Logs written before slots hold
 * plain node ids; they are read as slots `{node, 0, true}` (as another node saw them, so anything the
 * node itself announces wins), plus this node's own slot `{self, 1, true}` when `local` is set.
 *
 * Metadata: a live entry may hold `meta` (content type, user metadata, MD5; file-meta in @dfs/api).
 * Logs written before it have none, and read as entries without metadata.
 */
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { canonicalFileMeta, fileMetaSchema } from '@dfs/api';
import { isVersion } from './hlc.js';
import type { IndexEntry } from './index-entry.js';
import { normaliseSlots } from './merge.js';
import type { HolderSlot } from './merge.js';

export const MAGIC = Buffer.from('DFSIDX1\n', 'latin1');
export const FRAME_HEADER = 8;
/**
 * The largest record the index writes (checked before a mutation is applied). One entry with a
 * bounded holder list stays far below it; an entry that would not fit is refused, never written.
 */
export const MAX_RECORD_BYTES = 1 << 20;
/**
 * The largest record the decoder accepts. Larger than the write cap so that an intact record written
 * before the cap was enforced is still read (its crc32 and schema vouch for it) instead of lost.
 */
const MAX_READ_RECORD_BYTES = 64 << 20;
const PAYLOAD_START = Buffer.from('{"t":"', 'utf8');

const slotSchema = z.object({
  node: z.string().min(1),
  seq: z.number().int().nonnegative(),
  holds: z.boolean(),
});

const entrySchema = z.object({
  name: z.string().min(1),
  version: z.string().refine(isVersion),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  deleted: z.boolean(),
  expiresAt: z.number().int().nonnegative(),
  // Either today's slots or, in a log written before slots, plain node ids.
  holders: z.union([z.array(slotSchema), z.array(z.string())]),
  local: z.boolean(),
  // Absent in logs written before metadata, and for versions written without any.
  meta: fileMetaSchema.optional(),
});

const recordSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('put'), e: entrySchema }),
  z.object({ t: z.literal('drop'), name: z.string() }),
  z.object({ t: z.literal('hlc'), wall: z.number(), counter: z.number() }),
]);

export type IndexRecord =
  | { t: 'put'; e: IndexEntry }
  | { t: 'drop'; name: string }
  | { t: 'hlc'; wall: number; counter: number };

type RawRecord = z.infer<typeof recordSchema>;
type RawEntry = z.infer<typeof entrySchema>;

/** Slots of a record; plain ids (a log from before slots) are upgraded, see the header comment. */
function slotsOf(entry: RawEntry, nodeId: string | undefined): HolderSlot[] {
  const raw = entry.holders;
  if (raw.every((h): h is HolderSlot => typeof h !== 'string')) return normaliseSlots(raw);
  const slots: HolderSlot[] = raw
    .filter((id) => id !== nodeId)
    .map((node) => ({ node, seq: 0, holds: true }));
  if (nodeId !== undefined && entry.local && !entry.deleted) {
    slots.push({ node: nodeId, seq: 1, holds: true });
  }
  return normaliseSlots(slots);
}

function upgrade(record: RawRecord, nodeId: string | undefined): IndexRecord {
  if (record.t !== 'put') return record;
  const { meta, ...entry } = record.e;
  const canonical = canonicalFileMeta(meta);
  const holders = slotsOf(record.e, nodeId);
  return {
    t: 'put',
    e: canonical === undefined ? { ...entry, holders } : { ...entry, holders, meta: canonical },
  };
}

export function encodeRecord(record: IndexRecord): Buffer {
  // Spelled out so the type key always comes first (resynchronisation looks for it).
  const ordered =
    record.t === 'put'
      ? { t: record.t, e: record.e }
      : record.t === 'drop'
        ? { t: record.t, name: record.name }
        : { t: record.t, wall: record.wall, counter: record.counter };
  const payload = Buffer.from(JSON.stringify(ordered), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER);
  return frame;
}

/** Bytes lost between two valid records (or before the first, or after the last). */
export interface DamagedRegion {
  start: number;
  end: number;
  /** Records whose frames began in the region (counted by their payload openings; at least 1). */
  records: number;
}

export interface DecodedLog {
  records: IndexRecord[];
  /** Offset just past the last valid record (or past the magic): where appends continue. */
  validBytes: number;
  /** Skipped regions, in file order. Empty when the log is intact. */
  damaged: DamagedRegion[];
  /** Bytes of an incomplete last frame (a crash mid-append), cut without further ado. */
  tornTailBytes: number;
  /** False when the file is empty or a prefix of the magic (a crash while creating it). */
  started: boolean;
}

type Frame = { ok: true; record: IndexRecord; end: number } | { ok: false; incomplete: boolean };

function frameAt(data: Buffer, offset: number, nodeId?: string): Frame {
  if (offset + FRAME_HEADER > data.length) return { ok: false, incomplete: true };
  const length = data.readUInt32LE(offset);
  if (length > MAX_READ_RECORD_BYTES) return { ok: false, incomplete: false };
  const end = offset + FRAME_HEADER + length;
  if (end > data.length) return { ok: false, incomplete: true };
  const payload = data.subarray(offset + FRAME_HEADER, end);
  if (crc32(payload) !== data.readUInt32LE(offset + 4)) return { ok: false, incomplete: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, incomplete: false };
  }
  const record = recordSchema.safeParse(parsed);
  if (!record.success) return { ok: false, incomplete: false };
  return { ok: true, record: upgrade(record.data, nodeId), end };
}

/** The first offset >= `from` where a valid frame starts, or undefined. */
function resynchronise(data: Buffer, from: number): number | undefined {
  let search = from + FRAME_HEADER;
  for (;;) {
    const opening = data.indexOf(PAYLOAD_START, search);
    if (opening < 0) return undefined;
    const candidate = opening - FRAME_HEADER;
    if (frameAt(data, candidate).ok) return candidate;
    search = opening + 1;
  }
}

/** Payload openings in [start, end): how many records began there. */
function countOpenings(data: Buffer, start: number, end: number): number {
  let count = 0;
  for (let at = data.indexOf(PAYLOAD_START, start); at >= 0 && at < end;) {
    count++;
    at = data.indexOf(PAYLOAD_START, at + 1);
  }
  return count;
}

/**
 * Decodes every valid record, skipping damaged regions (see the header comment). `nodeId` is this
 * node: a record from before holder slots gets its own slot from `local`.
 */
export function decodeLog(data: Buffer, nodeId?: string): DecodedLog {
  const records: IndexRecord[] = [];
  const damaged: DamagedRegion[] = [];
  if (data.length <= MAGIC.length && data.equals(MAGIC.subarray(0, data.length))) {
    const started = data.length === MAGIC.length;
    return { records, validBytes: data.length, damaged, tornTailBytes: 0, started };
  }
  const skip = (start: number, end: number): void => {
    // A region starting at a frame boundary held at least that frame's record.
    const atFrame = start >= MAGIC.length;
    const records = Math.max(atFrame ? 1 : 0, countOpenings(data, start, end));
    damaged.push({ start, end, records });
  };
  let offset = MAGIC.length;
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) {
    // The header is damaged (or this is not an index log): whatever records follow still count.
    const first = resynchronise(data, 0);
    skip(0, first ?? data.length);
    if (first === undefined)
      return { records, validBytes: 0, damaged, tornTailBytes: 0, started: true };
    offset = first;
  }
  let validBytes = offset;
  let tornTailBytes = 0;
  while (offset < data.length) {
    const frame = frameAt(data, offset, nodeId);
    if (frame.ok) {
      records.push(frame.record);
      offset = validBytes = frame.end;
      continue;
    }
    const next = resynchronise(data, offset + 1);
    if (next === undefined) {
      if (frame.incomplete) tornTailBytes = data.length - offset;
      else skip(offset, data.length);
      break;
    }
    skip(offset, next);
    offset = next;
  }
  return { records, validBytes, damaged, tornTailBytes, started: true };
}
