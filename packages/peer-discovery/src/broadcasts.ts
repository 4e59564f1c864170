/**
 * Membership news waiting to be gossiped. Each update rides on outgoing messages (pings, acks,
 * gossip rounds) until it has been sent `limit` times; the least-sent go first so fresh news
 * overtakes old. A newer update about the same member replaces the queued one: only the latest
 * claim about a member is worth spreading.
 *
 * Entries sit in buckets by send count, so taking k updates costs O(k) however long the queue is —
 * after a partition heals a node may hold hundreds of updates and sends on every message.
 */
import type { MemberUpdate } from './members.js';

/** An update on the wire; `from` names the suspecter on suspect claims (Lifeguard confirmations). */
export interface GossipUpdate extends MemberUpdate {
  readonly from?: string | undefined;
}

interface Entry {
  readonly update: GossipUpdate;
  sends: number;
}

export class BroadcastQueue {
  /** `buckets[n]` holds the entries sent n times, in insertion order. */
  readonly #buckets: Map<string, Entry>[] = [];
  readonly #entries = new Map<string, Entry>();

  get size(): number {
    return this.#entries.size;
  }

  /** Queue `update`, replacing any queued update about the same member. */
  enqueue(update: GossipUpdate): void {
    this.#remove(update.id);
    const entry: Entry = { update, sends: 0 };
    this.#entries.set(update.id, entry);
    this.#bucket(0).set(update.id, entry);
  }

  /** Drop whatever is queued about `id`. */
  drop(id: string): void {
    this.#remove(id);
  }

  /**
   * Up to `max` updates for one outgoing message, least-sent first; each counts as one send and is
   * dropped from the queue after its `limit`-th.
   */
  take(max: number, limit: number): GossipUpdate[] {
    const out: GossipUpdate[] = [];
    const promoted: Entry[] = [];
    for (let sends = 0; sends < this.#buckets.length && out.length < max; sends++) {
      const bucket = this.#buckets[sends];
      if (bucket === undefined || bucket.size === 0) continue;
      for (const [id, entry] of bucket) {
        if (out.length >= max) break;
        bucket.delete(id);
        out.push(entry.update);
        entry.sends++;
        if (entry.sends >= limit) this.#entries.delete(id);
        else promoted.push(entry);
      }
    }
    // Re-bucket after the walk so an entry is never taken twice for one message.
    for (const entry of promoted) this.#bucket(entry.sends).set(entry.update.id, entry);
    return out;
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    this.#buckets[entry.sends]?.delete(id);
  }

  #bucket(sends: number): Map<string, Entry> {
    while (this.#buckets.length <= sends) this.#buckets.push(new Map());
    return this.#buckets[sends] as Map<string, Entry>;
  }
}
