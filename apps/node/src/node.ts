/**
 * Composition: one dfs node from its config. Opens identity, store and index; binds the shared
 * port (or the peer port plus `--api`); wires transport, membership and the replication engine; and
 * owns the shutdown order. Everything here is started by `startNode` and stopped by `close()`.
 */
import http from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { createMembership, type Membership } from '@dfs/peer-discovery';
import { openStore } from '@dfs/store';
import {
  sample,
  systemClock,
  systemRandom,
  type Clock,
  type Random,
  type Timer,
} from '@dfs/transport';
import type { NodeConfig } from './cli/options.js';
import {
  createApiListener,
  type ClusterView,
  type Lifecycle,
  type MemberView,
} from './http/api.js';
import { sendError } from './http/errors.js';
import { sendJson } from './http/respond.js';
import { lockDataDir } from './data-lock.js';
import { loadIdentity } from './identity.js';
import { armHttpTimeouts, SharedListener, type PeerConnectionSink } from './listener.js';
import { createNodeMetrics, type NodeMetrics } from './metrics.js';
import { createPeerTransport, type PeerTransportTls } from './peer-transport.js';
import { createReplicatedFileService } from '@dfs/replication';

export interface StartNodeOptions {
  config: NodeConfig;
  logger: Logger;
  clock?: Clock;
  random?: Random;
}

export interface RunningNode {
  readonly id: string;
  readonly incarnation: number;
  /** The address peers dial (advertised). */
  readonly address: string;
  /** Where the HTTP API answers (`host:port`). */
  readonly apiAddress: string;
  readonly metrics: NodeMetrics;
  /**
   * Graceful stop: refuse new work, abort transfers, leave the cluster, release everything. Each
   * step is bounded, so it resolves in about 3 s at worst.
   */
  close(): Promise<void>;
  /** After close() resolved: how long it took and which steps overran (undefined before). */
  shutdownReport(): ShutdownReport | undefined;
}

/** Slowloris guards: whole headers within 10 s, no byte for 60 s closes; bodies may take as long as they flow. */
const HEADERS_TIMEOUT_MS = 10_000;
const IDLE_SOCKET_TIMEOUT_MS = 60_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Status lines for requests the HTTP parser refuses before our listener sees them. */
const CLIENT_ERROR_STATUS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
};
/**
 * Shutdown must finish within the 5 s of docs/operations.md even when peers stop at the same moment or hang. The
 * leave notice is written at once; acks are awaited at most this long (a peer that is itself
 * leaving may never answer, and the notice also spreads by gossip).
 */
/** Full member-list swap every this many probe periods (10 s at the default 1 s). */
const PUSH_PULL_PROBE_PERIODS = 10;
const LEAVE_TIMEOUT_MS = 500;
/** Longest pause between join attempts while no seed answers (at least 5 probe intervals). */
const JOIN_BACKOFF_MAX_MS = 2_000;
/**
 * A shutdown step that takes longer is abandoned (and logged) so the next ones still run. Even if
 * every step overran, the sum (listeners, the parallel group at LEAVE_TIMEOUT_MS + this, transport,
 * store, lock) is 4 s: below main.ts's 4.5 s backstop, which stays a backstop.
 */
const STEP_TIMEOUT_MS = 750;

const hostPort = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

export async function startNode(options: StartNodeOptions): Promise<RunningNode> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
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

  try {
    await mkdir(config.dataDir, { recursive: true });
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

    const httpServer = http.createServer({
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: 0,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      // How often the header timeout is checked (default 30 s would let a slow client linger).
      connectionsCheckingInterval: 1_000,
      noDelay: true,
    });
    httpServer.timeout = IDLE_SOCKET_TIMEOUT_MS;
    httpServer.on('clientError', (error: Error & { code?: string }, socket) => {
      log.debug({ err: error }, 'malformed or too slow HTTP request');
      if (socket.writable && !socket.destroyed) {
        const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () =>
          socket.destroy(),
        );
      } else {
        socket.destroy();
      }
    });
    cleanups.push(async () => {
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    });
    // The port accepts connections before the engine exists; until the API is wired, every request
    // gets a prompt 503 (health says "starting") instead of hanging.
    const api: { handler?: http.RequestListener } = {};
    httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (api.handler) api.handler(req, res);
      else answerStarting(req, res, identity.id);
    });

    // The peer sink is attached once the transport exists; a peer that dials earlier is treated as
    // HTTP, refused, and retries.
    const peerSink: { current?: PeerConnectionSink } = {};
    const lazyPeer: PeerConnectionSink = {
      isPeerProtocol: (bytes) => peerSink.current?.isPeerProtocol(bytes) ?? false,
      handleConnection: (socket, bytes) => peerSink.current?.handleConnection(socket, bytes),
    };
    const mainListener = new SharedListener({
      host: config.listen.host,
      port: config.listen.port,
      peer: lazyPeer,
      ...(config.api ? {} : { http: httpServer }),
      ...(tls ? { tls: { ...tls, requestCert: tls.ca !== undefined } } : {}),
      clock,
      logger: log,
    });
    const bound = await mainListener.listen();
    const listeners = [mainListener];
    cleanups.push(() => mainListener.close());
    let apiAddress = hostPort(config.listen.host, bound.port);
    if (config.api) {
      const apiListener = new SharedListener({
        host: config.api.host,
        port: config.api.port,
        http: httpServer,
        ...(tls ? { tls } : {}),
        clock,
        logger: log,
      });
      apiAddress = hostPort(config.api.host, (await apiListener.listen()).port);
      listeners.push(apiListener);
      cleanups.push(() => apiListener.close());
    }
    armHttpTimeouts(httpServer);
    const address = config.advertise ?? hostPort(config.listen.host, bound.port);

    const transport = await createPeerTransport({
      id: identity.id,
      address,
      secret: config.secret,
      tls,
      clock,
      random,
      logger: log.child({ component: 'transport' }),
    });
    peerSink.current = transport;
    cleanups.push(() => transport.close());
    // Refused peers are logged by the transport itself (rate-limited per reason), not again here.

    const members = createMembership({
      transport,
      clock,
      random,
      seeds: config.peers,
      incarnation: identity.incarnation,
      config: {
        probeIntervalMs: config.probeIntervalMs,
        probeTimeoutMs: Math.min(500, Math.floor(config.probeIntervalMs / 2)),
        gossipIntervalMs: config.gossipIntervalMs,
        leaveTimeoutMs: LEAVE_TIMEOUT_MS,
        // A node started before its seeds retries the join with backoff; the library's 30 s cap
        // left it alone for up to half a minute after a seed came up (measured 6.5 s with the
        // seed 25 s late). One request per seed per try is cheap, so cap the wait lower.
        joinBackoffMaxMs: Math.max(JOIN_BACKOFF_MAX_MS, 5 * config.probeIntervalMs),
        // Full member-list swaps repair whatever a rumor missed (a join update that never reached
        // one node). The library's 30 s suits big clusters; tie it to the probe period instead so a
        // miss heals within seconds (the library still stretches it for large clusters).
        pushPullIntervalMs: PUSH_PULL_PROBE_PERIODS * config.probeIntervalMs,
      },
      logger: log.child({ component: 'membership' }),
    });
    cleanups.push(() => members.stop());

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
      },
      logger: log.child({ component: 'replication' }),
    });
    cleanups.push(() => files.stop());

    metrics.setSources({
      localStats: () => files.localStats(),
      membersByState: () => countByState(members),
      replication: () => files.stats(),
      transport: () => transport.stats(),
    });
    const cluster = (): ClusterView => clusterView(members, clock);
    api.handler = createApiListener({
      files,
      nodeId: identity.id,
      lifecycle: () => lifecycle,
      cluster,
      metrics,
      logger: log.child({ component: 'http' }),
      maxFileSize: config.maxFileSize,
      shutdown: shutdown.signal,
      ...(config.apiToken ? { apiToken: config.apiToken } : {}),
    });

    await transport.listen();
    files.start();
    members
      .start()
      .then(() => {
        // Catch up at once with one peer instead of at the next anti-entropy round: a node that
        // was down would otherwise serve what was deleted or replaced meanwhile for up to an
        // interval. One round with one peer is cheap, also when a whole cluster starts together.
        const [peer] = sample(
          random,
          members.liveMembers().filter((m) => m.id !== identity.id),
          1,
        );
        if (peer && lifecycle === 'serving') {
          return files.syncWith({ id: peer.id, address: peer.address });
        }
        return undefined;
      })
      .catch((error: unknown) => {
        if (lifecycle !== 'stopping') log.error({ err: error }, 'could not join the cluster');
      });
    lifecycle = 'serving';
    warnIfExposed(config, log);

    let closing: Promise<void> | undefined;
    let finished: ShutdownReport | undefined;
    return {
      id: identity.id,
      incarnation: identity.incarnation,
      address,
      apiAddress,
      metrics,
      close() {
        closing ??= (async () => {
          // close() owns the order from here; the startup list is only for a failed start.
          cleanups.splice(0);
          const shutdownSteps = new ShutdownSteps(clock, log);
          lifecycle = 'stopping';
          shutdown.abort(new Error('node is stopping'));
          await shutdownSteps.run('listeners', STEP_TIMEOUT_MS, () =>
            Promise.all(listeners.map((listener) => listener.close())),
          );
          httpServer.closeIdleConnections();
          // Independent of each other, so in parallel: telling peers we leave (bounded by
          // LEAVE_TIMEOUT_MS inside membership; peers already gone or leaving answer at once or
          // not at all, and are not waited for beyond it), aborting transfers, and ending HTTP
          // exchanges (their handlers saw the shutdown signal).
          await Promise.all([
            shutdownSteps.run('leave', LEAVE_TIMEOUT_MS + 500, async () => {
              try {
                await members.leave();
              } finally {
                await members.stop();
              }
            }),
            shutdownSteps.run('replication', STEP_TIMEOUT_MS, () => files.stop()),
            shutdownSteps.run('http', STEP_TIMEOUT_MS, async () => {
              httpServer.closeAllConnections();
              await new Promise<void>((resolve) => httpServer.close(() => resolve()));
            }),
          ]);
          // Last on the wire: membership and replication are done with it. Drains what peers
          // still have in flight, bounded by the transport's drain timeout.
          await shutdownSteps.run('transport', STEP_TIMEOUT_MS, () => transport.close());
          await shutdownSteps.run('store', STEP_TIMEOUT_MS, () => store.close());
          await shutdownSteps.run('data-lock', STEP_TIMEOUT_MS, unlock);
          finished = shutdownSteps.report();
        })();
        return closing;
      },
      shutdownReport: () => finished,
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

export interface ShutdownReport {
  /** Milliseconds from close() to the last step. */
  ms: number;
  /** Steps abandoned at their deadline (empty on the normal path). */
  overran: string[];
}

/**
 * Runs shutdown steps, each with a deadline on the injected clock, and logs how long each took:
 * the log shows where shutdown time goes, and one hung step cannot hold up the ones after it.
 */
export class ShutdownSteps {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #began: number;
  readonly #overran: string[] = [];

  constructor(clock: Clock, log: Logger) {
    this.#clock = clock;
    this.#log = log;
    this.#began = clock.now();
  }

  /** Resolves when `work` settles or after `timeoutMs`, whichever is first; never rejects. */
  async run(
    name: string,
    timeoutMs: number,
    work: () => Promise<unknown> | unknown,
  ): Promise<void> {
    const startedAt = this.#clock.now();
    let timer: Timer | undefined;
    const deadline = new Promise<'overran'>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve('overran'), timeoutMs);
    });
    const done = (async () => {
      try {
        await work();
      } catch (error) {
        this.#log.warn({ err: error, step: name }, 'shutdown step failed');
      }
      return 'done' as const;
    })();
    const outcome = await Promise.race([done, deadline]);
    timer?.cancel();
    const fields = {
      step: name,
      ms: this.#clock.now() - startedAt,
      sinceStop: this.#clock.now() - this.#began,
    };
    if (outcome === 'overran') {
      this.#overran.push(name);
      this.#log.warn(fields, 'shutdown step overran its deadline; moving on');
    } else {
      this.#log.info(fields, 'shutdown step done');
    }
  }

  report(): ShutdownReport {
    return { ms: this.#clock.now() - this.#began, overran: [...this.#overran] };
  }
}

function answerStarting(req: http.IncomingMessage, res: http.ServerResponse, id: string): void {
  if (req.url === '/v1/health') {
    sendJson(res, 503, { status: 'starting', id }, req.method === 'HEAD');
    return;
  }
  sendError(res, 503, 'UNAVAILABLE', 'node is starting');
}

function countByState(membership: Membership): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const member of membership.members()) counts[member.state] = (counts[member.state] ?? 0) + 1;
  return counts;
}

function clusterView(membership: Membership, clock: Clock): ClusterView {
  const toView = (m: {
    id: string;
    address: string;
    state: MemberView['state'];
    incarnation: number;
    lastSeen: number;
  }): MemberView => ({
    id: m.id,
    addr: m.address,
    state: m.state,
    incarnation: m.incarnation,
    lastSeen: m.lastSeen,
  });
  const self = { ...toView(membership.self), lastSeen: clock.now() };
  const members = membership.members().map((m) => (m.id === self.id ? self : toView(m)));
  return { self, members };
}

async function readTls(paths: NonNullable<NodeConfig['tls']>): Promise<PeerTransportTls> {
  const [cert, key, ca] = await Promise.all([
    readFile(paths.cert),
    readFile(paths.key),
    paths.ca ? readFile(paths.ca) : Promise.resolve(undefined),
  ]);
  return ca ? { cert, key, ca } : { cert, key };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

function warnIfExposed(config: NodeConfig, log: Logger): void {
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
      { listen: hostPort(config.listen.host, config.listen.port) },
      '--insecure-peers: the API needs a token, but anyone who reaches the peer port can read and delete files; set --secret or DFS_CLUSTER_SECRET',
    );
  } else if (!peersAuthenticated && !LOOPBACK.test(config.listen.host)) {
    log.warn('peers are accepted without a cluster secret; set --secret or DFS_CLUSTER_SECRET');
  }
}
