/**
 * Slots for accepted connections that have not finished their handshake, apart from the slots of
 * established ones: a flood of half-open sockets can fill these but never the established peers'.
 *
 * At most `max` connections are in their handshake at once, and at most `maxPerAddress` from one
 * remote address. A new connection that would exceed either bound evicts the oldest one holding a
 * slot in it (from that address, or overall) instead of being refused: a socket that sits without
 * finishing its handshake is what a flood is made of, while an honest peer finishes within a round
 * trip, so it is only ever evicted if `maxPerAddress` (or `max`) newer connections arrive during
 * its own handshake. No I/O: the transport closes what `admit` returns.
 */
export class HandshakeSlots<T> {
  readonly #max: number;
  readonly #maxPerAddress: number;
  /** Every connection holding a slot, oldest first (a Set keeps insertion order). */
  readonly #all = new Set<T>();
  readonly #byAddress = new Map<string, Set<T>>();
  readonly #addressOf = new Map<T, string>();

  constructor(options: { max: number; maxPerAddress: number }) {
    this.#max = Math.max(1, options.max);
    this.#maxPerAddress = Math.max(1, Math.min(options.max, options.maxPerAddress));
  }

  get size(): number {
    return this.#all.size;
  }

  /** Gives `connection` a slot; returns the connections evicted to make room (already released). */
  admit(connection: T, address: string): T[] {
    const evicted: T[] = [];
    const sameAddress = this.#byAddress.get(address);
    if (sameAddress !== undefined && sameAddress.size >= this.#maxPerAddress) {
      evicted.push(this.#evictOldest(sameAddress));
    }
    if (this.#all.size >= this.#max) evicted.push(this.#evictOldest(this.#all));
    this.#all.add(connection);
    this.#addressOf.set(connection, address);
    let slots = this.#byAddress.get(address);
    if (slots === undefined) {
      slots = new Set();
      this.#byAddress.set(address, slots);
    }
    slots.add(connection);
    return evicted;
  }

  /** Frees the slot of a connection that finished its handshake or closed (no-op if it had none). */
  release(connection: T): void {
    const address = this.#addressOf.get(connection);
    if (address === undefined) return;
    this.#addressOf.delete(connection);
    this.#all.delete(connection);
    const slots = this.#byAddress.get(address);
    slots?.delete(connection);
    if (slots?.size === 0) this.#byAddress.delete(address);
  }

  #evictOldest(from: Set<T>): T {
    const oldest = from.values().next().value as T;
    this.release(oldest);
    return oldest;
  }
}
