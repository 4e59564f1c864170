import type { Clock } from '../clock.js';
import { TransportError } from '../errors.js';
import type { CallOptions } from '../types.js';

interface PendingCall {
  settle(error: TransportError | undefined, value: unknown): void;
}

/**
 * Outgoing calls waiting for their answer, by id: each has a deadline on the clock and honours its
 * AbortSignal. Giving up (timeout, abort) tells the peer through `cancelRemote`.
 */
export class PendingCalls {
  readonly #clock: Clock;
  readonly #calls = new Map<number, PendingCall>();
  /** Runs after any call leaves the table (the connection may be waiting to drain). */
  readonly #onSettled: () => void;

  constructor(clock: Clock, onSettled: () => void) {
    this.#clock = clock;
    this.#onSettled = onSettled;
  }

  get size(): number {
    return this.#calls.size;
  }

  has(id: number): boolean {
    return this.#calls.has(id);
  }

  /** Registers call `id`, runs `write`, and resolves with the answer `settle` delivers. */
  track(
    id: number,
    options: CallOptions,
    timeoutMs: number,
    write: () => void,
    cancelRemote: () => void,
  ): Promise<unknown> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<unknown>((resolve, reject) => {
      const giveUp = (error: TransportError): void => {
        this.#calls.delete(id);
        cancelRemote();
        finish(error, undefined);
        this.#onSettled();
      };
      const onAbort = (): void => giveUp(abortError(signal as AbortSignal));
      const timer = this.#clock.setTimeout(
        () => giveUp(new TransportError('ERR_TIMEOUT', `call timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const finish = (error: TransportError | undefined, value: unknown): void => {
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve(value);
        else reject(error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#calls.set(id, { settle: finish });
      write();
    });
  }

  /** Delivers the answer for `id`; an answer after we gave up is ignored. */
  settle(id: number, error: TransportError | undefined, value: unknown): void {
    const call = this.#calls.get(id);
    if (call === undefined) return;
    this.#calls.delete(id);
    call.settle(error, value);
    this.#onSettled();
  }

  /** Fails every call (the connection is gone). */
  failAll(reason: TransportError): void {
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const call of calls) call.settle(reason, undefined);
  }
}

function abortError(signal: AbortSignal): TransportError {
  return new TransportError('ERR_ABORTED', 'the call was aborted', { cause: signal.reason });
}
