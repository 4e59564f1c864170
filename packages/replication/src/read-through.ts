/**
 * What a reader of a version this node does not hold ends up with: a verified stream from a holder,
 * or a typed error, within a bounded time.
 *
 * - `readFailure` turns a failed pull into the error the reader sees: ERR_TIMEOUT (every holder
 *   tried missed its deadline), ERR_INTEGRITY (a holder sent bytes that do not match), otherwise
 *   ERR_NOT_FOUND (no live holder could serve it).
 * - `DirectReads` serves a reader that found a transfer of the same version already streaming
 *   (it missed its first byte) that did not finish in time: a pull of its own, to the reader only,
 *   storing nothing (the running transfer still makes this node's copy).
 */
import type { Readable } from 'node:stream';
import type { Clock } from '@dfs/transport';
import { pullBody } from './body-transfer.js';
import { ReplicationError, errorCode } from './errors.js';
import type { ByteRange } from './file-service.js';
import { PullReaders, WaitingReader } from './pull-readers.js';
import type { ReaderResult } from './pull-readers.js';
import type { PullPlan } from './pull-plan.js';

export function readFailure(name: string, error: unknown): ReplicationError {
  const code = errorCode(error);
  const detail = error instanceof Error ? `: ${error.message}` : '';
  if (code === 'ERR_TIMEOUT' || code === 'ERR_INTEGRITY') {
    return new ReplicationError(
      code,
      `could not read ${JSON.stringify(name)} from a peer${detail}`,
      {
        cause: error,
      },
    );
  }
  return new ReplicationError('ERR_NOT_FOUND', `no live node could serve ${JSON.stringify(name)}`, {
    cause: error,
  });
}

/** The error for a reader that gave up waiting (`timeout`) or went away (`aborted`). */
export function waitFailure(
  name: string,
  result: Extract<ReaderResult, { kind: 'timeout' | 'aborted' }>,
): ReplicationError {
  return result.kind === 'aborted'
    ? new ReplicationError('ERR_ABORTED', 'the reader went away', { cause: result.reason })
    : new ReplicationError(
        'ERR_TIMEOUT',
        `no holder of ${JSON.stringify(name)} started sending in time`,
      );
}

/** A reader's own pull (see the header): for one reader only, storing nothing. */
interface DirectRead {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/** Readers' own pulls, so `stop()` can abort them and wait for them. */
export class DirectReads {
  readonly #running = new Set<DirectRead>();

  /**
   * Pulls `plan`'s body for one reader: resolves with its stream once a holder started sending,
   * within `waitMs`, or rejects with a typed error. The reader's `signal` aborts the pull.
   */
  async stream(options: {
    name: string;
    plan: PullPlan;
    range: ByteRange | undefined;
    clock: Clock;
    waitMs: number;
    signal: AbortSignal | undefined;
  }): Promise<Readable> {
    const { name, signal } = options;
    const reader = new WaitingReader(options.range);
    const readers = new PullReaders();
    readers.add(reader);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const read: DirectRead = {
      controller,
      done: pullBody({ ...options.plan, store: undefined, readers, signal: controller.signal })
        .then((outcome) => {
          readers.close(outcome.ok ? { ok: true } : { ok: false, error: outcome.error });
        })
        .finally(() => {
          signal?.removeEventListener('abort', onAbort);
          this.#running.delete(read);
        }),
    };
    this.#running.add(read);
    const result = await reader.wait(options.clock, options.waitMs, signal);
    if (result.kind === 'stream') return result.stream;
    controller.abort(new ReplicationError('ERR_ABORTED', 'the reader stopped waiting'));
    if (result.kind === 'ended') throw readFailure(name, result.end.error);
    throw waitFailure(name, result);
  }

  /** Aborts every reader's pull and waits until none runs. */
  async stop(): Promise<void> {
    const running = [...this.#running];
    const stopping = new ReplicationError('ERR_ABORTED', 'node is stopping');
    for (const read of running) read.controller.abort(stopping);
    await Promise.all(running.map((read) => read.done));
  }
}
