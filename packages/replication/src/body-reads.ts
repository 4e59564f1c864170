/**
 * Reading a body: from the local store, or through from a holder when this node does not hold the
 * version. A reader of a remote version rides on the pull of it (`PullQueue`, started at once if
 * none is queued or running): a verified stream once a holder starts sending, or the stored copy if
 * the pull finished first. A reader that missed the pull's first byte waits `pullOpenTimeoutMs` for
 * it to finish, then streams a copy of its own (`DirectReads`). A reader gets a stream or a typed
 * error within `pullOpenTimeoutMs × (MAX_HOLDERS_PER_PULL + 1)`. A local copy found damaged or
 * missing is repaired (`EffectRunner.repairCorruptCopy`).
 */
import type { Readable } from 'node:stream';
import type { Clock } from '@dfs/transport';
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import type { EffectRunner } from './effect-runner.js';
import { errorCode, toReplicationError } from './errors.js';
import type { ByteRange } from './file-service.js';
import type { FileIndex, IndexEntry } from './file-index.js';
import type { Lifecycle } from './lifecycle.js';
import { MAX_HOLDERS_PER_PULL } from './pull-plan.js';
import { WaitingReader, readerStopped } from './pull-readers.js';
import type { ReaderResult } from './pull-readers.js';
import { DirectReads, readFailure, waitFailure } from './read-through.js';

export interface BodyReadsOptions {
  index: FileIndex;
  store: BlobStore;
  runner: EffectRunner;
  lifecycle: Lifecycle;
  clock: Clock;
}

export class BodyReads {
  readonly #options: BodyReadsOptions;
  readonly #direct = new DirectReads();

  constructor(options: BodyReadsOptions) {
    this.#options = options;
  }

  /** Aborts every reader's own pull and waits until none runs. */
  stop(): Promise<void> {
    return this.#direct.stop();
  }

  /** The stored copy of `entry`, or undefined (and a repair) when it is damaged or missing. */
  async readLocal(
    entry: IndexEntry,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Readable | undefined> {
    const { store, runner, lifecycle } = this.#options;
    let stream: Readable;
    try {
      stream = await store.get(blobKey(entry.name, entry.version), { range, signal });
    } catch (error) {
      if (errorCode(error) === 'ERR_NOT_FOUND' || errorCode(error) === 'ERR_INTEGRITY') {
        await runner.repairCorruptCopy(entry);
        return undefined;
      }
      throw toReplicationError(error);
    }
    stream.on('error', (error) => {
      if (errorCode(error) === 'ERR_INTEGRITY') {
        lifecycle.inBackground(runner.repairCorruptCopy(entry));
      }
    });
    return stream;
  }

  /** A read of a version not held here (see the top of this file). */
  async readRemote(
    entry: IndexEntry,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Readable> {
    if (!this.#options.lifecycle.running) throw readerStopped();
    const pulls = this.#options.runner.pulls;
    const reader = new WaitingReader(range);
    const readers = pulls.readersOf(entry.name, entry.version);
    const transfer = pulls.transferOf(entry.name, entry.version);
    let late: boolean;
    if (readers !== undefined && readers.add(reader)) {
      late = readers.streaming;
      pulls.promote(entry.name, entry.version);
    } else if (transfer !== undefined) {
      // A push in progress takes no readers: wait for its end (bounded like a late join).
      late = true;
      transfer.then(
        (ok) => reader.end({ ok }),
        (error: unknown) => reader.end({ ok: false, error }),
      );
    } else {
      late = false;
      pulls.startForReader(entry).add(reader);
    }
    const waitMs = pulls.planner.openTimeoutMs * (late ? 1 : MAX_HOLDERS_PER_PULL + 1);
    const result = await reader.wait(this.#options.clock, waitMs, signal);
    return this.#afterWait(entry, range, signal, result, late);
  }

  /**
   * A read of a version placement does not want on this node: a verified stream from a holder for
   * this reader alone, keeping no copy (a proxy). Holders are tried best first, each within
   * `pullOpenTimeoutMs`.
   */
  async readProxied(
    entry: IndexEntry,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Readable> {
    const { runner, lifecycle, clock } = this.#options;
    if (!lifecycle.running) throw readerStopped();
    const plan = runner.pulls.planner.plan(entry);
    if (plan.holders.length === 0) throw readFailure(entry.name, undefined);
    const waitMs = runner.pulls.planner.openTimeoutMs * MAX_HOLDERS_PER_PULL;
    return this.#direct.stream({ name: entry.name, plan, range, clock, waitMs, signal });
  }

  async #afterWait(
    entry: IndexEntry,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
    result: ReaderResult,
    late: boolean,
  ): Promise<Readable> {
    const { index, lifecycle, runner, clock } = this.#options;
    if (result.kind === 'stream') return result.stream;
    if (result.kind === 'aborted') throw waitFailure(entry.name, result);
    if (!lifecycle.running) throw readerStopped();
    if (result.kind === 'timeout' && !late) throw waitFailure(entry.name, result);
    if (result.kind === 'ended') {
      if (!result.end.ok) throw readFailure(entry.name, result.end.error);
      const latest = index.get(entry.name) ?? entry;
      const local = latest.local ? await this.readLocal(latest, range, signal) : undefined;
      if (local !== undefined) return local;
    }
    // Still streaming without this reader, or its copy vanished: a pull for this reader alone.
    const latest = index.get(entry.name);
    const current = latest?.version === entry.version ? latest : entry;
    const stuckOn = runner.pulls.readersOf(entry.name, entry.version)?.holder;
    const plan = runner.pulls.planner.plan(current, stuckOn);
    if (plan.holders.length === 0) throw readFailure(entry.name, undefined);
    const waitMs = runner.pulls.planner.openTimeoutMs * MAX_HOLDERS_PER_PULL;
    return this.#direct.stream({ name: entry.name, plan, range, clock, waitMs, signal });
  }
}
