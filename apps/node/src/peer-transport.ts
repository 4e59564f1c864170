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

/** In-flight peer calls get this long at shutdown, so the whole stop stays within SPEC's 5 s. */
const DRAIN_TIMEOUT_MS = 1_000;

export type PeerTransport = TcpTransport & PeerConnectionSink;

export async function createPeerTransport(options: PeerTransportOptions): Promise<PeerTransport> {
  const transport = new TcpTransport({
    id: options.id,
    advertise: options.address,
    listen: false,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
    clock: options.clock,
    random: options.random,
    logger: options.logger,
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
  });
  // TcpTransport already adopts sockets with handleConnection(socket, firstBytes).
  return Object.assign(transport, { isPeerProtocol });
}
