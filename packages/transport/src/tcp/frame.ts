import { TransportError } from '../errors.js';

/**
 * Framing: every unit on the wire after the 4-byte magic is
 *
 *     u32 big-endian length | u8 type | payload (length - 1 bytes)
 *
 * The length is checked against the limit as soon as its 4 bytes arrive, so a hostile "4 GiB"
 * header costs nothing: the connection closes before a single payload byte is buffered.
 */
export const FrameType = {
  /** A msgpack control message (handshake, calls, stream signalling). */
  Control: 1,
  /** Stream bytes: u32 stream id, then raw data. Never decoded, only copied. */
  Data: 2,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FRAME_HEADER_BYTES = 5;
export const DATA_HEADER_BYTES = FRAME_HEADER_BYTES + 4;

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

export function encodeFrame(type: FrameType, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length + 1, 0);
  frame[4] = type;
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** The 9-byte header of a data frame; the data itself is written after it without copying. */
export function dataFrameHeader(streamId: number, dataLength: number): Buffer {
  const header = Buffer.allocUnsafe(DATA_HEADER_BYTES);
  header.writeUInt32BE(dataLength + 5, 0);
  header[4] = FrameType.Data;
  header.writeUInt32BE(streamId, 5);
  return header;
}

/**
 * Incremental decoder. Chunks are kept as a list and only joined when a frame straddles them, so a
 * 64 KiB frame arriving in one 64 KiB read is handed on without a copy.
 */
export class FrameDecoder {
  readonly #maxPayloadBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(maxPayloadBytes: number) {
    this.#maxPayloadBytes = maxPayloadBytes;
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Feeds bytes; calls `onFrame` for each complete frame, in order. Throws ERR_FRAME_TOO_LARGE or
   * ERR_MALFORMED_FRAME on bad input; after a throw the decoder must not be used again.
   * `onFrame` may return false to stop decoding (e.g. the connection was closed by the frame).
   */
  push(chunk: Buffer, onFrame: (frame: Frame) => boolean | void): void {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    while (this.#buffered >= 4) {
      const length = this.#peekLength();
      if (length === 0) throw new TransportError('ERR_MALFORMED_FRAME', 'zero-length frame');
      if (length - 1 > this.#maxPayloadBytes) {
        throw new TransportError(
          'ERR_FRAME_TOO_LARGE',
          `frame of ${length - 1} bytes exceeds the ${this.#maxPayloadBytes}-byte limit`,
        );
      }
      if (this.#buffered < 4 + length) return;
      const frame = this.#take(4 + length);
      const type = frame[4] as number;
      if (type !== FrameType.Control && type !== FrameType.Data) {
        throw new TransportError('ERR_MALFORMED_FRAME', `unknown frame type ${type}`);
      }
      if (onFrame({ type, payload: frame.subarray(FRAME_HEADER_BYTES) }) === false) return;
    }
  }

  /** Throws if the input ended in the middle of a frame (a truncated stream). */
  end(): void {
    if (this.#buffered > 0) {
      throw new TransportError('ERR_MALFORMED_FRAME', `input ended inside a frame`);
    }
  }

  #peekLength(): number {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= 4) return first.readUInt32BE(0);
    this.#chunks = [Buffer.concat(this.#chunks)];
    return (this.#chunks[0] as Buffer).readUInt32BE(0);
  }

  #take(bytes: number): Buffer {
    let first = this.#chunks[0] as Buffer;
    if (first.length < bytes) {
      // Join just enough chunks to cover the frame.
      const parts: Buffer[] = [];
      let have = 0;
      while (have < bytes) {
        const next = this.#chunks.shift() as Buffer;
        parts.push(next);
        have += next.length;
      }
      first = Buffer.concat(parts, have);
      this.#chunks.unshift(first);
    }
    this.#buffered -= bytes;
    if (first.length === bytes) {
      this.#chunks.shift();
      return first;
    }
    this.#chunks[0] = first.subarray(bytes);
    return first.subarray(0, bytes);
  }
}
