import type { PeerInfo } from '@dfs/transport';
import type { z } from 'zod';
import { DIGEST_BRANCHING, DIGEST_DEPTH } from './defaults.js';
import { unpackDigests } from './digest-codec.js';
import type { BucketDigest, BucketRef } from './digest-tree.js';
import { bucketOf, keyHash, sameDigest } from './digest-tree.js';
import { GossipError } from './errors.js';
import type { ReconcileEntry, Reconciler } from './reconciler.js';
import type { SyncRequest } from './wire.js';
import { digestsResponseSchema, entriesResponseSchema } from './wire.js';

export interface SyncResult {
  readonly peer: PeerInfo;
  /** True when the root digests matched: one request, nothing else exchanged. */
  readonly equal: boolean;
  readonly requests: number;
  /** Remote bucket digests compared with local ones. */
  readonly bucketsCompared: number;
  /** Differing buckets whose entries were pulled. */
  readonly bucketsFetched: number;
  readonly entriesPulled: number;
  /** The peer held back entries past the byte budget; later rounds continue. */
  readonly truncated: boolean;
}

export interface SyncLimits {
  readonly leafEntries: number;
  readonly maxBucketsPerRequest: number;
  readonly maxEntryBytesPerRound: number;
}

export type SyncRequester = (request: SyncRequest) => Promise<unknown>;

const ROOT: BucketRef = { depth: 0, index: 0 };

/**
 * One pull reconciliation with one peer. Compare roots; where digests differ, descend the 16-ary
 * bucket tree level by level (one request per level, at most `maxBucketsPerRequest` parents each),
 * then pull the entries of the differing buckets that are small or leaves. Differences in k of n
 * entries cost about k * log16(n) digests of 12 bytes plus the k entries.
 */
export async function pullFromPeer(
  peer: PeerInfo,
  reconciler: Reconciler,
  request: SyncRequester,
  limits: SyncLimits,
): Promise<SyncResult> {
  let requests = 0;
  let bucketsCompared = 1;
  const ask = async (message: SyncRequest): Promise<unknown> => {
    requests++;
    return request(message);
  };

  const [remoteRoot] = unpackDigests(
    parse(digestsResponseSchema, await ask({ op: 'root' })).digests,
    1,
  );
  const localRoot = reconciler.digest(ROOT);
  const done = (fetched: number, pulled: number, truncated: boolean): SyncResult => ({
    peer,
    equal: fetched === 0 && sameDigest(localRoot, remoteRoot as BucketDigest),
    requests,
    bucketsCompared,
    bucketsFetched: fetched,
    entriesPulled: pulled,
    truncated,
  });
  const toFetch: BucketRef[] = [];
  let frontier: number[] = [];
  classify(ROOT, remoteRoot as BucketDigest, localRoot, limits, toFetch, frontier);

  for (let depth = 0; depth < DIGEST_DEPTH && frontier.length > 0; depth++) {
    const next: number[] = [];
    for (const parents of chunks(frontier, limits.maxBucketsPerRequest)) {
      const response = parse(digestsResponseSchema, await ask({ op: 'children', depth, parents }));
      const remote = unpackDigests(response.digests, parents.length * DIGEST_BRANCHING);
      parents.forEach((parent, p) => {
        for (let c = 0; c < DIGEST_BRANCHING; c++) {
          const child: BucketRef = { depth: depth + 1, index: parent * DIGEST_BRANCHING + c };
          const theirs = remote[p * DIGEST_BRANCHING + c] as BucketDigest;
          bucketsCompared++;
          classify(child, theirs, reconciler.digest(child), limits, toFetch, next);
        }
      });
    }
    frontier = next;
  }

  let pulled = 0;
  let budget = limits.maxEntryBytesPerRound;
  for (const buckets of chunks(toFetch, limits.maxBucketsPerRequest)) {
    const response = parse(
      entriesResponseSchema,
      await ask({
        op: 'entries',
        buckets: buckets.map((b) => [b.depth, b.index]),
        maxBytes: budget,
      }),
    );
    const entries = response.entries.filter((e) => inAnyBucket(e, buckets));
    if (entries.length !== response.entries.length) {
      throw new GossipError(
        'ERR_INVALID_MESSAGE',
        'peer sent entries outside the requested buckets',
      );
    }
    await reconciler.apply(entries, peer);
    pulled += entries.length;
    budget -= entries.reduce((sum, e) => sum + entryBytes(e), 0);
    if (response.truncated || budget <= 0) return done(toFetch.length, pulled, true);
  }
  return done(toFetch.length, pulled, false);
}

/**
 * Decides what to do with one bucket given both digests: nothing (equal, or the peer has nothing
 * there to pull), fetch its entries (small enough, a leaf, or empty on our side so every entry is
 * news), or split it further.
 */
function classify(
  bucket: BucketRef,
  theirs: BucketDigest,
  ours: BucketDigest,
  limits: SyncLimits,
  toFetch: BucketRef[],
  toSplit: number[],
): void {
  if (sameDigest(theirs, ours) || theirs.count === 0) return;
  if (ours.count === 0 || theirs.count <= limits.leafEntries || bucket.depth === DIGEST_DEPTH) {
    toFetch.push(bucket);
  } else {
    toSplit.push(bucket.index);
  }
}

/** Size of an entry in the byte budget: key and value plus msgpack framing (over-estimated). */
export function entryBytes(entry: ReconcileEntry): number {
  return Buffer.byteLength(entry.key) + entry.value.byteLength + 16;
}

function inAnyBucket(entry: ReconcileEntry, buckets: readonly BucketRef[]): boolean {
  const hash = keyHash(entry.key);
  return buckets.some((b) => bucketOf(hash, b.depth).index === b.index);
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new GossipError('ERR_INVALID_MESSAGE', 'malformed anti-entropy response');
  return result.data;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
