/**
 * What a `PeerConnection` needs from the transport that owns it: identity, limits, counters and the
 * lifecycle callbacks through which the transport routes, counts and forgets its connections.
 * Generic in the connection type so this file does not import connection.ts back.
 */
import type { Clock } from '../clock.js';
import type { HandlerRegistry } from '../handlers.js';
import type { TransportCounters } from './counters.js';

export interface ConnectionLimits {
  maxFrameBytes: number;
  handshakeTimeoutMs: number;
  drainTimeoutMs: number;
  streamWindowBytes: number;
  maxStreamsPerConnection: number;
  maxConcurrentRequestsPerConnection: number;
}

/** The transport as seen by one of its connections. */
export interface ConnectionHost<Connection> {
  readonly id: string;
  readonly address: string;
  readonly clusterId: string;
  readonly secret: string | undefined;
  readonly clock: Clock;
  readonly handlers: HandlerRegistry;
  readonly limits: ConnectionLimits;
  readonly counters: TransportCounters;
  /** Whether one more connection may finish its handshake (the established-connection limit). */
  mayEstablish(connection: Connection): boolean;
  connectionReady(connection: Connection): void;
  /** The peer announced it will start nothing new here: route new calls elsewhere. */
  connectionDraining(connection: Connection): void;
  connectionClosed(connection: Connection): void;
  /** Count and log one refused or broken connection, once, with its reason. */
  connectionRejected(connection: Connection, code: string, message: string): void;
}
