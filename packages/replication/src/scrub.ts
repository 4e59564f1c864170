/**
 * Scrub: every `scrubIntervalMs` one step re-verifies the next `scrubBatch` local live files (in
 * name order, wrapping around: scrub-order.ts) against their sha256. A copy found damaged or missing
 * is repaired (`EffectRunner.repairCorruptCopy`: forgotten, deleted, pulled again from a holder).
 */
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import type { EffectRunner } from './effect-runner.js';
import { errorCode } from './errors.js';
import type { FileIndex } from './file-index.js';
import type { Lifecycle } from './lifecycle.js';
import { nextScrubBatch } from './scrub-order.js';
import type { ReplicationCounters } from './stats.js';

export interface ScrubberOptions {
  index: FileIndex;
  store: BlobStore;
  runner: EffectRunner;
  lifecycle: Lifecycle;
  counters: ReplicationCounters;
  /** Files verified per step (`ReplicationConfig.scrubBatch`). */
  batch: number;
}

export class Scrubber {
  readonly #options: ScrubberOptions;
  /** The last name verified; the next step starts after it. */
  #cursor: string | undefined;

  constructor(options: ScrubberOptions) {
    this.#options = options;
  }

  /** Verifies the next batch; resolves when it finished (or the engine stopped). */
  async step(): Promise<void> {
    const { index, store, runner, lifecycle, counters } = this.#options;
    if (!lifecycle.running) return;
    const candidates = [...index.committedEntries()]
      .filter((e) => e.local && !e.deleted)
      .map((e) => e.name)
      .sort();
    const step = nextScrubBatch(candidates, this.#cursor, this.#options.batch);
    this.#cursor = step.cursor;
    for (const name of step.names) {
      if (!lifecycle.running) return;
      const entry = index.committed(name);
      if (entry === undefined || !entry.local || entry.deleted) continue;
      counters.scrubbed++;
      let healthy = true;
      try {
        await store.verify(blobKey(entry.name, entry.version));
      } catch (error) {
        healthy = errorCode(error) !== 'ERR_NOT_FOUND' && errorCode(error) !== 'ERR_INTEGRITY';
      }
      if (!healthy) await runner.repairCorruptCopy(entry);
    }
  }
}
