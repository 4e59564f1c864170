import { describe, expect, it } from 'vitest';
import { createNodeMetrics } from '../src/metrics.js';
import type { ReplicationCounters } from '../src/metrics.js';

describe('metrics', () => {
  it('export what replication refused from peers, by reason', async () => {
    const metrics = createNodeMetrics({ defaultMetrics: false });
    const replication: ReplicationCounters = {
      transfersStarted: 0,
      transfersCompleted: 0,
      transfersFailed: 0,
      activeTransfers: 0,
      bytesPulled: 0,
      bytesServed: 0,
      announcementsSent: 0,
      announcementsReceived: 0,
      antiEntropyRounds: 0,
      invalidMessages: 1,
      futureVersionsRejected: 2,
      unknownHoldersDropped: 3,
      announcedEntriesThrottled: 4,
      transferTimeouts: 0,
      transferIdleTimeouts: 0,
      indexWriteFailures: 5,
      indexRecordsSkipped: 6,
      bodiesSalvaged: 7,
      bodiesQuarantined: 8,
      unclaimedBodiesRemoved: 9,
      supersededBodiesRemoved: 10,
    };
    metrics.setSources({
      localStats: () => ({ files: 0, bytes: 0 }),
      membersByState: () => ({}),
      replication: () => replication,
    });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^dfs_peer_input_rejected_total\{reason="invalid"\} 1$/m);
    expect(text).toMatch(/^dfs_peer_input_rejected_total\{reason="future_version"\} 2$/m);
    expect(text).toMatch(/^dfs_peer_input_rejected_total\{reason="unknown_holder"\} 3$/m);
    expect(text).toMatch(/^dfs_peer_input_rejected_total\{reason="throttled"\} 4$/m);
    expect(text).toMatch(/^dfs_index_events_total\{event="write_failed"\} 5$/m);
    expect(text).toMatch(/^dfs_index_events_total\{event="record_skipped"\} 6$/m);
    expect(text).toMatch(/^dfs_index_events_total\{event="body_salvaged"\} 7$/m);
    expect(text).toMatch(/^dfs_index_events_total\{event="body_quarantined"\} 8$/m);
    expect(text).toMatch(/^dfs_index_events_total\{event="unclaimed_body_removed"\} 9$/m);
    expect(text).toMatch(/^dfs_index_events_total\{event="superseded_body_removed"\} 10$/m);
  });
});
