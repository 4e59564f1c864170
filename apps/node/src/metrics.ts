/**
 * Prometheus metrics on a registry of the node's own (never the global one), so several nodes can
 * share a process in tests. Gauges that mirror state (files, bytes, members) are computed at scrape
 * time from their sources instead of being kept in sync by hand.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The replication counters the node exports (a subset of the engine's stats). */
export interface ReplicationCounters {
  transfersStarted: number;
  transfersCompleted: number;
  transfersFailed: number;
  /** Pull attempts given up at a deadline (all), and those after the holder had started sending. */
  transferTimeouts: number;
  transferIdleTimeouts: number;
  activeTransfers: number;
  bytesPulled: number;
  bytesServed: number;
  announcementsSent: number;
  announcementsReceived: number;
  antiEntropyRounds: number;
  indexWriteFailures: number;
  indexRecordsSkipped: number;
  bodiesSalvaged: number;
  bodiesQuarantined: number;
  unclaimedBodiesRemoved: number;
  supersededBodiesRemoved: number;
  /** What peers sent that the engine refused or dropped (docs/operations.md, "Hostile peers"). */
  invalidMessages: number;
  futureVersionsRejected: number;
  unknownHoldersDropped: number;
  announcedEntriesThrottled: number;
  /** Placement (issue 12): bytes moved and copies dropped by rebalancing, and its gauges. */
  rebalanceBytesPulled: number;
  rebalanceBytesDropped: number;
  surplusCopiesDropped: number;
  underReplicatedFiles: number;
  surplusCopies: number;
  /** 1 while the brake holds. */
  rebalancePaused: number;
}

/** The placement states `dfs_placement_members` always reports (0 when none). */
const PLACEMENT_STATES = ['in', 'down', 'out', 'draining', 'removed'] as const;

/** Peer-transport counters (TcpTransport's `stats()`). */
export interface PeerTransportCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  rejects: Record<string, number>;
  openConnections: number;
  handshaking: number;
  idleStreamResets: number;
}

export interface MetricSources {
  localStats(): { files: number; bytes: number };
  transport?(): PeerTransportCounters;
  /** Member count per state (alive, suspect, dead, left). */
  membersByState(): Record<string, number>;
  replication?(): ReplicationCounters;
  /** Members per placement state (in, down, out, draining, removed). */
  placementMembers?(): Record<string, number>;
}

export interface NodeMetrics {
  readonly registry: Registry;
  /** Observe one finished HTTP request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Count body bytes moved through the HTTP API (the counter and the totals below). */
  countHttpBytes(direction: 'in' | 'out', bytes: number): void;
  /** Body bytes received and sent through the HTTP API since start (for `/v1/status`). */
  httpBodyBytes(): { in: number; out: number };
  setSources(sources: MetricSources): void;
}

export function createNodeMetrics(options: { defaultMetrics?: boolean } = {}): NodeMetrics {
  const registry = new Registry();
  let sources: MetricSources | undefined;

  new Gauge({
    name: 'dfs_files',
    help: 'Live files held on this node',
    registers: [registry],
    collect() {
      if (sources) this.set(sources.localStats().files);
    },
  });
  new Gauge({
    name: 'dfs_bytes',
    help: 'Bytes of live files held on this node',
    registers: [registry],
    collect() {
      if (sources) this.set(sources.localStats().bytes);
    },
  });
  new Gauge({
    name: 'dfs_members',
    help: 'Cluster members known to this node, by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      if (!sources) return;
      this.reset();
      const counts = { alive: 0, suspect: 0, dead: 0, left: 0, ...sources.membersByState() };
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });
  const requestDuration = new Histogram({
    name: 'dfs_http_request_duration_seconds',
    help: 'HTTP API request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const httpBytes = new Counter({
    name: 'dfs_http_body_bytes_total',
    help: 'File body bytes received (in) and sent (out) through the HTTP API',
    labelNames: ['direction'],
    registers: [registry],
  });
  // Counters owned by the replication engine and the transport, mirrored at scrape time (reset,
  // then set to the source's count).
  const mirrored = <S>(
    source: () => S | undefined,
    name: string,
    help: string,
    labelName: string,
    pick: (stats: S) => Record<string, number>,
  ): void => {
    new Counter({
      name,
      help,
      labelNames: [labelName],
      registers: [registry],
      collect() {
        const stats = source();
        if (!stats) return;
        this.reset();
        for (const [label, value] of Object.entries(pick(stats)))
          this.inc({ [labelName]: label }, value);
      },
    });
  };
  const replicationStats = (): ReplicationCounters | undefined => sources?.replication?.();
  const transportStats = (): PeerTransportCounters | undefined => sources?.transport?.();
  mirrored(
    replicationStats,
    'dfs_transfers_total',
    'File bodies pulled from peers, by outcome',
    'outcome',
    (s) => ({
      started: s.transfersStarted,
      completed: s.transfersCompleted,
      failed: s.transfersFailed,
    }),
  );
  mirrored(
    replicationStats,
    'dfs_transfer_timeouts_total',
    'Pull attempts given up because the holder did not start sending in time (open) or fell silent (idle)',
    'phase',
    (s) => ({
      open: s.transferTimeouts - s.transferIdleTimeouts,
      idle: s.transferIdleTimeouts,
    }),
  );
  mirrored(
    replicationStats,
    'dfs_transfer_bytes_total',
    'File body bytes moved between nodes',
    'direction',
    (s) => ({
      pulled: s.bytesPulled,
      served: s.bytesServed,
    }),
  );
  mirrored(
    replicationStats,
    'dfs_gossip_messages_total',
    'Replication gossip messages',
    'kind',
    (s) => ({
      announce_sent: s.announcementsSent,
      announce_received: s.announcementsReceived,
      anti_entropy_round: s.antiEntropyRounds,
    }),
  );
  mirrored(
    replicationStats,
    'dfs_index_events_total',
    'Index faults and how stored bodies the index did not refer to were handled',
    'event',
    (s) => ({
      write_failed: s.indexWriteFailures,
      record_skipped: s.indexRecordsSkipped,
      body_salvaged: s.bodiesSalvaged,
      body_quarantined: s.bodiesQuarantined,
      unclaimed_body_removed: s.unclaimedBodiesRemoved,
      superseded_body_removed: s.supersededBodiesRemoved,
    }),
  );
  mirrored(
    replicationStats,
    'dfs_peer_input_rejected_total',
    'What peers sent that replication refused or dropped, by reason',
    'reason',
    (s) => ({
      invalid: s.invalidMessages,
      future_version: s.futureVersionsRejected,
      unknown_holder: s.unknownHoldersDropped,
      throttled: s.announcedEntriesThrottled,
    }),
  );
  mirrored(
    transportStats,
    'dfs_peer_frames_total',
    'Peer-protocol frames (every gossip, probe and transfer message)',
    'direction',
    (t) => ({
      in: t.framesIn,
      out: t.framesOut,
    }),
  );
  mirrored(
    transportStats,
    'dfs_peer_bytes_total',
    'Peer-protocol bytes on the wire',
    'direction',
    (t) => ({
      in: t.bytesIn,
      out: t.bytesOut,
    }),
  );
  mirrored(
    transportStats,
    'dfs_peer_rejects_total',
    'Peer connections refused or dropped, by reason',
    'code',
    (t) => t.rejects,
  );
  mirrored(
    transportStats,
    'dfs_peer_streams_reset_total',
    'Peer streams the transport reset itself, by reason (ERR_STREAM_IDLE: no progress)',
    'code',
    (t) => ({ ERR_STREAM_IDLE: t.idleStreamResets }),
  );
  new Gauge({
    name: 'dfs_peer_handshakes',
    help: 'Peer connections still in their handshake (capped apart from established ones)',
    registers: [registry],
    collect() {
      const stats = transportStats();
      if (stats) this.set(stats.handshaking);
    },
  });
  new Gauge({
    name: 'dfs_peer_connections',
    help: 'Authenticated peer connections open now',
    registers: [registry],
    collect() {
      const stats = transportStats();
      if (stats) this.set(stats.openConnections);
    },
  });
  new Gauge({
    name: 'dfs_transfers_active',
    help: 'File bodies being pulled from peers right now',
    registers: [registry],
    collect() {
      const stats = sources?.replication?.();
      if (stats) this.set(stats.activeTransfers);
    },
  });
  const replicationGauge = (
    name: string,
    help: string,
    pick: (stats: ReplicationCounters) => number,
  ): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const stats = replicationStats();
        if (stats) this.set(pick(stats));
      },
    });
  };
  replicationGauge(
    'dfs_under_replicated_files',
    'Live files with fewer than R confirmed copies on their targets, as this node knows',
    (s) => s.underReplicatedFiles,
  );
  replicationGauge(
    'dfs_surplus_copies',
    'Copies on any node that placement no longer wants there, as this node knows (each dropped after the drop delay)',
    (s) => s.surplusCopies,
  );
  replicationGauge(
    'dfs_rebalance_paused',
    '1 while the placement brake holds (too few members up): no member marked out, no copy dropped',
    (s) => s.rebalancePaused,
  );
  mirrored(
    replicationStats,
    'dfs_rebalance_bytes_total',
    'File body bytes moved by rebalancing: pulled to a target, or dropped from a non-target',
    'reason',
    (s) => ({ pulled: s.rebalanceBytesPulled, dropped: s.rebalanceBytesDropped }),
  );
  new Counter({
    name: 'dfs_surplus_copies_dropped_total',
    help: 'Surplus copies deleted once every target confirmed its own (offload-then-drop)',
    registers: [registry],
    collect() {
      const stats = replicationStats();
      if (!stats) return;
      this.reset();
      this.inc(stats.surplusCopiesDropped);
    },
  });
  new Gauge({
    name: 'dfs_placement_members',
    help: 'Members by placement state (in, down, out, draining, removed), as this node sees them',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = sources?.placementMembers?.();
      if (!counts) return;
      this.reset();
      for (const state of PLACEMENT_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'dfs_' });

  const httpTotals = { in: 0, out: 0 };
  return {
    registry,
    countHttpBytes(direction, bytes) {
      httpBytes.inc({ direction }, bytes);
      httpTotals[direction] += bytes;
    },
    httpBodyBytes: () => ({ ...httpTotals }),
    observeRequest(method, route, status, seconds) {
      requestDuration.observe({ method, route, status: String(status) }, seconds);
    },
    setSources(next) {
      sources = next;
    },
  };
}
