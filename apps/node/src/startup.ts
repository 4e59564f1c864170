/**
 * Startup steps of the node that are not plain construction: reading the TLS files, binding the
 * listen port (and `--api`), catching up with one peer after the join, and warning about exposure.
 */
import type http from 'node:http';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Membership } from '@dfs/peer-discovery';
import type { ReplicationEngine } from '@dfs/replication';
import { sample, type Clock, type Random } from '@dfs/transport';
import type { NodeConfig } from './cli/options.js';
import type { ListenerTunables } from './config.js';
import { armHttpTimeouts, SharedListener, type PeerConnectionSink } from './listener.js';
import type { PeerTransportTls } from './peer-transport.js';
import { formatHostPort } from './units.js';
import { NodeError, errorCode } from './errors.js';

export async function readTls(paths: NonNullable<NodeConfig['tls']>): Promise<PeerTransportTls> {
  const [cert, key, ca] = await Promise.all([
    readFile(paths.cert),
    readFile(paths.key),
    paths.ca ? readFile(paths.ca) : Promise.resolve(undefined),
  ]);
  return ca ? { cert, key, ca } : { cert, key };
}

export interface BoundListeners {
  listeners: SharedListener[];
  /** The address peers dial: `--advertise`, else the bound listen address. */
  address: string;
  /** Where the HTTP API answers. */
  apiAddress: string;
}

/**
 * Binds the listen port (peer protocol, plus HTTP unless `--api`) and the `--api` port. Each
 * listener is pushed to `opened` as soon as it is bound, so a failed start can close it.
 */
export async function bindListeners(options: {
  config: Pick<NodeConfig, 'listen' | 'api' | 'advertise'>;
  httpServer: http.Server;
  peer: PeerConnectionSink;
  tls: PeerTransportTls | undefined;
  tunables: ListenerTunables;
  clock: Clock;
  logger: Logger;
  opened: (listener: SharedListener) => void;
}): Promise<BoundListeners> {
  const { config, httpServer, tls, clock, logger } = options;
  const { sniffTimeoutMs } = options.tunables;
  const mainListener = new SharedListener({
    host: config.listen.host,
    port: config.listen.port,
    peer: options.peer,
    ...(config.api ? {} : { http: httpServer }),
    ...(tls ? { tls: { ...tls, requestCert: tls.ca !== undefined } } : {}),
    sniffTimeoutMs,
    clock,
    logger,
  });
  const bound = await bindOrExplain(mainListener, config.listen);
  const listeners = [mainListener];
  options.opened(mainListener);
  let apiAddress = formatHostPort(config.listen.host, bound.port);
  if (config.api) {
    const apiListener = new SharedListener({
      host: config.api.host,
      port: config.api.port,
      http: httpServer,
      ...(tls ? { tls } : {}),
      sniffTimeoutMs,
      clock,
      logger,
    });
    apiAddress = formatHostPort(
      config.api.host,
      (await bindOrExplain(apiListener, config.api)).port,
    );
    listeners.push(apiListener);
    options.opened(apiListener);
  }
  armHttpTimeouts(httpServer);
  const address = config.advertise ?? formatHostPort(config.listen.host, bound.port);
  return { listeners, address, apiAddress };
}

/** Binds `listener`; a port in use or not ours to take becomes one sentence (ERR_STARTUP). */
async function bindOrExplain(
  listener: SharedListener,
  where: { host: string; port: number },
): Promise<{ port: number }> {
  try {
    return await listener.listen();
  } catch (error) {
    const code = errorCode(error);
    const address = formatHostPort(where.host, where.port);
    if (code === 'EADDRINUSE') {
      throw new NodeError(
        'ERR_STARTUP',
        `${address} is already in use (another dfs-node or program listens there); choose another port`,
        { cause: error },
      );
    }
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new NodeError(
        'ERR_STARTUP',
        `cannot listen on ${address} (${code === 'EACCES' ? 'permission denied' : 'no such local address'})`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Hosts that mean "every interface": fine to listen on, never an address a peer can dial. */
const UNSPECIFIED = /^(0\.0\.0\.0|::|\[::\]|0:0:0:0:0:0:0:0)$/;

/**
 * The advertised address is what peers dial; `0.0.0.0` or `::` (listening on every interface
 * without `--advertise`) reaches no one. One warning naming the fix.
 */
export function warnIfUnroutable(
  config: Pick<NodeConfig, 'advertise'>,
  address: string,
  log: Logger,
): void {
  if (config.advertise !== undefined) return;
  const host = address.slice(0, address.lastIndexOf(':'));
  if (!UNSPECIFIED.test(host)) return;
  log.warn(
    { advertise: address },
    `peers are told to dial ${address}, which no other machine can reach; start with --advertise <this machine's host:port>`,
  );
}

/**
 * One warning when `joined` has not settled `warnAfterMs` after the start (no seed answered: the
 * node runs alone meanwhile, and keeps trying), and one line once it joins after that warning.
 * Returns a cancel for the timer.
 */
export function warnWhileAlone(options: {
  seeds: readonly string[];
  joined: Promise<unknown>;
  warnAfterMs: number;
  clock: Clock;
  logger: Logger;
}): () => void {
  const { seeds, clock, logger } = options;
  if (seeds.length === 0) return () => undefined;
  let settled = false;
  let warned = false;
  const timer = clock.setTimeout(() => {
    if (settled) return;
    warned = true;
    logger.warn(
      { seeds },
      `no seed answered within ${Math.round(options.warnAfterMs / 1000)} s (${seeds.join(', ')}); running alone and still trying to join`,
    );
  }, options.warnAfterMs);
  options.joined.then(
    () => {
      settled = true;
      timer.cancel();
      if (warned) logger.warn({ seeds }, 'a seed answered: joined the cluster');
    },
    () => {
      settled = true;
      timer.cancel();
    },
  );
  return () => {
    settled = true;
    timer.cancel();
  };
}

/**
 * After the join, catch up at once with one peer instead of at the next anti-entropy round: a node
 * that was down would otherwise serve what was deleted or replaced meanwhile for up to an interval.
 * One round with one peer is cheap, also when a whole cluster starts together.
 */
export async function catchUpWithOnePeer(options: {
  members: Membership;
  files: ReplicationEngine;
  random: Random;
  selfId: string;
  stillServing: () => boolean;
}): Promise<void> {
  const { members, files, random, selfId } = options;
  const [peer] = sample(
    random,
    members.liveMembers().filter((m) => m.id !== selfId),
    1,
  );
  if (peer && options.stillServing()) {
    await files.syncWith({ id: peer.id, address: peer.address });
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

export function warnIfExposed(config: NodeConfig, log: Logger): void {
  const apiHost = (config.api ?? config.listen).host;
  if (config.apiToken === undefined && !LOOPBACK.test(apiHost)) {
    log.warn(
      { api: apiHost },
      'the HTTP API is reachable beyond loopback without a token; set --api-token or DFS_API_TOKEN',
    );
  }
  const peersAuthenticated = config.secret !== undefined || config.tls?.ca !== undefined;
  if (config.insecurePeers === true && config.apiToken !== undefined && !peersAuthenticated) {
    // options.ts refuses this combination unless --insecure-peers says the operator means it.
    log.warn(
      { listen: formatHostPort(config.listen.host, config.listen.port) },
      '--insecure-peers: the API needs a token, but anyone who reaches the peer port can read and delete files; set --secret or DFS_CLUSTER_SECRET',
    );
  } else if (!peersAuthenticated && !LOOPBACK.test(config.listen.host)) {
    log.warn('peers are accepted without a cluster secret; set --secret or DFS_CLUSTER_SECRET');
  }
}
