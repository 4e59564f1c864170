/**
 * Batches and sends announcements. Names whose entry changed are queued; one flush (after the current
 * burst of work settles, or after `batchMs`) sends the *current* wire form of each to `fanout` random
 * live peers, at most MAX_ENTRIES_PER_MESSAGE per message. Sending is fire-and-forget: a lost
 * announcement is repaired by anti-entropy, so failures are only counted.
 */
import type { Clock, PeerInfo, Random, Timer, Transport } from '@dfs/transport';
import { sample } from '@dfs/transport';
import { errorCode } from './errors.js';
import type { ReplicatedEntry } from './merge.js';
import type { ReplicationCounters } from './stats.js';
import { MAX_ENTRIES_PER_MESSAGE, PROTOCOLS } from './wire.js';

export interface AnnouncerOptions {
  transport: Transport;
  clock: Clock;
  random: Random;
  fanout: number;
  /** 0: flush in a microtask after the current burst; otherwise after this many ms. */
  batchMs: number;
  /** Live peers, without this node. */
  peers: () => PeerInfo[];
  /** The wire form of a name's current entry, or undefined if it is gone. */
  wireEntry: (name: string) => ReplicatedEntry | undefined;
  counters: ReplicationCounters;
  onSendFailure: (peer: PeerInfo, code: string | undefined) => void;
  /** Hands the flush promise to the owner so `stop()` can wait for it. */
  track: (work: Promise<unknown>) => void;
}

export class Announcer {
  readonly #options: AnnouncerOptions;
  readonly #queued = new Set<string>();
  #scheduled = false;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(options: AnnouncerOptions) {
    this.#options = options;
  }

  /** Announce `name`'s current entry in the next batch. */
  queue(name: string): void {
    if (this.#stopped) return;
    this.#queued.add(name);
    if (this.#scheduled) return;
    this.#scheduled = true;
    const flush = (): void => {
      this.#scheduled = false;
      this.#timer = undefined;
      if (!this.#stopped) this.#options.track(this.#flush());
    };
    if (this.#options.batchMs === 0) queueMicrotask(flush);
    else this.#timer = this.#options.clock.setTimeout(flush, this.#options.batchMs);
  }

  /** Sends `entries` to one peer now (also used to push during anti-entropy). */
  async send(peer: PeerInfo, entries: readonly ReplicatedEntry[]): Promise<void> {
    const { transport, counters } = this.#options;
    for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_MESSAGE) {
      const chunk = entries.slice(i, i + MAX_ENTRIES_PER_MESSAGE);
      try {
        await transport.send(peer.address, PROTOCOLS.announce, { entries: chunk });
        counters.announcementsSent++;
        counters.entriesSent += chunk.length;
      } catch (error) {
        counters.sendFailures++;
        this.#options.onSendFailure(peer, errorCode(error));
        return;
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#queued.clear();
  }

  async #flush(): Promise<void> {
    const entries: ReplicatedEntry[] = [];
    for (const name of this.#queued) {
      const entry = this.#options.wireEntry(name);
      if (entry !== undefined) entries.push(entry);
    }
    this.#queued.clear();
    if (entries.length === 0) return;
    const { random, peers, fanout } = this.#options;
    const targets = sample(random, peers(), fanout);
    await Promise.all(targets.map((peer) => this.send(peer, entries)));
  }
}
