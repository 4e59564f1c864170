import type { Duplex } from 'node:stream';

/**
 * The contract gossip, discovery and the node program against. `TcpTransport` and `MemoryTransport`
 * both implement it and both pass the same compliance suite.
 *
 * Peers are addressed by their dial address (`host:port` for TCP, any string for memory). After the
 * handshake each connection knows the remote node's id and advertised address (`PeerInfo`).
 *
 * Messages are plain values the binary codec can encode: null, booleans, numbers, strings,
 * Uint8Array/Buffer, arrays and plain objects. Receivers must validate them before use (handlers get
 * `unknown`).
 */

export interface PeerInfo {
  /** The remote node's id, proven in the handshake. */
  readonly id: string;
  /** The address the remote node asks to be dialled on. */
  readonly address: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Per-call deadline in ms (on the transport's clock); defaults to the transport's requestTimeoutMs. */
  timeoutMs?: number;
}

export interface HandlerContext {
  readonly peer: PeerInfo;
  /** Aborted when the connection closes or the caller cancels. */
  readonly signal: AbortSignal;
}

/**
 * Serves both `send` (one-way; the return value is dropped) and `request` (the resolved value is the
 * response). A thrown error with a string `code` reaches the requester with that code.
 */
export type MessageHandler = (message: unknown, context: HandlerContext) => unknown;

/**
 * Serves an incoming bulk stream. `header` is the opener's small control value. The stream is a
 * Duplex with backpressure in both directions; destroying it on either side tears down both ends.
 */
export type StreamHandler = (
  stream: Duplex,
  header: unknown,
  context: HandlerContext,
) => void | Promise<void>;

export interface TransportEvents {
  /** A connection to a peer finished its handshake (either direction). */
  connect: [peer: PeerInfo];
  /** The last connection to a peer closed. */
  disconnect: [peer: PeerInfo];
  /** A connection was refused or dropped for a reason worth an operator's attention. */
  reject: [reason: { code: string; message: string; remoteAddress?: string }];
}

export interface Transport {
  /** This node's id, sent in every handshake. */
  readonly id: string;
  /** This node's advertised address (what peers dial). */
  readonly address: string;

  /** Start accepting connections. */
  listen(): Promise<void>;
  /** Stop accepting, drain in-flight requests briefly, close every connection and timer. */
  close(): Promise<void>;

  handle(protocol: string, handler: MessageHandler): void;
  handleStream(protocol: string, handler: StreamHandler): void;
  unhandle(protocol: string): void;

  /** One-way message; resolves once written to the connection (not when handled). */
  send(address: string, protocol: string, message: unknown, options?: CallOptions): Promise<void>;
  /** Request/response; rejects with a TransportError (ERR_TIMEOUT, ERR_UNREACHABLE, remote codes …). */
  request(
    address: string,
    protocol: string,
    message: unknown,
    options?: CallOptions,
  ): Promise<unknown>;
  /** Open a bulk stream to a peer's stream handler for `protocol`. */
  openStream(
    address: string,
    protocol: string,
    header: unknown,
    options?: CallOptions,
  ): Promise<Duplex>;

  /** Peers with an open, authenticated connection right now. */
  connectedPeers(): PeerInfo[];

  on<E extends keyof TransportEvents>(
    event: E,
    listener: (...args: TransportEvents[E]) => void,
  ): this;
  off<E extends keyof TransportEvents>(
    event: E,
    listener: (...args: TransportEvents[E]) => void,
  ): this;
}
