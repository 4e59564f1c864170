/**
 * The receive side's bounds on what one peer can make this node do, wrapped around the pure rules
 * of incoming.ts: per-peer quotas on announced entries, admission of each entry (future versions
 * refused, holder slots of unknown nodes dropped, local tombstone expiry), the counters and the rate-limited
 * warnings. The engine calls it before anything from a peer reaches the index or the version clock.
 */
import type { Clock, PeerInfo } from '@dfs/transport';
import type { ReplicationConfig } from './config.js';
import { admitEntry } from './incoming.js';
import type { ReplicatedEntry } from './merge.js';
import { PeerWarnings } from './peer-warnings.js';
import type { ReplicationCounters } from './stats.js';
import { PeerTokenBuckets } from './token-bucket.js';

/** At most one warning per peer and kind of misbehaviour within this time. */
const WARN_INTERVAL_MS = 60_000;

export interface PeerGuardOptions {
  nodeId: string;
  clock: Clock;
  /** Every member id this node knows, in any state (holders must be one of them). */
  members: () => Iterable<string>;
  config: Pick<
    ReplicationConfig,
    'maxClockSkewMs' | 'tombstoneTtlMs' | 'announceRatePerPeer' | 'announceBurstPerPeer'
  >;
  counters: ReplicationCounters;
  warn(object: object, message: string): void;
}

export class PeerGuard {
  readonly #options: PeerGuardOptions;
  readonly #quotas: PeerTokenBuckets;
  readonly #warnings: PeerWarnings;

  constructor(options: PeerGuardOptions) {
    this.#options = options;
    this.#quotas = new PeerTokenBuckets({
      ratePerSecond: options.config.announceRatePerPeer,
      capacity: options.config.announceBurstPerPeer,
    });
    this.#warnings = new PeerWarnings({
      clock: options.clock,
      intervalMs: WARN_INTERVAL_MS,
      warn: options.warn,
    });
  }

  /** The announced entries `from`'s quota allows now, in order; the rest are dropped and counted. */
  withinQuota(entries: readonly ReplicatedEntry[], from: PeerInfo): readonly ReplicatedEntry[] {
    const granted = this.#quotas.take(from.id, entries.length, this.#options.clock.now());
    if (granted === entries.length) return entries;
    const dropped = entries.length - granted;
    this.#options.counters.announcedEntriesThrottled += dropped;
    this.#warnings.warn(
      from.id,
      'quota',
      { dropped, perSecond: this.#options.config.announceRatePerPeer },
      'peer announces more entries than its quota; excess dropped',
    );
    return entries.slice(0, granted);
  }

  /** Counts a message or entry from `from` that failed validation; warns at most once a minute. */
  invalid(from: PeerInfo, what: string): void {
    this.#options.counters.invalidMessages++;
    this.#warnings.warn(from.id, `invalid ${what}`, {}, `invalid ${what} dropped`);
  }

  /** The entries that may be merged, as they may be merged (see incoming.ts), in order. */
  admit(entries: readonly ReplicatedEntry[], from: PeerInfo): ReplicatedEntry[] {
    if (entries.length === 0) return [];
    const { config, counters, nodeId } = this.#options;
    const context = {
      nodeId,
      members: new Set(this.#options.members()),
      now: this.#options.clock.now(),
      maxClockSkewMs: config.maxClockSkewMs,
      tombstoneTtlMs: config.tombstoneTtlMs,
    };
    const admitted: ReplicatedEntry[] = [];
    let unknownHolders = 0;
    for (const entry of entries) {
      const admission = admitEntry(entry, context);
      if (!admission.accepted) {
        counters.futureVersionsRejected++;
        this.#warnings.warn(
          from.id,
          'future-version',
          { name: entry.name, version: entry.version, aheadMs: admission.aheadMs },
          'entry refused: its version is too far ahead of the local clock',
        );
        continue;
      }
      unknownHolders += admission.unknownHolders;
      admitted.push(admission.entry);
    }
    if (unknownHolders > 0) {
      counters.unknownHoldersDropped += unknownHolders;
      this.#warnings.warn(
        from.id,
        'unknown-holders',
        { dropped: unknownHolders },
        'holder slots that name no known member dropped',
      );
    }
    return admitted;
  }
}
