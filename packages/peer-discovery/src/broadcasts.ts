/**
 * Membership news waiting to be gossiped. Each update rides on outgoing messages (pings, acks,
 * gossip rounds) until it has been sent `limit` times; the least-sent go first so fresh news
 * overtakes old. A newer update about the same member replaces the queued one: only the latest
 * claim about a member is worth spreading.
 *
 * Entries sit in FIFO buckets by send count, so taking k updates costs O(k) however long the queue
 * is — after a partition a node holds hundreds of updates and sends on every message. Replaced and
 * finished entries are skipped lazily rather than searched for and removed.
 */
import type { MemberUpdate } from './members.js';

/** An update on the wire; `from` names the suspecter on suspect claims (Lifeguard confirmations). */
export interface GossipUpdate extends MemberUpdate {
  readonly from?: string | undefined;
}

interface Entry<T> {
  readonly key: string;
  readonly item: T;
  sends: number;
  /** Set when replaced, dropped or sent `limit` times; its bucket slots are then skipped. */
  gone: boolean;
}

/** A FIFO of entries; slots before `head` are consumed. */
interface Bucket<T> {
  items: Entry<T>[];
  head: number;
}

/**
 * `T` is what goes on the wire (swim.ts queues the encoded tuple, so an update sent a dozen times
 * is encoded once); `key` names the member it is about.
 */
export class BroadcastQueue<T> {
  /** `buckets[n]` holds the entries sent n times, oldest first (plus stale slots to skip). */
  readonly #buckets: Bucket<T>[] = [];
  readonly #entries = new Map<string, Entry<T>>();

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
    const promoted: Entry<T>[] = [];
    for (let sends = 0; sends < this.#buckets.length && out.length < max; sends++) {
      const bucket = this.#buckets[sends] as Bucket<T>;
      const { items } = bucket;
      while (bucket.head < items.length && out.length < max) {
        const entry = items[bucket.head++] as Entry<T>;
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
    const entry: Entry<T> = { key, item, sends, gone: false };
    this.#entries.set(key, entry);
    this.#bucket(sends).items.push(entry);
  }

  #bucket(sends: number): Bucket<T> {
    while (this.#buckets.length <= sends) this.#buckets.push({ items: [], head: 0 });
    return this.#buckets[sends] as Bucket<T>;
  }
}
