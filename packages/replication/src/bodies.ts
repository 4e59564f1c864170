/**
 * Everything about bodies (as opposed to index entries): pulling a version from its holders through
 * the bounded transfer queue, reading locally or through from a holder, and dropping and re-pulling
 * a copy found corrupt. The engine owns the index and calls in here; this class reaches the index
 * only through `BodyHost`.
 *
 * Invariants: at most one transfer per (name, version) is queued or running (duplicates join it);
 * a pulled body is recorded local only if its version is still the index's current one, otherwise
 * its bytes are deleted again. Every wait has a deadline: a pull gives up on a holder that misses
 * `pullOpenTimeoutMs` or `pullIdleTimeoutMs`, and a reader gets a stream or a typed error within
 * `pullOpenTimeoutMs × (MAX_HOLDERS_PER_PULL + 1)` (see `readRemote`).
 */
import type { Duplex, Readable } from 'node:stream';
import type { Clock, HandlerContext, PeerInfo, Random, Timer, Transport } from '@dfs/transport';
import type { ByteRange } from './file-service.js';
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import { countingStage, pullBody } from './body-transfer.js';
import { ReplicationError, errorCode, toReplicationError } from './errors.js';
import type { IndexEntry } from './file-index.js';
import { compareVersions, versionNodeId } from './hlc.js';
import { unionHolders } from './merge.js';
import { MAX_HOLDERS_PER_PULL, PullPlanner } from './pull-plan.js';
import { PullReaders, WaitingReader, readerStopped } from './pull-readers.js';
import type { PullEnd, ReaderResult } from './pull-readers.js';
import { DirectReads, readFailure, waitFailure } from './read-through.js';
import type { ReplicationCounters } from './stats.js';
import { TransferQueue } from './transfers.js';
import { fetchHeaderSchema } from './wire.js';

/** What the body side needs from the engine. */
export interface BodyHost {
  entry(name: string): IndexEntry | undefined;
  entries(): Iterable<IndexEntry>;
  /** Make `entry` current (see the engine's `#adopt`). */
  adopt(entry: IndexEntry, options?: { announce?: boolean; pull?: boolean }): Promise<void>;
  livePeers(): PeerInfo[];
  running(): boolean;
  /** Background work the engine's `stop()` waits for. */
  track(work: Promise<unknown>): void;
  /** Bytes of `version` are stored but no entry claims them: keep them a while, then delete. */
  holdUnclaimed(name: string, version: string): void;
  warn(object: object, message: string): void;
  debug(object: object, message: string): void;
}

export interface BodyReplicatorOptions {
  clock: Clock;
  /** See `ReplicationConfig.pushIdleTimeoutMs`, `pullOpenTimeoutMs` and `pullIdleTimeoutMs`. */
  pushIdleTimeoutMs: number;
  pullOpenTimeoutMs: number;
  pullIdleTimeoutMs: number;
  transport: Transport;
  store: BlobStore;
  random: Random;
  counters: ReplicationCounters;
  maxFileBytes: number;
  transferConcurrency: number;
}

export const transferKey = (name: string, version: string): string => `${version}\u0000${name}`;

export class BodyReplicator {
  readonly #host: BodyHost;
  readonly #store: BlobStore;
  readonly #counters: ReplicationCounters;
  readonly #maxFileBytes: number;
  readonly #transfers: TransferQueue;
  readonly #clock: Clock;
  readonly #pushIdleTimeoutMs: number;
  readonly #planner: PullPlanner;
  /** Readers riding on each queued or running pull, by transfer key. */
  readonly #readers = new Map<string, PullReaders>();
  readonly #direct = new DirectReads();

  constructor(host: BodyHost, options: BodyReplicatorOptions) {
    this.#host = host;
    this.#clock = options.clock;
    this.#pushIdleTimeoutMs = options.pushIdleTimeoutMs;
    this.#store = options.store;
    this.#planner = new PullPlanner({
      transport: options.transport,
      clock: options.clock,
      random: options.random,
      counters: options.counters,
      openTimeoutMs: options.pullOpenTimeoutMs,
      idleTimeoutMs: options.pullIdleTimeoutMs,
      livePeers: () => host.livePeers(),
      warn: (object, message) => host.warn(object, message),
      debug: (object, message) => host.debug(object, message),
    });
    this.#counters = options.counters;
    this.#maxFileBytes = options.maxFileBytes;
    this.#transfers = new TransferQueue({ concurrency: options.transferConcurrency });
  }

  get activeTransfers(): number {
    return this.#transfers.active;
  }

  get queuedTransfers(): number {
    return this.#transfers.queued;
  }

  /** Aborts the transfer of a superseded version. */
  cancel(name: string, version: string): void {
    this.#transfers.cancel(transferKey(name, version));
  }

  /** Aborts every transfer and reader's pull and waits until none runs. */
  async stop(): Promise<void> {
    await Promise.all([this.#transfers.stop(), this.#direct.stop()]);
  }

  schedulePull(entry: IndexEntry): void {
    if (!this.#host.running()) return;
    const key = transferKey(entry.name, entry.version);
    if (this.#transfers.get(key) !== undefined) return;
    this.#startPull(entry, { forReader: false });
  }

  /** Queues (or, for a reader, starts at once) a pull of `entry`; readers can ride on it. */
  #startPull(entry: IndexEntry, options: { forReader: boolean }): PullReaders {
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

  /** Pulls `entry`'s body from a holder (teeing it to any `readers`) and records it. */
  async #pull(entry: IndexEntry, signal: AbortSignal, readers: PullReaders): Promise<boolean> {
    const current = this.#host.entry(entry.name);
    if (current === undefined || current.version !== entry.version || current.local) {
      return current?.local === true && current.version === entry.version;
    }
    if (current.size > this.#maxFileBytes) return false; // larger than this node accepts
    // The bytes may already be here: pushed during the upload, or stored just before a crash.
    const have = await this.#store.stat(blobKey(entry.name, entry.version)).catch(() => undefined);
    if (have !== undefined) {
      const claimed = await this.#claim(entry.name, entry.version, have, undefined);
      if (claimed) return true;
    }
    const request = this.#planner.plan(current);
    if (request.holders.length === 0) return false;
    this.#counters.transfersStarted++;
    const outcome = await pullBody({ ...request, store: this.#store, readers, signal });
    if (!outcome.ok) {
      this.#counters.transfersFailed++;
      if (outcome.integrity) this.#counters.integrityFailures++;
      readers.failure = outcome.error;
      this.#host.debug({ name: entry.name, code: errorCode(outcome.error) }, 'pull failed');
      return false;
    }
    this.#planner.succeeded(outcome.from);
    this.#counters.transfersCompleted++;
    const latest = this.#host.entry(entry.name);
    if (latest === undefined || latest.version !== entry.version || !this.#host.running()) {
      await this.#store.delete(blobKey(entry.name, entry.version)).catch(() => false);
      return false;
    }
    await this.#adoptStored({
      ...latest,
      local: true,
      holders: unionHolders(latest.holders, [outcome.from.id]),
    });
    return true;
  }

  /** Records stored bytes as local; if the index write fails, the bytes are held as unclaimed. */
  async #adoptStored(entry: IndexEntry): Promise<void> {
    try {
      await this.#host.adopt(entry);
    } catch (error) {
      this.#host.holdUnclaimed(entry.name, entry.version);
      throw error;
    }
  }

  /**
   * Receives a push (see push.ts): stores the bytes as they arrive, then claims them if the entry is
   * known by then; otherwise the blob waits for the entry's arrival (`#pull` finds it by `stat`).
   */
  receivePush(stream: Duplex, header: unknown, context: HandlerContext): void {
    stream.on('error', () => undefined);
    const parsed = fetchHeaderSchema.safeParse(header);
    if (!parsed.success || versionNodeId(parsed.data.version) !== context.peer.id) {
      this.#counters.invalidMessages++;
      stream.destroy();
      return;
    }
    const { name, version } = parsed.data;
    const current = this.#host.entry(name);
    const key = transferKey(name, version);
    const unwanted =
      !this.#host.running() ||
      this.#transfers.get(key) !== undefined ||
      (current !== undefined &&
        (compareVersions(current.version, version) > 0 ||
          (current.version === version && current.local)));
    if (unwanted) {
      stream.destroy();
      return;
    }
    const origin = context.peer;
    this.#transfers
      .run(
        key,
        async (signal) => {
          this.#counters.pushesReceived++;
          let idle: Timer | undefined;
          const armIdle = (): void => {
            idle?.cancel();
            idle = this.#clock.setTimeout(() => {
              stream.destroy(new ReplicationError('ERR_TIMEOUT', 'push stalled'));
            }, this.#pushIdleTimeoutMs);
          };
          armIdle();
          const counted = countingStage((n) => {
            this.#counters.bytesPushedIn += n;
            armIdle();
          });
          // The store may not be reading yet when the origin resets the push; it still sees the
          // error when it starts (a destroyed stream's iterator throws it). Never uncaught.
          counted.on('error', () => undefined);
          stream.on('error', (error) => counted.destroy(error));
          stream.pipe(counted);
          let stored: { size: number; sha256: string };
          try {
            stored = await this.#store.put(blobKey(name, version), counted, {
              maxBytes: this.#maxFileBytes,
              signal,
              metadata: { name, version, origin: 'push' },
            });
          } finally {
            idle?.cancel();
            stream.end();
          }
          const claimed = await this.#claim(name, version, stored, origin);
          // No entry yet (or never: the origin's put failed): a later announcement may claim it.
          if (!claimed) this.#host.holdUnclaimed(name, version);
          return claimed;
        },
        { immediate: true },
      )
      .catch(() => false)
      .then((claimed) => {
        // A failed or unclaimable push: if the entry is known by now, pull it without waiting for
        // the next housekeeping round.
        const latest = this.#host.entry(name);
        if (!claimed && latest?.version === version && !latest.local && !latest.deleted) {
          this.schedulePull(latest);
        }
      });
  }

  /**
   * Records bytes already in the store as this node's copy of `version`, if the index's entry for
   * it is known and its sha256 and size match. Superseded or mismatching bytes are deleted.
   */
  async #claim(
    name: string,
    version: string,
    stored: { size: number; sha256: string },
    from: PeerInfo | undefined,
  ): Promise<boolean> {
    const latest = this.#host.entry(name);
    if (latest === undefined || compareVersions(latest.version, version) < 0) return false;
    if (latest.version === version && latest.local) return true;
    const matches =
      latest.version === version &&
      !latest.deleted &&
      latest.sha256 === stored.sha256 &&
      latest.size === stored.size;
    if (!matches) {
      await this.#store.delete(blobKey(name, version)).catch(() => false);
      return false;
    }
    this.#counters.transfersAvoided++;
    await this.#adoptStored({
      ...latest,
      local: true,
      holders: from === undefined ? latest.holders : unionHolders(latest.holders, [from.id]),
    });
    return true;
  }

  async readLocal(
    entry: IndexEntry,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Readable | undefined> {
    let stream: Readable;
    try {
      stream = await this.#store.get(blobKey(entry.name, entry.version), { range, signal });
    } catch (error) {
      if (errorCode(error) === 'ERR_NOT_FOUND' || errorCode(error) === 'ERR_INTEGRITY') {
        await this.markCorrupt(entry);
        return undefined;
      }
      throw toReplicationError(error);
    }
    stream.on('error', (error) => {
      if (errorCode(error) === 'ERR_INTEGRITY') this.#host.track(this.markCorrupt(entry));
    });
    return stream;
  }

  /**
   * A read of a version not held here. The reader rides on the pull of it (started at once if none
   * is queued or running): a verified stream once a holder starts sending, or the stored copy if the
   * pull finished first. A reader that missed the pull's first byte waits `pullOpenTimeoutMs` for it
   * to finish, then streams a copy of its own (`DirectReads`).
   */
  async readRemote(
    entry: IndexEntry,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Readable> {
    if (!this.#host.running()) throw readerStopped();
    const key = transferKey(entry.name, entry.version);
    const reader = new WaitingReader(range);
    const readers = this.#readers.get(key);
    const transfer = this.#transfers.get(key);
    let late: boolean;
    if (readers !== undefined && readers.add(reader)) {
      late = readers.streaming;
      this.#transfers.promote(key);
    } else if (transfer !== undefined) {
      // A push in progress takes no readers: wait for its end (bounded like a late join).
      late = true;
      transfer.then(
        (ok) => reader.end({ ok }),
        (error: unknown) => reader.end({ ok: false, error }),
      );
    } else {
      late = false;
      this.#startPull(entry, { forReader: true }).add(reader);
    }
    const waitMs = this.#planner.openTimeoutMs * (late ? 1 : MAX_HOLDERS_PER_PULL + 1);
    const result = await reader.wait(this.#clock, waitMs, signal);
    return this.#afterWait(entry, range, signal, result, late);
  }

  async #afterWait(
    entry: IndexEntry,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
    result: ReaderResult,
    late: boolean,
  ): Promise<Readable> {
    if (result.kind === 'stream') return result.stream;
    if (result.kind === 'aborted') throw waitFailure(entry.name, result);
    if (!this.#host.running()) throw readerStopped();
    if (result.kind === 'timeout' && !late) throw waitFailure(entry.name, result);
    if (result.kind === 'ended') {
      if (!result.end.ok) throw readFailure(entry.name, result.end.error);
      const latest = this.#host.entry(entry.name) ?? entry;
      const local = latest.local ? await this.readLocal(latest, range, signal) : undefined;
      if (local !== undefined) return local;
    }
    // Still streaming without this reader, or its copy vanished: a pull for this reader alone.
    const latest = this.#host.entry(entry.name);
    const current = latest?.version === entry.version ? latest : entry;
    const stuckOn = this.#readers.get(transferKey(entry.name, entry.version))?.holder;
    const plan = this.#planner.plan(current, stuckOn);
    if (plan.holders.length === 0) throw readFailure(entry.name, undefined);
    const waitMs = this.#planner.openTimeoutMs * MAX_HOLDERS_PER_PULL;
    return this.#direct.stream({
      name: entry.name,
      plan,
      range,
      clock: this.#clock,
      waitMs,
      signal,
    });
  }

  /** Our copy of `entry` is corrupt or missing: forget it, delete it, and pull a healthy one. */
  async markCorrupt(entry: IndexEntry): Promise<void> {
    const current = this.#host.entry(entry.name);
    if (current === undefined || current.version !== entry.version || !current.local) return;
    // Forget the copy first (synchronously) so nothing serves it, then delete it, then re-pull:
    // deleting after the pull started could remove the repaired bytes.
    const forgotten = this.#host.adopt(
      { ...current, local: false },
      { announce: false, pull: false },
    );
    this.#counters.corruptDetected++;
    this.#host.warn({ name: entry.name, version: entry.version }, 'corrupt local copy; repairing');
    await forgotten;
    await this.#store.delete(blobKey(entry.name, entry.version)).catch(() => false);
    const latest = this.#host.entry(entry.name);
    if (latest !== undefined && !latest.deleted && !latest.local) this.schedulePull(latest);
  }

  /** Schedules a pull for every live entry we do not hold (after restart, failures, repairs). */
  pullMissing(): void {
    for (const entry of this.#host.entries()) {
      if (!entry.deleted && !entry.local) this.schedulePull(entry);
    }
  }
}
