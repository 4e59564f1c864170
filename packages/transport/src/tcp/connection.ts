import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { Timer } from '../clock.js';
import { TransportError } from '../errors.js';
import type { CallOptions, PeerInfo } from '../types.js';
import type { ConnectionHost } from './connection-host.js';
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
import { Multiplexer } from './multiplexer.js';
import type { StreamLink, TcpStream } from './stream.js';

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
  readonly #host: ConnectionHost<PeerConnection>;
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
  /** The calls and streams carried once the handshake is done. */
  readonly #mux: Multiplexer;
  #sentGoaway = false;
  #receivedGoaway = false;
  #lastActivity: number;

  constructor(options: {
    host: ConnectionHost<PeerConnection>;
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
    // Until the peer has authenticated, it may not make us buffer more than a handshake needs.
    this.#decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES, (streamId, piece, start) =>
      this.#onStreamData(streamId, piece, start),
    );
    this.#lastActivity = options.host.clock.now();
    this.#writer = new FrameWriter({
      socket: this.socket,
      counters: options.host.counters,
      limits: options.host.limits,
      onActivity: () => {
        this.#lastActivity = this.#host.clock.now();
      },
    });
    this.#mux = new Multiplexer({
      role: options.role,
      clock: options.host.clock,
      handlers: options.host.handlers,
      limits: options.host.limits,
      streamLink: this,
      peer: () => this.#peer as PeerInfo,
      isReady: () => this.#state === 'ready',
      sentGoaway: () => this.#sentGoaway,
      encodeControl: (message) => this.#writer.encodeControl(message),
      writeFrame: (frame) => this.#writeFrame(frame),
      sendControl: (message) => this.sendControl(message),
      callSettled: () => this.#maybeFinishDrain(),
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
    return this.#mux.inFlight;
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
    return this.#mux.outgoing.request(protocol, message, options, timeoutMs);
  }

  async openStream(
    protocol: string,
    header: unknown,
    options: CallOptions,
    timeoutMs: number,
  ): Promise<TcpStream> {
    this.#assertUsable();
    return await this.#mux.outgoing.openStream(protocol, header, options, timeoutMs);
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
    return this.#mux.streams.resetIdle(idleMs);
  }

  streamClosed(streamId: number): void {
    this.#mux.streams.forget(streamId);
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
    if (message.t !== 'goaway') {
      this.#mux.route(message);
      return;
    }
    this.#receivedGoaway = true;
    this.#host.connectionDraining(this);
    this.goAway();
    this.#maybeFinishDrain();
  }

  #onStreamData(streamId: number, piece: Buffer, frameStart: boolean): void {
    if (this.#state !== 'ready') {
      throw new TransportError('ERR_MALFORMED_FRAME', 'data frame during the handshake');
    }
    if (frameStart) this.#host.counters.framesIn++;
    if (piece.length === 0) return;
    this.#mux.streams.onData(streamId, piece);
  }

  // ---- helpers --------------------------------------------------------------------------------

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
    this.#mux.abortAll(reason);
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
