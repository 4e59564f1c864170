/**
 * Warnings about a misbehaving peer, at most one per (peer, kind) per interval on the injected
 * clock: a peer flooding bad entries must not flood the log as well. The next line that gets out
 * says how many were held back (`suppressed`). Remembered keys are bounded; forgetting one only lets
 * its next warning through early.
 */
import type { Clock } from '@dfs/transport';

export interface PeerWarningsOptions {
  clock: Clock;
  /** At most one line per (peer, kind) within this many ms. */
  intervalMs: number;
  warn(object: object, message: string): void;
  /** Keys remembered at once. */
  maxKeys?: number;
}

interface WarnState {
  lastAt: number;
  suppressed: number;
}

const DEFAULT_MAX_KEYS = 4_096;

export class PeerWarnings {
  readonly #options: PeerWarningsOptions;
  readonly #maxKeys: number;
  readonly #state = new Map<string, WarnState>();

  constructor(options: PeerWarningsOptions) {
    this.#options = options;
    this.#maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  warn(peer: string, kind: string, details: object, message: string): void {
    const key = `${kind}\u0000${peer}`;
    const now = this.#options.clock.now();
    const state = this.#state.get(key);
    if (state !== undefined && now - state.lastAt < this.#options.intervalMs) {
      state.suppressed++;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    this.#state.delete(key);
    if (this.#state.size >= this.#maxKeys) {
      const oldest = this.#state.keys().next().value;
      if (oldest !== undefined) this.#state.delete(oldest);
    }
    this.#state.set(key, { lastAt: now, suppressed: 0 });
    this.#options.warn({ peer, ...details, suppressed }, message);
  }
}
