import { describe, expect, it } from 'vitest';
import { createNodeMetrics } from '../src/metrics.js';
import type { ReplicationCounters } from '../src/metrics.js';

describe('metrics', () => {
  async function metricsText(): Promise<string> {
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
      rebalanceBytesPulled: 11,
      rebalanceBytesDropped: 12,
      surplusCopiesDropped: 13,
      underReplicatedFiles: 14,
      surplusCopies: 15,
      rebalancePaused: 1,
    };
    metrics.setSources({
      localStats: () => ({ files: 0, bytes: 0 }),
      membersByState: () => ({}),
      replication: () => replication,
      placementMembers: () => ({ in: 3, down: 1 }),
    });
    return metrics.registry.metrics();
  }

  it('export what replication refused from peers, by reason', async () => {
    const text = await metricsText();
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

  it('export placement: bytes moved by reason, copies dropped, the gauges and members by state', async () => {
    const text = await metricsText();
    expect(text).toMatch(/^dfs_rebalance_bytes_total\{reason="pulled"\} 11$/m);
    expect(text).toMatch(/^dfs_rebalance_bytes_total\{reason="dropped"\} 12$/m);
    expect(text).toMatch(/^dfs_surplus_copies_dropped_total 13$/m);
    expect(text).toMatch(/^dfs_under_replicated_files 14$/m);
    expect(text).toMatch(/^dfs_surplus_copies 15$/m);
    expect(text).toMatch(/^dfs_rebalance_paused 1$/m);
    expect(text).toMatch(/^dfs_placement_members\{state="in"\} 3$/m);
    expect(text).toMatch(/^dfs_placement_members\{state="down"\} 1$/m);
    // Every state is reported, 0 when no member is in it, so a dashboard's series never vanish.
    expect(text).toMatch(/^dfs_placement_members\{state="out"\} 0$/m);
    expect(text).toMatch(/^dfs_placement_members\{state="removed"\} 0$/m);
  });
});
