/**
 * Builds the peer transport for a node. TEMPORARY: until @dfs/transport ships TcpTransport this is
 * an isolated in-memory transport, so a node runs alone (HTTP, durability, signals) but never
 * meets peers.
 */
import type { Logger } from 'pino';
import {
  MemoryNetwork,
  MemoryTransport,
  type Clock,
  type Transport,
  systemRandom,
} from '@dfs/transport';
import type { PeerConnectionSink } from './listener.js';

export interface PeerTransportTls {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

export interface PeerTransportOptions {
  id: string;
  address: string;
  secret: string | undefined;
  tls: PeerTransportTls | undefined;
  clock: Clock;
  logger: Logger;
}

export async function createPeerTransport(
  options: PeerTransportOptions,
): Promise<Transport & PeerConnectionSink> {
  const network = new MemoryNetwork({ clock: options.clock, random: systemRandom });
  const transport = new MemoryTransport({ id: options.id, address: options.address, network });
  return Object.assign(transport, {
    isPeerProtocol: () => false,
    handleConnection: (socket: { destroy(): void }) => socket.destroy(),
  });
}
