/**
 * The bulk streams multiplexed on one connection, by stream id: allocating ids for the streams we
 * open, accepting (or refusing) the ones the peer opens, and routing data and stream control frames
 * to the stream they belong to. Flow control lives in each `TcpStream` (stream.ts).
 */
import { TransportError } from '../errors.js';
import { CallContext, type HandlerRegistry } from '../handlers.js';
import type { PeerInfo } from '../types.js';
import type { ConnectionLimits } from './connection-host.js';
import type { HandshakeRole } from './handshake.js';
import { TcpStream, type StreamLink } from './stream.js';

/** What the table needs from its connection besides the `StreamLink` its streams write through. */
export interface StreamTableLink {
  readonly role: HandshakeRole;
  readonly handlers: HandlerRegistry;
  readonly limits: ConnectionLimits;
  /** The authenticated peer: streams only open once the handshake is done. */
  peer(): PeerInfo;
  /** We announced a graceful close: the peer may open nothing new here. */
  sentGoaway(): boolean;
}

export class StreamTable {
  readonly #streamLink: StreamLink;
  readonly #link: StreamTableLink;
  readonly #streams = new Map<number, TcpStream>();
  #nextStreamId: number;

  constructor(streamLink: StreamLink, link: StreamTableLink) {
    this.#streamLink = streamLink;
    this.#link = link;
    // Dialers use odd stream ids and acceptors even ones, so both may open streams without clashing.
    this.#nextStreamId = link.role === 'dialer' ? 1 : 2;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Reserves the id of a stream we open; throws when the connection has no room for one more. */
  reserveLocalId(): number {
    if (this.#streams.size >= this.#link.limits.maxStreamsPerConnection) {
      throw new TransportError('ERR_TOO_MANY_STREAMS', 'too many open streams on this connection');
    }
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    return id;
  }

  newStream(id: number): TcpStream {
    const maxChunkBytes = Math.max(1, Math.min(64 * 1024, this.#link.limits.maxFrameBytes - 4));
    const stream = new TcpStream(this.#streamLink, id, {
      windowBytes: this.#link.limits.streamWindowBytes,
      maxChunkBytes,
    });
    this.#streams.set(id, stream);
    return stream;
  }

  get(id: number): TcpStream | undefined {
    return this.#streams.get(id);
  }

  /** The stream is gone on this side; its id may be forgotten. */
  forget(id: number): void {
    this.#streams.delete(id);
  }

  /** The peer opens stream `id`: accept it and hand it to its handler, or refuse it. */
  onOpen(id: number, protocol: string, header: unknown): void {
    const peerParity = this.#link.role === 'dialer' ? 0 : 1;
    if (id % 2 !== peerParity || this.#streams.has(id)) {
      throw new TransportError('ERR_MALFORMED_FRAME', `bad stream id ${id}`);
    }
    const refuse = (code: string, m: string): void =>
      this.#streamLink.sendControl({ t: 'refuse', s: id, code, m });
    if (this.#link.sentGoaway()) return refuse('ERR_CONNECTION_CLOSED', 'connection is draining');
    if (!this.#link.handlers.hasStreamHandler(protocol)) {
      return refuse('ERR_NO_HANDLER', `no stream handler for "${protocol}"`);
    }
    if (this.#streams.size >= this.#link.limits.maxStreamsPerConnection) {
      return refuse('ERR_TOO_MANY_STREAMS', 'too many open streams on this connection');
    }
    const stream = this.newStream(id);
    const context = new CallContext(this.#link.peer());
    stream.once('close', () =>
      context.abort(new TransportError('ERR_CONNECTION_CLOSED', 'stream closed')),
    );
    this.#streamLink.sendControl({ t: 'accept', s: id });
    this.#link.handlers.invokeStream(protocol, stream, header, context);
  }

  onData(streamId: number, piece: Buffer): void {
    // Data for a stream we already closed is a normal race (it was in flight): drop it.
    this.#streams.get(streamId)?.receiveData(piece);
  }

  /** Resets every stream that made no progress for `idleMs` (see TcpStream.resetIfIdle); how many. */
  resetIdle(idleMs: number): number {
    let reset = 0;
    for (const stream of [...this.#streams.values()]) if (stream.resetIfIdle(idleMs)) reset++;
    return reset;
  }

  /** The connection is gone: every stream is torn down without a reset frame. */
  abortAll(reason: TransportError): void {
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    for (const stream of streams) stream.abortLocally(reason);
  }
}
