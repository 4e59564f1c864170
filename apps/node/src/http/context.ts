/**
 * What the HTTP front is given (ApiOptions) and what each route handles (RequestContext). Apart
 * from api.ts so the routes and the listener that dispatches to them both import it, and neither
 * imports the other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ClusterView, Member, StatusView } from '@dfs/api';
import type { FileService } from '@dfs/replication';
import type { HttpTunables } from '../config.js';
import type { NodeMetrics } from '../metrics.js';
import type { PlacementControl } from '../placement-control.js';
import type { UploadSessions } from '../uploads/upload-sessions.js';
import type { DashboardAssets } from './dashboard-assets.js';
import type { LiveEvents } from './live-events.js';

export type Lifecycle = 'starting' | 'serving' | 'stopping';

/** One member as `GET /v1/cluster` reports it (the contract's `Member`). */
export type MemberView = Member;
export type { ClusterView };

export interface ApiOptions {
  files: FileService;
  nodeId: string;
  lifecycle: () => Lifecycle;
  cluster: () => ClusterView;
  /**
   * `GET /v1/status`: every member with its stats (status/cluster-status.ts). Without it (tests of
   * the front alone) the endpoint answers 404.
   */
  status?: (signal: AbortSignal) => Promise<StatusView>;
  metrics: NodeMetrics;
  logger: Logger;
  maxFileSize: number;
  apiToken?: string;
  /** Aborted at shutdown: in-flight transfers stop. */
  shutdown: AbortSignal;
  /**
   * Placement: bounds and defaults `?w` by R, answers `?redirect=1`, and drains and removes
   * members. Without it (tests of the front alone) `?w` is 1–1000 (default 1), `?redirect` is
   * ignored and the node endpoints answer 404.
   */
  placement?: PlacementControl;
  /** Resumable upload sessions (`/v1/uploads`); without them those paths answer 404. */
  uploads?: UploadSessions;
  /** The live event stream (`GET /v1/events`); 404 without it. */
  events?: LiveEvents;
  /** The dashboard's built files (`GET /` and `/ui/…`, no token needed); 404 without them. */
  dashboard?: DashboardAssets;
  /** Write-wait and upload limits; DEFAULT_TUNABLES.http when absent. */
  tunables?: HttpTunables;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  query: URLSearchParams;
  signal: AbortSignal;
}
