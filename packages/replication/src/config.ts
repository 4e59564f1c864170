/**
 * Every tunable of the replication engine, with its default and the trade-off it makes.
 */
export interface ReplicationConfig {
  /**
   * Peers each announcement is sent to. Higher spreads a new version in fewer hops at the cost of
   * more (small) messages; a node re-announces only what changed its state, so spread terminates.
   */
  fanout: number;
  /**
   * How long announcements are batched before sending. 0 sends as soon as the current burst of work
   * settles (lowest latency); a larger value packs more entries per message under heavy write load.
   * (Not a gossip round: an announcement is sent once, to `fanout` peers; anti-entropy repairs loss.)
   */
  announceBatchMs: number;
  /**
   * Time between reconciliations with one random live peer. This is what repairs lost announcements,
   * partitions, restarts and late joins; an agreeing round costs one small request.
   */
  antiEntropyIntervalMs: number;
  /**
   * How long a tombstone is kept. A node that missed a delete and returns within this time does not
   * resurrect the file; after it, the tombstone is forgotten. Longer costs a small index entry.
   */
  tombstoneTtlMs: number;
  /**
   * Without placement: how many random live peers a put's body is pushed to *while* it is being
   * uploaded (push.ts: one stream to the first, which relays it down the chain of the others), so
   * replication overlaps the upload instead of following it. 0 disables: peers then pull after the
   * upload committed. The chain goes at the pace of its slowest node (backpressure), so keep it small.
   */
  pushPeers: number;
  /**
   * How long a put (or a node relaying a push) waits for the next node's push stream to open before
   * it tries the node after it (nodes that answer later are skipped and pull instead). Bounds what an
   * unreachable-but-listed peer costs a put.
   */
  pushOpenTimeoutMs: number;
  /**
   * A push that delivers no bytes for this long is abandoned (its bytes dropped) so a stalled
   * origin cannot hold the version's transfer slot forever; the body is then pulled instead.
   */
  pushIdleTimeoutMs: number;
  /** Largest body accepted by `put` (ERR_TOO_LARGE) and pulled from a peer. */
  maxFileBytes: number;
  /**
   * Body transfers (pulls from peers) running at once. Others wait in a queue. Higher overlaps more
   * latency; lower bounds disk and network contention and memory (each holds a few stream buffers).
   */
  transferConcurrency: number;
  /**
   * Deadline for a holder to open a fetch stream and send its first bytes. A holder that misses it
   * (paused, partitioned, overloaded) is abandoned and the next one tried, so a reader's response
   * starts, or fails, within a few of these. Also how long a reader waits for a transfer of the same
   * version that is already streaming before it streams a copy of its own. Too low abandons slow
   * but healthy holders (costing a retry elsewhere, never data).
   */
  pullOpenTimeoutMs: number;
  /**
   * A pull whose holder sends no bytes for this long (while this node is ready for more) is
   * abandoned and the next holder tried, so a stalled holder cannot hold a version's transfer.
   * A reader teed from a pull that takes no bytes for this long is cut off (ERR_TIMEOUT) so it
   * cannot hold the pull either.
   */
  pullIdleTimeoutMs: number;
  /**
   * Time between scrub steps; each step re-verifies `scrubBatch` local files against their sha256
   * and repairs corrupt ones from a peer. Scrubbing reads whole files, so keep it infrequent.
   */
  scrubIntervalMs: number;
  /** Files verified per scrub step. */
  scrubBatch: number;
  /** Deadline for asking peers about a name we do not know (read and delete misses). */
  lookupTimeoutMs: number;
  /**
   * How long a stored body that no index entry refers to is kept (a push whose announcement has not
   * arrived, a write whose index record failed, a body found at open beside an intact index) before
   * it is deleted. Longer lets a late announcement still claim the pushed bytes instead of pulling
   * them; shorter frees the disk sooner from uploads that failed.
   */
  unclaimedBodyTimeoutMs: number;
  /**
   * An entry from a peer whose version is this far or further ahead of the local wall clock is
   * refused: not applied, not observed by the version clock (incoming.ts). Without a bound one peer
   * (a bug or an attacker announcing the year 2126) pins every later version and every tombstone
   * expiry there, for good. NTP keeps honest clocks within milliseconds; a suspended VM or a host
   * without NTP can drift by seconds. One minute tolerates that with room to spare, and a refusal
   * only delays: anti-entropy offers the entry again every round and it is taken once the local
   * clock is within the bound. Larger lets a bad clock drag versions further ahead.
   */
  maxClockSkewMs: number;
  /**
   * Announced entries accepted per second from one peer (a token bucket on the injected clock);
   * the excess is dropped and counted, and anti-entropy delivers it later. Generous: an honest
   * peer sends a few entries per write (the version, then holder updates as copies land).
   */
  announceRatePerPeer: number;
  /** Tokens the per-peer bucket holds: the burst one peer may announce at once. */
  announceBurstPerPeer: number;
  /**
   * How long a surplus copy (held by a node placement no longer wants) is kept after every target
   * confirmed its own copy, before it is deleted (offload-then-drop, resync.ts). Garage waits 10 min
   * (`BLOCK_GC_DELAY`): a membership change undone within it (a target that flaps) costs no
   * second transfer. Shorter frees the disk sooner.
   */
  dropDelayMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const REPLICATION_DEFAULTS: ReplicationConfig = {
  fanout: 3,
  announceBatchMs: 0,
  antiEntropyIntervalMs: 5_000,
  tombstoneTtlMs: 7 * DAY_MS,
  pushPeers: 2,
  pushOpenTimeoutMs: 250,
  pushIdleTimeoutMs: 10_000,
  maxFileBytes: 64 * 1024 ** 3,
  transferConcurrency: 8,
  pullOpenTimeoutMs: 5_000,
  pullIdleTimeoutMs: 10_000,
  scrubIntervalMs: 60 * 60 * 1000,
  scrubBatch: 16,
  lookupTimeoutMs: 2_000,
  unclaimedBodyTimeoutMs: 10 * 60 * 1000,
  maxClockSkewMs: 60_000,
  announceRatePerPeer: 5_000,
  announceBurstPerPeer: 20_000,
  dropDelayMs: 10 * 60 * 1000,
};

export function resolveConfig(partial: Partial<ReplicationConfig> | undefined): ReplicationConfig {
  const config = { ...REPLICATION_DEFAULTS };
  for (const [key, value] of Object.entries(partial ?? {})) {
    // A field this config does not have (a typo, or a renamed one) is an error, not ignored.
    if (!Object.hasOwn(REPLICATION_DEFAULTS, key)) {
      throw new RangeError(`replication config has no field ${key}`);
    }
    if (value !== undefined) (config as Record<string, number>)[key] = value;
  }
  for (const [key, value] of Object.entries(config)) {
    const min = key === 'announceBatchMs' || key === 'pushPeers' ? 0 : 1;
    if (!Number.isFinite(value) || value < min) {
      throw new RangeError(`replication config ${key} must be a number >= ${min}, got ${value}`);
    }
  }
  return config;
}
