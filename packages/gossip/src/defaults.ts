/**
 * Every tunable of @dfs/gossip with its default and the trade-off it makes. Constructors take a
 * partial options object and fill the rest from here.
 */

export const RUMOR_DEFAULTS = {
  /**
   * Peers each gossip round sends its queued rumors to. Higher spreads faster (rounds grow like
   * log_(fanout+1) N) but multiplies messages per round; 3 reaches 1,000 nodes in ~7 rounds.
   */
  fanout: 3,
  /**
   * Time between gossip rounds. Shorter means faster spread and more small packets; rumors are
   * batched per round, so a longer interval packs more rumors into each packet.
   */
  gossipIntervalMs: 200,
  /**
   * A rumor is sent at most `retransmitMultiplier * ceil(log10(N + 1))` times by each node (as in
   * memberlist). Higher makes coverage more certain under loss at the cost of more duplicates; 4
   * gives 100 % coverage of 1,000 nodes at 10 % loss. Anti-entropy repairs what rumors miss.
   */
  retransmitMultiplier: 4,
  /**
   * Upper bound on the encoded size of one rumor packet. Small packets keep a round cheap and bound
   * the memory a receiver must accept; too small and a burst of rumors takes many rounds to drain.
   */
  maxPacketBytes: 16 * 1024,
  /**
   * Largest payload a rumor may carry. Rumors are announcements, not bodies: bodies move over
   * transport streams. Must fit in `maxPacketBytes` with the envelope.
   */
  maxPayloadBytes: 8 * 1024,
  /**
   * How many recently seen message ids are remembered for dedup. A rumor whose id was forgotten can
   * be delivered again, but by then every node has exhausted its retransmissions, so this only needs
   * to outlive a rumor's spread (a few seconds of rumors). Costs ~100 bytes per id.
   */
  dedupCapacity: 16_384,
  /**
   * Most rumors waiting for retransmission. Beyond it, the most-transmitted ones are dropped first
   * (they have already reached most of the cluster); anti-entropy covers the loss.
   */
  maxQueuedRumors: 4_096,
  /** Transport protocol name rumor packets are sent on. */
  protocol: 'dfs/gossip/rumor/1',
} as const;

export const ANTI_ENTROPY_DEFAULTS = {
  /**
   * Time between reconciliations with one random peer. Convergence after a missed rumor takes about
   * log2(N) intervals; each agreeing exchange costs one small request, so short intervals are cheap
   * when nothing differs.
   */
  intervalMs: 10_000,
  /**
   * A differing bucket holding at most this many entries (on the remote side) is fetched whole
   * instead of being split further. Higher saves round trips, lower saves bytes when few entries in
   * a large bucket differ.
   */
  leafEntries: 8,
  /**
   * Buckets named in one request. Bounds request and response size when many buckets differ (e.g. a
   * fresh node); the rest is handled by further requests in the same round.
   */
  maxBucketsPerRequest: 64,
  /**
   * Most entry bytes a peer returns in one round. A node that is far behind catches up over several
   * rounds instead of in one huge response.
   */
  maxEntryBytesPerRound: 1024 * 1024,
  /** Deadline of each request in a reconciliation round. */
  requestTimeoutMs: 5_000,
  /** Transport protocol name prefix; the reconciler's `name` is appended. */
  protocolPrefix: 'dfs/gossip/anti-entropy/1/',
} as const;

/**
 * Shape of the digest tree, shared by every node of a cluster (a peer with another shape is
 * refused): 16 children per bucket, 4 levels below the root, so 65,536 leaf buckets. A difference
 * in k of n entries is found in about k * log16(n) bucket comparisons.
 */
export const DIGEST_BRANCHING_BITS = 4;
export const DIGEST_BRANCHING = 1 << DIGEST_BRANCHING_BITS;
export const DIGEST_DEPTH = 4;
