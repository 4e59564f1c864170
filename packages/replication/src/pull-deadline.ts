/**
 * The deadlines of one pull attempt from one holder, on the injected clock. Until the first byte
 * arrives the holder has `openTimeoutMs` (stream open plus first bytes); after that, each stretch
 * without a byte may last `idleTimeoutMs`. A holder that misses either is given up on, so no pull
 * waits on a paused, partitioned or trickle-free peer for longer than these.
 *
 * Silence is not always the holder's fault: when this node stopped reading (a slow disk, a slow
 * reader teed from the pull) the holder is only obeying backpressure. `onIdle` decides: the owner
 * answers 'wait' (and may cut the slow reader off) or 'abort'.
 */
import type { Clock, Timer } from '@dfs/transport';

export type DeadlinePhase = 'open' | 'idle';
export type IdleVerdict = 'wait' | 'abort';

export interface PullDeadlineOptions {
  clock: Clock;
  openTimeoutMs: number;
  idleTimeoutMs: number;
  /** The holder did not start sending in time. */
  onOpenExpired(): void;
  /** No byte for `idleTimeoutMs` after the first: abort the attempt, or wait another period. */
  onIdle(): IdleVerdict;
}

export class PullDeadline {
  readonly #options: PullDeadlineOptions;
  #phase: DeadlinePhase = 'open';
  #lastProgress: number;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(options: PullDeadlineOptions) {
    this.#options = options;
    this.#lastProgress = options.clock.now();
    this.#arm(options.openTimeoutMs);
  }

  get phase(): DeadlinePhase {
    return this.#phase;
  }

  /**
   * Bytes arrived. Cheap per chunk: it only records the time; the one pending timer checks it when
   * it fires and re-arms for what is left.
   */
  progress(): void {
    this.#lastProgress = this.#options.clock.now();
    if (this.#phase === 'open') {
      this.#phase = 'idle';
      this.#arm(this.#options.idleTimeoutMs);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer?.cancel();
    this.#timer = this.#options.clock.setTimeout(() => this.#expired(), Math.max(1, ms));
  }

  #expired(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    if (this.#phase === 'open') {
      this.stop();
      this.#options.onOpenExpired();
      return;
    }
    const { clock, idleTimeoutMs } = this.#options;
    const quietFor = clock.now() - this.#lastProgress;
    if (quietFor < idleTimeoutMs) {
      this.#arm(idleTimeoutMs - quietFor);
      return;
    }
    if (this.#options.onIdle() === 'abort') {
      this.stop();
      return;
    }
    this.#lastProgress = clock.now();
    this.#arm(idleTimeoutMs);
  }
}
