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

/**
 * Among items sent equally often, which go first: `newest-first` (memberlist's rule: fresh news
 * overtakes old; the rumor monger's) or `oldest-first` (each item waits its turn in the order it
 * reached its send count; SWIM membership updates).
 */
export type RetransmitOrder = 'newest-first' | 'oldest-first';

export interface RetransmitQueueOptions {
  /** Past this many items the most-transmitted (then oldest) one is dropped. Default unbounded. */
  maxItems?: number;
  /** Default `newest-first`. */
  order?: RetransmitOrder;
}

interface Entry<T> {
  value: T;
  readonly bytes: number;
  readonly key: string | undefined;
  transmits: number;
  /**
   * Position among items with the same transmit count (ascending within a bucket). `newest-first`:
   * set when queued and kept, so it is the queueing order. `oldest-first`: renewed each time the
   * entry reaches a new count, so it is the order of arrival at that count.
   */
  rank: number;
  /** Replaced, dropped or retired; its bucket slot is skipped. */
  gone: boolean;
}

/** Entries sent `n` times, sorted by rank, plus stale slots to skip; slots before `head` are used. */
interface Bucket<T> {
  items: Entry<T>[];
  head: number;
  live: number;
}

/**
 * Items waiting to be (re)sent, each with a transmit count. `take` fills a byte budget (and at most
 * `maxCount` items) with the least-transmitted items first, counts one transmit each and retires
 * an item after its `limit`-th. An item with the same key as a queued one replaces it.
 *
 * Entries sit in buckets by transmit count, so taking k items from the front costs O(k) however
 * long the queue is (after a partition SWIM holds hundreds of updates and sends on every message);
 * replaced and retired entries are skipped lazily and swept out once they outnumber the live ones.
 */
export class RetransmitQueue<T> {
  readonly maxItems: number;
  readonly order: RetransmitOrder;
  /** `#buckets[n]` holds the entries sent n times. */
  #buckets: Bucket<T>[] = [];
  readonly #byKey = new Map<string, Entry<T>>();
  #length = 0;
  #nextRank = 0;

  /** `new RetransmitQueue(maxItems)` or `new RetransmitQueue({ maxItems, order })`. */
  constructor(options: number | RetransmitQueueOptions = {}) {
    const { maxItems = Number.POSITIVE_INFINITY, order = 'newest-first' } =
      typeof options === 'number' ? { maxItems: options } : options;
    if (maxItems !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxItems) || maxItems < 1)) {
      throw new GossipError('ERR_INVALID_OPTION', 'maxItems must be a positive integer');
    }
    if (order !== 'newest-first' && order !== 'oldest-first') {
      throw new GossipError('ERR_INVALID_OPTION', `order must be newest-first or oldest-first`);
    }
    this.maxItems = maxItems;
    this.order = order;
  }

  get length(): number {
    return this.#length;
  }

  /** Queues an item with zero transmits; a queued item with the same key is replaced. */
  push(item: QueuedItem<T>): void {
    this.#add(item, 0);
    while (this.#length > this.maxItems) this.#dropMostTransmitted();
  }

  /**
   * Replaces the queued item with the same key but keeps its transmit count (queues it fresh when
   * none is queued): the new value rides on the remaining sends instead of restarting them.
   */
  amend(item: QueuedItem<T> & { readonly key: string }): void {
    this.#add(item, this.#byKey.get(item.key)?.transmits ?? 0);
    while (this.#length > this.maxItems) this.#dropMostTransmitted();
  }

  /**
   * Counts one transmit of the item queued under `key` without sending it, if `same(value)` (a peer
   * just told us the same news); it is retired once that reaches `limit`.
   */
  countAsSent(key: string, same: (value: T) => boolean, limit: number): void {
    const entry = this.#byKey.get(key);
    if (entry === undefined || !same(entry.value)) return;
    if (entry.transmits + 1 >= limit) {
      this.drop(key);
      return;
    }
    this.#bucket(entry.transmits).live--;
    entry.transmits++;
    this.#insert([entry]);
  }

  /** Drops the item queued under `key`, if any. */
  drop(key: string): void {
    const entry = this.#byKey.get(key);
    if (entry !== undefined) this.#retire(entry);
  }

  /**
   * Takes items whose sizes fit in `maxBytes`, at most `maxCount` of them, least transmitted first
   * (ties by `order`), counting one transmit each; items reaching `limit` transmits leave the
   * queue. An item that does not fit is skipped and smaller ones after it still go.
   */
  take(maxBytes: number, limit: number, maxCount = Number.POSITIVE_INFINITY): T[] {
    const taken: T[] = [];
    if (this.#length === 0) return taken;
    let budget = maxBytes;
    // Moved up a bucket after the walk, so an entry is never taken twice in one call.
    const promoted: Entry<T>[] = [];
    const takeEntry = (entry: Entry<T>, bucket: Bucket<T>): void => {
      budget -= entry.bytes;
      taken.push(entry.value);
      bucket.live--;
      entry.transmits++;
      if (entry.transmits >= limit) this.#forget(entry);
      else promoted.push(entry);
    };
    for (let count = 0; count < this.#buckets.length && taken.length < maxCount; count++) {
      const bucket = this.#buckets[count] as Bucket<T>;
      const { items } = bucket;
      if (this.order === 'oldest-first') {
        for (let i = bucket.head; i < items.length && taken.length < maxCount; i++) {
          const entry = items[i] as Entry<T>;
          if (isIn(entry, count) && entry.bytes <= budget) takeEntry(entry, bucket);
          if (i === bucket.head && !isIn(entry, count)) bucket.head++;
        }
      } else {
        for (let i = items.length - 1; i >= bucket.head && taken.length < maxCount; i--) {
          const entry = items[i] as Entry<T>;
          if (isIn(entry, count) && entry.bytes <= budget) takeEntry(entry, bucket);
        }
      }
      compactIfSparse(bucket, count);
    }
    this.#insert(promoted);
    return taken;
  }

  /** Items still queued with their transmit counts, by rank (queueing order for newest-first). */
  snapshot(): { value: T; transmits: number }[] {
    const live: Entry<T>[] = [];
    this.#buckets.forEach((bucket, count) => {
      for (let i = bucket.head; i < bucket.items.length; i++) {
        const entry = bucket.items[i] as Entry<T>;
        if (isIn(entry, count)) live.push(entry);
      }
    });
    return live
      .sort((a, b) => a.rank - b.rank)
      .map((e) => ({ value: e.value, transmits: e.transmits }));
  }

  clear(): void {
    this.#buckets = [];
    this.#byKey.clear();
    this.#length = 0;
  }

  #add(item: QueuedItem<T>, transmits: number): void {
    if (item.key !== undefined) {
      const previous = this.#byKey.get(item.key);
      if (previous !== undefined) this.#retire(previous);
    }
    const entry: Entry<T> = {
      value: item.value,
      bytes: item.bytes,
      key: item.key,
      transmits,
      rank: this.#nextRank++,
      gone: false,
    };
    if (entry.key !== undefined) this.#byKey.set(entry.key, entry);
    this.#length++;
    this.#insert([entry]);
  }

  /**
   * Puts entries (already counted out of their old bucket) into the bucket of their transmit count.
   * `oldest-first` gives each a fresh rank, so appending keeps the bucket sorted; `newest-first`
   * keeps ranks and merges, since an entry skipped earlier (too big) may rank below ones ahead.
   */
  #insert(entries: Entry<T>[]): void {
    const byCount = new Map<number, Entry<T>[]>();
    for (const entry of entries) {
      const list = byCount.get(entry.transmits) ?? [];
      list.push(entry);
      byCount.set(entry.transmits, list);
    }
    for (const [count, list] of byCount) {
      const bucket = this.#bucket(count);
      bucket.live += list.length;
      if (this.order === 'oldest-first') {
        for (const entry of list) {
          entry.rank = this.#nextRank++;
          bucket.items.push(entry);
        }
      } else {
        list.sort((a, b) => a.rank - b.rank);
        const last = bucket.items[bucket.items.length - 1];
        if (last === undefined || last.rank < (list[0] as Entry<T>).rank) {
          bucket.items.push(...list);
        } else {
          bucket.items = mergeByRank(bucket.items.slice(bucket.head), list, count);
          bucket.head = 0;
        }
      }
      compactIfSparse(bucket, count);
    }
  }

  /** Takes a queued entry out: replaced, dropped or evicted. */
  #retire(entry: Entry<T>): void {
    this.#bucket(entry.transmits).live--;
    this.#forget(entry);
  }

  /** Marks an entry gone (already counted out of its bucket); its slot is skipped from now on. */
  #forget(entry: Entry<T>): void {
    entry.gone = true;
    this.#length--;
    if (entry.key !== undefined && this.#byKey.get(entry.key) === entry) {
      this.#byKey.delete(entry.key);
    }
  }

  #dropMostTransmitted(): void {
    for (let count = this.#buckets.length - 1; count >= 0; count--) {
      const bucket = this.#buckets[count] as Bucket<T>;
      if (bucket.live === 0) continue;
      for (let i = bucket.head; i < bucket.items.length; i++) {
        const entry = bucket.items[i] as Entry<T>;
        if (isIn(entry, count)) {
          this.#retire(entry);
          return;
        }
      }
    }
  }

  #bucket(count: number): Bucket<T> {
    while (this.#buckets.length <= count) this.#buckets.push({ items: [], head: 0, live: 0 });
    return this.#buckets[count] as Bucket<T>;
  }
}

/** Whether `entry` is live in the bucket for `count` (not gone, not moved on to a higher count). */
function isIn<T>(entry: Entry<T>, count: number): boolean {
  return !entry.gone && entry.transmits === count;
}

/** Sweeps stale slots out of a bucket once they outnumber its live entries. */
function compactIfSparse<T>(bucket: Bucket<T>, count: number): void {
  const stale = bucket.items.length - bucket.live;
  if (stale <= 64 || stale <= bucket.live) return;
  bucket.items = bucket.items.slice(bucket.head).filter((e) => isIn(e, count));
  bucket.head = 0;
}

/** The live entries of `a` (sorted by rank) merged with `b` (sorted by rank). */
function mergeByRank<T>(a: Entry<T>[], b: Entry<T>[], count: number): Entry<T>[] {
  const merged: Entry<T>[] = [];
  let j = 0;
  for (const entry of a) {
    if (!isIn(entry, count)) continue;
    while (j < b.length && (b[j] as Entry<T>).rank < entry.rank) merged.push(b[j++] as Entry<T>);
    merged.push(entry);
  }
  while (j < b.length) merged.push(b[j++] as Entry<T>);
  return merged;
}
