/**
 * Builds the node's peer transport: a TcpTransport that does not listen itself (`listen: false`);
 * the node's SharedListener accepts sockets, terminates TLS when configured, sniffs the first bytes
 * and hands peer connections over with `handleConnection`.
 */
import type { Logger } from 'pino';
import { TcpTransport, isPeerProtocol, type Clock, type Random } from '@dfs/transport';
import type { PeerConnectionSink } from './listener.js';

export interface PeerTransportTls {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

export interface PeerTransportOptions {
  id: string;
  /** The advertised `host:port` peers dial. */
  address: string;
  secret: string | undefined;
  tls: PeerTransportTls | undefined;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/**
 * In-flight peer calls get this long at shutdown. By then our own calls are done (membership and
 * replication stopped first); what is left is a peer's call or its reply to our goaway, and a peer
 * that is slow or hung must not hold the whole stop (docs/operations.md: exit within 5 s).
 */
const DRAIN_TIMEOUT_MS = 500;

/**
 * Longest a failed address is skipped before the next dial (the transport's default is 10 s). A
 * restarted peer, or a seed that came up late, would otherwise look unreachable to every node that
 * had failed to dial it, for up to that long: probes fail, pushes are skipped, joins wait. A refused
 * dial costs little, so retrying a dead peer once a second is cheap.
 */
const RECONNECT_MAX_MS = 1_000;

export type PeerTransport = TcpTransport & PeerConnectionSink;

export async function createPeerTransport(options: PeerTransportOptions): Promise<PeerTransport> {
  const transport = new TcpTransport({
    id: options.id,
    advertise: options.address,
    listen: false,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
    reconnectMaxMs: RECONNECT_MAX_MS,
    clock: options.clock,
    random: options.random,
    logger: options.logger,
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
  });
  // TcpTransport already adopts sockets with handleConnection(socket, firstBytes).
  return Object.assign(transport, { isPeerProtocol });
}
