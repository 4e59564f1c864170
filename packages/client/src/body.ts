/**
 * Upload bodies: whatever the caller has (bytes, text, a Node or web stream, a file path) becomes a
 * pull-based web stream for fetch that counts bytes as fetch takes them, so progress reflects what
 * actually left for the socket and backpressure reaches the source.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DfsClientError } from './errors.js';

export type UploadBody =
  Uint8Array | string | Readable | ReadableStream<Uint8Array> | { path: string };

/** Buffers are cut into slices of this size so progress moves smoothly for large in-memory bodies. */
const SLICE_BYTES = 64 * 1024;

export interface PreparedBody {
  /** Byte length when known up front (sent as Content-Length). */
  readonly size: number | undefined;
  /** True when `open()` can be called again for another attempt (bytes, text, path). */
  readonly replayable: boolean;
  /** The bytes for one attempt. A non-replayable body may be opened once. */
  open(): AsyncIterable<Uint8Array>;
  /**
   * For small replayable bodies (up to one slice): all the bytes at once, sent as a plain body
   * rather than a stream, which costs a small-file upload far less CPU.
   */
  whole?: () => Promise<Uint8Array>;
}

function isWebStream(body: unknown): body is ReadableStream<Uint8Array> {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as ReadableStream).getReader === 'function'
  );
}

async function* slices(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) {
    yield bytes.subarray(offset, Math.min(bytes.length, offset + SLICE_BYTES));
  }
}

async function* fromWeb(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

async function* fromNode(stream: Readable): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
    yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  }
}

/** Stats a `{ path }` body up front so a missing file fails before any node is contacted. */
export async function prepareBody(body: UploadBody, size?: number): Promise<PreparedBody> {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    return {
      size: bytes.length,
      replayable: true,
      open: () => slices(bytes),
      ...(bytes.length <= SLICE_BYTES ? { whole: () => Promise.resolve(bytes) } : {}),
    };
  }
  if (body instanceof Readable) {
    return { size, replayable: false, open: () => fromNode(body) };
  }
  if (isWebStream(body)) {
    return { size, replayable: false, open: () => fromWeb(body) };
  }
  if (typeof body === 'object' && body !== null && typeof body.path === 'string') {
    const { path } = body;
    let fileSize: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new Error(`${path} is not a regular file`);
      fileSize = info.size;
    } catch (error) {
      throw new DfsClientError('ERR_INVALID_ARGUMENT', `cannot read ${path}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    return {
      size: fileSize,
      replayable: true,
      open: () => fromNode(createReadStream(path, { highWaterMark: SLICE_BYTES })),
      ...(fileSize <= SLICE_BYTES ? { whole: () => readSmallFile(path, fileSize) } : {}),
    };
  }
  throw new DfsClientError(
    'ERR_INVALID_ARGUMENT',
    'body must be a Buffer/Uint8Array, a string, a Node Readable, a web ReadableStream or { path }',
  );
}

/** A small file's bytes; a file that changed size since it was stat'ed fails like a short read. */
async function readSmallFile(path: string, size: number): Promise<Uint8Array> {
  const bytes = await readFile(path);
  if (bytes.length !== size) {
    throw new DfsClientError(
      'ERR_INVALID_ARGUMENT',
      `${path} changed size while being uploaded (${size} → ${bytes.length} bytes)`,
    );
  }
  return bytes;
}

/**
 * A web stream for fetch. `onBytes` runs as fetch pulls each chunk; `touched()` tells whether any byte
 * was taken (after that a non-replayable body cannot be sent again).
 */
export function toFetchStream(
  source: AsyncIterable<Uint8Array>,
  onBytes: (count: number) => void,
): { stream: ReadableStream<Uint8Array>; touched: () => boolean } {
  const iterator = source[Symbol.asyncIterator]();
  let touched = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        touched = true;
        const { done, value } = await iterator.next();
        if (done) {
          controller.close();
          return;
        }
        onBytes(value.length);
        controller.enqueue(value);
      },
      async cancel(reason) {
        await iterator.return?.(reason);
      },
    },
    // Pull only on demand: a chunk is read from the source when fetch is ready to send it.
    { highWaterMark: 0 },
  );
  return { stream, touched: () => touched };
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}
