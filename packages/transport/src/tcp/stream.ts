import { Duplex } from 'node:stream';
import { TransportError } from '../errors.js';
import type { SessionMessage } from './messages.js';

/** What a stream needs from its connection. */
export interface StreamLink {
  /** Writes one data frame; `accepted` runs once the socket has room for more. */
  sendData(streamId: number, data: Buffer, accepted?: () => void): void;
  sendControl(message: SessionMessage): void;
  /** The stream is gone on this side; its id may be forgotten. */
  streamClosed(streamId: number): void;
  /** The peer broke the flow-control contract: the whole connection must go. */
  protocolViolation(message: string): void;
  /** The connection's clock, for the idle timeout. */
  now(): number;
}

/**
 * One end of a multiplexed bulk stream on a TCP connection.
 *
 * Credit-based flow control: the writer may send at most `window` bytes that the reader has not
 * granted back. The reader grants as its consumer drains (batched to a quarter window to keep
 * credit frames rare), so one stalled reader stops only its own writer, and a connection's memory
 * per stream is bounded by one window plus the Readable's highWaterMark. A peer that sends beyond
 * its credit is cut off.
 */
export class TcpStream extends Duplex {
  readonly id: number;
  readonly #link: StreamLink;
  readonly #window: number;
  readonly #maxChunk: number;
  #credit: number;
  /** Bytes the peer may still send us before it must wait for a grant. */
  #allowance: number;
  /** Bytes consumed (or accepted into the buffer) that we have not granted back yet. */
  #grantable = 0;
  /** Bytes pushed while the buffer was full: granted only when `_read` asks for more. */
  #heldBack = 0;
  #blocked: { chunk: Buffer; offset: number; callback: (error?: Error | null) => void } | undefined;
  #peerGone = false;
  /** When data or credit last moved either way: a stream stuck longer is reset (`resetIfIdle`). */
  #lastProgress: number;

  constructor(
    link: StreamLink,
    id: number,
    options: { windowBytes: number; maxChunkBytes: number },
  ) {
    // Larger buffers than the 16 KiB default: a 64 KiB data frame then fits without stalling.
    super({ readableHighWaterMark: 256 * 1024, writableHighWaterMark: 256 * 1024 });
    this.#link = link;
    this.id = id;
    this.#window = options.windowBytes;
    this.#maxChunk = options.maxChunkBytes;
    this.#credit = options.windowBytes;
    this.#allowance = options.windowBytes;
    this.#lastProgress = link.now();
  }

  /**
   * Resets the stream on both ends when nothing moved for `idleMs`: no data in or out, no credit
   * granted or received. A reader that stopped consuming (or a writer that stopped writing) would
   * otherwise pin a window of buffers here and, through the handler, whatever feeds the stream (an
   * open file on the serving side) for as long as the connection lives. True when it was reset.
   */
  resetIfIdle(idleMs: number): boolean {
    if (this.destroyed || this.#link.now() - this.#lastProgress < idleMs) return false;
    const error = new TransportError(
      'ERR_STREAM_IDLE',
      `stream ${this.id} made no progress for ${idleMs} ms`,
    );
    if (!this.#peerGone) {
      this.#peerGone = true;
      this.#link.sendControl({ t: 'reset', s: this.id, code: error.code });
    }
    this.#destroyFromOutside(error);
    return true;
  }

  /**
   * Why the stream was torn down from outside (reset by the peer, connection gone), kept even when
   * it was not emitted: the opener checks it before handing the stream out.
   */
  remoteError: TransportError | undefined;

  /** Tears this end down because its connection is gone (no reset frame can be sent). */
  abortLocally(error: Error | null): void {
    this.#peerGone = true;
    if (error instanceof TransportError) this.remoteError ??= error;
    this.#destroyFromOutside(error);
  }

  /**
   * A reset or a dropped connection can arrive after the user is done with the stream (pipeline
   * removes its listeners once it finished), or before the opener has been handed the stream (the
   * peer accepted and reset in one packet). An 'error' event nobody listens to would be an uncaught
   * exception that takes the process down, so with no listener the stream is destroyed without one:
   * 'close' still fires and a late reader or writer still fails (premature close, destroyed).
   */
  #destroyFromOutside(error: Error | null): void {
    if (error !== null && this.listenerCount('error') > 0) this.destroy(error);
    else this.destroy();
  }

  receiveData(data: Buffer): void {
    if (this.destroyed) return;
    this.#lastProgress = this.#link.now();
    this.#allowance -= data.length;
    if (this.#allowance < 0) {
      this.#link.protocolViolation(`stream ${this.id} exceeded its flow-control window`);
      return;
    }
    if (this.push(data)) this.#grant(data.length, false);
    else this.#heldBack += data.length;
  }

  receiveCredit(bytes: number): void {
    this.#lastProgress = this.#link.now();
    this.#credit += bytes;
    this.#pump();
  }

  receiveEnd(): void {
    this.#lastProgress = this.#link.now();
    if (!this.destroyed) this.push(null);
  }

  receiveReset(code: string): void {
    this.#peerGone = true;
    if (this.destroyed) return;
    const error = new TransportError(
      'ERR_STREAM_RESET',
      `the remote end reset the stream (${code})`,
    );
    this.remoteError ??= error;
    this.#destroyFromOutside(error);
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.#blocked = { chunk, offset: 0, callback };
    this.#pump();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#link.sendControl({ t: 'end', s: this.id });
    callback();
  }

  override _read(): void {
    if (this.#heldBack > 0) {
      const bytes = this.#heldBack;
      this.#heldBack = 0;
      this.#grant(bytes, true);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#blocked = undefined;
    const finishedCleanly = error === null && this.writableFinished && this.readableEnded;
    if (!this.#peerGone && !finishedCleanly) {
      this.#peerGone = true;
      const code = error instanceof TransportError ? error.code : 'ERR_STREAM_CANCELLED';
      this.#link.sendControl({ t: 'reset', s: this.id, code });
    }
    this.#link.streamClosed(this.id);
    callback(error);
  }

  /** Sends as much of the blocked write as credit allows; completes it once the socket took it all. */
  #pump(): void {
    const blocked = this.#blocked;
    if (blocked === undefined || this.destroyed) return;
    const { chunk } = blocked;
    while (this.#credit > 0 && blocked.offset < chunk.length) {
      const size = Math.min(this.#maxChunk, this.#credit, chunk.length - blocked.offset);
      const piece = chunk.subarray(blocked.offset, blocked.offset + size);
      this.#lastProgress = this.#link.now();
      blocked.offset += size;
      this.#credit -= size;
      const last = blocked.offset === chunk.length;
      if (last) {
        this.#blocked = undefined;
        // The write completes once the socket has room again, so a backed-up socket holds the
        // writer back. Like any Writable, the chunk must not be modified after write().
        this.#link.sendData(this.id, piece, () => blocked.callback());
      } else {
        this.#link.sendData(this.id, piece);
      }
    }
  }

  #grant(bytes: number, force: boolean): void {
    this.#grantable += bytes;
    if (this.#grantable === 0) return;
    if (force || this.#grantable >= this.#window / 4) {
      const n = this.#grantable;
      this.#grantable = 0;
      this.#lastProgress = this.#link.now();
      this.#allowance += n;
      if (!this.#peerGone) this.#link.sendControl({ t: 'credit', s: this.id, n });
    }
  }
}
