import { StoreError } from './errors.js';
import { abortError } from './write-entry.js';

/** One in-flight store call: a signal that fires on the caller's abort or on store close. */
export interface Operation {
  readonly signal: AbortSignal;
  /** Throws ERR_ABORTED / ERR_CLOSED if the operation was aborted. */
  check(): void;
  end(): void;
}

/**
 * Tracks in-flight calls so close() can abort them and wait until each has released its files.
 * Signals are linked by hand (AbortSignal.any is not in every Node 20).
 */
export class OperationTracker {
  readonly #active = new Map<AbortController, Promise<void>>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  begin(external: AbortSignal | undefined): Operation {
    if (this.#closed) throw new StoreError('ERR_CLOSED', 'store is closed');
    if (external !== undefined && !(external instanceof AbortSignal)) {
      throw new StoreError('ERR_INVALID_ARGUMENT', 'signal must be an AbortSignal');
    }
    if (external?.aborted === true) throw abortError(external);
    const controller = new AbortController();
    let finish!: () => void;
    this.#active.set(controller, new Promise<void>((resolve) => (finish = resolve)));
    const onAbort = (): void =>
      controller.abort(
        new StoreError('ERR_ABORTED', 'operation aborted', { cause: external?.reason }),
      );
    external?.addEventListener('abort', onAbort, { once: true });
    let ended = false;
    return {
      signal: controller.signal,
      check() {
        if (controller.signal.aborted) throw abortError(controller.signal);
      },
      end: () => {
        if (ended) return;
        ended = true;
        external?.removeEventListener('abort', onAbort);
        this.#active.delete(controller);
        finish();
      },
    };
  }

  /** Aborts every in-flight operation with ERR_CLOSED and resolves once all have ended. */
  async close(): Promise<void> {
    this.#closed = true;
    const pending = [...this.#active.entries()];
    for (const [controller] of pending) {
      controller.abort(new StoreError('ERR_CLOSED', 'store closed'));
    }
    await Promise.all(pending.map(([, done]) => done));
  }
}
