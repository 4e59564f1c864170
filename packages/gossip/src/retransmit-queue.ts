import { GossipError } from './errors.js';

/**
 * How many times a node sends one rumor: `multiplier * ceil(log10(n + 1))` for a cluster of n nodes,
 * memberlist's rule. With fanout f the rumor then reaches about f * limit peers per node, which grows
 * with log N as push gossip needs for full coverage with high probability.
 */
export function retransmitLimit(multiplier: number, clusterSize: number): number {
  const n = Math.max(1, clusterSize);
  return Math.max(1, multiplier * Math.ceil(Math.log10(n + 1)));
}

export interface QueuedItem<T> {
  readonly value: T;
  /** Encoded size estimate, used to fill a packet up to its byte budget. */
  readonly bytes: number;
  /** Items with the same key replace each other: a newer update makes a queued older one moot. */
  readonly key: string | undefined;
}

interface Entry<T> extends QueuedItem<T> {
  transmits: number;
  /** Insertion order; newer items win ties so fresh news spreads first. */
  readonly seq: number;
}

/**
 * Rumors waiting to be (re)sent, with a transmit count each. `take` fills a byte budget with the
 * least-transmitted items first and retires an item once it has been sent `limit` times. Bounded:
 * past `maxItems`, the most-transmitted item is dropped (it has already reached most peers).
 */
export class RetransmitQueue<T> {
  readonly maxItems: number;
  #entries: Entry<T>[] = [];
  #nextSeq = 0;

  constructor(maxItems: number) {
    if (!Number.isInteger(maxItems) || maxItems < 1) {
      throw new GossipError('ERR_INVALID_OPTION', 'maxItems must be a positive integer');
    }
    this.maxItems = maxItems;
  }

  get length(): number {
    return this.#entries.length;
  }

  /** Queues an item with zero transmits; an item with the same key is replaced. */
  push(item: QueuedItem<T>): void {
    if (item.key !== undefined) {
      this.#entries = this.#entries.filter((e) => e.key !== item.key);
    }
    this.#entries.push({ ...item, transmits: 0, seq: this.#nextSeq++ });
    while (this.#entries.length > this.maxItems) this.#dropMostTransmitted();
  }

  /**
   * Takes items whose sizes fit in `maxBytes`, least transmitted (then newest) first, counting one
   * transmit each; items reaching `limit` transmits leave the queue.
   */
  take(maxBytes: number, limit: number): T[] {
    if (this.#entries.length === 0) return [];
    const ordered = this.#entries
      .slice()
      .sort((a, b) => a.transmits - b.transmits || b.seq - a.seq);
    const taken: T[] = [];
    let budget = maxBytes;
    let retired = false;
    for (const entry of ordered) {
      if (entry.bytes > budget) continue;
      budget -= entry.bytes;
      taken.push(entry.value);
      entry.transmits++;
      if (entry.transmits >= limit) retired = true;
    }
    if (retired) this.#entries = this.#entries.filter((e) => e.transmits < limit);
    return taken;
  }

  /** Items still queued with their transmit counts, oldest first (for inspection and tests). */
  snapshot(): { value: T; transmits: number }[] {
    return this.#entries.map((e) => ({ value: e.value, transmits: e.transmits }));
  }

  clear(): void {
    this.#entries = [];
  }

  #dropMostTransmitted(): void {
    let worst = 0;
    for (let i = 1; i < this.#entries.length; i++) {
      const e = this.#entries[i] as Entry<T>;
      const w = this.#entries[worst] as Entry<T>;
      if (e.transmits > w.transmits || (e.transmits === w.transmits && e.seq < w.seq)) worst = i;
    }
    this.#entries.splice(worst, 1);
  }
}
