import { GossipError } from './errors.js';

/**
 * Remembers the most recent `capacity` message ids so a rumor that arrives again (from another peer,
 * or piggybacked) is recognised and neither delivered nor re-gossiped twice. Memory is bounded: the
 * oldest id is forgotten first. Forgetting is safe because rumors have a bounded lifetime (bounded
 * retransmission); a forgotten id that arrives again is merely delivered again.
 */
export class DedupCache {
  readonly capacity: number;
  /** Insertion-ordered, so the first key is always the oldest one. */
  readonly #seen = new Set<string>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new GossipError('ERR_INVALID_OPTION', `dedup capacity must be a positive integer`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.#seen.size;
  }

  has(id: string): boolean {
    return this.#seen.has(id);
  }

  /** Records `id`; returns true when it was not already remembered (the message is new). */
  add(id: string): boolean {
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    if (this.#seen.size > this.capacity) {
      const oldest = this.#seen.values().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
    return true;
  }

  clear(): void {
    this.#seen.clear();
  }
}
