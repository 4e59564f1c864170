/**
 * Token buckets per peer, on the injected clock: each peer may spend `ratePerSecond` tokens a second
 * with bursts up to `capacity`. The map of buckets is bounded (`maxPeers`); the least recently used
 * bucket is forgotten first, which only ever hands a peer a full bucket again.
 */
export interface TokenBucketOptions {
  ratePerSecond: number;
  capacity: number;
  /** Buckets remembered at once. */
  maxPeers?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const DEFAULT_MAX_PEERS = 4_096;

export class PeerTokenBuckets {
  readonly #ratePerMs: number;
  readonly #capacity: number;
  readonly #maxPeers: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: TokenBucketOptions) {
    this.#ratePerMs = options.ratePerSecond / 1000;
    this.#capacity = options.capacity;
    this.#maxPeers = options.maxPeers ?? DEFAULT_MAX_PEERS;
  }

  /** Takes up to `wanted` tokens from `peer`'s bucket at time `now`; returns how many it got. */
  take(peer: string, wanted: number, now: number): number {
    const bucket = this.#bucket(peer, now);
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.#capacity, bucket.tokens + elapsed * this.#ratePerMs);
    bucket.updatedAt = now;
    const granted = Math.min(Math.max(0, wanted), Math.floor(bucket.tokens));
    bucket.tokens -= granted;
    return granted;
  }

  get size(): number {
    return this.#buckets.size;
  }

  #bucket(peer: string, now: number): Bucket {
    let bucket = this.#buckets.get(peer);
    if (bucket !== undefined) {
      this.#buckets.delete(peer); // re-inserted below: Map order is recency order
    } else {
      bucket = { tokens: this.#capacity, updatedAt: now };
      if (this.#buckets.size >= this.#maxPeers) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    }
    this.#buckets.set(peer, bucket);
    return bucket;
  }
}
