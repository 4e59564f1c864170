/**
 * Readers riding along on a pull. A read of a version this node does not hold waits here for the
 * pull's bytes; when a holder's first bytes arrive, every waiting reader gets its own
 * `VerifiedRelay` (its range, verified, tail held back), teed from the same stream. A holder that
 * fails before that point costs the readers nothing but time: they stay waiting for the next one.
 * When the pull ends, readers that never got a stream learn its outcome (read the stored copy, or
 * fail with its error).
 *
 * Invariant: a reader settles exactly once — with a stream, an outcome, a timeout or an abort.
 */
import type { Readable } from 'node:stream';
import type { Clock } from '@dfs/transport';
import { ReplicationError } from './errors.js';
import type { ByteRange } from './file-service.js';
import { VerifiedRelay } from './verified-relay.js';

export interface PullEnd {
  ok: boolean;
  /** Why the pull failed (when it did). */
  error?: unknown;
}

export type ReaderResult =
  | { kind: 'stream'; stream: Readable }
  | { kind: 'ended'; end: PullEnd }
  | { kind: 'timeout' }
  | { kind: 'aborted'; reason: unknown };

export class WaitingReader {
  readonly range: ByteRange | undefined;
  readonly #result: Promise<ReaderResult>;
  #settle!: (result: ReaderResult) => void;
  #settled = false;

  constructor(range: ByteRange | undefined) {
    this.range = range;
    this.#result = new Promise<ReaderResult>((resolve) => {
      this.#settle = resolve;
    });
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Hands this reader a relay for a holder's body; undefined when it already gave up. */
  open(expected: { size: number; sha256: string }): VerifiedRelay | undefined {
    if (this.#settled) return undefined;
    const relay = new VerifiedRelay({ ...expected, range: this.range });
    // The reader's consumer sees errors through its own pipeline; this listener only keeps an error
    // raised before it attached from becoming an uncaught exception.
    relay.on('error', () => undefined);
    this.#finish({ kind: 'stream', stream: relay });
    return relay;
  }

  end(end: PullEnd): void {
    this.#finish({ kind: 'ended', end });
  }

  /**
   * The reader's result, or `timeout` after `timeoutMs` on `clock`, or `aborted` with `signal`.
   * A timed-out or aborted reader is settled: a later holder's bytes are not teed to it.
   */
  wait(clock: Clock, timeoutMs: number, signal: AbortSignal | undefined): Promise<ReaderResult> {
    if (this.#settled) return this.#result;
    if (signal?.aborted === true) {
      this.#finish({ kind: 'aborted', reason: signal.reason });
      return this.#result;
    }
    const timer = clock.setTimeout(() => this.#finish({ kind: 'timeout' }), timeoutMs);
    const onAbort = (): void => this.#finish({ kind: 'aborted', reason: signal?.reason });
    signal?.addEventListener('abort', onAbort, { once: true });
    return this.#result.finally(() => {
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
    });
  }

  #finish(result: ReaderResult): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settle(result);
  }
}

export class PullReaders {
  readonly #waiting = new Set<WaitingReader>();
  #closed = false;
  /** True once the current holder's bytes flow: a reader added now missed its start. */
  #streaming = false;
  /** The holder being tried now (a reader that gives up on this pull asks the others first). */
  #holder: string | undefined;
  /** The pull's last failure, reported to readers left waiting when it ends. */
  failure: unknown;

  get streaming(): boolean {
    return this.#streaming;
  }

  get holder(): string | undefined {
    return this.#holder;
  }

  /** Readers still waiting (not given up). */
  get waiting(): number {
    let count = 0;
    for (const reader of this.#waiting) if (!reader.settled) count++;
    return count;
  }

  /** False once the pull ended: start another. */
  add(reader: WaitingReader): boolean {
    if (this.#closed) return false;
    this.#waiting.add(reader);
    return true;
  }

  /** A new holder is being tried: readers added from now on will get its bytes. */
  attemptStarted(holderId: string): void {
    this.#streaming = false;
    this.#holder = holderId;
  }

  /** The holder's first bytes arrived: every waiting reader gets a relay (see the header). */
  takeRelays(expected: { size: number; sha256: string }): VerifiedRelay[] {
    this.#streaming = true;
    const relays: VerifiedRelay[] = [];
    for (const reader of this.#waiting) {
      const relay = reader.open(expected);
      if (relay !== undefined) relays.push(relay);
    }
    this.#waiting.clear();
    return relays;
  }

  close(end: PullEnd): void {
    this.#closed = true;
    const outcome = end.ok || end.error !== undefined ? end : { ok: false, error: this.failure };
    for (const reader of this.#waiting) reader.end(outcome);
    this.#waiting.clear();
  }
}

export function readerStopped(): ReplicationError {
  return new ReplicationError('ERR_UNAVAILABLE', 'the replication engine is stopping');
}
