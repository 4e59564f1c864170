/**
 * The replication engine: implements `FileService` on a local `BlobStore`, the persisted
 * `FileIndex`, and a `Transport` to peers. See index.ts for the protocol overview.
 *
 * Invariants:
 * - The index holds, per name, the newest version this node has seen (LWW, merge.ts). It changes
 *   only through `#adopt`, which also keeps the anti-entropy digests and the list order in step.
 * - `entry.local` is true only once the store holds that version's verified bytes; `entry.holders`
 *   lists *other* nodes that announced holding them. On the wire a node adds itself when local.
 * - Bytes of a superseded version are deleted only after the newer entry is durable in the index.
 */
import type { Duplex, Readable } from 'node:stream';
import { AntiEntropy } from '@dfs/gossip';
import type { Clock, HandlerContext, PeerInfo, Random, Timer, Transport } from '@dfs/transport';
import { sample } from '@dfs/transport';
import type { ByteRange, FileInfo, FileService, ListOptions, PutOptions } from './file-service.js';
import { nameProblem } from './names.js';
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import { serveBody } from './body-transfer.js';
import { resolveConfig } from './config.js';
import type { ReplicationConfig } from './config.js';
import { ReplicationError, errorCode, toReplicationError } from './errors.js';
import { FileIndex } from './file-index.js';
import type { IndexEntry } from './file-index.js';
import type { IndexFs } from './index-fs.js';
import { IndexReconciler } from './index-reconciler.js';
import { HybridLogicalClock, compareVersions, versionWallTime } from './hlc.js';
import { Announcer } from './announcer.js';
import { BodyReplicator } from './bodies.js';
import { HolderWaiters } from './holder-waiters.js';
import { ListOrder } from './list-order.js';
import { removeOrphanBlobs } from './orphans.js';
import { openPushes, teeUpload } from './push.js';
import { lookupFromPeers } from './lookup.js';
import { nextScrubBatch } from './scrub-order.js';
import { classifyIncoming, mergeEntries, normaliseHolders, unionHolders } from './merge.js';
import type { ReplicatedEntry } from './merge.js';
import { ReplicationCounters } from './stats.js';
import type { ReplicationStats } from './stats.js';
import { PROTOCOLS, announceSchema, lookupRequestSchema, toWire } from './wire.js';

/** The subset of a pino logger the engine uses. */
export interface ReplicationLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

const silentLogger: ReplicationLogger = { debug() {}, info() {}, warn() {} };

export interface ReplicatedFileServiceOptions {
  nodeId: string;
  /** Where the index log lives (beside the store). */
  dataDir: string;
  store: BlobStore;
  transport: Transport;
  /** Live peers right now (from membership); this node may be included, it is skipped. */
  peers: () => PeerInfo[];
  clock: Clock;
  random: Random;
  config?: Partial<ReplicationConfig>;
  logger?: ReplicationLogger;
  /** Index fsync policy; `'never'` only for tests and benchmarks. Default `'always'`. */
  indexFsync?: 'always' | 'never';
  /** The filesystem the index log lives on; default the real one (`nodeIndexFs`). */
  fs?: IndexFs;
}

export class ReplicationEngine implements FileService {
  readonly nodeId: string;
  readonly config: ReplicationConfig;
  readonly #store: BlobStore;
  readonly #transport: Transport;
  readonly #peers: () => PeerInfo[];
  readonly #clock: Clock;
  readonly #log: ReplicationLogger;
  readonly #random: Random;
  readonly #index: FileIndex;
  readonly #hlc: HybridLogicalClock;
  readonly #reconciler: IndexReconciler;
  readonly #antiEntropy: AntiEntropy;
  readonly #order = new ListOrder();
  readonly #bodies: BodyReplicator;
  readonly #counters = new ReplicationCounters();
  readonly #waiters: HolderWaiters;
  readonly #announcer: Announcer;
  #timers: Timer[] = [];
  #scrubCursor: string | undefined;
  #state: 'created' | 'running' | 'stopped' = 'created';
  /** Background work (announce sends, sync rounds) that `stop()` waits for. */
  readonly #background = new Set<Promise<unknown>>();

  private constructor(options: ReplicatedFileServiceOptions, index: FileIndex) {
    this.nodeId = options.nodeId;
    this.config = resolveConfig(options.config);
    this.#store = options.store;
    this.#transport = options.transport;
    this.#peers = options.peers;
    this.#clock = options.clock;
    this.#log = options.logger ?? silentLogger;
    this.#random = options.random;
    this.#index = index;
    this.#hlc = new HybridLogicalClock({
      clock: options.clock,
      nodeId: options.nodeId,
      highWater: index.highWater,
    });
    this.#bodies = new BodyReplicator(
      {
        entry: (name) => this.#index.get(name),
        entries: () => this.#index.entries(),
        adopt: (entry, adoptOptions) => this.#adopt(entry, adoptOptions),
        livePeers: () => this.#livePeers(),
        running: () => this.#state === 'running',
        track: (work) => this.#track_(work),
        warn: (object, message) => this.#log.warn(object, message),
        debug: (object, message) => this.#log.debug(object, message),
      },
      {
        transport: options.transport,
        store: options.store,
        random: options.random,
        counters: this.#counters,
        clock: options.clock,
        pushIdleTimeoutMs: this.config.pushIdleTimeoutMs,
        maxFileBytes: this.config.maxFileBytes,
        transferConcurrency: this.config.transferConcurrency,
      },
    );
    this.#announcer = new Announcer({
      transport: options.transport,
      clock: options.clock,
      random: options.random,
      fanout: this.config.fanout,
      batchMs: this.config.gossipIntervalMs,
      peers: () => this.#livePeers(),
      wireEntry: (name) => {
        const entry = this.#index.get(name);
        return entry === undefined ? undefined : this.#toWire(entry);
      },
      counters: this.#counters,
      onSendFailure: (peer, code) =>
        this.#log.debug({ peer: peer.id, code }, 'announcement not sent'),
      track: (work) => this.#track_(work),
    });
    this.#waiters = new HolderWaiters(options.clock, (name) => {
      const entry = this.#index.get(name);
      return entry === undefined
        ? undefined
        : { version: entry.version, holders: this.#holderCount(entry) };
    });
    this.#reconciler = new IndexReconciler({
      wireEntry: (name) => {
        const entry = this.#index.get(name);
        return entry === undefined ? undefined : this.#toWire(entry);
      },
      apply: (entries) => this.#applyAll(entries),
      invalid: (from) => {
        this.#counters.invalidMessages++;
        this.#log.warn({ peer: from.id }, 'invalid anti-entropy entry dropped');
      },
    });
    this.#antiEntropy = new AntiEntropy({
      transport: options.transport,
      peers: () => this.#livePeers(),
      reconciler: this.#reconciler,
      name: 'dfs-files',
      clock: options.clock,
      random: options.random,
      intervalMs: this.config.antiEntropyIntervalMs,
    });
    for (const entry of index.entries()) this.#track(undefined, entry);
  }

  static async open(options: ReplicatedFileServiceOptions): Promise<ReplicationEngine> {
    const index = await FileIndex.open({
      dir: options.dataDir,
      fsync: options.indexFsync,
      fs: options.fs,
    });
    const orphans = await removeOrphanBlobs(options.store, index.entries());
    if (orphans > 0) options.logger?.info({ orphans }, 'removed bodies no index entry refers to');
    return new ReplicationEngine(options, index);
  }

  /** Registers the peer protocols and starts anti-entropy, scrubbing and pending pulls. */
  start(): void {
    if (this.#state !== 'created') throw new Error('replication engine already started');
    this.#state = 'running';
    const t = this.#transport;
    t.handle(PROTOCOLS.announce, (message, context) => this.#onAnnounce(message, context));
    t.handle(PROTOCOLS.lookup, (message) => this.#onLookup(message));
    t.handleStream(PROTOCOLS.fetch, (stream, header, context) =>
      this.#serveFetch(stream, header, context),
    );
    t.handleStream(PROTOCOLS.push, (stream, header, context) =>
      this.#bodies.receivePush(stream, header, context),
    );
    this.#antiEntropy.start();
    this.#timers.push(
      this.#clock.setInterval(() => this.#housekeeping(), this.config.antiEntropyIntervalMs),
      this.#clock.setInterval(() => this.#track_(this.#scrubTick()), this.config.scrubIntervalMs),
    );
    this.#bodies.pullMissing();
  }

  /** Stops timers and handlers, aborts transfers, flushes and closes the index. Idempotent. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    for (const timer of this.#timers) timer.cancel();
    this.#timers = [];
    for (const protocol of [
      PROTOCOLS.announce,
      PROTOCOLS.lookup,
      PROTOCOLS.fetch,
      PROTOCOLS.push,
    ]) {
      this.#transport.unhandle(protocol);
    }
    await this.#antiEntropy.stop();
    this.#waiters.cancelAll();
    this.#announcer.stop();
    await this.#bodies.stop();
    await Promise.allSettled([...this.#background]);
    await this.#index.close();
  }

  stats(): ReplicationStats {
    const antiEntropy = this.#antiEntropy.stats();
    const snapshot = this.#counters.snapshot({
      activeTransfers: this.#bodies.activeTransfers,
      queuedTransfers: this.#bodies.queuedTransfers,
      indexEntries: this.#index.size,
    });
    // Rounds run by AntiEntropy's own timer and by syncWith() are both counted there.
    snapshot.antiEntropyRounds = antiEntropy.rounds;
    snapshot.antiEntropyFailures = antiEntropy.failedRounds;
    snapshot.invalidMessages += antiEntropy.invalidMessages;
    return snapshot;
  }

  // ---------------------------------------------------------------- FileService

  async put(name: string, body: Readable, options?: PutOptions): Promise<FileInfo> {
    this.#assertRunning();
    assertName(name);
    const current = this.#index.get(name);
    if (current !== undefined) this.#hlc.observeVersion(current.version);
    const version = this.#hlc.nextVersion();
    const key = blobKey(name, version);
    const maxBytes = Math.min(options?.maxBytes ?? Infinity, this.config.maxFileBytes);
    // Opening pushes takes a round trip before the store consumes `body`: an upload that fails in
    // that gap must not become an uncaught 'error' (the store still sees it when it starts reading).
    body.on('error', () => undefined);
    const pushTargets = sample(this.#random, this.#livePeers(), this.config.pushPeers);
    const pushes =
      pushTargets.length === 0
        ? []
        : await openPushes({
            transport: this.#transport,
            peers: pushTargets,
            name,
            version,
            timeoutMs: this.config.pushOpenTimeoutMs,
            signal: options?.signal,
          });
    const tee = teeUpload(body, pushes);
    let stored: { size: number; sha256: string };
    try {
      stored = await this.#store.put(key, tee.input, { maxBytes, signal: options?.signal });
    } catch (error) {
      tee.abort();
      throw toReplicationError(error);
    }
    const entry: IndexEntry = {
      name,
      version,
      size: stored.size,
      sha256: stored.sha256,
      deleted: false,
      expiresAt: 0,
      holders: [],
      local: true,
    };
    const latest = this.#index.get(name);
    if (latest !== undefined && compareVersions(latest.version, version) > 0) {
      // A newer version arrived while we streamed: ours stands as written but has already lost.
      tee.abort();
      await this.#store.delete(key).catch(() => false);
      return this.#info({ ...entry, local: false });
    }
    try {
      await this.#adopt(entry);
    } catch (error) {
      tee.abort();
      throw error;
    }
    // Peers see a clean end only now that the version is durable here (see push.ts).
    tee.commit();
    this.#counters.localPuts++;
    return this.#info(entry);
  }

  waitForHolders(
    name: string,
    version: string,
    count: number,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<boolean> {
    if (this.#state !== 'running') {
      const entry = this.#index.get(name);
      return Promise.resolve(
        entry !== undefined && entry.version === version && this.#holderCount(entry) >= count,
      );
    }
    return this.#waiters.wait(name, version, count, options);
  }

  async stat(name: string, options?: { signal?: AbortSignal }): Promise<FileInfo | undefined> {
    assertName(name);
    const entry = await this.#find(name, options?.signal);
    return entry === undefined || entry.deleted ? undefined : this.#info(entry);
  }

  async read(
    name: string,
    options?: { range?: ByteRange; signal?: AbortSignal },
  ): Promise<{ info: FileInfo; stream: Readable }> {
    this.#assertRunning();
    assertName(name);
    const entry = await this.#find(name, options?.signal);
    if (entry === undefined || entry.deleted) {
      throw new ReplicationError('ERR_NOT_FOUND', `no live node has ${JSON.stringify(name)}`);
    }
    const range = options?.range;
    if (range !== undefined) assertRange(range, entry.size);
    if (entry.local) {
      const local = await this.#bodies.readLocal(entry, range, options?.signal);
      if (local !== undefined) return { info: this.#info(entry), stream: local };
    }
    const stream = await this.#bodies.readRemote(entry, range, options?.signal);
    return { info: this.#info(this.#index.get(name) ?? entry), stream };
  }

  async delete(name: string, options?: { signal?: AbortSignal }): Promise<boolean> {
    this.#assertRunning();
    assertName(name);
    const current = await this.#find(name, options?.signal);
    if (current === undefined || current.deleted) return false;
    this.#hlc.observeVersion(current.version);
    const version = this.#hlc.nextVersion();
    await this.#adopt({
      name,
      version,
      size: 0,
      sha256: '',
      deleted: true,
      expiresAt: versionWallTime(version) + this.config.tombstoneTtlMs,
      holders: [],
      local: false,
    });
    this.#counters.localDeletes++;
    return true;
  }

  async list(options: ListOptions): Promise<{ files: FileInfo[]; next?: string }> {
    const page = this.#order.page(options);
    const files: FileInfo[] = [];
    for (const name of page.names) {
      const entry = this.#index.get(name);
      if (entry !== undefined && !entry.deleted) files.push(this.#info(entry));
    }
    return page.next === undefined ? { files } : { files, next: page.next };
  }

  localStats(): { files: number; bytes: number } {
    let files = 0;
    let bytes = 0;
    for (const entry of this.#index.entries()) {
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
    const entry = this.#index.get(name);
    if (entry === undefined) return undefined;
    return {
      version: entry.version,
      deleted: entry.deleted,
      local: entry.local,
      sha256: entry.sha256,
      holders: this.#holderCount(entry),
    };
  }

  // ---------------------------------------------------------------- state changes

  /**
   * Makes `entry` the name's current state: durable in the index, digests and list order updated,
   * waiters woken, superseded bytes and transfers dropped, pull scheduled, announcement queued.
   */
  async #adopt(entry: IndexEntry, options?: { announce?: boolean; pull?: boolean }): Promise<void> {
    if (this.#state === 'stopped') {
      // The index is closing: nothing can be made durable any more (a put in flight fails).
      throw new ReplicationError('ERR_UNAVAILABLE', 'the replication engine is stopping');
    }
    const previous = this.#index.get(entry.name);
    const durable = this.#index.set(entry);
    this.#track(previous, entry);
    if (previous !== undefined && previous.version !== entry.version) {
      this.#bodies.cancel(previous.name, previous.version);
    }
    if (options?.announce !== false && this.#state === 'running') {
      this.#announcer.queue(entry.name);
    }
    this.#waiters.check(entry.name);
    await durable;
    if (previous !== undefined && previous.local && previous.version !== entry.version) {
      await this.#store.delete(blobKey(previous.name, previous.version)).catch(() => false);
    }
    if (!entry.deleted && !entry.local && options?.pull !== false) this.#bodies.schedulePull(entry);
  }

  #track(previous: IndexEntry | undefined, entry: IndexEntry | undefined): void {
    const name = (entry ?? previous)?.name;
    if (name === undefined) return;
    this.#reconciler.update(name, entry === undefined ? undefined : this.#toWire(entry));
    const wasLive = previous !== undefined && !previous.deleted;
    const isLive = entry !== undefined && !entry.deleted;
    if (wasLive !== isLive) {
      if (isLive) this.#order.add(name);
      else this.#order.remove(name);
    }
  }

  #wireHolders(entry: IndexEntry): string[] {
    if (entry.deleted) return [];
    return entry.local ? unionHolders(entry.holders, [this.nodeId]) : [...entry.holders];
  }

  #toWire(entry: IndexEntry): ReplicatedEntry {
    return toWire({ ...entry, holders: this.#wireHolders(entry) });
  }

  /** Merges an entry from a peer (announcement, sync or lookup). */
  async #applyIncoming(incoming: ReplicatedEntry): Promise<void> {
    this.#hlc.observeVersion(incoming.version);
    const remote: ReplicatedEntry = {
      ...incoming,
      holders: incoming.deleted
        ? []
        : normaliseHolders(incoming.holders.filter((h) => h !== this.nodeId)),
    };
    const current = this.#index.get(incoming.name);
    const outcome = classifyIncoming(current, remote);
    if (outcome === 'stale') return;
    if (outcome === 'holders' && current !== undefined) {
      const merged = mergeEntries(current, remote);
      await this.#adopt({ ...merged, local: current.local });
      return;
    }
    if (remote.deleted && remote.expiresAt <= this.#clock.now() && current === undefined) {
      return; // an expired tombstone for a name we never had: nothing to remember
    }
    await this.#adopt({ ...remote, local: false });
  }

  // ---------------------------------------------------------------- announcements

  async #onAnnounce(message: unknown, context: HandlerContext): Promise<void> {
    if (this.#state !== 'running') return;
    const parsed = announceSchema.safeParse(message);
    if (!parsed.success) {
      this.#counters.invalidMessages++;
      this.#log.warn({ peer: context.peer.id }, 'invalid announcement dropped');
      return;
    }
    this.#counters.announcementsReceived++;
    this.#counters.entriesReceived += parsed.data.entries.length;
    await this.#applyAll(parsed.data.entries).catch((error: unknown) => {
      if (errorCode(error) !== 'ERR_UNAVAILABLE') throw error;
    });
  }

  /**
   * Applies entries in order. Each `#applyIncoming` changes the in-memory index synchronously before
   * its first await, so starting them all at once keeps their order while letting the index batch
   * their records into one fsync (group commit) instead of one fsync per entry.
   */
  async #applyAll(entries: readonly ReplicatedEntry[]): Promise<void> {
    await Promise.all(entries.map((entry) => this.#applyIncoming(entry)));
  }

  // ---------------------------------------------------------------- lookups (read/delete misses)

  /** The local entry, or on a miss the newest entry any live peer knows (adopted locally). */
  async #find(name: string, signal?: AbortSignal): Promise<IndexEntry | undefined> {
    const local = this.#index.get(name);
    if (local !== undefined || this.#state !== 'running') return local;
    const newest = await lookupFromPeers({
      transport: this.#transport,
      peers: this.#livePeers(),
      name,
      timeoutMs: this.config.lookupTimeoutMs,
      signal,
      onInvalid: () => {
        this.#counters.invalidMessages++;
      },
    });
    if (newest !== undefined) await this.#applyIncoming(newest);
    return this.#index.get(name);
  }

  #onLookup(message: unknown): { entry: ReplicatedEntry | null } {
    const parsed = lookupRequestSchema.safeParse(message);
    if (!parsed.success) {
      this.#counters.invalidMessages++;
      throw new ReplicationError('ERR_INVALID_NAME', 'invalid lookup request');
    }
    const entry = this.#index.get(parsed.data.name);
    return { entry: entry === undefined ? null : this.#toWire(entry) };
  }

  // ---------------------------------------------------------------- bodies

  async #serveFetch(stream: Duplex, header: unknown, context: HandlerContext): Promise<void> {
    await serveBody(stream, header, context, {
      store: this.#store,
      servable: (name, version) => {
        const entry = this.#index.get(name);
        return this.#state === 'running' && entry?.version === version && entry.local;
      },
      onInvalid: () => {
        this.#counters.invalidMessages++;
      },
      onServe: () => {
        this.#counters.servesStarted++;
      },
      onBytes: (n) => {
        this.#counters.bytesServed += n;
      },
      onDamaged: (name, version) => {
        const entry = this.#index.get(name);
        if (entry?.version === version) this.#track_(this.#bodies.markCorrupt(entry));
      },
    });
  }

  // ---------------------------------------------------------------- anti-entropy

  /** Periodic upkeep beside anti-entropy: expire tombstones, retry missing bodies, recheck waiters. */
  #housekeeping(): void {
    if (this.#state !== 'running') return;
    this.#expireTombstones();
    this.#bodies.pullMissing();
    this.#waiters.check();
  }

  /** One anti-entropy round with `peer` now (tests, and an immediate sync after joining). */
  async syncWith(peer: PeerInfo): Promise<void> {
    try {
      await this.#antiEntropy.syncWith(peer);
    } catch (error) {
      this.#log.debug({ peer: peer.id, code: errorCode(error) }, 'anti-entropy round failed');
    }
  }

  #expireTombstones(): void {
    const now = this.#clock.now();
    for (const entry of [...this.#index.entries()]) {
      if (entry.deleted && entry.expiresAt <= now) {
        this.#track(entry, undefined);
        this.#track_(this.#index.drop(entry.name));
      }
    }
  }

  // ---------------------------------------------------------------- scrub

  async #scrubTick(): Promise<void> {
    if (this.#state !== 'running') return;
    const candidates = [...this.#index.entries()]
      .filter((e) => e.local && !e.deleted)
      .map((e) => e.name)
      .sort();
    const step = nextScrubBatch(candidates, this.#scrubCursor, this.config.scrubBatch);
    this.#scrubCursor = step.cursor;
    for (const name of step.names) {
      if (this.#state !== 'running') return;
      const entry = this.#index.get(name);
      if (entry === undefined || !entry.local || entry.deleted) continue;
      this.#counters.scrubbed++;
      let healthy = true;
      try {
        await this.#store.verify(blobKey(entry.name, entry.version));
      } catch (error) {
        healthy = errorCode(error) !== 'ERR_NOT_FOUND' && errorCode(error) !== 'ERR_INTEGRITY';
      }
      if (!healthy) await this.#bodies.markCorrupt(entry);
    }
  }

  /** Runs one scrub step now (tests and operators); resolves when it finished. */
  scrubNow(): Promise<void> {
    return this.#scrubTick();
  }

  // ---------------------------------------------------------------- helpers

  #livePeers(): PeerInfo[] {
    return this.#peers().filter((p) => p.id !== this.nodeId);
  }

  #holderCount(entry: IndexEntry): number {
    if (entry.deleted) return 0;
    const live = new Set(this.#livePeers().map((p) => p.id));
    return (entry.local ? 1 : 0) + entry.holders.filter((h) => live.has(h)).length;
  }

  #info(entry: IndexEntry): FileInfo {
    return {
      name: entry.name,
      size: entry.size,
      sha256: entry.sha256,
      version: entry.version,
      modified: versionWallTime(entry.version),
      holders: this.#holderCount(entry),
    };
  }

  #assertRunning(): void {
    if (this.#state !== 'running') {
      throw new ReplicationError('ERR_UNAVAILABLE', 'the replication engine is not running');
    }
  }

  /** Keeps a background promise until it settles so `stop()` can wait for it. */
  #track_(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => {
      this.#log.warn({ err: error }, 'background replication task failed');
    });
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
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
