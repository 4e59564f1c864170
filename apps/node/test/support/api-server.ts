/** Starts the API listener on 127.0.0.1:0 over a FakeFileService; `close()` stops everything. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { HttpTunables } from '../../src/config.js';
import { createApiListener, type ClusterView, type Lifecycle } from '../../src/http/api.js';
import { createNodeMetrics } from '../../src/metrics.js';
import type { PlacementControl } from '../../src/placement-control.js';
import type { DashboardAssets } from '../../src/http/dashboard-assets.js';
import type { LiveEvents } from '../../src/http/live-events.js';
import { FakeFileService } from './fake-file-service.js';

export interface TestApi {
  url: string;
  files: FakeFileService;
  setLifecycle(state: Lifecycle): void;
  close(): Promise<void>;
}

export async function startTestApi(
  options: {
    apiToken?: string;
    maxFileSize?: number;
    tunables?: HttpTunables;
    placement?: PlacementControl;
    events?: LiveEvents;
    dashboard?: DashboardAssets;
  } = {},
): Promise<TestApi> {
  const files = new FakeFileService();
  let lifecycle: Lifecycle = 'serving';
  const shutdown = new AbortController();
  const metrics = createNodeMetrics({ defaultMetrics: false });
  const self = {
    id: 'node-a',
    addr: '127.0.0.1:1',
    state: 'alive' as const,
    incarnation: 1,
    lastSeen: 0,
  };
  const cluster = (): ClusterView => ({
    self,
    members: [
      self,
      { id: 'node-b', addr: '127.0.0.1:2', state: 'dead', incarnation: 3, lastSeen: 5 },
    ],
    replicas: 3,
    rebalancePaused: false,
    underReplicated: 0,
    surplus: 0,
  });
  metrics.setSources({
    localStats: () => files.localStats(),
    membersByState: () => ({ alive: 1, dead: 1 }),
  });
  const listener = createApiListener({
    files,
    nodeId: 'node-a',
    lifecycle: () => lifecycle,
    cluster,
    metrics,
    logger: pino({ level: 'silent' }),
    maxFileSize: options.maxFileSize ?? 1024 * 1024,
    shutdown: shutdown.signal,
    ...(options.apiToken ? { apiToken: options.apiToken } : {}),
    ...(options.tunables ? { tunables: options.tunables } : {}),
    ...(options.placement ? { placement: options.placement } : {}),
    ...(options.events ? { events: options.events } : {}),
    ...(options.dashboard ? { dashboard: options.dashboard } : {}),
  });
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    files,
    setLifecycle: (state) => {
      lifecycle = state;
    },
    async close() {
      shutdown.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
