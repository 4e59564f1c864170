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
}): ReplicationStats {
  const { counters, pulls, index, antiEntropy } = sources;
  const rounds = antiEntropy.stats();
  const snapshot = counters.snapshot({
    activeTransfers: pulls.activeTransfers,
    queuedTransfers: pulls.queuedTransfers,
    indexEntries: index.size,
    indexWriteFailures: index.writeFailures,
    indexRecordsSkipped: index.recovery.recordsSkipped,
  });
  snapshot.antiEntropyRounds = rounds.rounds;
  snapshot.antiEntropyFailures = rounds.failedRounds;
  snapshot.invalidMessages += rounds.invalidMessages;
  return snapshot;
}
