/**
 * Bodies in the store that no index entry claims yet: a push whose entry has not arrived (or never
 * will: its put failed), a pull or put whose index write failed, or, after a restart with an intact
 * index, a body stored just before a crash. Such a body is kept, because the announcement of exactly
 * its version may still come and claim it (the pull path finds it by `stat`), but only for
 * `unclaimedBodyTimeoutMs` on the injected clock; then, if the index still does not refer to it, it is
 * deleted. Without this, every push that no announcement ever claimed stayed on disk until restart.
 */
import type { Clock } from '@dfs/transport';
import type { BlobStore } from './blob-store.js';

/** What is known about a held body: its name and version when its store metadata told them. */
export interface HeldBody {
  readonly name?: string;
  readonly version?: string;
}

export interface UnclaimedBodiesOptions {
  clock: Clock;
  store: BlobStore;
  timeoutMs: number;
  /** True when the index refers to this body now (then it is no longer held, and never deleted). */
  claimed: (key: string, body: HeldBody) => boolean;
}

export class UnclaimedBodies {
  readonly #options: UnclaimedBodiesOptions;
  readonly #held = new Map<string, HeldBody & { since: number }>();

  constructor(options: UnclaimedBodiesOptions) {
    this.#options = options;
  }

  /** Bodies held now. */
  get size(): number {
    return this.#held.size;
  }

  /** True while the body under `key` is held (stored, not yet claimed by an entry). */
  has(key: string): boolean {
    return this.#held.has(key);
  }

  /** Starts (or keeps) the timeout of the body under `key`; true when it was not held yet. */
  hold(key: string, body: HeldBody = {}): boolean {
    if (this.#held.has(key)) return false;
    this.#held.set(key, { ...body, since: this.#options.clock.now() });
    return true;
  }

  /** Deletes the bodies held for the whole timeout and still unclaimed; resolves to how many. */
  async sweep(): Promise<number> {
    const now = this.#options.clock.now();
    let removed = 0;
    for (const [key, body] of [...this.#held]) {
      if (this.#options.claimed(key, body)) {
        this.#held.delete(key);
        continue;
      }
      if (now - body.since < this.#options.timeoutMs) continue;
      this.#held.delete(key);
      if (await this.#options.store.delete(key).catch(() => false)) removed++;
    }
    return removed;
  }
}
