import type { Duplex } from 'node:stream';
import { encodeValue } from '../codec.js';
import { TransportError } from '../errors.js';
import type { TransportCounters } from './counters.js';
import { FRAME_TAG_BYTES, FrameSealer } from './frame-auth.js';
import { FrameType, dataFrameHeader } from './frame.js';
import type { SessionMessage } from './messages.js';

export interface FrameWriterLimits {
  maxFrameBytes: number;
  maxStreamsPerConnection: number;
}

/**
 * The sending half of a connection: encodes, seals (once frame authentication is on) and writes
 * frames, counting them, and holds stream writers back while the socket's buffer is full.
 */
export class FrameWriter {
  readonly #socket: Duplex;
  readonly #counters: TransportCounters;
  readonly #limits: FrameWriterLimits;
  readonly #onActivity: () => void;
  #sealer: FrameSealer | undefined;
  #drainWaiters: (() => void)[] = [];
  #corked = false;

  constructor(options: {
    socket: Duplex;
    counters: TransportCounters;
    limits: FrameWriterLimits;
    /** Called on every write (the connection's idle clock). */
    onActivity: () => void;
  }) {
    this.#socket = options.socket;
    this.#counters = options.counters;
    this.#limits = options.limits;
    this.#onActivity = options.onActivity;
  }

  /** Every frame written from now on carries a tag under `key` (docs/protocol.md §2.1). */
  startSealing(key: Buffer): void {
    this.#sealer = new FrameSealer(key);
  }

  encodeControl(message: SessionMessage): Buffer {
    const payload = encodeValue(message);
    if (payload.length > this.#limits.maxFrameBytes) {
      throw new TransportError(
        'ERR_FRAME_TOO_LARGE',
        `message of ${payload.length} bytes exceeds the ${this.#limits.maxFrameBytes}-byte frame limit`,
      );
    }
    const frame = Buffer.allocUnsafe(5 + payload.length);
    frame.writeUInt32BE(payload.length + 1, 0);
    frame[4] = FrameType.Control;
    frame.set(payload, 5);
    return frame;
  }

  /**
   * Writes one encoded frame (sealing it when on). False, and nothing written, when the peer has
   * let more than a healthy backlog pile up unread: the caller drops the connection (ERR_SLOW_PEER).
   */
  writeFrame(frame: Buffer): boolean {
    if (this.#socket.writableLength > this.#maxBacklogBytes()) return false;
    this.#counters.framesOut++;
    const tag = this.#sealer?.sealEncoded(frame);
    this.writeRaw(frame);
    if (tag !== undefined) this.writeRaw(tag);
    return true;
  }

  /** Writes bytes as they are: the magic and handshake frames, which are never sealed. */
  writeRaw(bytes: Buffer): void {
    this.#counters.bytesOut += bytes.length;
    this.#onActivity();
    this.#corkUntilNextTick();
    this.#socket.write(bytes);
  }

  /** Writes one data frame without copying `data`; `accepted` runs once the socket has room. */
  writeData(streamId: number, data: Buffer, accepted?: () => void): void {
    const sealer = this.#sealer;
    const tagBytes = sealer === undefined ? 0 : FRAME_TAG_BYTES;
    this.#counters.framesOut++;
    this.#counters.bytesOut += data.length + 9 + tagBytes;
    this.#onActivity();
    const header = dataFrameHeader(streamId, data.length, tagBytes);
    this.#socket.cork();
    this.#socket.write(header);
    let roomLeft = this.#socket.write(data);
    if (sealer !== undefined) roomLeft = this.#socket.write(sealer.sealData(header, data));
    this.#socket.uncork();
    if (accepted === undefined) return;
    // The writer may go on while the socket's buffer has room; once it is full, every stream's
    // writer waits for the drain, so a slow socket holds back its writers instead of queueing.
    if (roomLeft) accepted();
    else this.#afterDrain(accepted);
  }

  #afterDrain(callback: () => void): void {
    this.#drainWaiters.push(callback);
    if (this.#drainWaiters.length === 1) {
      this.#socket.once('drain', () => {
        const waiters = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const waiter of waiters) waiter();
      });
    }
  }

  /**
   * Most a healthy connection can have queued: one 64 KiB data frame per stream past the socket's
   * high-water mark, plus generous room for control frames. Stream data cannot pile up beyond it
   * (credit and the drain wait bound it); answers a peer never reads can.
   */
  #maxBacklogBytes(): number {
    const { maxStreamsPerConnection, maxFrameBytes } = this.#limits;
    return maxStreamsPerConnection * 64 * 1024 + 2 * maxFrameBytes + 16 * 1024 * 1024;
  }

  /**
   * Frames written in the same tick (32 concurrent calls answering at once, a credit beside a
   * response) leave in one writev instead of one syscall each.
   */
  #corkUntilNextTick(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      this.#socket.uncork();
    });
  }
}
