/**
 * How this node pulls a version from its holders: which holders (`HolderChoice`), under which
 * deadlines, and what it counts and logs on the way. `PullQueue` asks for one plan per pull
 * (its own, or a reader's) and adds where the bytes go.
 */
import type { Clock, PeerInfo, Random, Transport } from '@dfs/transport';
import type { PullRequest } from './body-transfer.js';
import { errorCode } from './errors.js';
import type { IndexEntry } from './file-index.js';
import { HolderChoice } from './holder-choice.js';
import { holdingNodes } from './merge.js';
import type { ReplicationCounters } from './stats.js';

/** Holders one pull tries at most; the next pull (`pullMissing`) starts with the others. */
export const MAX_HOLDERS_PER_PULL = 3;
/** A holder that failed a pull is tried after the others for this long. */
const FAILED_HOLDER_MEMORY_MS = 60_000;

export type PullPlan = Omit<PullRequest, 'store' | 'readers' | 'signal'>;

export interface PullPlannerOptions {
  transport: Transport;
  clock: Clock;
  random: Random;
  counters: ReplicationCounters;
  /** See `ReplicationConfig.pullOpenTimeoutMs` and `pullIdleTimeoutMs`. */
  openTimeoutMs: number;
  idleTimeoutMs: number;
  livePeers(): PeerInfo[];
  warn(object: object, message: string): void;
  debug(object: object, message: string): void;
}

export class PullPlanner {
  readonly #options: PullPlannerOptions;
  readonly #holders: HolderChoice;

  constructor(options: PullPlannerOptions) {
    this.#options = options;
    this.#holders = new HolderChoice({
      clock: options.clock,
      random: options.random,
      memoryMs: FAILED_HOLDER_MEMORY_MS,
      maxPerPull: MAX_HOLDERS_PER_PULL,
    });
  }

  get openTimeoutMs(): number {
    return this.#options.openTimeoutMs;
  }

  /**
   * A plan for pulling `entry`'s version; `holders` is empty when no live node holds it. `avoid`
   * is tried last (see `HolderChoice.choose`).
   */
  plan(entry: IndexEntry, avoid?: string): PullPlan {
    const { name, version } = entry;
    const options = this.#options;
    const { counters } = options;
    return {
      transport: options.transport,
      clock: options.clock,
      holders: this.#holders.choose(holdingNodes(entry), options.livePeers(), avoid),
      header: { name, version },
      size: entry.size,
      sha256: entry.sha256,
      // A holder may not send more than the announced size (the sha256 check catches the rest).
      maxBytes: entry.size,
      openTimeoutMs: options.openTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      onBytes: (n) => {
        counters.bytesPulled += n;
      },
      onTimeout: (holder, phase) => {
        counters.transferTimeouts++;
        if (phase === 'idle') counters.transferIdleTimeouts++;
        const ms = phase === 'open' ? options.openTimeoutMs : options.idleTimeoutMs;
        options.warn(
          { name, version, holder: holder.id, phase, ms },
          'pull timed out; trying another holder',
        );
      },
      onHolderFailed: (holder, error) => {
        this.#holders.failed(holder.id);
        options.debug({ name, holder: holder.id, code: errorCode(error) }, 'pull attempt failed');
      },
    };
  }

  /** `holder` served a verified body: it goes back among the first choices. */
  succeeded(holder: PeerInfo): void {
    this.#holders.succeeded(holder.id);
  }
}
