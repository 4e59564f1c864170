/**
 * Counters the node exports as metrics. Monotonic counts since start, plus gauges filled in at
 * snapshot time.
 */
export interface ReplicationStats {
  localPuts: number;
  localDeletes: number;
  announcementsSent: number;
  announcementsReceived: number;
  entriesSent: number;
  entriesReceived: number;
  sendFailures: number;
  invalidMessages: number;
  transfersStarted: number;
  transfersCompleted: number;
  transfersFailed: number;
  integrityFailures: number;
  /** Pull attempts given up because a holder missed its open or idle deadline. */
  transferTimeouts: number;
  /** Of those, the ones that had started sending (then fell silent for pullIdleTimeoutMs). */
  transferIdleTimeouts: number;
  bytesPulled: number;
  servesStarted: number;
  bytesServed: number;
  /** Pushes received during a peer's upload, and their bytes. */
  pushesReceived: number;
  bytesPushedIn: number;
  /** Versions recorded local without a transfer (pushed or already stored). */
  transfersAvoided: number;
  antiEntropyRounds: number;
  antiEntropyFailures: number;
  scrubbed: number;
  corruptDetected: number;
  /** Unreferenced bodies adopted as entries at open because the index had lost records. */
  bodiesSalvaged: number;
  /** Stored bodies no entry refers to, held for `unclaimedBodyTimeoutMs` (at open and pushes). */
  bodiesQuarantined: number;
  /** Held bodies deleted because nothing claimed them in time. */
  unclaimedBodiesRemoved: number;
  /** Bodies deleted at open because their name has a newer version or tombstone. */
  supersededBodiesRemoved: number;
  /** Index writes that failed (ENOSPC, EIO, short) and were undone; their mutations were refused. */
  indexWriteFailures: number;
  /** Records lost in damaged regions of the index log at the last open (0: the log was intact). */
  indexRecordsSkipped: number;
  /** Entries from peers refused because their version was too far ahead (incoming.ts). */
  futureVersionsRejected: number;
  /** Holder ids in peers' entries that name no known member, dropped before merging. */
  unknownHoldersDropped: number;
  /** Announced entries dropped by a peer's quota (`announceRatePerPeer`). */
  announcedEntriesThrottled: number;
  /** Body bytes pulled because placement wants them here (a target, or a stand-in for a down one). */
  rebalanceBytesPulled: number;
  /** Bytes of surplus copies deleted once every target confirmed its own (offload-then-drop). */
  rebalanceBytesDropped: number;
  /** Surplus copies deleted (offload-then-drop). */
  surplusCopiesDropped: number;
  /** Gauges. */
  /** Bodies being served to peers now (fetch streams open on this node). */
  servesInFlight: number;
  activeTransfers: number;
  queuedTransfers: number;
  indexEntries: number;
  /** Live files with fewer than R confirmed copies on their targets, as this node's index knows. */
  underReplicatedFiles: number;
  /**
   * Copies held by nodes placement no longer wants (not a target, not standing in for a down one),
   * cluster-wide as this node's holder slots say; each is dropped by its node after `dropDelayMs`.
   */
  surplusCopies: number;
  /** 1 while the placement brake holds (too few members up): nothing marked out or dropped. */
  rebalancePaused: number;
}

type Gauges = Pick<
  ReplicationStats,
  | 'activeTransfers'
  | 'queuedTransfers'
  | 'indexEntries'
  | 'indexWriteFailures'
  | 'indexRecordsSkipped'
  | 'underReplicatedFiles'
  | 'surplusCopies'
  | 'rebalancePaused'
>;
/** Filled in from @dfs/gossip's AntiEntropy at snapshot time. */
const NOT_COUNTED_HERE = { antiEntropyRounds: 0, antiEntropyFailures: 0 };

export class ReplicationCounters {
  localPuts = 0;
  localDeletes = 0;
  announcementsSent = 0;
  announcementsReceived = 0;
  entriesSent = 0;
  entriesReceived = 0;
  sendFailures = 0;
  invalidMessages = 0;
  transfersStarted = 0;
  transfersCompleted = 0;
  transfersFailed = 0;
  integrityFailures = 0;
  transferTimeouts = 0;
  transferIdleTimeouts = 0;
  bytesPulled = 0;
  servesStarted = 0;
  bytesServed = 0;
  pushesReceived = 0;
  bytesPushedIn = 0;
  transfersAvoided = 0;
  scrubbed = 0;
  corruptDetected = 0;
  bodiesSalvaged = 0;
  bodiesQuarantined = 0;
  unclaimedBodiesRemoved = 0;
  supersededBodiesRemoved = 0;
  futureVersionsRejected = 0;
  unknownHoldersDropped = 0;
  announcedEntriesThrottled = 0;
  rebalanceBytesPulled = 0;
  rebalanceBytesDropped = 0;
  surplusCopiesDropped = 0;
  /** A gauge kept here because the handler that starts and ends a serve holds the counters. */
  servesInFlight = 0;

  snapshot(gauges: Gauges): ReplicationStats {
    return { ...this, ...NOT_COUNTED_HERE, ...gauges };
  }
}
