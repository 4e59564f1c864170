/**
 * Membership news waiting to be gossiped. Each update rides on outgoing messages (pings, acks,
 * gossip rounds) until it has been sent `limit` times; the least-sent go first so fresh news
 * overtakes old. A newer update about the same member replaces the queued one: only the latest
 * claim about a member is worth spreading.
 *
 * The queue itself is @dfs/gossip's `RetransmitQueue` (the rumor monger's too) in `oldest-first`
 * order, counting updates rather than bytes: taking k updates costs O(k) however long the queue is
 * — after a partition a node holds hundreds of updates and sends on every message. This class only
 * names its operations after membership: a key is the member an update is about.
 */
import { RetransmitQueue } from '@dfs/gossip';
import type { MemberUpdate } from './members.js';

/** An update on the wire; `from` names the suspecter on suspect claims (Lifeguard confirmations). */
export interface GossipUpdate extends MemberUpdate {
  readonly from?: string | undefined;
}

/**
 * `T` is what goes on the wire (swim.ts queues the encoded tuple, so an update sent a dozen times
 * is encoded once); `key` names the member it is about.
 */
export class BroadcastQueue<T> {
  readonly #queue = new RetransmitQueue<T>({ order: 'oldest-first' });

  get size(): number {
    return this.#queue.length;
  }

  /** Queue `update`, replacing any queued update about the same member. */
  enqueue(key: string, item: T): void {
    this.#queue.push({ key, value: item, bytes: 0 });
  }

  /**
   * Replace the queued update about the same member but keep its send count (queue it fresh if
   * none is queued). For Lifeguard confirmations: the new suspecter's name rides on the remaining
   * sends instead of restarting the whole dissemination, which in a mass failure would multiply
   * the gossip by the number of confirmations.
   */
  amend(key: string, item: T): void {
    this.#queue.amend({ key, value: item, bytes: 0 });
  }

  /**
   * Count one send of the queued item about `key` without sending it, if `same(item)` (it is the
   * claim a peer just repeated to us); drops it once that reaches `limit`.
   */
  countAsSent(key: string, same: (item: T) => boolean, limit: number): void {
    this.#queue.countAsSent(key, same, limit);
  }

  /** Drop whatever is queued about `id`. */
  drop(id: string): void {
    this.#queue.drop(id);
  }

  /**
   * Up to `max` updates for one outgoing message, least-sent first; each counts as one send and is
   * dropped from the queue after its `limit`-th.
   */
  take(max: number, limit: number): T[] {
    return this.#queue.take(Number.POSITIVE_INFINITY, limit, max);
  }
}
