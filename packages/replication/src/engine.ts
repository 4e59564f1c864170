/**
 * The replication engine: implements `FileService` on a local `BlobStore`, the persisted
 * `FileIndex`, and a `Transport` to peers, and composes the parts below. See index.ts for the
 * protocol overview and the package README for the map of files.
 *
 * Invariants:
 * - The index holds, per name, the newest version this node has seen (LWW, merge.ts). It changes
 *   only through `EffectRunner` (a `write` effect, or a tombstone's expiry), which also keeps the
 *   anti-entropy digests and the list order in step (`IndexViews`).
 * - What an incoming entry, push, claim or pull completion means is decided by the pure rules of
 *   decide.ts on the index's working view; `EffectRunner` applies the effects.
 * - Nothing leaves this node before it is durable: reads, lists, lookups, digests, announcements,
 *   holder waiters and served bodies use the index's durable view (`committed`); only the next
 *   mutation is decided on its working view (`get`). An index write that fails is undone there and
 *   its mutation rejected, so it is never announced or acknowledged.
 * - `entry.local` is true only once the store holds that version's verified bytes; `entry.holders`
 *   lists *other* nodes that announced holding them. On the wire a node adds itself when local.
 * - Bytes of a superseded version are deleted only after the newer entry is durable in the index.
 */
import type { Readable } from 'node:stream';
import type { Clock, PeerInfo, Random, Timer, Transport } from '@dfs/transport';
import type { ByteRange, FileInfo, FileService, ListOptions, PutOptions } from './file-service.js';
import { nameProblem } from '@dfs/api';
import type { BlobStore } from './blob-store.js';
import { resolveConfig } from './config.js';
import type { ReplicationConfig } from './config.js';
import { assembleEngine } from './engine-parts.js';
import type { EngineParts } from './engine-parts.js';
import { ReplicationError, errorCode } from './errors.js';
import type { FileIndex, IndexEntry } from './file-index.js';
import { openIndexAndBodies } from './index-open.js';
import type { IndexFs } from './index-fs.js';
import type { PlacementView } from './placement-view.js';
import { silentLogger } from './lifecycle.js';
import type { ReplicationLogger } from './lifecycle.js';
import type { UnclaimedBodies } from './unclaimed-bodies.js';
import { findEntry, lookupFromPeers } from './lookup.js';
import type { ReplicationStats } from './stats.js';
import { snapshotStats } from './stats-snapshot.js';
import { expireTombstones } from './tombstone-expiry.js';
import type { FileEventListener } from './file-events.js';

export type { ReplicationLogger } from './lifecycle.js';

export interface ReplicatedFileServiceOptions {
  nodeId: string;
  /** Where the index log lives (beside the store). */
  dataDir: string;
  store: BlobStore;
  transport: Transport;
  /** Live peers right now (from membership); this node may be included, it is skipped. */
  peers: () => PeerInfo[];
  /**
   * Every member id this node knows, in any state (alive, suspect, dead until reaped). Holders in
   * peers' entries must be one of them. Default: the ids of `peers()`.
   */
  members?: () => Iterable<string>;
  clock: Clock;
  random: Random;
  config?: Partial<ReplicationConfig>;
  logger?: ReplicationLogger;
  /** Index fsync policy; `'never'` only for tests and benchmarks. Default `'always'`. */
  indexFsync?: 'always' | 'never';
  /** The filesystem under the index log. Default `nodeIndexFs`; the simulator injects faults. */
  indexFs?: IndexFs;
  /**
   * Which nodes should hold each file (issue 12: `ClusterPlacement`). Default: every live node
   * holds every file.
   */
  placement?: PlacementView;
}

export class ReplicationEngine implements FileService {
  readonly nodeId: string;
  readonly config: ReplicationConfig;
  readonly #peers: () => PeerInfo[];
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #log: ReplicationLogger;
  readonly #index: FileIndex;
  readonly #unclaimed: UnclaimedBodies;
  readonly #parts: EngineParts;
  readonly #placement: PlacementView | undefined;
  #timers: Timer[] = [];
  #stopWatchingPlacement: (() => void) | undefined;
  /** The live peer ids at the last housekeeping round: a change lets failed pulls retry at once. */
  #liveSignature = '';

  private constructor(
    options: ReplicatedFileServiceOptions,
    index: FileIndex,
    unclaimed: UnclaimedBodies,
  ) {
    this.nodeId = options.nodeId;
    this.config = resolveConfig(options.config);
    this.#peers = options.peers;
    this.#transport = options.transport;
    this.#clock = options.clock;
    this.#log = options.logger ?? silentLogger;
    this.#index = index;
    this.#unclaimed = unclaimed;
    this.#placement = options.placement;
    const peers = options.peers;
    this.#parts = assembleEngine(
      {
        nodeId: options.nodeId,
        config: this.config,
        index,
        store: options.store,
        transport: options.transport,
        clock: options.clock,
        random: options.random,
        log: this.#log,
        livePeers: () => this.#livePeers(),
        members: options.members ?? (() => peers().map((p) => p.id)),
        placement: options.placement,
      },
      unclaimed,
    );
  }

  static async open(options: ReplicatedFileServiceOptions): Promise<ReplicationEngine> {
    const { index, unclaimed, sorted } = await openIndexAndBodies({
      nodeId: options.nodeId,
      dir: options.dataDir,
      fsync: options.indexFsync,
      fs: options.indexFs,
      store: options.store,
      clock: options.clock,
      unclaimedBodyTimeoutMs: resolveConfig(options.config).unclaimedBodyTimeoutMs,
      log: options.logger ?? silentLogger,
    });
    const engine = new ReplicationEngine(options, index, unclaimed);
    const { counters } = engine.#parts;
    counters.bodiesSalvaged += sorted.salvaged;
    counters.bodiesQuarantined += sorted.quarantined;
    counters.supersededBodiesRemoved += sorted.superseded;
    return engine;
  }

  /** Registers the peer protocols and starts anti-entropy, scrubbing and pending pulls. */
  start(): void {
    const { lifecycle, handlers, antiEntropy, scrubber, runner, resync } = this.#parts;
    lifecycle.start();
    handlers.register();
    this.#parts.deletes.register();
    if (resync !== undefined) {
      resync.register();
      this.#stopWatchingPlacement = this.#placement?.onChange(() => {
        runner.pulls.resetBackoff();
        this.#resyncNow();
      });
    }
    antiEntropy.start();
    this.#timers.push(
      this.#clock.setInterval(() => this.#housekeeping(), this.config.antiEntropyIntervalMs),
      this.#clock.setInterval(
        () => lifecycle.inBackground(scrubber.step()),
        this.config.scrubIntervalMs,
      ),
    );
    runner.pulls.pullMissing();
  }

  /** Stops timers and handlers, aborts transfers, flushes and closes the index. Idempotent. */
  async stop(): Promise<void> {
    const { lifecycle, handlers, antiEntropy, waiters, announcer, runner, reads, resync } =
      this.#parts;
    if (!lifecycle.stop()) return;
    for (const timer of this.#timers) timer.cancel();
    this.#timers = [];
    this.#stopWatchingPlacement?.();
    handlers.unregister();
    this.#parts.deletes.unregister();
    resync?.unregister();
    await antiEntropy.stop();
    waiters.cancelAll();
    announcer.stop();
    await Promise.all([runner.pulls.stop(), reads.stop()]);
    await lifecycle.backgroundSettled();
    await this.#index.close();
  }

  stats(): ReplicationStats {
    const { counters, runner, antiEntropy, resync } = this.#parts;
    return snapshotStats({
      counters,
      pulls: runner.pulls,
      index: this.#index,
      antiEntropy,
      placement: resync?.gauges,
    });
  }

  /**
   * Calls `listener` after each durable change of a name on this node: a new version or a delete
   * learned (locally or from a peer), this node's copy stored or dropped (file-events.ts). Returns
   * the function that stops it. Listeners run synchronously on the write path: keep them cheap.
   */
  watchFiles(listener: FileEventListener): () => void {
    return this.#parts.events.watch(listener);
  }

  // ---------------------------------------------------------------- FileService

  async put(name: string, body: Readable, options?: PutOptions): Promise<FileInfo> {
    this.#assertRunning();
    assertName(name);
    return this.#parts.writes.put(name, body, options);
  }

  waitForHolders(
    name: string,
    version: string,
    count: number,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<boolean> {
    const { lifecycle, views, waiters } = this.#parts;
    if (!lifecycle.running) {
      const entry = this.#index.committed(name);
      return Promise.resolve(
        entry !== undefined && entry.version === version && views.holderCount(entry) >= count,
      );
    }
    return waiters.wait(name, version, count, options);
  }

  async stat(name: string, options?: { signal?: AbortSignal }): Promise<FileInfo | undefined> {
    assertName(name);
    const entry = await this.#find(name, options?.signal);
    return entry === undefined || entry.deleted ? undefined : this.#parts.views.info(entry);
  }

  async read(
    name: string,
    options?: { range?: ByteRange; signal?: AbortSignal },
  ): Promise<{ info: FileInfo; stream: Readable }> {
    this.#assertRunning();
    assertName(name);
    const { reads, views } = this.#parts;
    const entry = await this.#find(name, options?.signal);
    if (entry === undefined || entry.deleted) {
      throw new ReplicationError('ERR_NOT_FOUND', `no live node has ${JSON.stringify(name)}`);
    }
    const range = options?.range;
    if (range !== undefined) assertRange(range, entry.size);
    if (entry.local) {
      const local = await reads.readLocal(entry, range, options?.signal);
      if (local !== undefined) return { info: views.info(entry), stream: local };
    }
    // A body placement wants here is pulled (the reader rides on it); any other is proxied.
    const stream = this.#parts.wantedHere(name)
      ? await reads.readRemote(entry, range, options?.signal)
      : await reads.readProxied(entry, range, options?.signal);
    // Describe the version being streamed: a newer write or a delete may have landed meanwhile
    // (found by sim:faults, seed 55 with crashes: a tombstone's info beside the old bytes).
    const latest = this.#index.committed(name);
    return { info: views.info(latest?.version === entry.version ? latest : entry), stream };
  }

  /**
   * Writes a tombstone; false when the name is unknown or already deleted. With `w` > 1, resolves
   * only once `w` of the nodes placement wants the file on applied it durably, and otherwise
   * rejects with ERR_TIMEOUT after `timeoutMs` (default `lookupTimeoutMs`): the delete stands.
   */
  async delete(
    name: string,
    options?: { signal?: AbortSignal; w?: number; timeoutMs?: number },
  ): Promise<boolean> {
    this.#assertRunning();
    assertName(name);
    const current = await this.#find(name, options?.signal);
    if (current === undefined || current.deleted) return false;
    const tombstone = await this.#parts.writes.delete(current);
    const w = options?.w ?? 1;
    if (w > 1) {
      const timeoutMs = options?.timeoutMs ?? this.config.lookupTimeoutMs;
      const applied = await this.#parts.deletes.confirm(tombstone, w, {
        timeoutMs,
        signal: options?.signal,
      });
      if (applied < w) {
        throw new ReplicationError(
          'ERR_TIMEOUT',
          `deleted on this node, but only ${applied} of ${w} nodes applied it within ${timeoutMs} ms; the delete stands`,
        );
      }
    }
    return true;
  }

  async list(options: ListOptions): Promise<{ files: FileInfo[]; next?: string }> {
    const { views } = this.#parts;
    const page = views.order.page(options);
    const files: FileInfo[] = [];
    for (const name of page.names) {
      const entry = this.#index.committed(name);
      if (entry !== undefined && !entry.deleted) files.push(views.info(entry));
    }
    return page.next === undefined ? { files } : { files, next: page.next };
  }

  localStats(): { files: number; bytes: number } {
    let files = 0;
    let bytes = 0;
    for (const entry of this.#index.committedEntries()) {
      if (entry.local && !entry.deleted) {
        files++;
        bytes += entry.size;
      }
    }
    return { files, bytes };
  }

  /**
   * What this node's index says about `name` right now, tombstones included, without asking peers
   * (synchronous: for tests, the simulator and diagnostics).
   */
  describe(
    name: string,
  ):
    | { version: string; deleted: boolean; local: boolean; sha256: string; holders: number }
    | undefined {
    const entry = this.#index.committed(name);
    if (entry === undefined) return undefined;
    return {
      version: entry.version,
      deleted: entry.deleted,
      local: entry.local,
      sha256: entry.sha256,
      holders: this.#parts.views.holderCount(entry),
    };
  }

  /** One anti-entropy round with `peer` now (tests, and an immediate sync after joining). */
  async syncWith(peer: PeerInfo): Promise<void> {
    try {
      await this.#parts.antiEntropy.syncWith(peer);
    } catch (error) {
      this.#log.debug({ peer: peer.id, code: errorCode(error) }, 'anti-entropy round failed');
    }
  }

  /** Runs one scrub step now (tests and operators); resolves when it finished. */
  scrubNow(): Promise<void> {
    return this.#parts.scrubber.step();
  }

  /**
   * Stops keeping this node's copy of `name`'s current version (a surplus copy; what the resync
   * loop drops): its holder slot, announced, says it no longer holds it, then the bytes are deleted.
   * Nothing re-pulls it by this call. False when this node holds no copy of it.
   */
  async dropLocalCopy(name: string): Promise<boolean> {
    const entry = this.#index.committed(name);
    return entry !== undefined && (await this.#parts.runner.dropCopy(entry));
  }

  // ---------------------------------------------------------------- internals

  /** Periodic upkeep beside anti-entropy: expire tombstones, retry missing bodies, recheck waiters. */
  #housekeeping(): void {
    const { lifecycle, views, runner, waiters, counters } = this.#parts;
    if (!lifecycle.running) return;
    const now = this.#clock.now();
    expireTombstones({
      index: this.#index,
      views,
      lifecycle,
      now,
      ttlMs: this.config.tombstoneTtlMs,
    });
    const signature = this.#livePeers()
      .map((p) => p.id)
      .sort()
      .join('\n');
    if (signature !== this.#liveSignature) runner.pulls.resetBackoff();
    this.#liveSignature = signature;
    // With placement the resync scan also schedules the pulls placement wants here.
    const { resync } = this.#parts;
    if (resync === undefined) runner.pulls.pullMissing();
    else {
      const scan = resync.scanIfDue();
      if (scan !== undefined) lifecycle.inBackground(scan);
    }
    waiters.check();
    lifecycle.inBackground(
      this.#unclaimed.sweep().then((removed) => {
        counters.unclaimedBodiesRemoved += removed;
        if (removed > 0)
          this.#log.info({ removed }, 'removed stored bodies nothing claimed in time');
      }),
    );
  }

  /** The local entry, or on a miss the newest entry any live peer knows (adopted locally). */
  #find(name: string, signal?: AbortSignal): Promise<IndexEntry | undefined> {
    const { lifecycle, guard, counters, handlers } = this.#parts;
    return findEntry({
      index: this.#index,
      name,
      running: lifecycle.running,
      signal,
      ask: (missing, askSignal) =>
        lookupFromPeers({
          transport: this.#transport,
          peers: this.#askedOnMiss(missing),
          name: missing,
          timeoutMs: this.config.lookupTimeoutMs,
          signal: askSignal,
          admit: (entry, peer) => guard.admit([entry], peer)[0],
          onInvalid: () => {
            counters.invalidMessages++;
          },
        }),
      apply: (entry) => handlers.applyAdmitted(entry),
    });
  }

  /**
   * Whom a miss asks: every live peer, or with placement only the name's live targets (every node
   * holds all metadata, so a miss is a 404 unless this node is behind; its targets learned of any
   * write first). At 100 nodes that is 3 requests per miss instead of 99.
   */
  #askedOnMiss(name: string): PeerInfo[] {
    const live = this.#livePeers();
    if (this.#placement === undefined) return live;
    const targets = this.#placement.holders(name);
    return live.filter((p) => targets.includes(p.id));
  }

  /** A resync scan in the background (placement changed, or a housekeeping round). */
  #resyncNow(): void {
    const { lifecycle, resync } = this.#parts;
    if (resync !== undefined && lifecycle.running) lifecycle.inBackground(resync.requestScan());
  }

  /** Runs resync scans until none is pending (tests and the simulator). */
  async resyncNow(): Promise<void> {
    await this.#parts.resync?.requestScan();
  }

  #livePeers(): PeerInfo[] {
    return this.#peers().filter((p) => p.id !== this.nodeId);
  }

  #assertRunning(): void {
    if (!this.#parts.lifecycle.running) {
      throw new ReplicationError('ERR_UNAVAILABLE', 'the replication engine is not running');
    }
  }
}

function assertName(name: string): void {
  const problem = nameProblem(name);
  if (problem !== undefined) throw new ReplicationError('ERR_INVALID_NAME', problem);
}

function assertRange(range: ByteRange, size: number): void {
  const ok =
    Number.isInteger(range.start) &&
    Number.isInteger(range.end) &&
    range.start >= 0 &&
    range.start <= range.end &&
    range.end < size;
  if (!ok) {
    throw new ReplicationError(
      'ERR_RANGE',
      `range ${range.start}-${range.end} is not satisfiable for ${size} bytes`,
    );
  }
}
