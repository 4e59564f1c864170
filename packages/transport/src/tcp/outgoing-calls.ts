/**
 * Calls we make to the peer on one connection: requests waiting for their answer and stream opens
 * waiting for the peer's accept, each with its deadline and AbortSignal (pending-calls.ts).
 */
import type { Clock } from '../clock.js';
import { TransportError } from '../errors.js';
import { fromWireError } from '../handlers.js';
import type { CallOptions } from '../types.js';
import type { SessionMessage } from './messages.js';
import { PendingCalls } from './pending-calls.js';
import type { TcpStream } from './stream.js';
import type { StreamTable } from './stream-table.js';

/** What the calls need from their connection. */
export interface OutgoingCallLink {
  readonly clock: Clock;
  /** Encodes a call; throws when it cannot travel (too large, not encodable). */
  encodeControl(message: SessionMessage): Buffer;
  writeFrame(frame: Buffer): void;
  sendControl(message: SessionMessage): void;
  /** A call left the table (the connection may be waiting to drain). */
  callSettled(): void;
}

export class OutgoingCalls {
  readonly #link: OutgoingCallLink;
  /** Where the streams we open are registered. */
  readonly #streams: StreamTable;
  #nextCallId = 1;
  readonly #pending: PendingCalls;
  readonly #opens: PendingCalls;

  constructor(link: OutgoingCallLink, streams: StreamTable) {
    this.#link = link;
    this.#streams = streams;
    this.#pending = new PendingCalls(link.clock, () => link.callSettled());
    this.#opens = new PendingCalls(link.clock, () => link.callSettled());
  }

  get size(): number {
    return this.#pending.size + this.#opens.size;
  }

  request(
    protocol: string,
    message: unknown,
    options: CallOptions,
    timeoutMs: number,
  ): Promise<unknown> {
    const id = this.#nextCallId++;
    const frame = this.#link.encodeControl({ t: 'req', id, p: protocol, b: message });
    return this.#pending.track(
      id,
      options,
      timeoutMs,
      () => {
        this.#link.writeFrame(frame);
      },
      () => this.#link.sendControl({ t: 'cancel', id }),
    );
  }

  async openStream(
    protocol: string,
    header: unknown,
    options: CallOptions,
    timeoutMs: number,
  ): Promise<TcpStream> {
    const streams = this.#streams;
    const id = streams.reserveLocalId();
    const frame = this.#link.encodeControl({ t: 'open', s: id, p: protocol, h: header });
    const stream = streams.newStream(id);
    try {
      await this.#opens.track(
        id,
        options,
        timeoutMs,
        () => this.#link.writeFrame(frame),
        () => {
          // We gave up: if the peer accepted meanwhile, the reset tears its end down.
          this.#link.sendControl({ t: 'reset', s: id, code: 'ERR_ABORTED' });
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

  onResult(id: number, body: unknown): void {
    this.#pending.settle(id, undefined, body);
  }

  onError(id: number, code: string, message: string): void {
    this.#pending.settle(id, fromWireError({ code, message }), undefined);
  }

  onAccept(streamId: number): void {
    this.#opens.settle(streamId, undefined, undefined);
  }

  onRefuse(streamId: number, code: string, message: string): void {
    this.#opens.settle(streamId, fromWireError({ code, message }), undefined);
  }

  /** The connection is gone: every call fails with `reason`. */
  failAll(reason: TransportError): void {
    this.#pending.failAll(reason);
    this.#opens.failAll(reason);
  }
}
