/**
 * Which holders a pull tries, in which order. Live holders in random order (spreading load), but a
 * holder that failed a recent pull (missed a deadline, reset, sent bad bytes) goes after the others,
 * so the retry after a stalled peer — `pullMissing`, or a reader's own attempt — asks somebody else
 * first. At most `maxPerPull` are tried per pull, which bounds how long one pull (and a reader
 * waiting on it) can spend on holders that never start sending; the next pull starts with the rest.
 *
 * Memory is bounded: one timestamp per peer id that failed in the last `memoryMs` (ids come from
 * the membership view, not from the wire), pruned on every use.
 */
import type { Clock, PeerInfo, Random } from '@dfs/transport';
import { shuffle } from '@dfs/transport';

export class HolderChoice {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #memoryMs: number;
  readonly #maxPerPull: number;
  readonly #failedAt = new Map<string, number>();

  constructor(options: { clock: Clock; random: Random; memoryMs: number; maxPerPull: number }) {
    this.#clock = options.clock;
    this.#random = options.random;
    this.#memoryMs = options.memoryMs;
    this.#maxPerPull = options.maxPerPull;
  }

  get maxPerPull(): number {
    return this.#maxPerPull;
  }

  /**
   * The holders (by id) that are live, in the order to try them, at most `maxPerPull`; `avoid` (a
   * holder another pull is stuck on right now) goes last of all.
   */
  choose(holderIds: readonly string[], livePeers: readonly PeerInfo[], avoid?: string): PeerInfo[] {
    this.#forgetOld();
    const live = new Map(livePeers.map((peer) => [peer.id, peer]));
    const lastFailure = (peer: PeerInfo): number =>
      peer.id === avoid
        ? Number.POSITIVE_INFINITY
        : (this.#failedAt.get(peer.id) ?? Number.NEGATIVE_INFINITY);
    return shuffle(this.#random, holderIds)
      .map((id) => live.get(id))
      .filter((peer): peer is PeerInfo => peer !== undefined)
      .sort((a, b) => Math.sign(lastFailure(a) - lastFailure(b)) || 0)
      .slice(0, this.#maxPerPull);
  }

  failed(peerId: string): void {
    this.#failedAt.delete(peerId); // re-inserted last: iteration order is oldest first
    this.#failedAt.set(peerId, this.#clock.now());
  }

  succeeded(peerId: string): void {
    this.#failedAt.delete(peerId);
  }

  #forgetOld(): void {
    const horizon = this.#clock.now() - this.#memoryMs;
    for (const [id, at] of this.#failedAt) {
      if (at > horizon) break;
      this.#failedAt.delete(id);
    }
  }
}
