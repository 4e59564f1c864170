import { TransportError } from '../errors.js';
import { FRAME_TAG_BYTES, type FrameVerifier } from './frame-auth.js';

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

/**
 * The 9-byte header of a data frame; the data itself is written after it without copying.
 * `tagBytes`: room for the authentication tag that follows the data (frame-auth.ts), if any.
 */
export function dataFrameHeader(streamId: number, dataLength: number, tagBytes = 0): Buffer {
  const header = Buffer.allocUnsafe(DATA_HEADER_BYTES);
  header.writeUInt32BE(dataLength + 5 + tagBytes, 0);
  header[4] = FrameType.Data;
  header.writeUInt32BE(streamId, 5);
  return header;
}

const EMPTY = Buffer.alloc(0);

/** A data frame's payload pieces (at least 4 bytes): its stream id, and its data as slices. */
function splitStreamId(pieces: readonly Buffer[]): [number, Buffer[]] {
  const data: Buffer[] = [];
  const head: Buffer[] = [];
  let headBytes = 0;
  for (const piece of pieces) {
    const wanted = 4 - headBytes;
    if (wanted <= 0) {
      data.push(piece);
      continue;
    }
    head.push(piece.subarray(0, wanted));
    headBytes += Math.min(wanted, piece.length);
    if (piece.length > wanted) data.push(piece.subarray(wanted));
  }
  return [joined(head).readUInt32BE(0), data];
}

/** One buffer of `pieces`, copied only when there is more than one. */
function joined(pieces: readonly Buffer[]): Buffer {
  return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
}

/** Receives the bytes of data frames piece by piece, without waiting for (or copying) whole frames. */
export type DataSink = (streamId: number, piece: Buffer, frameStart: boolean) => void;

/**
 * Incremental decoder. Chunks are kept as a list and only the few bytes of a header are ever joined.
 * With a `DataSink`, the content of data frames is handed on as it arrives, so bulk bytes are never
 * copied by the decoder; control frames (small) are delivered whole.
 */
export class FrameDecoder {
  #maxPayloadBytes: number;
  readonly #dataSink: DataSink | undefined;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes of the current data frame still to come (streaming mode only). */
  #dataRemaining = 0;
  #dataStream = 0;
  #verifier: FrameVerifier | undefined;

  constructor(maxPayloadBytes: number, dataSink?: DataSink) {
    this.#maxPayloadBytes = maxPayloadBytes;
    this.#dataSink = dataSink;
  }

  /** Changes the frame size limit for frames not yet started (e.g. once a handshake is done). */
  setMaxPayloadBytes(bytes: number): void {
    this.#maxPayloadBytes = bytes;
  }

  /**
   * From the next frame on, every frame ends with a tag that `verifier` must accept
   * (docs/protocol.md §2.1). Data frames are then delivered whole, once verified, never piece by
   * piece: no unauthenticated byte reaches a stream.
   */
  setFrameVerifier(verifier: FrameVerifier): void {
    this.#verifier = verifier;
  }

  /** Bytes received but not yet delivered. */
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
    for (;;) {
      if (this.#dataRemaining > 0) {
        if (this.#buffered === 0) return;
        const piece = this.#takeUpTo(this.#dataRemaining);
        this.#dataRemaining -= piece.length;
        (this.#dataSink as DataSink)(this.#dataStream, piece, false);
        continue;
      }
      if (this.#buffered < 4) return;
      const length = this.#peek(4).readUInt32BE(0);
      if (length === 0) throw new TransportError('ERR_MALFORMED_FRAME', 'zero-length frame');
      const tagBytes = this.#verifier === undefined ? 0 : FRAME_TAG_BYTES;
      if (length - 1 - tagBytes > this.#maxPayloadBytes) {
        throw new TransportError(
          'ERR_FRAME_TOO_LARGE',
          `frame of ${length - 1 - tagBytes} bytes exceeds the ${this.#maxPayloadBytes}-byte limit`,
        );
      }
      if (this.#buffered < FRAME_HEADER_BYTES) return;
      const type = this.#peek(FRAME_HEADER_BYTES)[4] as number;
      if (type !== FrameType.Control && type !== FrameType.Data) {
        throw new TransportError('ERR_MALFORMED_FRAME', `unknown frame type ${type}`);
      }
      if (this.#verifier !== undefined) {
        if (length < 1 + tagBytes) {
          throw new TransportError('ERR_MALFORMED_FRAME', 'frame shorter than its tag');
        }
        if (this.#buffered < 4 + length) return;
        if (this.#deliverVerified(type, length - 1 - tagBytes, onFrame) === false) return;
        continue;
      }
      if (type === FrameType.Data && this.#dataSink !== undefined) {
        if (length < 5) throw new TransportError('ERR_MALFORMED_FRAME', 'short data frame');
        if (this.#buffered < DATA_HEADER_BYTES) return;
        const header = this.#take(DATA_HEADER_BYTES);
        this.#dataStream = header.readUInt32BE(FRAME_HEADER_BYTES);
        this.#dataRemaining = length - 5;
        // Announce the frame (empty piece) so the receiver can count it and check its state.
        this.#dataSink(this.#dataStream, EMPTY, true);
        continue;
      }
      if (this.#buffered < 4 + length) return;
      const frame = this.#take(4 + length);
      if (onFrame({ type, payload: frame.subarray(FRAME_HEADER_BYTES) }) === false) return;
    }
  }

  /**
   * Checks a whole tagged frame, buffered, of `payloadBytes` and hands it on; throws ERR_FRAME_AUTH
   * when its tag is wrong. The payload is taken as the chunks it arrived in (never joined: a data
   * frame's bytes are not copied), and nothing of it is delivered before the tag checks out.
   */
  #deliverVerified(
    type: FrameType,
    payloadBytes: number,
    onFrame: (frame: Frame) => boolean | void,
  ): boolean | void {
    this.#takePieces(FRAME_HEADER_BYTES);
    const payload = this.#takePieces(payloadBytes);
    const tag = joined(this.#takePieces(FRAME_TAG_BYTES));
    if (!(this.#verifier as FrameVerifier).verify(type, payload, tag)) {
      throw new TransportError(
        'ERR_FRAME_AUTH',
        'a frame failed authentication (forged, altered, replayed or out of order)',
      );
    }
    if (type !== FrameType.Data || this.#dataSink === undefined) {
      return onFrame({ type, payload: joined(payload) });
    }
    if (payloadBytes < 4) throw new TransportError('ERR_MALFORMED_FRAME', 'short data frame');
    const [streamId, data] = splitStreamId(payload);
    this.#dataSink(streamId, EMPTY, true);
    for (const piece of data) this.#dataSink(streamId, piece, false);
    return true;
  }

  /** Throws if the input ended in the middle of a frame (a truncated stream). */
  end(): void {
    if (this.#buffered > 0 || this.#dataRemaining > 0) {
      throw new TransportError('ERR_MALFORMED_FRAME', `input ended inside a frame`);
    }
  }

  /** The first chunk, made at least `bytes` long by joining only the leading chunks needed. */
  #peek(bytes: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= bytes) return first;
    let count = 0;
    let have = 0;
    while (have < bytes) have += (this.#chunks[count++] as Buffer).length;
    const head = Buffer.concat(this.#chunks.slice(0, count), have);
    this.#chunks.splice(0, count, head);
    return head;
  }

  /** Exactly `bytes` bytes (joined if they straddle chunks). */
  #take(bytes: number): Buffer {
    const first = this.#peek(bytes);
    this.#buffered -= bytes;
    if (first.length === bytes) {
      this.#chunks.shift();
      return first;
    }
    this.#chunks[0] = first.subarray(bytes);
    return first.subarray(0, bytes);
  }

  /** Exactly `bytes` bytes as slices of the chunks they arrived in: never copies. */
  #takePieces(bytes: number): Buffer[] {
    const pieces: Buffer[] = [];
    for (let left = bytes; left > 0;) {
      const piece = this.#takeUpTo(left);
      pieces.push(piece);
      left -= piece.length;
    }
    return pieces;
  }

  /** Up to `bytes` bytes from the first chunk only: never copies. */
  #takeUpTo(bytes: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    if (first.length <= bytes) {
      this.#chunks.shift();
      this.#buffered -= first.length;
      return first;
    }
    this.#chunks[0] = first.subarray(bytes);
    this.#buffered -= bytes;
    return first.subarray(0, bytes);
  }
}
