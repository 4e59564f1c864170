import { Duplex } from 'node:stream';
import { TransportError } from '../errors.js';
import type { MemoryWire } from './wire.js';

/**
 * One end of an in-memory bulk stream. Data crosses the network as reliable, ordered transmissions
 * (never lost to `lossRate`, but delayed by latency and bandwidth like everything else).
 *
 * Flow control is credit-based, the same scheme TCP streams use: a writer may have at most `window`
 * bytes that the reader has not yet accepted. The reader returns credit as its consumer drains
 * (immediately when `push()` had room, otherwise on the next `_read()`), so a slow reader holds at
 * most its highWaterMark plus one window, and a stalled one stops the writer instead of growing memory.
 */
export class MemoryStream extends Duplex {
  readonly #network: MemoryWire<unknown>;
  readonly #localAddress: string;
  readonly #remoteAddress: string;
  #peer: MemoryStream | undefined;
  /** Bytes we may still send before the peer grants more; may dip below zero by one chunk. */
  #credit: number;
  /** Bytes the consumer has not drained yet, to grant back on the next `_read()`. */
  #owed = 0;
  #blockedWrite: { chunk: Buffer; callback: (error?: Error | null) => void } | undefined;
  /** Set when the peer end is already gone, so we do not send it a reset. */
  #peerGone = false;
  readonly #onClose: (stream: MemoryStream) => void;

  constructor(options: {
    network: MemoryWire<unknown>;
    localAddress: string;
    remoteAddress: string;
    windowBytes: number;
    onClose: (stream: MemoryStream) => void;
  }) {
    super();
    this.#network = options.network;
    this.#localAddress = options.localAddress;
    this.#remoteAddress = options.remoteAddress;
    this.#credit = options.windowBytes;
    this.#onClose = options.onClose;
  }

  get remoteAddress(): string {
    return this.#remoteAddress;
  }

  /** Pairs the two ends; called once the opener's request was accepted. */
  attach(peer: MemoryStream): void {
    this.#peer = peer;
  }

  /** Tears this end down because its connection is gone; the peer end is torn down separately. */
  abortLocally(error: Error | null): void {
    this.#peerGone = true;
    this.destroy(error ?? undefined);
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.#credit <= 0) {
      this.#blockedWrite = { chunk, callback };
      return;
    }
    this.#transmitChunk(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#toPeer(1, (peer) => peer.#receiveEnd());
    callback();
  }

  override _read(): void {
    if (this.#owed > 0) {
      const owed = this.#owed;
      this.#owed = 0;
      this.#toPeer(8, (peer) => peer.#receiveCredit(owed));
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#blockedWrite = undefined;
    const finishedCleanly = error === null && this.writableFinished && this.readableEnded;
    if (!this.#peerGone && !finishedCleanly && this.#peer !== undefined) {
      this.#peerGone = true;
      this.#toPeer(1, (peer) => peer.#receiveReset());
    }
    this.#onClose(this);
    callback(error);
  }

  #transmitChunk(chunk: Buffer): void {
    this.#credit -= chunk.length;
    // The writer may reuse its buffer once the write callback ran; the copy is what travels.
    const copy = Buffer.from(chunk);
    this.#toPeer(copy.length, (peer) => peer.#receiveData(copy));
  }

  #toPeer(size: number, deliver: (peer: MemoryStream) => void): void {
    const peer = this.#peer;
    if (peer === undefined) return;
    const outcome = this.#network.transmit(
      this.#localAddress,
      this.#remoteAddress,
      size,
      true,
      () => deliver(peer),
    );
    if (outcome !== 'scheduled' && !this.destroyed) {
      this.abortLocally(new TransportError('ERR_CONNECTION_CLOSED', 'stream peer is unreachable'));
    }
  }

  #receiveData(chunk: Buffer): void {
    if (this.destroyed) return;
    if (this.push(chunk)) {
      this.#toPeer(8, (peer) => peer.#receiveCredit(chunk.length));
    } else {
      this.#owed += chunk.length;
    }
  }

  #receiveCredit(bytes: number): void {
    this.#credit += bytes;
    const blocked = this.#blockedWrite;
    if (blocked !== undefined && this.#credit > 0) {
      this.#blockedWrite = undefined;
      this.#transmitChunk(blocked.chunk);
      blocked.callback();
    }
  }

  #receiveEnd(): void {
    if (!this.destroyed) this.push(null);
  }

  #receiveReset(): void {
    this.#peerGone = true;
    if (this.destroyed) return;
    this.destroy(new TransportError('ERR_STREAM_RESET', 'the remote end cancelled the stream'));
  }
}
