import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { Clock, Timer } from '../clock.js';
import { TransportError } from '../errors.js';
import { CallContext, fromWireError, toWireError, type HandlerRegistry } from '../handlers.js';
import type { CallOptions, PeerInfo } from '../types.js';
import { FrameVerifier } from './frame-auth.js';
import { FrameDecoder, FrameType, type Frame } from './frame.js';
import { FrameWriter } from './frame-writer.js';
import { PEER_PROTOCOL_MAGIC, isPeerProtocol, type HandshakeRole } from './handshake.js';
import { HandshakeState } from './handshake-state.js';
import {
  controlFrame,
  handshakeMessageSchema,
  parseControl,
  sessionMessageSchema,
  type HandshakeMessage,
  type SessionMessage,
} from './messages.js';
import { PendingCalls } from './pending-calls.js';
import { TcpStream, type StreamLink } from './stream.js';
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
export interface ConnectionHost {
  readonly id: string;
  readonly address: string;
  readonly clusterId: string;
  readonly secret: string | undefined;
  readonly clock: Clock;
  readonly handlers: HandlerRegistry;
  readonly limits: ConnectionLimits;
  readonly counters: TransportCounters;
  /** Whether one more connection may finish its handshake (the established-connection limit). */
  mayEstablish(connection: PeerConnection): boolean;
  connectionReady(connection: PeerConnection): void;
  /** The peer announced it will start nothing new here: route new calls elsewhere. */
  connectionDraining(connection: PeerConnection): void;
  connectionClosed(connection: PeerConnection): void;
  /** Count and log one refused or broken connection, once, with its reason. */
  connectionRejected(connection: PeerConnection, code: string, message: string): void;
}

type State = 'magic' | 'handshake' | 'ready' | 'closed';

/** Handshake messages are a few hundred bytes; nothing bigger is accepted before authentication. */
const HANDSHAKE_MAX_FRAME_BYTES = 4096;

/**
 * One authenticated, multiplexed connection: the handshake state machine, then calls and streams.
 * Frames are handled strictly in arrival order; anything malformed closes the connection before it
 * touches a call, a stream or a handler.
 */
export class PeerConnection implements StreamLink {
  readonly role: HandshakeRole;
  readonly socket: Duplex;
  /** `host:port` of the remote socket, for logs and reject events. */
  readonly remoteAddress: string;
  /** The address this connection was dialled on (dialer side only). */
  readonly dialAddress: string | undefined;
  readonly #host: ConnectionHost;
  readonly #decoder: FrameDecoder;
  readonly #writer: FrameWriter;
  readonly #handshake: HandshakeState;
  #state: State = 'magic';
  #magicSeen: Buffer = Buffer.alloc(0);
  #peer: PeerInfo | undefined;
  #handshakeTimer: Timer | undefined;
  #drainTimer: Timer | undefined;
  #ready: { resolve: () => void; reject: (error: TransportError) => void } | undefined;
  readonly readyPromise: Promise<void>;
  #closeError: TransportError | undefined;
  #nextCallId = 1;
  #nextStreamId: number;
  readonly #pending: PendingCalls;
  readonly #opens: PendingCalls;
  readonly #incoming = new Map<number, CallContext>();
  readonly #streams = new Map<number, TcpStream>();
  #runningOneWay = 0;
  #sentGoaway = false;
  #receivedGoaway = false;
  #lastActivity: number;

  constructor(options: {
    host: ConnectionHost;
    socket: Duplex;
    role: HandshakeRole;
    remoteAddress: string;
    dialAddress?: string;
  }) {
    this.#host = options.host;
    this.socket = options.socket;
    this.role = options.role;
    this.remoteAddress = options.remoteAddress;
    this.dialAddress = options.dialAddress;
    this.#handshake = new HandshakeState(options.role, options.host);
    this.#pending = new PendingCalls(options.host.clock, () => this.#maybeFinishDrain());
    this.#opens = new PendingCalls(options.host.clock, () => this.#maybeFinishDrain());
    // Until the peer has authenticated, it may not make us buffer more than a handshake needs.
    this.#decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES, (streamId, piece, start) =>
      this.#onStreamData(streamId, piece, start),
    );
    // Dialers use odd stream ids and acceptors even ones, so both may open streams without clashing.
    this.#nextStreamId = this.role === 'dialer' ? 1 : 2;
    this.#lastActivity = options.host.clock.now();
    this.#writer = new FrameWriter({
      socket: this.socket,
      counters: options.host.counters,
      limits: options.host.limits,
      onActivity: () => {
        this.#lastActivity = this.#host.clock.now();
      },
    });
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.#ready = { resolve, reject };
    });
    this.readyPromise.catch(() => undefined);
  }

  get peer(): PeerInfo | undefined {
    return this.#peer;
  }

  get isReady(): boolean {
    return this.#state === 'ready';
  }

  get isClosed(): boolean {
    return this.#state === 'closed';
  }

  /** True once either side announced a graceful close: no new calls should start here. */
  get isDraining(): boolean {
    return this.#sentGoaway || this.#receivedGoaway;
  }

  get inFlight(): number {
    return this.#pending.size + this.#opens.size + this.#incoming.size + this.#streams.size;
  }

  get lastActivity(): number {
    return this.#lastActivity;
  }

  /** Starts the handshake; `firstBytes` are bytes already read from the socket by whoever sniffed it. */
  start(firstBytes?: Buffer): void {
    const { clock, limits } = this.#host;
    this.#handshakeTimer = clock.setTimeout(() => {
      this.reject(
        'ERR_HANDSHAKE_TIMEOUT',
        `handshake not finished in ${limits.handshakeTimeoutMs} ms`,
      );
    }, limits.handshakeTimeoutMs);
    this.socket.on('data', (chunk: Buffer) => this.#onBytes(chunk));
    this.socket.on('error', (error: Error) => {
      this.#closeError ??= new TransportError('ERR_CONNECTION_CLOSED', error.message, {
        cause: error,
      });
    });
    this.socket.on('close', () => this.#shutdown(this.#closeError));
    if (this.role === 'dialer') this.#writer.writeRaw(this.#handshake.opening());
    if (firstBytes !== undefined && firstBytes.length > 0) this.#onBytes(firstBytes);
  }

  // ---- outgoing calls -------------------------------------------------------------------------

  send(protocol: string, message: unknown): void {
    this.#assertUsable();
    this.#writeControl({ t: 'msg', p: protocol, b: message });
  }

  request(
    protocol: string,
    message: unknown,
    options: CallOptions,
    timeoutMs: number,
  ): Promise<unknown> {
    this.#assertUsable();
    const id = this.#nextCallId++;
    const frame = this.#writer.encodeControl({ t: 'req', id, p: protocol, b: message });
    return this.#pending.track(
      id,
      options,
      timeoutMs,
      () => {
        this.#writeFrame(frame);
      },
      () => this.sendControl({ t: 'cancel', id }),
    );
  }

  async openStream(
    protocol: string,
    header: unknown,
    options: CallOptions,
    timeoutMs: number,
  ): Promise<TcpStream> {
    this.#assertUsable();
    if (this.#streams.size >= this.#host.limits.maxStreamsPerConnection) {
      throw new TransportError('ERR_TOO_MANY_STREAMS', 'too many open streams on this connection');
    }
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const frame = this.#writer.encodeControl({ t: 'open', s: id, p: protocol, h: header });
    const stream = this.#newStream(id);
    try {
      await this.#opens.track(
        id,
        options,
        timeoutMs,
        () => this.#writeFrame(frame),
        () => {
          // We gave up: if the peer accepted meanwhile, the reset tears its end down.
          this.sendControl({ t: 'reset', s: id, code: 'ERR_ABORTED' });
        },
      );
    } catch (error) {
      stream.abortLocally(null);
      throw error;
    }
    // Reset (or cut off) between the accept and now: nobody could have heard it, so say it here.
    if (stream.destroyed) {
      throw (
        stream.remoteError ?? new TransportError('ERR_STREAM_RESET', 'the stream closed at once')
      );
    }
    return stream;
  }

  /** Starts a graceful close: no new calls, in-flight ones finish, then the socket closes. */
  goAway(): void {
    if (this.#sentGoaway || this.#state === 'closed') return;
    if (this.#state !== 'ready') {
      this.destroy();
      return;
    }
    this.#sentGoaway = true;
    this.sendControl({ t: 'goaway' });
    this.#drainTimer = this.#host.clock.setTimeout(
      () => this.destroy(new TransportError('ERR_CONNECTION_CLOSED', 'drain deadline passed')),
      this.#host.limits.drainTimeoutMs,
    );
    this.#host.connectionDraining(this);
    this.#maybeFinishDrain();
  }

  /** Closes now, failing everything in flight. */
  destroy(error?: TransportError): void {
    this.#closeError ??= error;
    this.socket.destroy();
    this.#shutdown(this.#closeError);
  }

  /** Counts, logs and refuses: tells the peer why while still in the handshake, then closes. */
  reject(code: string, message: string, notifyPeer = true): void {
    if (this.#state === 'closed') return;
    this.#host.connectionRejected(this, code, message);
    const error = new TransportError(code, message);
    this.#closeError ??= error;
    if (notifyPeer && this.#state !== 'ready' && !this.socket.destroyed) {
      const prefix = this.#handshake.sentMagic ? null : PEER_PROTOCOL_MAGIC;
      const frame = controlFrame({ t: 'reject', code, m: message });
      this.socket.end(prefix === null ? frame : Buffer.concat([prefix, frame]));
      // A peer that never reads must not keep the socket: give the reject a moment, then drop it.
      const timer = this.#host.clock.setTimeout(() => this.socket.destroy(), 1_000);
      this.socket.once('close', () => timer.cancel());
      this.#shutdown(error, false);
      return;
    }
    this.destroy(error);
  }

  // ---- StreamLink -----------------------------------------------------------------------------

  sendControl(message: SessionMessage): void {
    if (this.#state !== 'ready') return;
    this.#writeFrame(controlFrame(message));
  }

  sendData(streamId: number, data: Buffer, accepted?: () => void): void {
    if (this.#state !== 'ready') return;
    this.#writer.writeData(streamId, data, accepted);
  }

  now(): number {
    return this.#host.clock.now();
  }

  /** Resets every stream that made no progress for `idleMs` (see TcpStream.resetIfIdle); how many. */
  resetIdleStreams(idleMs: number): number {
    let reset = 0;
    for (const stream of [...this.#streams.values()]) if (stream.resetIfIdle(idleMs)) reset++;
    return reset;
  }

  streamClosed(streamId: number): void {
    this.#streams.delete(streamId);
    this.#maybeFinishDrain();
  }

  protocolViolation(message: string): void {
    this.reject('ERR_MALFORMED_FRAME', message);
  }

  // ---- incoming bytes -------------------------------------------------------------------------

  #onBytes(chunk: Buffer): void {
    if (this.#state === 'closed') return;
    this.#host.counters.bytesIn += chunk.length;
    this.#lastActivity = this.#host.clock.now();
    let rest = chunk;
    if (this.#state === 'magic') {
      const need = PEER_PROTOCOL_MAGIC.length - this.#magicSeen.length;
      const head = rest.subarray(0, need);
      this.#magicSeen = Buffer.concat([this.#magicSeen, head]);
      rest = rest.subarray(head.length);
      if (!isPeerProtocol(this.#magicSeen)) {
        this.reject('ERR_HANDSHAKE', 'not a dfs peer connection (bad magic)');
        return;
      }
      if (this.#magicSeen.length < PEER_PROTOCOL_MAGIC.length) return;
      this.#state = 'handshake';
    }
    try {
      this.#decoder.push(rest, (frame) => this.#onFrame(frame));
    } catch (error) {
      const { code, message } =
        error instanceof TransportError
          ? error
          : { code: 'ERR_MALFORMED_FRAME', message: String(error) };
      this.reject(code, message);
    }
  }

  #onFrame(frame: Frame): boolean {
    if (this.#state === 'closed') return false;
    this.#host.counters.framesIn++;
    if (this.#state !== 'ready') {
      if (frame.type !== FrameType.Control) {
        throw new TransportError('ERR_MALFORMED_FRAME', 'data frame during the handshake');
      }
      this.#onHandshake(parseControl(handshakeMessageSchema, frame.payload));
    } else {
      this.#onSession(parseControl(sessionMessageSchema, frame.payload));
    }
    return !this.isClosed;
  }

  #onHandshake(message: HandshakeMessage): void {
    const step = this.#handshake.receive(message);
    switch (step.kind) {
      case 'send':
        this.#writer.writeRaw(step.bytes);
        return;
      case 'refuse':
        this.reject(step.code, step.message);
        return;
      case 'refused':
        this.reject(step.code, `the peer refused the connection: ${step.message}`, false);
        return;
      case 'ready':
        if (!this.#host.mayEstablish(this)) {
          this.reject('ERR_TOO_MANY_CONNECTIONS', 'connection limit reached');
          return;
        }
        this.#state = 'ready';
        this.#decoder.setMaxPayloadBytes(this.#host.limits.maxFrameBytes);
        // TLS already authenticates every byte; on plain TCP the secret must (frame-auth.ts).
        if (step.frameKeys !== undefined && !(this.socket instanceof TLSSocket)) {
          this.#decoder.setFrameVerifier(new FrameVerifier(step.frameKeys.receive));
          this.#writer.startSealing(step.frameKeys.send);
        }
        this.#handshakeTimer?.cancel();
        this.#peer = step.peer;
        this.#host.connectionReady(this);
        this.#ready?.resolve();
        return;
    }
  }

  #onSession(message: SessionMessage): void {
    switch (message.t) {
      case 'msg':
        this.#onOneWay(message.p, message.b);
        return;
      case 'req':
        this.#onRequest(message.id, message.p, message.b);
        return;
      case 'res':
        this.#pending.settle(message.id, undefined, message.b);
        return;
      case 'err':
        this.#pending.settle(
          message.id,
          fromWireError({ code: message.code, message: message.m }),
          undefined,
        );
        return;
      case 'cancel':
        this.#incoming
          .get(message.id)
          ?.abort(new TransportError('ERR_ABORTED', 'the caller cancelled'));
        return;
      case 'open':
        this.#onOpen(message.s, message.p, message.h);
        return;
      case 'accept':
        this.#opens.settle(message.s, undefined, undefined);
        return;
      case 'refuse': {
        this.#opens.settle(
          message.s,
          fromWireError({ code: message.code, message: message.m }),
          undefined,
        );
        return;
      }
      case 'credit':
        this.#streams.get(message.s)?.receiveCredit(message.n);
        return;
      case 'end':
        this.#streams.get(message.s)?.receiveEnd();
        return;
      case 'reset':
        this.#streams.get(message.s)?.receiveReset(message.code);
        return;
      case 'goaway':
        this.#receivedGoaway = true;
        this.#host.connectionDraining(this);
        this.goAway();
        this.#maybeFinishDrain();
        return;
    }
  }

  /**
   * One-way messages share the request limit: past it they are dropped (they promise no delivery),
   * so a flood of them cannot pile up unfinished handlers.
   */
  #onOneWay(protocol: string, body: unknown): void {
    if (this.#runningOneWay >= this.#host.limits.maxConcurrentRequestsPerConnection) return;
    this.#runningOneWay++;
    const done = (): void => {
      this.#runningOneWay--;
    };
    this.#host.handlers
      .invoke(protocol, body, new CallContext(this.#peer as PeerInfo))
      .then(done, done);
  }

  #onRequest(id: number, protocol: string, body: unknown): void {
    if (this.#incoming.has(id))
      throw new TransportError('ERR_MALFORMED_FRAME', `duplicate call id ${id}`);
    if (this.#incoming.size >= this.#host.limits.maxConcurrentRequestsPerConnection) {
      this.sendControl({
        t: 'err',
        id,
        code: 'ERR_TOO_MANY_REQUESTS',
        m: 'too many concurrent requests',
      });
      return;
    }
    const context = new CallContext(this.#peer as PeerInfo);
    this.#incoming.set(id, context);
    this.#host.handlers.invoke(protocol, body, context).then(
      (answer) => this.#reply(id, answer),
      (error: unknown) => this.#replyError(id, error),
    );
  }

  #reply(id: number, answer: unknown): void {
    if (!this.#incoming.delete(id) || this.#state !== 'ready') return;
    let frame: Buffer;
    try {
      frame = this.#writer.encodeControl({ t: 'res', id, b: answer });
    } catch (error) {
      this.#incoming.set(id, new CallContext(this.#peer as PeerInfo));
      this.#replyError(id, error);
      return;
    }
    this.#writeFrame(frame);
    this.#maybeFinishDrain();
  }

  #replyError(id: number, error: unknown): void {
    if (!this.#incoming.delete(id) || this.#state !== 'ready') return;
    const wire = toWireError(error);
    this.sendControl({
      t: 'err',
      id,
      code: wire.code.slice(0, 128),
      m: wire.message.slice(0, 4096),
    });
    this.#maybeFinishDrain();
  }

  #onOpen(id: number, protocol: string, header: unknown): void {
    const peerParity = this.role === 'dialer' ? 0 : 1;
    if (id % 2 !== peerParity || this.#streams.has(id)) {
      throw new TransportError('ERR_MALFORMED_FRAME', `bad stream id ${id}`);
    }
    const refuse = (code: string, m: string): void =>
      this.sendControl({ t: 'refuse', s: id, code, m });
    if (this.#sentGoaway) return refuse('ERR_CONNECTION_CLOSED', 'connection is draining');
    if (!this.#host.handlers.hasStreamHandler(protocol)) {
      return refuse('ERR_NO_HANDLER', `no stream handler for "${protocol}"`);
    }
    if (this.#streams.size >= this.#host.limits.maxStreamsPerConnection) {
      return refuse('ERR_TOO_MANY_STREAMS', 'too many open streams on this connection');
    }
    const stream = this.#newStream(id);
    const context = new CallContext(this.#peer as PeerInfo);
    stream.once('close', () =>
      context.abort(new TransportError('ERR_CONNECTION_CLOSED', 'stream closed')),
    );
    this.sendControl({ t: 'accept', s: id });
    this.#host.handlers.invokeStream(protocol, stream, header, context);
  }

  #onStreamData(streamId: number, piece: Buffer, frameStart: boolean): void {
    if (this.#state !== 'ready') {
      throw new TransportError('ERR_MALFORMED_FRAME', 'data frame during the handshake');
    }
    if (frameStart) this.#host.counters.framesIn++;
    if (piece.length === 0) return;
    // Data for a stream we already closed is a normal race (it was in flight): drop it.
    this.#streams.get(streamId)?.receiveData(piece);
  }

  // ---- helpers --------------------------------------------------------------------------------

  #newStream(id: number): TcpStream {
    const maxChunkBytes = Math.max(1, Math.min(64 * 1024, this.#host.limits.maxFrameBytes - 4));
    const stream = new TcpStream(this, id, {
      windowBytes: this.#host.limits.streamWindowBytes,
      maxChunkBytes,
    });
    this.#streams.set(id, stream);
    return stream;
  }

  #maybeFinishDrain(): void {
    if (
      this.#sentGoaway &&
      this.#receivedGoaway &&
      this.inFlight === 0 &&
      this.#state === 'ready'
    ) {
      this.#shutdown(undefined, false);
      this.socket.end();
      const timer = this.#host.clock.setTimeout(() => this.socket.destroy(), 1_000);
      this.socket.once('close', () => timer.cancel());
    }
  }

  /** Final bookkeeping, exactly once: every call, stream and handler learns the connection is gone. */
  #shutdown(error: TransportError | undefined, destroySocket = true): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#handshakeTimer?.cancel();
    this.#drainTimer?.cancel();
    if (destroySocket) this.socket.destroy();
    const reason =
      error ??
      new TransportError('ERR_CONNECTION_CLOSED', `connection to ${this.remoteAddress} closed`);
    this.#ready?.reject(reason);
    this.#pending.failAll(reason);
    this.#opens.failAll(reason);
    for (const context of this.#incoming.values()) context.abort(reason);
    this.#incoming.clear();
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    for (const stream of streams) stream.abortLocally(reason);
    this.#host.connectionClosed(this);
  }

  #assertUsable(): void {
    if (this.#state !== 'ready') {
      throw new TransportError('ERR_CONNECTION_CLOSED', 'connection is not open');
    }
  }

  #writeControl(message: SessionMessage): void {
    this.#writeFrame(this.#writer.encodeControl(message));
  }

  #writeFrame(frame: Buffer): void {
    // A peer that sends requests but never reads the answers would otherwise make us buffer
    // them without bound.
    if (!this.#writer.writeFrame(frame)) {
      this.reject(
        'ERR_SLOW_PEER',
        `peer is not reading: ${this.socket.writableLength} bytes queued`,
      );
    }
  }
}
