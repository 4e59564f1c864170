/**
 * Pulling a version's body from its holders through the bounded transfer queue, with readers riding
 * on it, and claiming bytes already in the store instead of pulling them. What a pull's start and end
 * mean is decided by decide.ts (`decidePullStart`, `decideClaim`, `decidePulled`); the resulting
 * index writes and deletes are handed to the `EffectRunner` that owns this queue, inside the
 * transfer's slot, so a reader woken by the pull's end already sees the version recorded local.
 *
 * Invariants: at most one transfer per (name, version) is queued or running (duplicates join it;
 * pushes take the same slots); a pulled body is recorded local only if its version is still the
 * index's current one, otherwise its bytes are deleted again. Every pull gives up on a holder that
 * misses `pullOpenTimeoutMs` or `pullIdleTimeoutMs` (pull-plan.ts).
 */
import type { Clock, PeerInfo, Random, Transport } from '@dfs/transport';
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import { pullBody } from './body-transfer.js';
import { decideClaim, decidePullStart, decidePulled } from './decide.js';
import type { Effect, StoredBody } from './decide.js';
import { errorCode } from './errors.js';
import type { FileIndex, IndexEntry } from './file-index.js';
import type { Lifecycle, ReplicationLogger } from './lifecycle.js';
import { PullPlanner } from './pull-plan.js';
import { PullReaders } from './pull-readers.js';
import type { PullEnd } from './pull-readers.js';
import type { ReplicationCounters } from './stats.js';
import { TransferQueue } from './transfers.js';

/** Where decided effects go (the `EffectRunner`). */
export interface EffectSink {
  run(effects: readonly Effect[]): Promise<void>;
}

export interface PullQueueOptions {
  /** This node (claims and completed pulls set its holder slot). */
  nodeId: string;
  index: FileIndex;
  store: BlobStore;
  counters: ReplicationCounters;
  lifecycle: Lifecycle;
  log: ReplicationLogger;
  effects: EffectSink;
  transport: Transport;
  clock: Clock;
  random: Random;
  /** Live peers, without this node. */
  livePeers: () => PeerInfo[];
  /** See `ReplicationConfig.pullOpenTimeoutMs`, `pullIdleTimeoutMs`, `maxFileBytes`. */
  pullOpenTimeoutMs: number;
  pullIdleTimeoutMs: number;
  maxFileBytes: number;
  transferConcurrency: number;
  /**
   * Whether placement wants `name`'s body on this node (a target, or a stand-in for a down one).
   * Background pulls run only for those; a reader elsewhere gets a proxied stream instead.
   */
  wantedHere: (name: string) => boolean;
  /** True when a pushed body under the store key is held, waiting for its entry (unclaimed). */
  isHeld: (key: string) => boolean;
  /** A background pull that failed is not retried before this, doubling per failure … */
  retryBaseMs: number;
  /** … up to this (`resetBackoff()` clears every wait, e.g. when membership changes). */
  retryMaxMs: number;
}

export const transferKey = (name: string, version: string): string => `${version}\u0000${name}`;

export class PullQueue {
  readonly planner: PullPlanner;
  readonly #options: PullQueueOptions;
  readonly #transfers: TransferQueue;
  /** Readers riding on each queued or running pull, by transfer key. */
  readonly #readers = new Map<string, PullReaders>();
  /** Background pulls that failed: failures in a row and when the next try may start. */
  readonly #backoff = new Map<string, { failures: number; retryAt: number }>();

  constructor(options: PullQueueOptions) {
    this.#options = options;
    this.planner = new PullPlanner({
      transport: options.transport,
      clock: options.clock,
      random: options.random,
      counters: options.counters,
      openTimeoutMs: options.pullOpenTimeoutMs,
      idleTimeoutMs: options.pullIdleTimeoutMs,
      livePeers: options.livePeers,
      warn: (object, message) => options.log.warn(object, message),
      debug: (object, message) => options.log.debug(object, message),
    });
    this.#transfers = new TransferQueue({ concurrency: options.transferConcurrency });
  }

  get activeTransfers(): number {
    return this.#transfers.active;
  }

  get queuedTransfers(): number {
    return this.#transfers.queued;
  }

  /** The transfer (pull or push) of `version` queued or running, if any. */
  transferOf(name: string, version: string): Promise<boolean> | undefined {
    return this.#transfers.get(transferKey(name, version));
  }

  /** Readers riding on the pull of `version`, if one is queued or running. */
  readersOf(name: string, version: string): PullReaders | undefined {
    return this.#readers.get(transferKey(name, version));
  }

  /** A reader joined the queued pull of `version`: start it ahead of the background ones. */
  promote(name: string, version: string): void {
    this.#transfers.promote(transferKey(name, version));
  }

  /** Runs a push of `version` in its transfer slot at once (no pull may run beside it). */
  runPush(name: string, version: string, task: (signal: AbortSignal) => Promise<boolean>) {
    return this.#transfers.run(transferKey(name, version), task, { immediate: true });
  }

  /** Aborts the transfer of a superseded version. */
  cancel(name: string, version: string): void {
    this.#transfers.cancel(transferKey(name, version));
  }

  /** Aborts every transfer and waits until none runs. */
  stop(): Promise<void> {
    return this.#transfers.stop();
  }

  /**
   * Queues a pull of `entry` unless one (or a push) of it is already queued or running, or
   * placement does not want its body here.
   */
  schedule(entry: IndexEntry): void {
    if (!this.#options.lifecycle.running) return;
    if (this.transferOf(entry.name, entry.version) !== undefined) return;
    if (!this.#options.wantedHere(entry.name)) {
      // Not a target: pull nothing, but bytes an upload pushed here (a hinted copy, pushed while
      // a target was down, that arrived before its entry) become this node's copy.
      if (this.#options.isHeld(blobKey(entry.name, entry.version))) this.#claimHeld(entry);
      return;
    }
    const key = transferKey(entry.name, entry.version);
    const waiting = this.#backoff.get(key);
    if (waiting !== undefined && this.#options.clock.now() < waiting.retryAt) return;
    this.#start(entry, { forReader: false });
  }

  /** Claims held bytes of `entry` in its transfer slot (a stat and an index write, no transfer). */
  #claimHeld(entry: IndexEntry): void {
    const claim = async (): Promise<boolean> => {
      const have = await this.#options.store
        .stat(blobKey(entry.name, entry.version))
        .catch(() => undefined);
      return have !== undefined && this.claimStored(entry.name, entry.version, have, undefined);
    };
    this.#transfers
      .run(transferKey(entry.name, entry.version), claim, { immediate: true })
      .catch(() => false);
  }

  /** Lets every failed pull be retried at once (new members may hold what was missing). */
  resetBackoff(): void {
    this.#backoff.clear();
  }

  /** Schedules a pull for every live entry we do not hold (after restart, failures, repairs). */
  pullMissing(): void {
    for (const entry of this.#options.index.entries()) {
      if (!entry.deleted && !entry.local) this.schedule(entry);
    }
  }

  /** Starts a pull of `entry` at once, ahead of the queue, for a reader that rides on it. */
  startForReader(entry: IndexEntry): PullReaders {
    return this.#start(entry, { forReader: true });
  }

  /**
   * Records bytes already in the store as this node's copy of `version` if the current entry is
   * exactly that version with the same sha256 and size (`decideClaim`); true when they are.
   */
  async claimStored(
    name: string,
    version: string,
    stored: StoredBody,
    from: PeerInfo | undefined,
  ): Promise<boolean> {
    const { index, nodeId } = this.#options;
    const decision = decideClaim(index.get(name), version, stored, from?.id, nodeId);
    if (decision.kind === 'claim') this.#options.counters.transfersAvoided++;
    if ('effects' in decision) await this.#options.effects.run(decision.effects);
    return decision.claimed;
  }

  #start(entry: IndexEntry, options: { forReader: boolean }): PullReaders {
    const key = transferKey(entry.name, entry.version);
    const readers = new PullReaders();
    this.#readers.set(key, readers);
    const ended = (end: PullEnd): void => {
      if (this.#readers.get(key) === readers) this.#readers.delete(key);
      readers.close(end);
    };
    this.#transfers
      .run(
        key,
        (signal) => this.#pull(entry, signal, readers),
        options.forReader ? { priority: true, immediate: true } : undefined,
      )
      .then(
        (ok) => ended({ ok }),
        (error: unknown) => ended({ ok: false, error }),
      );
    return readers;
  }

  /** A pull of `key` found no holder or failed: its next background try waits, doubling. */
  #failed(key: string): void {
    if (!this.#options.lifecycle.running) return;
    const { retryBaseMs, retryMaxMs, clock } = this.#options;
    const failures = (this.#backoff.get(key)?.failures ?? 0) + 1;
    const waitMs = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(failures - 1, 30));
    this.#backoff.set(key, { failures, retryAt: clock.now() + waitMs });
  }

  /** Pulls `entry`'s body from a holder (teeing it to any `readers`) and records it. */
  async #pull(entry: IndexEntry, signal: AbortSignal, readers: PullReaders): Promise<boolean> {
    const { index, store, counters, maxFileBytes, lifecycle, effects } = this.#options;
    const current = index.get(entry.name);
    const start = decidePullStart(current, entry.version, maxFileBytes);
    if (start !== 'pull' || current === undefined) return start === 'held';
    // The bytes may already be here: pushed during the upload, or stored just before a crash.
    const have = await store.stat(blobKey(entry.name, entry.version)).catch(() => undefined);
    if (
      have !== undefined &&
      (await this.claimStored(entry.name, entry.version, have, undefined))
    ) {
      return true;
    }
    const key = transferKey(entry.name, entry.version);
    const request = this.planner.plan(current);
    if (request.holders.length === 0) {
      this.#failed(key);
      return false;
    }
    counters.transfersStarted++;
    const outcome = await pullBody({ ...request, store, readers, signal });
    if (!outcome.ok) {
      counters.transfersFailed++;
      if (outcome.integrity) counters.integrityFailures++;
      readers.failure = outcome.error;
      this.#failed(key);
      this.#options.log.debug({ name: entry.name, code: errorCode(outcome.error) }, 'pull failed');
      return false;
    }
    this.#backoff.delete(key);
    this.planner.succeeded(outcome.from);
    counters.transfersCompleted++;
    counters.rebalanceBytesPulled += current.size;
    const latest = index.get(entry.name);
    const completion = decidePulled(
      latest,
      entry.name,
      entry.version,
      outcome.from.id,
      lifecycle.running,
      this.#options.nodeId,
    );
    await effects.run(completion.effects);
    return completion.kind === 'record';
  }
}
