import { Readable } from 'node:stream';
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
 * the race against the signal. A Readable is read through its 'readable' events rather than its async
 * iterator, so destroying it on abort leaves no dangling promise behind.
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

async function* readableChunks(stream: Readable, signal: AbortSignal): AsyncGenerator<Buffer> {
  let finished = false;
  try {
    for (;;) {
      if (stream.errored !== null) throw stream.errored;
      const chunk: unknown = stream.read();
      if (chunk !== null) {
        yield toBuffer(chunk);
        continue;
      }
      if (stream.readableEnded) {
        finished = true;
        return;
      }
      if (stream.destroyed) {
        throw new StoreError('ERR_IO', 'body stream was destroyed before its end');
      }
      await raceAbort(readableOrEnd(stream), signal);
    }
  } finally {
    if (!finished) stream.destroy();
  }
}

/** Resolves on the next 'readable' or 'end'; rejects on 'error' or a 'close' without 'end'. */
function readableOrEnd(stream: Readable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown): void => {
      stream.off('readable', onReady);
      stream.off('end', onReady);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onReady = (): void => settle();
    const onError = (error: unknown): void => settle(error);
    const onClose = (): void =>
      settle(
        stream.readableEnded
          ? undefined
          : new StoreError('ERR_IO', 'body stream closed before its end'),
      );
    stream.on('readable', onReady);
    stream.on('end', onReady);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
