/**
 * Builds the node's peer transport: a TcpTransport that does not listen itself (`listen: false`);
 * the node's SharedListener accepts sockets, terminates TLS when configured, sniffs the first bytes
 * and hands peer connections over with `handleConnection`.
 */
import type { Logger } from 'pino';
import { TcpTransport, isPeerProtocol, type Clock, type Random } from '@dfs/transport';
import { DEFAULT_TUNABLES, type PeerTransportTunables, type ReconnectTunables } from './config.js';
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
  /**
   * `peerTransport.drainTimeoutMs`: at shutdown our own calls are done (membership and replication
   * stopped first); what is left is a peer's call or its reply to our goaway, and a slow or hung peer
   * must not hold the whole stop. Defaults from ./config.ts.
   */
  drainTimeoutMs?: PeerTransportTunables['drainTimeoutMs'];
  /**
   * `reconnect.redialMaxMs`, below the transport's own 10 s: a restarted peer or a late seed would
   * otherwise look unreachable to every node that failed to dial it (probes fail, pushes are
   * skipped, joins wait), and a refused dial costs little.
   */
  redialMaxMs?: ReconnectTunables['redialMaxMs'];
}

export type PeerTransport = TcpTransport & PeerConnectionSink;

export async function createPeerTransport(options: PeerTransportOptions): Promise<PeerTransport> {
  const transport = new TcpTransport({
    id: options.id,
    advertise: options.address,
    listen: false,
    drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_TUNABLES.peerTransport.drainTimeoutMs,
    reconnectMaxMs: options.redialMaxMs ?? DEFAULT_TUNABLES.reconnect.redialMaxMs,
    clock: options.clock,
    random: options.random,
    logger: options.logger,
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
  });
  // TcpTransport already adopts sockets with handleConnection(socket, firstBytes).
  return Object.assign(transport, { isPeerProtocol });
}
