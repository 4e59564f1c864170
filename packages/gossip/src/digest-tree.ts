import { createHash } from 'node:crypto';
import { DIGEST_BRANCHING, DIGEST_BRANCHING_BITS, DIGEST_DEPTH } from './defaults.js';
import { GossipError } from './errors.js';

/**
 * The hashed key space is a 16-ary tree: a bucket at depth d holds the keys whose 32-bit key hash
 * starts with the d hex digits of `index` (depth 0 is the root, one bucket holding everything).
 */
export interface BucketRef {
  readonly depth: number;
  readonly index: number;
}

/**
 * Summary of the entries in one bucket: how many, and the XOR of their 64-bit entry hashes (split in
 * two unsigned 32-bit halves). Two buckets with equal digests hold the same entries with
 * overwhelming probability; XOR makes the digest order-independent and incrementally updatable.
 */
export interface BucketDigest {
  readonly count: number;
  readonly high: number;
  readonly low: number;
}

export const EMPTY_DIGEST: BucketDigest = Object.freeze({ count: 0, high: 0, low: 0 });

export function sameDigest(a: BucketDigest, b: BucketDigest): boolean {
  return a.count === b.count && a.high === b.high && a.low === b.low;
}

/** 32-bit hash of a key: decides which buckets it lives in, the same on every node. */
export function keyHash(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0);
}

/** The bucket at `depth` containing `key` (or a key with hash `hash`). */
export function bucketOf(key: string | number, depth: number): BucketRef {
  assertDepth(depth);
  const hash = typeof key === 'number' ? key >>> 0 : keyHash(key);
  return { depth, index: depth === 0 ? 0 : hash >>> (32 - DIGEST_BRANCHING_BITS * depth) };
}

/** The 16 children of a bucket, in index order. */
export function childrenOf(bucket: BucketRef): BucketRef[] {
  assertBucket(bucket);
  if (bucket.depth >= DIGEST_DEPTH) {
    throw new GossipError(
      'ERR_INVALID_OPTION',
      `a leaf bucket (depth ${DIGEST_DEPTH}) has no children`,
    );
  }
  const children: BucketRef[] = [];
  for (let c = 0; c < DIGEST_BRANCHING; c++) {
    children.push({ depth: bucket.depth + 1, index: bucket.index * DIGEST_BRANCHING + c });
  }
  return children;
}

export function isValidBucket(bucket: BucketRef): boolean {
  return (
    Number.isInteger(bucket.depth) &&
    bucket.depth >= 0 &&
    bucket.depth <= DIGEST_DEPTH &&
    Number.isInteger(bucket.index) &&
    bucket.index >= 0 &&
    bucket.index < 2 ** (DIGEST_BRANCHING_BITS * bucket.depth)
  );
}

function assertDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 0 || depth > DIGEST_DEPTH) {
    throw new GossipError('ERR_INVALID_OPTION', `bucket depth must be 0..${DIGEST_DEPTH}`);
  }
}

function assertBucket(bucket: BucketRef): void {
  if (!isValidBucket(bucket)) {
    throw new GossipError(
      'ERR_INVALID_OPTION',
      `no bucket ${bucket.index} at depth ${bucket.depth}`,
    );
  }
}

interface MutableDigest {
  count: number;
  high: number;
  low: number;
}

interface LeafEntry {
  readonly high: number;
  readonly low: number;
}

/**
 * An incrementally maintained hierarchical digest of a key → fingerprint map. The fingerprint is
 * whatever identifies an entry's version (e.g. `${version}:${sha256}`): two nodes agree on a key when
 * they hold the same fingerprint for it. `set` and `delete` cost O(depth); `digest(bucket)` is O(1);
 * `keysIn(bucket)` walks only the leaves under the bucket.
 */
export class DigestTree {
  /** levels[d] maps a bucket index at depth d to its digest; empty buckets are absent. */
  readonly #levels: Map<number, MutableDigest>[] = [];
  /** Per leaf bucket, the keys in it and their entry hashes (needed to XOR an old entry out). */
  readonly #leaves = new Map<number, Map<string, LeafEntry>>();
  #size = 0;

  constructor() {
    for (let d = 0; d <= DIGEST_DEPTH; d++) this.#levels.push(new Map());
  }

  get size(): number {
    return this.#size;
  }

  /** Records `key` with `fingerprint`, replacing its previous fingerprint. */
  set(key: string, fingerprint: string | Uint8Array): void {
    const hash = keyHash(key);
    const leafIndex = bucketOf(hash, DIGEST_DEPTH).index;
    let leaf = this.#leaves.get(leafIndex);
    if (!leaf) {
      leaf = new Map();
      this.#leaves.set(leafIndex, leaf);
    }
    const previous = leaf.get(key);
    const next = entryHash(key, fingerprint);
    if (previous) {
      if (previous.high === next.high && previous.low === next.low) return;
      this.#apply(hash, previous, -1);
    } else {
      this.#size++;
    }
    leaf.set(key, next);
    this.#apply(hash, next, +1);
  }

  /** Forgets `key`; returns whether it was present. */
  delete(key: string): boolean {
    const hash = keyHash(key);
    const leafIndex = bucketOf(hash, DIGEST_DEPTH).index;
    const leaf = this.#leaves.get(leafIndex);
    const previous = leaf?.get(key);
    if (!leaf || !previous) return false;
    leaf.delete(key);
    if (leaf.size === 0) this.#leaves.delete(leafIndex);
    this.#size--;
    this.#apply(hash, previous, -1);
    return true;
  }

  digest(bucket: BucketRef): BucketDigest {
    assertBucket(bucket);
    return this.#levels[bucket.depth]?.get(bucket.index) ?? EMPTY_DIGEST;
  }

  /** Keys whose hash falls in `bucket`. */
  keysIn(bucket: BucketRef): string[] {
    assertBucket(bucket);
    const shift = DIGEST_BRANCHING_BITS * (DIGEST_DEPTH - bucket.depth);
    const first = bucket.index * 2 ** shift;
    const end = first + 2 ** shift;
    const keys: string[] = [];
    if (end - first > this.#leaves.size) {
      for (const [index, leaf] of this.#leaves) {
        if (index >= first && index < end) keys.push(...leaf.keys());
      }
    } else {
      for (let index = first; index < end; index++) {
        const leaf = this.#leaves.get(index);
        if (leaf) keys.push(...leaf.keys());
      }
    }
    return keys;
  }

  /** XORs an entry hash into (sign +1) or out of (sign -1) every bucket on the key's path. */
  #apply(hash: number, entry: LeafEntry, sign: 1 | -1): void {
    for (let depth = 0; depth <= DIGEST_DEPTH; depth++) {
      const index = bucketOf(hash, depth).index;
      const level = this.#levels[depth] as Map<number, MutableDigest>;
      let node = level.get(index);
      if (!node) {
        node = { count: 0, high: 0, low: 0 };
        level.set(index, node);
      }
      node.count += sign;
      node.high = (node.high ^ entry.high) >>> 0;
      node.low = (node.low ^ entry.low) >>> 0;
      if (node.count === 0) level.delete(index);
    }
  }
}

function entryHash(key: string, fingerprint: string | Uint8Array): LeafEntry {
  const digest = createHash('sha256').update(key).update('\0').update(fingerprint).digest();
  return { high: digest.readUInt32BE(0), low: digest.readUInt32BE(4) };
}
