/**
 * Applies what the rules of decide.ts decided, in order, and owns the one way the index changes.
 *
 * A `write` effect starts its index write synchronously (concurrent writes share one write and
 * fsync, in call order, and the next decision sees it in the working view), and nothing after it
 * happens unless it became durable: only then are the anti-entropy digests and list order brought in
 * step (`IndexViews.sync`) and the effects that follow it (`effectsAfterWrite`) performed — abort the
 * replaced version's transfer, announce, wake holder waiters, delete the replaced bytes, pull. A
 * failed write rejects; when it recorded bytes already stored, those are held as unclaimed.
 *
 * The pull effect queues a pull on `pulls`, whose completion is decided (`decidePulled`) and run
 * here again: the data path is decide → run → (pull → decide → run), never a callback into a caller.
 */
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import type { Announcer } from './announcer.js';
import { bodyMissing, decideDrop, decideForgetCopy, effectsAfterWrite } from './decide.js';
import type { Effect } from './decide.js';
import { ReplicationError, errorCode } from './errors.js';
import type { FileIndex, IndexEntry } from './file-index.js';
import type { FileEventHub } from './file-events.js';
import type { HolderWaiters } from './holder-waiters.js';
import type { IndexViews } from './index-views.js';
import type { Lifecycle, ReplicationLogger } from './lifecycle.js';
import { PullQueue } from './pull-queue.js';
import type { PullQueueOptions } from './pull-queue.js';
import type { ReplicationCounters } from './stats.js';
import type { UnclaimedBodies } from './unclaimed-bodies.js';

export interface EffectRunnerOptions {
  /** This node: the only node whose holder slot it writes. */
  nodeId: string;
  index: FileIndex;
  store: BlobStore;
  views: IndexViews;
  announcer: Announcer;
  waiters: HolderWaiters;
  unclaimed: UnclaimedBodies;
  counters: ReplicationCounters;
  lifecycle: Lifecycle;
  log: ReplicationLogger;
  /** Told of each durable index change (the engine's `watchFiles`). */
  events: FileEventHub;
  /** How pulls run (the runner owns its `PullQueue`). */
  pulls: Omit<
    PullQueueOptions,
    'nodeId' | 'index' | 'store' | 'counters' | 'lifecycle' | 'log' | 'effects' | 'isHeld'
  >;
}

export class EffectRunner {
  /** The pulls the `pull` effect queues (readers and pushes share its transfer slots). */
  readonly pulls: PullQueue;
  readonly #options: EffectRunnerOptions;

  constructor(options: EffectRunnerOptions) {
    this.#options = options;
    this.pulls = new PullQueue({
      ...options.pulls,
      nodeId: options.nodeId,
      index: options.index,
      store: options.store,
      counters: options.counters,
      lifecycle: options.lifecycle,
      log: options.log,
      effects: this,
      isHeld: (key) => options.unclaimed.has(key),
    });
  }

  /**
   * Performs `effects` in order; a failed write stops the list and rejects. The first effect
   * starts synchronously, so a caller that decided on the working view keeps its place in line.
   */
  async run(effects: readonly Effect[]): Promise<void> {
    for (const effect of effects) await this.#apply(effect);
  }

  /** Makes `entry` the name's current state (a local put or delete): see `write` effects. */
  write(entry: IndexEntry): Promise<void> {
    return this.run([{ kind: 'write', entry, announce: true, pull: true, bytesStored: false }]);
  }

  /** Bytes of `version` are stored but no entry claims them: kept a while, then deleted. */
  holdUnclaimed(name: string, version: string): void {
    if (this.#options.unclaimed.hold(blobKey(name, version), { name, version })) {
      this.#options.counters.bodiesQuarantined++;
    }
  }

  /** Our copy of `entry` is corrupt or missing: forget it, delete it, and pull a healthy one. */
  async repairCorruptCopy(entry: IndexEntry): Promise<void> {
    const { index, counters, log } = this.#options;
    const decision = decideForgetCopy(index.get(entry.name), entry.version, this.#options.nodeId);
    if (decision.kind === 'ignore') return;
    // The copy is forgotten synchronously (nothing serves it), deleted, and only then re-pulled:
    // deleting after the pull started could remove the repaired bytes.
    const forgotten = this.run(decision.effects);
    counters.corruptDetected++;
    log.warn({ name: entry.name, version: entry.version }, 'corrupt local copy; repairing');
    await forgotten;
    const latest = index.get(entry.name);
    if (bodyMissing(latest)) this.pulls.schedule(latest);
  }

  /**
   * Stops holding this node's copy of `entry`'s version (a surplus copy): announced as no longer
   * held, then deleted; nothing is pulled. False when that version is not held here (any more).
   */
  async dropCopy(entry: IndexEntry): Promise<boolean> {
    const { index, nodeId } = this.#options;
    const decision = decideDrop(index.get(entry.name), entry.version, nodeId);
    if (decision.kind === 'ignore') return false;
    await this.run(decision.effects);
    return true;
  }

  async #apply(effect: Effect): Promise<void> {
    const { store, announcer, waiters, lifecycle } = this.#options;
    switch (effect.kind) {
      case 'write':
        return this.#write(effect);
      case 'cancel-transfer':
        return this.pulls.cancel(effect.name, effect.version);
      case 'announce':
        if (lifecycle.running) announcer.queue(effect.name);
        return;
      case 'wake-waiters':
        return waiters.check(effect.name);
      case 'delete-bytes':
        await store.delete(blobKey(effect.name, effect.version)).catch(() => false);
        return;
      case 'pull':
        return this.pulls.schedule(effect.entry);
    }
  }

  async #write(effect: Extract<Effect, { kind: 'write' }>): Promise<void> {
    const { index, views, lifecycle, log } = this.#options;
    const { entry } = effect;
    try {
      if (lifecycle.stopped) {
        // The index is closing: nothing can be made durable any more (a put in flight fails).
        throw new ReplicationError('ERR_UNAVAILABLE', 'the replication engine is stopping');
      }
      const previous = index.get(entry.name);
      try {
        await index.set(entry);
      } catch (error) {
        const code = errorCode(error);
        if (code !== 'ERR_UNAVAILABLE') {
          log.warn(
            { name: entry.name, version: entry.version, code, err: error },
            'index write failed; change not applied',
          );
        }
        throw error;
      }
      views.sync(entry.name);
      this.#options.events.emit(previous, entry);
      await this.run(effectsAfterWrite(previous, effect));
    } catch (error) {
      if (effect.bytesStored) this.holdUnclaimed(entry.name, entry.version);
      throw error;
    }
  }
}
