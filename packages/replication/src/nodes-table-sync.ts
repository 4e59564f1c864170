/**
 * Spreads the nodes table (nodes-table.ts) by push-pull anti-entropy on `dfs/nodes/1`: every
 * `intervalMs` a node sends its whole table to one random up peer, which merges it and answers with
 * its own; the caller merges the answer. A member seen for the first time (a new connection, or a
 * new id in `peers()`) is synced with at once, so a joining node learns drains, removals and the
 * cluster's R within one round trip.
 *
 * The table is small (at most MAX_NODE_ROWS rows of ~200 bytes), so sending it whole is cheaper than
 * digests. Both directions are validated: the envelope here, every row in `ClusterPlacement.merge`.
 */
import { CodedError } from '@dfs/base';
import {
  randomInt,
  type Clock,
  type PeerInfo,
  type Random,
  type Timer,
  type Transport,
} from '@dfs/transport';
import type { ClusterPlacement } from './cluster-placement.js';
import { nodesTableSchema, type NodeRow } from './nodes-table.js';

export const NODES_PROTOCOL = 'dfs/nodes/1';

export interface NodesTableSyncOptions {
  transport: Transport;
  placement: ClusterPlacement;
  /** The peers that are up (this node excluded or not). */
  peers: () => PeerInfo[];
  clock: Clock;
  random: Random;
  /** Default 5_000. */
  intervalMs?: number;
  /** Per-request deadline; default the transport's. */
  timeoutMs?: number;
}

/** A malformed `dfs/nodes/1` message (request or answer). */
export class NodesSyncError extends CodedError<'ERR_INVALID_MESSAGE'> {
  override readonly name = 'NodesSyncError';
}

export class NodesTableSync {
  private readonly options: NodesTableSyncOptions;
  private readonly seen = new Set<string>();
  private timer: Timer | undefined;
  private readonly onConnect = (peer: PeerInfo): void => this.greet(peer);

  constructor(options: NodesTableSyncOptions) {
    this.options = options;
  }

  start(): void {
    if (this.timer) return;
    const { transport, clock } = this.options;
    transport.handle(NODES_PROTOCOL, (message) => this.answer(message));
    transport.on('connect', this.onConnect);
    this.timer = clock.setInterval(() => this.round(), this.options.intervalMs ?? 5_000);
    this.round();
  }

  stop(): void {
    if (!this.timer) return;
    this.timer.cancel();
    this.timer = undefined;
    this.options.transport.off('connect', this.onConnect);
    this.options.transport.unhandle(NODES_PROTOCOL);
  }

  /** One push-pull exchange with `peer`; rejects if the peer is unreachable or answers garbage. */
  async syncWith(peer: PeerInfo): Promise<void> {
    const { transport, placement, timeoutMs } = this.options;
    this.seen.add(peer.id);
    const answer = await transport.request(
      peer.address,
      NODES_PROTOCOL,
      { rows: placement.rows() },
      timeoutMs === undefined ? undefined : { timeoutMs },
    );
    placement.merge(parseRows(answer));
  }

  private answer(message: unknown): { rows: NodeRow[] } {
    const { placement } = this.options;
    placement.merge(parseRows(message));
    return { rows: placement.rows() };
  }

  private round(): void {
    const self = this.options.transport.id;
    const peers = this.options.peers().filter((peer) => peer.id !== self);
    const fresh = peers.filter((peer) => !this.seen.has(peer.id));
    for (const peer of fresh) this.attempt(peer);
    if (peers.length === 0) return;
    const peer = peers[randomInt(this.options.random, peers.length)]!;
    if (!fresh.includes(peer)) this.attempt(peer);
  }

  private greet(peer: PeerInfo): void {
    if (this.seen.has(peer.id) || peer.id === this.options.transport.id) return;
    this.attempt(peer);
  }

  private attempt(peer: PeerInfo): void {
    // A failed round is retried by the next one; the peer counts as seen once asked.
    this.syncWith(peer).catch(() => undefined);
  }
}

function parseRows(message: unknown): NodeRow[] {
  const parsed = nodesTableSchema.safeParse(message);
  if (!parsed.success) throw new NodesSyncError('ERR_INVALID_MESSAGE', 'invalid nodes table');
  // Each row is validated by ClusterPlacement.merge (one bad row does not spoil the rest).
  return parsed.data.rows as NodeRow[];
}
