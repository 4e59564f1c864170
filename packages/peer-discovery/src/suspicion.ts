/**
 * A suspicion: the timer between "this member missed its probes" and "this member is dead", which
 * shortens as independent members confirm it (Lifeguard, Dadgar et al. 2018). A lone node with a
 * bad link sees few confirmations and waits long, giving the suspect time to refute; a member that
 * has really failed is suspected by everyone who probes it, and the timeout quickly falls to its
 * floor.
 */
import type { Clock, Timer } from '@dfs/transport';

export interface SuspicionBounds {
  /** The floor: the timeout once `confirmationsWanted` confirmations arrived. */
  minMs: number;
  /** The ceiling: the timeout with no confirmation. */
  maxMs: number;
  /** Confirmations (besides the first suspecter) at which the floor is reached. */
  confirmationsWanted: number;
}

/**
 * The Lifeguard bounds for a cluster of `clusterSize` members: the floor is
 * `mult × max(1, log10(n)) × probeInterval`, the ceiling `maxMult ×` the floor. Bigger clusters
 * need longer because news takes O(log n) rounds to reach everyone, refutations included.
 */
export function suspicionBounds(options: {
  clusterSize: number;
  probeIntervalMs: number;
  suspicionMult: number;
  suspicionMaxMult: number;
  confirmationsWanted: number;
}): SuspicionBounds {
  const scale = Math.max(1, Math.log10(Math.max(1, options.clusterSize)));
  const minMs = options.suspicionMult * scale * options.probeIntervalMs;
  return {
    minMs,
    maxMs: minMs * options.suspicionMaxMult,
    confirmationsWanted: options.confirmationsWanted,
  };
}

/**
 * Milliseconds left before a suspicion expires, given `confirmations` independent confirmations and
 * `elapsedMs` since it started. The total timeout falls logarithmically from max to min:
 * `max − (max − min) × log(c + 1) / log(k + 1)`, never below min. May be negative (already due).
 */
export function remainingSuspicionMs(
  bounds: SuspicionBounds,
  confirmations: number,
  elapsedMs: number,
): number {
  const { minMs, maxMs, confirmationsWanted } = bounds;
  const fraction =
    confirmationsWanted <= 0
      ? 1
      : Math.min(1, Math.log(confirmations + 1) / Math.log(confirmationsWanted + 1));
  const timeout = Math.max(minMs, Math.floor(maxMs - fraction * (maxMs - minMs)));
  return timeout - elapsedMs;
}

/** One running suspicion of one member. `cancel()` on refutation; `onExpire` fires at most once. */
export class Suspicion {
  readonly #clock: Clock;
  readonly #bounds: SuspicionBounds;
  readonly #onExpire: () => void;
  readonly #startedAt: number;
  /** Members who independently suspect the same incarnation; the first suspecter not included. */
  readonly #confirmers = new Set<string>();
  readonly #firstSuspecter: string;
  #timer: Timer | undefined;
  #done = false;

  constructor(options: {
    clock: Clock;
    bounds: SuspicionBounds;
    /** Who suspected first (may be this node). Its repeated claims are not confirmations. */
    from: string;
    onExpire: () => void;
  }) {
    this.#clock = options.clock;
    this.#bounds = options.bounds;
    this.#onExpire = options.onExpire;
    this.#firstSuspecter = options.from;
    this.#startedAt = options.clock.now();
    this.#schedule();
  }

  get confirmations(): number {
    return this.#confirmers.size;
  }

  /**
   * Count `from` as an independent confirmation. Returns true when it was new (worth gossiping on,
   * so others can shorten their timers too), false for a repeat or once the suspicion has ended.
   */
  confirm(from: string): boolean {
    if (this.#done || from === this.#firstSuspecter || this.#confirmers.has(from)) return false;
    if (this.#confirmers.size >= this.#bounds.confirmationsWanted) return false;
    this.#confirmers.add(from);
    this.#timer?.cancel();
    this.#schedule();
    return true;
  }

  cancel(): void {
    this.#done = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(): void {
    const elapsed = this.#clock.now() - this.#startedAt;
    const remaining = remainingSuspicionMs(this.#bounds, this.#confirmers.size, elapsed);
    this.#timer = this.#clock.setTimeout(
      () => {
        if (this.#done) return;
        this.#done = true;
        this.#onExpire();
      },
      Math.max(0, remaining),
    );
  }
}
