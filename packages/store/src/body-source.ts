import { StoreError } from './errors.js';
import type { PutBody } from './types.js';

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new StoreError('ERR_INVALID_ARGUMENT', 'body chunks must be Uint8Array or string');
}

/** Rejects with the abort reason as soon as `signal` fires, even if `promise` never settles. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The body as Buffers. A stalled stream cannot hold an aborted put hostage: the pending read loses
 * the race against the signal, and the source is then returned (a Readable is destroyed).
 */
export async function* bodyChunks(body: PutBody, signal: AbortSignal): AsyncGenerator<Buffer> {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    yield toBuffer(body);
    return;
  }
  if (!isAsyncIterable(body)) {
    throw new StoreError(
      'ERR_INVALID_ARGUMENT',
      'body must be a Uint8Array, a string, a Readable or an async iterable',
    );
  }
  const iterator = body[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await raceAbort(iterator.next(), signal);
      if (next.done === true) {
        finished = true;
        return;
      }
      yield toBuffer(next.value);
    }
  } finally {
    if (!finished && typeof iterator.return === 'function') {
      // Not awaited: a stuck async generator would only settle return() after its pending next().
      iterator.return().catch(() => undefined);
    }
  }
}
