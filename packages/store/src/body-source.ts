import { Readable } from 'node:stream';
import { StoreError } from './errors.js';
import type { PutBody } from './types.js';

/** Below this, a body's queue never pauses its stream (a tiny high-water mark would stall reads). */
const MIN_QUEUED_BYTES = 64 * 1024;
/** What a consumed queue slot holds, so the queue does not keep a chunk alive after it was written. */
const EMPTY = Buffer.alloc(0);

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
      promise.catch(() => undefined); // the loser's rejection is expected, never unhandled
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
 * The body as Buffers. A stalled source cannot hold an aborted put hostage: the pending read loses
 * the race against the signal. A Readable is read through its 'data' events (each chunk as it was
 * pushed, never joined) rather than its async iterator, so destroying it on abort leaves no
 * dangling promise behind.
 */
export async function* bodyChunks(body: PutBody, signal: AbortSignal): AsyncGenerator<Buffer> {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    yield toBuffer(body);
    return;
  }
  if (body instanceof Readable) {
    yield* readableChunks(body, signal);
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
    // Not awaited: a stuck async generator settles return() only after its pending next().
    if (!finished && typeof iterator.return === 'function')
      iterator.return().catch(() => undefined);
  }
}

/**
 * Chunks of `stream` in order, as the 'data' events delivered them. `read()` would join whatever is
 * buffered into one new Buffer (a copy of every byte: ~5% of a 1-node upload's CPU profile,
 * docs/performance.md); 'data' hands each chunk through as it is. The stream is paused while more
 * than its high-water mark waits here unconsumed (the writer is waiting for the disk), so memory
 * stays bounded and backpressure reaches the source.
 */
async function* readableChunks(stream: Readable, signal: AbortSignal): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let queuedBytes = 0;
  const pauseAt = Math.max(stream.readableHighWaterMark, MIN_QUEUED_BYTES);
  let ended = stream.readableEnded;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const onData = (chunk: unknown): void => {
    const buffer = toBuffer(chunk);
    queue.push(buffer);
    queuedBytes += buffer.length;
    if (queuedBytes >= pauseAt) stream.pause();
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };
  const onError = (error: unknown): void => {
    failure ??= { error };
    notify();
  };
  const onClose = (): void => {
    if (!stream.readableEnded) {
      failure ??= { error: new StoreError('ERR_IO', 'body stream closed before its end') };
    }
    notify();
  };
  // One abort listener for the whole body, not one per wait: adding and removing AbortSignal
  // listeners per chunk showed in the CPU profiles of a relaying node.
  const onAbort = (): void => {
    failure ??= { error: signal.reason };
    notify();
  };
  let finished = false;
  try {
    signal.throwIfAborted();
    if (stream.errored !== null) throw stream.errored;
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    // A stream paused before it got here does not start flowing on its own.
    stream.resume();
    let next = 0;
    for (;;) {
      if (failure !== undefined) throw failure.error;
      if (next < queue.length) {
        const chunk = queue[next]!;
        queue[next++] = EMPTY;
        queuedBytes -= chunk.length;
        if (next === queue.length) {
          queue.length = 0;
          next = 0;
        }
        if (queuedBytes < pauseAt && stream.isPaused() && !ended) stream.resume();
        yield chunk;
        continue;
      }
      if (ended) {
        finished = true;
        return;
      }
      if (stream.destroyed) {
        throw new StoreError('ERR_IO', 'body stream was destroyed before its end');
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    wake = undefined;
    signal.removeEventListener('abort', onAbort);
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('close', onClose);
    if (!finished) stream.destroy();
  }
}
