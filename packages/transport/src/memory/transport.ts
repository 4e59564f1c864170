import type { Duplex } from 'node:stream';
import { decodeValue, encodeValue } from '../codec.js';
import { TransportEventEmitter } from '../emitter.js';
import { TransportError } from '../errors.js';
import {
  CallContext,
  HandlerRegistry,
  fromWireError,
  toWireError,
  type WireError,
} from '../handlers.js';
import type { CallOptions, MessageHandler, PeerInfo, StreamHandler, Transport } from '../types.js';
import { PeerStreams } from './peer-streams.js';
import { RunningHandlers } from './running-handlers.js';
import { MemoryStream } from './stream.js';
import type { MemoryWire } from './wire.js';
import { SharedValue, UNMEASURED, received } from './wire-values.js';

export interface MemoryTransportOptions {
  /** This node's id. */
  id: string;
  /** Its address on the network (any unique string). */
  address: string;
  network: MemoryWire<MemoryTransport>;
  /** Default per-call deadline for `request` and `openStream`. Default 30000 ms. */
  requestTimeoutMs?: number;
  /** Bytes a stream writer may have unacknowledged by the reader. Default 256 KiB. */
  streamWindowBytes?: number;
}

/** An outgoing request or stream open waiting for its answer. */
interface PendingCall {
  readonly target: string;
  settle(error: TransportError | undefined, answer: unknown): void;
}

/**
 * A `Transport` whose "wire" is a `MemoryNetwork`. Values are encoded with the same codec as TCP
 * (so unencodable messages fail the same way and receivers get fresh copies), and every delivery
 * waits on the network's clock.
 */
export class MemoryTransport extends TransportEventEmitter implements Transport {
  readonly id: string;
  readonly address: string;
  readonly #network: MemoryWire<MemoryTransport>;
  readonly #requestTimeoutMs: number;
  readonly #streamWindowBytes: number;
  readonly #self: PeerInfo;
  readonly #handlers = new HandlerRegistry();
  readonly #peers = new Map<string, PeerInfo>();
  readonly #pending = new Map<number, PendingCall>();
  readonly #running = new RunningHandlers();
  readonly #streams = new PeerStreams();
  #nextCallId = 0;
  #listening = false;
  #closed = false;

  constructor(options: MemoryTransportOptions) {
    super();
    this.id = options.id;
    this.address = options.address;
    this.#network = options.network;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#streamWindowBytes = options.streamWindowBytes ?? 256 * 1024;
    this.#self = Object.freeze({ id: this.id, address: this.address });
  }

  get isListening(): boolean {
    return this.#listening;
  }

  async listen(): Promise<void> {
    if (this.#closed) throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    this.#listening = true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listening = false;
    this.dropAllConnections(new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed'));
    this.#network.detach(this);
  }

  handle(protocol: string, handler: MessageHandler): void {
    this.#handlers.handle(protocol, handler);
  }

  handleStream(protocol: string, handler: StreamHandler): void {
    this.#handlers.handleStream(protocol, handler);
  }

  unhandle(protocol: string): void {
    this.#handlers.unhandle(protocol);
  }

  connectedPeers(): PeerInfo[] {
    return [...this.#peers.values()];
  }

  async send(
    address: string,
    protocol: string,
    message: unknown,
    options?: CallOptions,
  ): Promise<void> {
    this.#assertOpen(options);
    const bytes = this.#encode(message);
    const outcome = this.#network.transmit(this.address, address, bytes.length, false, (target) =>
      target.#receiveSend(this, protocol, this.#shared(bytes, message)),
    );
    if (outcome === 'unreachable') {
      await new Promise<void>((resolve) => this.#network.after(this.#roundTrip(address), resolve));
      throw unreachable(address);
    }
  }

  request(
    address: string,
    protocol: string,
    message: unknown,
    options?: CallOptions,
  ): Promise<unknown> {
    return this.#call(address, options, (callId) => {
      const bytes = this.#encode(message);
      return this.#network.transmit(this.address, address, bytes.length, false, (target) =>
        target.#receiveRequest(this, callId, protocol, this.#shared(bytes, message)),
      );
    });
  }

  async openStream(
    address: string,
    protocol: string,
    header: unknown,
    options?: CallOptions,
  ): Promise<Duplex> {
    const stream = this.#newStream(address);
    // Until the open succeeds nobody holds this end: a connection drop meanwhile fails the call, and
    // the stream's own error must not surface as an unheard 'error' event.
    const swallowWhilePending = (): void => {};
    stream.on('error', swallowWhilePending);
    try {
      await this.#call(address, options, (callId) => {
        const bytes = encodeValue(header);
        return this.#network.transmit(this.address, address, bytes.length, true, (target) =>
          target.#receiveStreamOpen(this, callId, protocol, bytes, stream),
        );
      });
    } catch (error) {
      // Nobody holds this end yet: close it quietly instead of emitting an unheard 'error'.
      // The listener stays: the end's 'error' may be emitted on a later tick than this rejection.
      stream.abortLocally(null);
      throw error;
    }
    stream.off('error', swallowWhilePending);
    return stream;
  }

  /** Drops the logical connection to `address`: its calls and streams fail, handlers are aborted. */
  dropConnection(address: string, reason?: TransportError): void {
    // Built only when something is there to fail: closing a network of n transports calls this
    // n² times, nearly always with nothing pending, and an error with a stack trace is not cheap.
    let error = reason;
    const failure = (): TransportError =>
      (error ??= new TransportError('ERR_CONNECTION_CLOSED', `connection to ${address} closed`));
    for (const [callId, call] of this.#pending) {
      if (call.target === address) {
        this.#pending.delete(callId);
        call.settle(failure(), undefined);
      }
    }
    this.#streams.abortAll(address, failure);
    this.#running.abortAll(address, failure);
    const peer = this.#peers.get(address);
    if (peer !== undefined) {
      this.#peers.delete(address);
      this.emitEvent('disconnect', peer);
    }
  }

  /** Drops every connection and fails every pending call (crash or close). */
  dropAllConnections(reason?: TransportError): void {
    const error = reason ?? new TransportError('ERR_CONNECTION_CLOSED', 'node crashed');
    const addresses = new Set([...this.#peers.keys(), ...this.#streams.addresses()]);
    for (const call of this.#pending.values()) addresses.add(call.target);
    for (const address of this.#running.addresses()) addresses.add(address);
    for (const address of addresses) this.dropConnection(address, error);
  }

  /** Resets streams whose remote end is now unreachable (partition); both ends do this. */
  resetStreamsWhere(separated: (remoteAddress: string) => boolean): void {
    this.#streams.resetWhere(separated);
  }

  #assertOpen(options: CallOptions | undefined): void {
    if (this.#closed) throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    if (options?.signal?.aborted) throw abortError(options.signal);
  }

  #roundTrip(address: string): number {
    return (
      this.#network.latency(this.address, address) + this.#network.latency(address, this.address)
    );
  }

  /**
   * The shared machinery of `request` and `openStream`: a call id, a deadline on the clock, abort
   * support, and a remote cancel so the handler's signal fires when we give up.
   */
  #call(
    address: string,
    options: CallOptions | undefined,
    transmit: (callId: number) => 'scheduled' | 'unreachable' | 'dropped',
  ): Promise<unknown> {
    try {
      this.#assertOpen(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const callId = ++this.#nextCallId;
    const signal = options?.signal;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        this.#pending.delete(callId);
        this.#cancelRemote(address, callId);
        finish(abortError(signal as AbortSignal), undefined);
      };
      // Only calls that carry a signal pay for the listener bookkeeping.
      const hasSignal = signal !== undefined;
      const timer = this.#network.clock.setTimeout(() => {
        this.#pending.delete(callId);
        this.#cancelRemote(address, callId);
        finish(new TransportError('ERR_TIMEOUT', `call to ${address} timed out`), undefined);
      }, options?.timeoutMs ?? this.#requestTimeoutMs);
      const finish = (error: TransportError | undefined, answer: unknown): void => {
        timer.cancel();
        if (hasSignal) signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve(answer);
        else reject(error);
      };
      if (hasSignal) signal.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(callId, { target: address, settle: finish });
      let outcome: 'scheduled' | 'unreachable' | 'dropped';
      try {
        outcome = transmit(callId);
      } catch (error) {
        this.#pending.delete(callId);
        finish(error as TransportError, undefined);
        return;
      }
      if (outcome === 'unreachable') {
        this.#network.after(this.#roundTrip(address), () =>
          this.#settle(callId, unreachable(address), undefined),
        );
      }
    });
  }

  #settle(callId: number, error: TransportError | undefined, answer: unknown): void {
    const call = this.#pending.get(callId);
    if (call === undefined) return;
    this.#pending.delete(callId);
    call.settle(error, answer);
  }

  #cancelRemote(address: string, callId: number): void {
    this.#network.transmit(this.address, address, 8, false, (target) =>
      target.#receiveCancel(this.address, callId),
    );
  }

  #noteConnected(peer: MemoryTransport): void {
    if (this.#closed || this.#peers.has(peer.address)) return;
    this.#peers.set(peer.address, peer.#self);
    this.emitEvent('connect', peer.#self);
  }

  /** Both ends learn of the connection when the first bytes arrive, as after a TCP handshake. */
  #arrivedFrom(from: MemoryTransport): void {
    this.#noteConnected(from);
    from.#noteConnected(this);
  }

  /** The message as it would cross a wire; not encoded when shared and left unmeasured. */
  #encode(message: unknown): Buffer {
    const network = this.#network;
    return network.shareValues && !network.measureBytes ? UNMEASURED : encodeValue(message);
  }

  /** What a receiver decodes: the bytes, or with `shareValues` the sent value itself. */
  #shared(bytes: Buffer, value: unknown): Buffer | SharedValue {
    return this.#network.shareValues ? new SharedValue(value) : bytes;
  }

  #receiveSend(from: MemoryTransport, protocol: string, bytes: Buffer | SharedValue): void {
    this.#arrivedFrom(from);
    const context = new CallContext(from.#self);
    this.#handlers.invoke(protocol, received(bytes), context).catch(() => {
      // One-way messages have nobody to report to; a failing handler is the handler's business.
    });
  }

  #receiveRequest(
    from: MemoryTransport,
    callId: number,
    protocol: string,
    bytes: Buffer | SharedValue,
  ): void {
    this.#arrivedFrom(from);
    const context = this.#running.track(from.#self, callId);
    this.#handlers.invoke(protocol, received(bytes), context).then(
      (answer) => {
        this.#running.untrack(from.address, callId);
        this.#reply(from, callId, undefined, answer);
      },
      (error: unknown) => {
        this.#running.untrack(from.address, callId);
        this.#reply(from, callId, toWireError(error), undefined);
      },
    );
  }

  #reply(to: MemoryTransport, callId: number, error: WireError | undefined, answer: unknown): void {
    if (this.#closed) return;
    let bytes: Buffer;
    try {
      bytes = this.#encode(error === undefined ? answer : null);
    } catch (encodeError) {
      error = toWireError(encodeError);
      bytes = encodeValue(null);
    }
    const share = this.#network.shareValues;
    this.#network.transmit(this.address, to.address, bytes.length, false, () => {
      if (error !== undefined) to.#settle(callId, fromWireError(error), undefined);
      else to.#settle(callId, undefined, share ? answer : decodeValue(bytes));
    });
  }

  #receiveCancel(fromAddress: string, callId: number): void {
    this.#running.cancel(fromAddress, callId);
  }

  #receiveStreamOpen(
    from: MemoryTransport,
    callId: number,
    protocol: string,
    bytes: Buffer,
    openerEnd: MemoryStream,
  ): void {
    this.#arrivedFrom(from);
    if (!this.#handlers.hasStreamHandler(protocol)) {
      const error = { code: 'ERR_NO_HANDLER', message: `no stream handler for "${protocol}"` };
      this.#reply(from, callId, error, undefined);
      return;
    }
    const end = this.#newStream(from.address);
    end.attach(openerEnd);
    openerEnd.attach(end);
    const controller = new AbortController();
    end.once('close', () => controller.abort());
    this.#network.transmit(this.address, from.address, 8, true, () => {
      // The opener gave up (timeout or abort) before the accept arrived: tear down our end too.
      if (!from.#pending.has(callId)) end.destroy();
      from.#settle(callId, undefined, undefined);
    });
    this.#handlers.invokeStream(protocol, end, decodeValue(bytes), {
      peer: from.#self,
      signal: controller.signal,
    });
  }

  #newStream(remoteAddress: string): MemoryStream {
    const stream = new MemoryStream({
      network: this.#network,
      localAddress: this.address,
      remoteAddress,
      windowBytes: this.#streamWindowBytes,
      onClose: (closed) => this.#streams.remove(remoteAddress, closed),
    });
    this.#streams.add(remoteAddress, stream);
    return stream;
  }
}

function unreachable(address: string): TransportError {
  return new TransportError('ERR_UNREACHABLE', `no node accepts connections at ${address}`);
}

function abortError(signal: AbortSignal): TransportError {
  return new TransportError('ERR_ABORTED', 'the call was aborted', { cause: signal.reason });
}
