/**
 * The node's placement (issue 12): `ClusterPlacement` opened on the data directory, told of every
 * membership change and ticked every probe period (the grace period and the brake run on those
 * ticks), its nodes table synced with peers, and the one check a joining node must pass: its
 * `--replicas` is the cluster's.
 */
import type { Logger } from 'pino';
import type { Membership } from '@dfs/peer-discovery';
import {
  sample,
  type Clock,
  type PeerInfo,
  type Random,
  type Timer,
  type Transport,
} from '@dfs/transport';
import type { NodeConfig } from './cli/options.js';
import type { PlacementTunables } from './config.js';
import { ClusterPlacement, NodesTableSync } from '@dfs/replication';

export interface ReplicasConflict {
  clusterReplicas: number;
  ownReplicas: number;
}

/** The one line a node with the wrong `--replicas` logs before it stops (exit code 2). */
export function replicasConflictMessage(conflict: ReplicasConflict): string {
  return `--replicas ${conflict.ownReplicas} differs from the cluster's ${conflict.clusterReplicas}; start with --replicas ${conflict.clusterReplicas}`;
}

/**
 * Calls `onConflict` once, with the message, as soon as `placement` reports a replicas conflict
 * (checked now and after every change). Returns an unsubscribe.
 */
export function watchReplicasConflict(
  placement: Pick<ClusterPlacement, 'replicasConflict' | 'onChange'>,
  onConflict: (message: string) => void,
): () => void {
  let reported = false;
  const check = (): void => {
    const conflict = placement.replicasConflict;
    if (conflict === undefined || reported) return;
    reported = true;
    onConflict(replicasConflictMessage(conflict));
  };
  const unsubscribe = placement.onChange(check);
  check();
  return unsubscribe;
}

/** `http://host:port` (or https with TLS) where peers and clients reach this node's API. */
export function apiBaseUrl(
  config: Pick<NodeConfig, 'advertise' | 'tls'>,
  apiAddress: string,
): string {
  const scheme = config.tls ? 'https' : 'http';
  const port = apiAddress.slice(apiAddress.lastIndexOf(':') + 1);
  if (config.advertise === undefined) return `${scheme}://${apiAddress}`;
  // The advertised host with the API's port: `--advertise` names the host others reach us by.
  const host = config.advertise.slice(0, config.advertise.lastIndexOf(':'));
  return `${scheme}://${host}:${port}`;
}

export interface NodePlacement {
  readonly placement: ClusterPlacement;
  /** Starts feeding membership in, the tick timer and the periodic table sync. */
  start(): void;
  /** One table sync with one live peer now (after the join), so the R check runs at once. */
  syncWithOnePeer(): Promise<void>;
  /** Stops the feed, the timer and the sync (synchronous; before replication stops). */
  stop(): void;
  /** Closes the placement (after replication stopped). */
  close(): Promise<void>;
}

export async function openNodePlacement(options: {
  nodeId: string;
  config: Pick<NodeConfig, 'replicas' | 'capacity' | 'dataDir' | 'probeIntervalMs'>;
  tunables: PlacementTunables;
  api: string;
  members: Membership;
  transport: Transport;
  clock: Clock;
  random: Random;
  logger: Logger;
}): Promise<NodePlacement> {
  const { config, tunables, members, clock, random } = options;
  const placement = await ClusterPlacement.open({
    nodeId: options.nodeId,
    replicas: config.replicas,
    capacity: config.capacity,
    api: options.api,
    clock,
    outAfterMs: tunables.outAfterMs,
    minUpRatio: tunables.minUpRatio,
    dir: config.dataDir,
    onPersistError: (error) =>
      options.logger.warn({ err: error }, 'could not write the nodes table (nodes.json)'),
  });
  const livePeers = (): PeerInfo[] =>
    members
      .liveMembers()
      .filter((m) => m.id !== options.nodeId)
      .map((m) => ({ id: m.id, address: m.address }));
  const sync = new NodesTableSync({
    transport: options.transport,
    placement,
    peers: livePeers,
    clock,
    random,
    intervalMs: tunables.tableSyncIntervalMs,
  });
  const observe = (): void => placement.observe(members.members());
  let timer: Timer | undefined;
  let running = false;
  const schedule = (): void => {
    timer = clock.setTimeout(() => {
      if (!running) return;
      placement.tick();
      schedule();
    }, config.probeIntervalMs);
  };
  return {
    placement,
    start() {
      if (running) return;
      running = true;
      members.on('update', observe);
      observe();
      schedule();
      sync.start();
    },
    async syncWithOnePeer() {
      const [peer] = sample(random, livePeers(), 1);
      if (peer && running) await sync.syncWith(peer);
    },
    stop() {
      running = false;
      members.off('update', observe);
      timer?.cancel();
      sync.stop();
    },
    close: () => placement.close(),
  };
}
