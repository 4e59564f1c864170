/**
 * Every tunable of the membership protocol, with its default and the trade-off it makes. Times are
 * milliseconds on the injected clock. The defaults suit a LAN cluster of up to a few thousand nodes
 * and meet the targets the simulator checks: every live node learns of a failure within 10 probe
 * periods, and 5 % message loss causes no false deaths.
 */
export interface MembershipConfig {
  /**
   * How often this node probes one member. Shorter finds failures sooner but costs one ping (and
   * its ack) per node per interval: cluster-wide traffic grows linearly with size either way.
   */
  probeIntervalMs: number;
  /**
   * How long to wait for the direct ack before asking others to probe indirectly. Must exceed a
   * healthy round trip by a wide margin (99.9th percentile), or slow-but-alive nodes get suspected;
   * must stay well below `probeIntervalMs` so indirect probes have time to answer.
   */
  probeTimeoutMs: number;
  /**
   * How many members are asked to probe a target that missed its direct ack. More makes a false
   * suspicion from a lossy path rarer (each helper is an independent path) at the cost of 2 × k
   * extra messages per missed ack.
   */
  indirectChecks: number;
  /**
   * The shortest suspicion, in probe periods per log10(cluster size) (Lifeguard's α). A suspect is
   * declared dead after at least `suspicionMult × log10(n) × probeIntervalMs`. Larger gives a falsely
   * suspected node more time to refute; smaller declares real failures dead sooner.
   */
  suspicionMult: number;
  /**
   * The longest suspicion as a multiple of the shortest (Lifeguard's β). A suspicion nobody else
   * confirms lasts this long; each independent confirmation shrinks it towards the shortest, so a
   * lone node with a bad link cannot kill a healthy member quickly.
   */
  suspicionMaxMult: number;
  /**
   * Independent confirmations at which the suspicion reaches its shortest (Lifeguard's K). Usually
   * the number of indirect checks: that many independent paths failing is strong evidence.
   */
  suspicionConfirmations: number;
  /**
   * How often pending membership updates are pushed to `gossipFanout` random members, on top of
   * riding on every ping and ack. Faster spreads news sooner; the timer only runs while there is
   * something to say, so an idle cluster pays nothing.
   */
  gossipIntervalMs: number;
  /** Members each gossip round is sent to. More spreads faster and costs more messages. */
  gossipFanout: number;
  /**
   * Each update is sent `retransmitMult × ceil(log10(n + 1))` times by every node that learns it.
   * Higher makes it likelier that every node hears it despite loss; lower saves bandwidth, and CPU
   * on every receiver, which matters in a mass failure (a partition of 1,000 nodes makes every node
   * gossip 500 deaths). Anything a rumor misses is repaired by push-pull and probing.
   */
  retransmitMult: number;
  /**
   * Most updates carried by one message. Bounds message size; news beyond it waits for the next
   * message (least-sent first).
   */
  maxUpdatesPerMessage: number;
  /**
   * How often this node swaps its full member list with one random member (anti-entropy). It repairs
   * whatever rumors missed; a full list is O(n) bytes, so it runs rarely. The interval is stretched
   * for large clusters (× (1 + log2(n / 32)) above 32 members) to keep cluster-wide cost flat.
   */
  pushPullIntervalMs: number;
  /**
   * How often this node tries to sync with one member it believes dead. This is what heals a
   * partition: both halves marked each other dead, and nothing else would ever contact a dead node.
   * Shorter heals sooner; each attempt to a truly dead node costs one timed-out request.
   */
  reconnectIntervalMs: number;
  /**
   * How long a dead or left member stays in the list (visible, and tried by reconnect) before it is
   * reaped. Its incarnation is remembered for `tombstoneTtlMs` after that, so stale gossip cannot
   * bring it back.
   */
  deadReapMs: number;
  /** How long a reaped member's last incarnation is remembered. Memory versus stale-gossip safety. */
  tombstoneTtlMs: number;
  /** First delay before retrying the seeds when none answered; doubles up to `joinBackoffMaxMs`. */
  joinBackoffMs: number;
  /** Longest delay between join attempts. */
  joinBackoffMaxMs: number;
  /** Deadline for one join request to one seed. */
  joinRequestTimeoutMs: number;
  /**
   * `start()` rejects with ERR_JOIN_TIMEOUT when no seed answered within this time; 0 keeps trying
   * until `stop()` (the right choice when the cluster boots all at once).
   */
  joinTimeoutMs: number;
  /** Members told directly about a graceful leave (they gossip it on). */
  leaveFanout: number;
  /** `leave()` resolves after this long even when some members did not acknowledge. */
  leaveTimeoutMs: number;
}

export const DEFAULT_CONFIG: Readonly<MembershipConfig> = Object.freeze({
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 1,
  suspicionMaxMult: 4,
  suspicionConfirmations: 3,
  gossipIntervalMs: 200,
  gossipFanout: 3,
  retransmitMult: 3,
  maxUpdatesPerMessage: 32,
  pushPullIntervalMs: 30_000,
  reconnectIntervalMs: 5_000,
  deadReapMs: 10 * 60_000,
  tombstoneTtlMs: 60 * 60_000,
  joinBackoffMs: 500,
  joinBackoffMaxMs: 30_000,
  joinRequestTimeoutMs: 3000,
  joinTimeoutMs: 0,
  leaveFanout: 5,
  leaveTimeoutMs: 2000,
});

/** Fills in defaults and rejects settings that cannot work (throws ERR_INVALID_CONFIG). */
export function resolveConfig(
  overrides: Partial<MembershipConfig> | undefined,
  makeError: (message: string) => Error,
): MembershipConfig {
  const config: MembershipConfig = { ...DEFAULT_CONFIG, ...overrides };
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw makeError(`config.${key} must be a finite number >= 0, got ${String(value)}`);
    }
  }
  const positive: (keyof MembershipConfig)[] = [
    'probeIntervalMs',
    'probeTimeoutMs',
    'gossipIntervalMs',
    'gossipFanout',
    'retransmitMult',
    'maxUpdatesPerMessage',
    'pushPullIntervalMs',
    'reconnectIntervalMs',
    'joinBackoffMs',
    'joinRequestTimeoutMs',
    'suspicionMult',
    'suspicionMaxMult',
  ];
  for (const key of positive) {
    if (config[key] <= 0) throw makeError(`config.${key} must be > 0`);
  }
  if (config.probeTimeoutMs >= config.probeIntervalMs) {
    throw makeError('config.probeTimeoutMs must be shorter than config.probeIntervalMs');
  }
  if (config.suspicionMaxMult < 1) throw makeError('config.suspicionMaxMult must be >= 1');
  return config;
}
