/**
 * Prometheus metrics on a registry of the node's own (never the global one), so several nodes can
 * share a process in tests. Gauges that mirror state (files, bytes, members) are computed at scrape
 * time from their sources instead of being kept in sync by hand.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricSources {
  localStats(): { files: number; bytes: number };
  /** Member count per state (alive, suspect, dead, left). */
  membersByState(): Record<string, number>;
}

export interface NodeMetrics {
  readonly registry: Registry;
  /** Observe one finished HTTP request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Body bytes moved through the HTTP API. */
  readonly httpBytes: Counter<'direction'>;
  /** File bodies moved between nodes (incremented by the replication engine when wired). */
  readonly transfers: Counter<'direction' | 'outcome'>;
  /** Gossip messages sent/received (incremented from the gossip layer when wired). */
  readonly gossipMessages: Counter<'direction'>;
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
  const transfers = new Counter({
    name: 'dfs_transfers_total',
    help: 'File bodies transferred between nodes',
    labelNames: ['direction', 'outcome'],
    registers: [registry],
  });
  const gossipMessages = new Counter({
    name: 'dfs_gossip_messages_total',
    help: 'Gossip messages sent and received',
    labelNames: ['direction'],
    registers: [registry],
  });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'dfs_' });

  return {
    registry,
    httpBytes,
    transfers,
    gossipMessages,
    observeRequest(method, route, status, seconds) {
      requestDuration.observe({ method, route, status: String(status) }, seconds);
    },
    setSources(next) {
      sources = next;
    },
  };
}
