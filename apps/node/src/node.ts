/**
 * Composition: one dfs node from its config. Opens identity, store and index; binds the shared
 * port (or the peer port plus `--api`); wires transport, membership and the replication engine; and
 * owns the shutdown order (shutdown.ts). Everything here is started by `startNode` and stopped by
 * `close()`. Tunables come from config.ts; `tunables` overrides any of them.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { StatusView } from '@dfs/api';
import { openStore } from '@dfs/store';
import { systemClock, systemRandom, type Clock, type Random } from '@dfs/transport';
import type { NodeConfig } from './cli/options.js';
import { resolveTunables, type TunableOverrides } from './config.js';
import { createApiListener, type ClusterView, type Lifecycle } from './http/api.js';
import { createNodeHttpServer } from './http-server.js';
import { loadDashboardAssets } from './http/dashboard-assets.js';
import { createLiveEvents } from './http/live-events.js';
import { dashboardDir } from './dashboard-dir.js';
import { lockDataDir } from './data-lock.js';
import { loadIdentity } from './identity.js';
import type { PeerConnectionSink } from './listener.js';
import { clusterView, createNodeMembership } from './membership.js';
import { metricSourcesOf } from './metric-sources.js';
import { createNodeMetrics, type NodeMetrics } from './metrics.js';
import { createPeerTransport } from './peer-transport.js';
import { apiBaseUrl, openNodePlacement, watchReplicasConflict } from './node-placement.js';
import { placementControl } from './placement-control.js';
import { closeHttpServer, stopParts, type ShutdownReport } from './shutdown.js';
import {
  bindListeners,
  catchUpWithOnePeer,
  readTls,
  warnIfExposed,
  warnIfUnroutable,
  warnWhileAlone,
} from './startup.js';
import { clusterStatus } from './status/cluster-status.js';
import { UploadSessions } from './uploads/upload-sessions.js';
import { nodeStatsReader } from './status/node-stats.js';
import { askMembersForStats, serveStats } from './status/stats-protocol.js';
import { createReplicatedFileService } from '@dfs/replication';
import { startS3 } from './s3/start.js';

export type { ShutdownReport } from './shutdown.js';

export interface StartNodeOptions {
  config: NodeConfig;
  logger: Logger;
  clock?: Clock;
  random?: Random;
  /** Tunables that differ from config.ts's defaults (tests shorten timeouts with it). */
  tunables?: TunableOverrides;
}

export interface RunningNode {
  readonly id: string;
  readonly incarnation: number;
  /** The address peers dial (advertised). */
  readonly address: string;
  /** Where the HTTP API answers (`host:port`). */
  readonly apiAddress: string;
  /** Where the S3 endpoint answers (`host:port`), when `--s3` is on. */
  readonly s3Address?: string;
  readonly metrics: NodeMetrics;
  /**
   * Graceful stop: refuse new work, abort transfers, leave the cluster, release everything. Each
   * step is bounded (shutdown.* tunables), so it resolves in about 3 s at worst.
   */
  close(): Promise<void>;
  /** After close() resolved: how long it took and which steps overran (undefined before). */
  shutdownReport(): ShutdownReport | undefined;
  /**
   * Resolves with an exit code once the node stopped itself (closed already): 2 when its
   * `--replicas` differs from the cluster's. Never resolves on a normal run.
   */
  readonly exitRequest: Promise<number>;
}

export async function startNode(options: StartNodeOptions): Promise<RunningNode> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const tunables = resolveTunables(options.tunables);
  const cleanups: (() => Promise<void> | void)[] = [];
  const runCleanups = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn({ err: error }, 'error while stopping');
      }
    }
  };

  const startedAt = clock.now();
  // The first directory this start created, if any: a failed start removes it again, so a typo in
  // the port does not leave a fresh, empty data directory behind.
  let createdDir: string | undefined;
  try {
    createdDir = await mkdir(config.dataDir, { recursive: true });
    const unlock = await lockDataDir(config.dataDir);
    cleanups.push(unlock);
    const identity = await loadIdentity(config.dataDir);
    const log = logger.child({ node: identity.id });
    const tls = config.tls ? await readTls(config.tls) : undefined;
    const store = await openStore({ dir: path.join(config.dataDir, 'store') });
    cleanups.push(() => store.close());

    let lifecycle: Lifecycle = 'starting';
    const shutdown = new AbortController();
    const metrics = createNodeMetrics();

    const httpFront = createNodeHttpServer(tunables.http, identity.id, log);
    const httpServer = httpFront.server;
    cleanups.push(() => closeHttpServer(httpServer));

    // The peer sink is attached once the transport exists; a peer that dials earlier is treated as
    // HTTP, refused, and retries.
    const peerSink: { current?: PeerConnectionSink } = {};
    const lazyPeer: PeerConnectionSink = {
      isPeerProtocol: (bytes) => peerSink.current?.isPeerProtocol(bytes) ?? false,
      handleConnection: (socket, bytes) => peerSink.current?.handleConnection(socket, bytes),
    };
    const { listeners, address, apiAddress } = await bindListeners({
      config,
      httpServer,
      peer: lazyPeer,
      tls,
      tunables: tunables.listener,
      clock,
      logger: log,
      opened: (listener) => cleanups.push(() => listener.close()),
    });

    const transport = await createPeerTransport({
      id: identity.id,
      address,
      secret: config.secret,
      tls,
      clock,
      random,
      drainTimeoutMs: tunables.peerTransport.drainTimeoutMs,
      redialMaxMs: tunables.reconnect.redialMaxMs,
      logger: log.child({ component: 'transport' }),
    });
    peerSink.current = transport;
    cleanups.push(() => transport.close());
    // Refused peers are logged by the transport itself (rate-limited per reason), not again here.

    const members = createNodeMembership({
      transport,
      clock,
      random,
      incarnation: identity.incarnation,
      config,
      tunables,
      logger: log.child({ component: 'membership' }),
    });
    cleanups.push(() => members.stop());

    const nodePlacement = await openNodePlacement({
      nodeId: identity.id,
      config,
      tunables: tunables.placement,
      api: apiBaseUrl(config, apiAddress),
      members,
      transport,
      clock,
      random,
      logger: log.child({ component: 'placement' }),
    });
    cleanups.push(() => nodePlacement.close());
    cleanups.push(() => nodePlacement.stop());
    const { placement } = nodePlacement;

    const files = await createReplicatedFileService({
      nodeId: identity.id,
      dataDir: path.join(config.dataDir, 'index'),
      store,
      transport,
      peers: () => members.liveMembers().map((m) => ({ id: m.id, address: m.address })),
      // Holders in peers' entries must be members we know in any state (dead ones until reaped).
      members: () => members.members().map((m) => m.id),
      clock,
      random,
      config: {
        fanout: config.fanout,
        antiEntropyIntervalMs: config.antiEntropyIntervalMs,
        tombstoneTtlMs: config.tombstoneTtlMs,
        maxFileBytes: config.maxFileSize,
        dropDelayMs: config.dropDelayMs,
      },
      placement,
      logger: log.child({ component: 'replication' }),
    });
    cleanups.push(() => files.stop());

    const uploads = await UploadSessions.open({
      dir: path.join(config.dataDir, 'uploads'),
      clock,
      maxFileBytes: config.maxFileSize,
      ...tunables.uploads,
      onDropped: (id, reason) =>
        log.warn({ upload: id, reason }, 'dropped an unreadable upload session'),
    });
    cleanups.push(() => uploads.close());
    metrics.setSources(metricSourcesOf({ files, members, transport, placement }));
    const s3 = config.s3
      ? await startS3({
          config: config.s3,
          files,
          dataDir: config.dataDir,
          clock,
          logger: log.child({ component: 's3' }),
          maxFileSize: config.maxFileSize,
          shutdown: shutdown.signal,
          limits: tunables.http,
        })
      : undefined;
    if (s3) cleanups.push(() => s3.close());
    const s3View = s3 ? { s3: { address: s3.address, region: s3.region } } : {};
    const cluster = (): ClusterView => ({
      ...clusterView(members, clock, placement, () => files.stats()),
      ...s3View,
    });
    const ownStats = nodeStatsReader({
      dataDir: config.dataDir,
      clock,
      startedAt,
      localStats: () => files.localStats(),
      replication: () => files.stats(),
      transportBytes: () => transport.stats(),
      httpBytes: () => metrics.httpBodyBytes(),
    });
    serveStats(transport, ownStats);
    const status = (signal: AbortSignal): Promise<StatusView> =>
      clusterStatus({
        cluster,
        ownStats,
        apiOf: (id) => placement.apiOf(id),
        ask: (asked) =>
          askMembersForStats({
            transport,
            clock,
            members: asked,
            deadlineMs: tunables.http.statusDeadlineMs,
            signal,
          }),
        now: () => clock.now(),
      });
    const liveEvents = createLiveEvents({
      selfId: identity.id,
      clock,
      watchMembers: (listener) => {
        members.on('update', listener);
        return () => members.off('update', listener);
      },
      watchFiles: (listener) => files.watchFiles(listener),
      stats: async () => ({
        stats: await ownStats(),
        underReplicated: files.stats().underReplicatedFiles,
      }),
      limits: tunables.events,
      logger: log.child({ component: 'events' }),
    });
    cleanups.push(() => liveEvents.close());
    const dashboard = await loadDashboardAssets(dashboardDir());
    httpFront.serve(
      createApiListener({
        files,
        nodeId: identity.id,
        lifecycle: () => lifecycle,
        cluster,
        status,
        uploads,
        metrics,
        logger: log.child({ component: 'http' }),
        maxFileSize: config.maxFileSize,
        tunables: tunables.http,
        shutdown: shutdown.signal,
        placement: placementControl({
          nodeId: identity.id,
          placement,
          store,
          liveIds: () => members.liveMembers().map((m) => m.id),
        }),
        events: liveEvents,
        ...(dashboard ? { dashboard } : {}),
        ...(config.apiToken ? { apiToken: config.apiToken } : {}),
      }),
    );

    let closing: Promise<void> | undefined;
    let finished: ShutdownReport | undefined;
    let requestExit: (code: number) => void = () => undefined;
    const exitRequest = new Promise<number>((resolve) => (requestExit = resolve));

    await transport.listen();
    nodePlacement.start();
    files.start();
    // A node whose --replicas differs from the cluster's would place files where no other node
    // looks for them: say so on one line and stop (exit code 2, like a usage error).
    let conflicted = false;
    let stopForConflict: () => void = () => undefined;
    const unwatchConflict = watchReplicasConflict(placement, (message) => {
      log.error({ replicas: config.replicas }, message);
      conflicted = true;
      stopForConflict();
    });
    cleanups.push(unwatchConflict);
    const joined = members.start();
    const stopAloneWarning = warnWhileAlone({
      seeds: config.peers,
      joined,
      warnAfterMs: tunables.reconnect.seedWarnMs,
      clock,
      logger: log,
    });
    cleanups.push(stopAloneWarning);
    joined
      .then(async () => {
        await nodePlacement.syncWithOnePeer();
        await catchUpWithOnePeer({
          members,
          files,
          random,
          selfId: identity.id,
          stillServing: () => lifecycle === 'serving',
        });
      })
      .catch((error: unknown) => {
        if (lifecycle !== 'stopping') log.error({ err: error }, 'could not join the cluster');
      });
    lifecycle = 'serving';
    warnIfExposed(config, log);
    warnIfUnroutable(config, address, log);

    const running: RunningNode = {
      id: identity.id,
      incarnation: identity.incarnation,
      address,
      apiAddress,
      ...(s3 ? { s3Address: s3.address } : {}),
      metrics,
      close() {
        closing ??= (async () => {
          // close() owns the order from here; the startup list is only for a failed start.
          cleanups.splice(0);
          lifecycle = 'stopping';
          shutdown.abort(new Error('node is stopping'));
          liveEvents.close();
          unwatchConflict();
          stopAloneWarning();
          uploads.close();
          await s3
            ?.close()
            .catch((error: unknown) => log.warn({ err: error }, 'error while stopping S3'));
          finished = await stopParts(
            {
              listeners,
              httpServer,
              members,
              files,
              placement: nodePlacement,
              transport,
              store,
              unlock,
            },
            tunables,
            clock,
            log,
          );
        })();
        return closing;
      },
      shutdownReport: () => finished,
      exitRequest,
    };
    stopForConflict = () => {
      void running.close().then(() => requestExit(2));
    };
    // Already known at open (from nodes.json): stop now that there is a node to stop.
    if (conflicted) stopForConflict();
    return running;
  } catch (error) {
    await runCleanups();
    if (createdDir !== undefined) await rm(createdDir, { recursive: true, force: true });
    throw error;
  }
}
