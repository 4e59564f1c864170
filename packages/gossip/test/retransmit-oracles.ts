/**
 * The two retransmit queues as they were before they became one `RetransmitQueue`, kept verbatim as
 * oracles: the model test drives them and the shared queue with the same random operations and
 * requires identical answers, so merging them changed no behaviour.
 */
import type { QueuedItem } from '../src/index.js';

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
export class OracleRetransmitQueue<T> {
  readonly maxItems: number;
  #entries: Entry<T>[] = [];
  #nextSeq = 0;

  constructor(maxItems: number) {
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

interface BroadcastEntry<T> {
  readonly key: string;
  readonly item: T;
  sends: number;
  /** Set when replaced, dropped or sent `limit` times; its bucket slots are then skipped. */
  gone: boolean;
}

/** A FIFO of entries; slots before `head` are consumed. */
interface Bucket<T> {
  items: BroadcastEntry<T>[];
  head: number;
}

/**
 * `T` is what goes on the wire (swim.ts queues the encoded tuple, so an update sent a dozen times
 * is encoded once); `key` names the member it is about.
 */
export class OracleBroadcastQueue<T> {
  /** `buckets[n]` holds the entries sent n times, oldest first (plus stale slots to skip). */
  readonly #buckets: Bucket<T>[] = [];
  readonly #entries = new Map<string, BroadcastEntry<T>>();

  get size(): number {
    return this.#entries.size;
  }

  /** Queue `update`, replacing any queued update about the same member. */
  enqueue(key: string, item: T): void {
    this.#put(key, item, 0);
  }

  /**
   * Replace the queued update about the same member but keep its send count (queue it fresh if
   * none is queued). For Lifeguard confirmations: the new suspecter's name rides on the remaining
   * sends instead of restarting the whole dissemination, which in a mass failure would multiply
   * the gossip by the number of confirmations.
   */
  amend(key: string, item: T): void {
    this.#put(key, item, this.#entries.get(key)?.sends ?? 0);
  }

  /**
   * Count one send of the queued item about `key` without sending it, if `same(item)` (it is the
   * claim a peer just repeated to us); drops it once that reaches `limit`.
   */
  countAsSent(key: string, same: (item: T) => boolean, limit: number): void {
    const entry = this.#entries.get(key);
    if (entry === undefined || !same(entry.item)) return;
    if (entry.sends + 1 >= limit) this.drop(key);
    else this.#put(key, entry.item, entry.sends + 1);
  }

  /** Drop whatever is queued about `id`. */
  drop(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    entry.gone = true;
    this.#entries.delete(id);
  }

  /**
   * Up to `max` updates for one outgoing message, least-sent first; each counts as one send and is
   * dropped from the queue after its `limit`-th.
   */
  take(max: number, limit: number): T[] {
    const out: T[] = [];
    if (this.#entries.size === 0) return out;
    const promoted: BroadcastEntry<T>[] = [];
    for (let sends = 0; sends < this.#buckets.length && out.length < max; sends++) {
      const bucket = this.#buckets[sends] as Bucket<T>;
      const { items } = bucket;
      while (bucket.head < items.length && out.length < max) {
        const entry = items[bucket.head++] as BroadcastEntry<T>;
        if (entry.gone || entry.sends !== sends) continue;
        out.push(entry.item);
        entry.sends++;
        if (entry.sends >= limit) {
          entry.gone = true;
          this.#entries.delete(entry.key);
        } else {
          promoted.push(entry);
        }
      }
      if (bucket.head > 64 && bucket.head * 2 > items.length) {
        bucket.items = items.slice(bucket.head);
        bucket.head = 0;
      }
    }
    // Re-bucket after the walk so an entry is never taken twice for one message.
    for (const entry of promoted) this.#bucket(entry.sends).items.push(entry);
    return out;
  }

  #put(key: string, item: T, sends: number): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) previous.gone = true;
    const entry: BroadcastEntry<T> = { key, item, sends, gone: false };
    this.#entries.set(key, entry);
    this.#bucket(sends).items.push(entry);
  }

  #bucket(sends: number): Bucket<T> {
    while (this.#buckets.length <= sends) this.#buckets.push({ items: [], head: 0 });
    return this.#buckets[sends] as Bucket<T>;
  }
}
