import { systemClock, type Clock } from '../clock.js';
import { systemRandom, type Random } from '../random.js';

/** pino-compatible: anything with these four methods taking (object, message) works. */
export interface TransportLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface TcpTlsOptions {
  /** PEM certificate chain of this node. */
  cert: string | Buffer;
  /** PEM private key of this node. */
  key: string | Buffer;
  /** PEM CA(s) that sign every node's certificate; when set, both sides must present a certificate it signed. */
  ca?: string | Buffer | Array<string | Buffer>;
}

/** Every tunable of `TcpTransport`; each default is chosen below with its trade-off. */
export interface TcpTransportOptions {
  /** This node's id, proven in every handshake. Required. */
  id: string;
  /** Interface to listen on. Default `127.0.0.1` (loopback: exposing the port is a deliberate choice). */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** The `host:port` peers should dial. Default: the listen address once bound. */
  advertise?: string;
  /** Peers of a different cluster are refused. Default `"dfs"`. */
  clusterId?: string;
  /** Cluster secret: peers must prove they know it (HMAC challenge-response). Default: none. */
  secret?: string;
  /** Wrap connections in TLS. Default: plain TCP. */
  tls?: TcpTlsOptions;
  /** Largest frame payload accepted or sent. Default 4 MiB: room for big control messages, bounded per connection. */
  maxFrameBytes?: number;
  /** Default deadline of `request`/`openStream`, including dialling. Default 10000 ms. */
  requestTimeoutMs?: number;
  /** Connect + handshake must finish within this, or the connection is dropped. Default 5000 ms. */
  handshakeTimeoutMs?: number;
  /** A connection with nothing in flight and no traffic for this long is closed gracefully. Default 60000 ms. */
  idleTimeoutMs?: number;
  /**
   * Established (authenticated) connections beyond which new ones are refused
   * (ERR_TOO_MANY_CONNECTIONS). Connections still in their handshake do not count. Default 1024.
   */
  maxConnections?: number;
  /**
   * Accepted connections still in their handshake, in all. Past it the oldest is dropped
   * (ERR_TOO_MANY_HANDSHAKES): half-open sockets cannot keep authenticated peers out. Default 64:
   * an honest handshake takes a round trip, so 64 at once is already a burst.
   */
  maxHandshakes?: number;
  /** The same per remote IP address (the oldest from that address is dropped). Default 8. */
  maxHandshakesPerAddress?: number;
  /**
   * A stream on which nothing moved (no data, no credit either way) for this long is reset on both
   * ends (ERR_STREAM_IDLE), releasing its buffers and whatever its handler holds. Default 60000 ms,
   * the node's HTTP idle limit: a peer stream never gives up before the client it serves would.
   */
  streamIdleTimeoutMs?: number;
  /** Repeated warnings (refused connections, reset streams) are logged once per reason per this. Default 10000 ms. */
  warnIntervalMs?: number;
  /** How long a graceful close waits for in-flight calls and streams. Default 5000 ms. */
  drainTimeoutMs?: number;
  /**
   * Per-stream flow-control window. Default 1 MiB: on loopback 256 KiB left one stream at 0.55x of a
   * raw socket and 1 MiB reached 0.65–0.75x (2 MiB was no better); bounds memory per stream.
   */
  streamWindowBytes?: number;
  /** Concurrent streams per connection. Default 256. */
  maxStreamsPerConnection?: number;
  /** Concurrent incoming requests per connection; more are answered ERR_TOO_MANY_REQUESTS. Default 1024. */
  maxConcurrentRequestsPerConnection?: number;
  /** First reconnect backoff. Default 100 ms. */
  reconnectBaseMs?: number;
  /** Backoff cap. Default 10000 ms. */
  reconnectMaxMs?: number;
  /** Dial attempts per call before ERR_UNREACHABLE. Default 3. */
  dialAttempts?: number;
  /** Time source for every timer. Default `systemClock`. */
  clock?: Clock;
  /** Jitter source. Default `systemRandom`. */
  random?: Random;
  /** Where rejects and connection changes are logged. Default: silent. */
  logger?: TransportLogger;
  /** Open our own server in `listen()`. false: the owner accepts sockets and calls `handleConnection`. Default true. */
  listen?: boolean;
}

export type ResolvedTcpOptions = Required<
  Omit<TcpTransportOptions, 'advertise' | 'secret' | 'tls'>
> &
  Pick<TcpTransportOptions, 'advertise' | 'secret' | 'tls'>;

const silentLogger: TransportLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function resolveTcpOptions(options: TcpTransportOptions): ResolvedTcpOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    clusterId: 'dfs',
    maxFrameBytes: 4 * 1024 * 1024,
    requestTimeoutMs: 10_000,
    handshakeTimeoutMs: 5_000,
    idleTimeoutMs: 60_000,
    maxConnections: 1024,
    maxHandshakes: 64,
    maxHandshakesPerAddress: 8,
    streamIdleTimeoutMs: 60_000,
    warnIntervalMs: 10_000,
    drainTimeoutMs: 5_000,
    streamWindowBytes: 1024 * 1024,
    // 64 streams × the 1 MiB window keeps the worst case per connection where 256 × 256 KiB had it.
    maxStreamsPerConnection: 64,
    maxConcurrentRequestsPerConnection: 1024,
    reconnectBaseMs: 100,
    reconnectMaxMs: 10_000,
    dialAttempts: 3,
    clock: systemClock,
    random: systemRandom,
    logger: silentLogger,
    listen: true,
    ...withoutUndefined(options),
    id: options.id,
  };
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
