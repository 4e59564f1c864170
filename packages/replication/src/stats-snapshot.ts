/**
 * One `ReplicationStats` from everything that counts: the engine's counters, the gauges of the
 * transfer queue and the index, and the anti-entropy rounds, which @dfs/gossip's `AntiEntropy`
 * counts itself (rounds run by its own timer and by `syncWith()` alike).
 */
import type { AntiEntropy } from '@dfs/gossip';
import type { FileIndex } from './file-index.js';
import type { PullQueue } from './pull-queue.js';
import type { ReplicationCounters, ReplicationStats } from './stats.js';

export function snapshotStats(sources: {
  counters: ReplicationCounters;
  pulls: PullQueue;
  index: FileIndex;
  antiEntropy: AntiEntropy;
  placement?: { underReplicatedFiles: number; surplusCopies: number; rebalancePaused: number };
}): ReplicationStats {
  const { counters, pulls, index, antiEntropy } = sources;
  const placementGauges = sources.placement ?? {
    underReplicatedFiles: 0,
    surplusCopies: 0,
    rebalancePaused: 0,
  };
  const rounds = antiEntropy.stats();
  const snapshot = counters.snapshot({
    activeTransfers: pulls.activeTransfers,
    queuedTransfers: pulls.queuedTransfers,
    indexEntries: index.size,
    indexWriteFailures: index.writeFailures,
    indexRecordsSkipped: index.recovery.recordsSkipped,
    ...placementGauges,
  });
  snapshot.antiEntropyRounds = rounds.rounds;
  snapshot.antiEntropyFailures = rounds.failedRounds;
  snapshot.invalidMessages += rounds.invalidMessages;
  return snapshot;
}
