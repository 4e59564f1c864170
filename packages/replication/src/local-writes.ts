/**
 * This node's own writes: a put (stored while it is pushed down a chain of the nodes placement wants
 * it on, then written to the index and only then acknowledged and let commit down the chain) and a
 * delete (a tombstone).
 * Each gets a fresh version above the one it replaces (`versionAfter`). A put that lost to a newer
 * version while it streamed, or whose index write failed, is not applied and its bytes are deleted.
 */
import type { Readable } from 'node:stream';
import { canonicalFileMeta } from '@dfs/api';
import type { Clock, PeerInfo, Transport } from '@dfs/transport';
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import type { ReplicationConfig } from './config.js';
import type { EffectRunner } from './effect-runner.js';
import { toReplicationError } from './errors.js';
import type { FileInfo, PutOptions } from './file-service.js';
import type { FileIndex, IndexEntry } from './file-index.js';
import { compareVersions, decodeVersion } from './hlc.js';
import type { HybridLogicalClock } from './hlc.js';
import { tombstoneExpiry } from './incoming.js';
import type { IndexViews } from './index-views.js';
import { openPushChain, sendCommitted, teeUpload, type OpenedChain } from './push.js';
import type { ReplicationCounters } from './stats.js';

export interface LocalWritesOptions {
  /** This node: a put records its holder slot `{nodeId, 1, true}`. */
  nodeId: string;
  index: FileIndex;
  store: BlobStore;
  views: IndexViews;
  runner: EffectRunner;
  hlc: HybridLogicalClock;
  transport: Transport;
  clock: Clock;
  counters: ReplicationCounters;
  /**
   * The live peers an upload of `name` is pushed to while it streams, in chain order: the nodes
   * placement wants it on, best-ranked first; without placement, `pushPeers` live peers at random.
   */
  pushTargets: (name: string) => PeerInfo[];
  config: Pick<
    ReplicationConfig,
    'maxFileBytes' | 'pushOpenTimeoutMs' | 'tombstoneTtlMs' | 'transferConcurrency'
  >;
  /** Keeps a push that runs after its put resolved (`replicateAfterCommit`) until it settles. */
  track: (work: Promise<unknown>) => void;
}

export class LocalWrites {
  readonly #options: LocalWritesOptions;
  /** Pushes of committed bodies still running (`replicateAfterCommit`). */
  #pushingAfterCommit = 0;

  constructor(options: LocalWritesOptions) {
    this.#options = options;
  }

  async put(name: string, body: Readable, options?: PutOptions): Promise<FileInfo> {
    const { index, store, views, runner, config, counters } = this.#options;
    const version = this.#versionAfter(index.get(name));
    const key = blobKey(name, version);
    const maxBytes = Math.min(options?.maxBytes ?? Infinity, config.maxFileBytes);
    // Opening pushes takes a round trip before the store consumes `body`: an upload that fails in
    // that gap must not become an uncaught 'error' (the store still sees it when it starts reading).
    body.on('error', () => undefined);
    // One stream to the first target that accepts; the rest of the targets are its chain.
    const pushTargets = this.#options.pushTargets(name);
    const afterCommit = options?.replicateAfterCommit === true;
    const chain =
      pushTargets.length === 0 || afterCommit
        ? undefined
        : await openPushChain({
            transport: this.#options.transport,
            candidates: pushTargets,
            name,
            version,
            timeoutMs: config.pushOpenTimeoutMs,
            signal: options?.signal,
          });
    const tee = teeUpload(body, chain?.stream);
    let stored: { size: number; sha256: string };
    try {
      stored = await store.put(key, tee.input, {
        maxBytes,
        signal: options?.signal,
        metadata: { name, version, origin: 'put' },
      });
    } catch (error) {
      tee.abort();
      throw toReplicationError(error);
    }
    const given = options?.meta;
    const meta = canonicalFileMeta(typeof given === 'function' ? given() : given);
    const entry: IndexEntry = {
      name,
      version,
      size: stored.size,
      sha256: stored.sha256,
      deleted: false,
      expiresAt: 0,
      holders: [{ node: this.#options.nodeId, seq: 1, holds: true }],
      local: true,
      ...(meta === undefined ? {} : { meta }),
    };
    const latest = index.get(name);
    if (latest !== undefined && compareVersions(latest.version, version) > 0) {
      // A newer version arrived while we streamed: ours stands as written but has already lost.
      tee.abort();
      await store.delete(key).catch(() => false);
      return views.info({ ...entry, local: false });
    }
    // After-commit replication opens its chain before the index write, so the targets already
    // expect this version's bytes from us when the announcement reaches them (else they pull).
    const later = afterCommit
      ? await this.#openChainAfterCommit(name, version, pushTargets)
      : undefined;
    try {
      await runner.write(entry);
    } catch (error) {
      tee.abort();
      if (later !== undefined) this.#closeAfterCommit(later, undefined);
      // Not acknowledged, so the body must not stay claimed. (When the index could not even undo
      // the failed record, it may come back at restart: keep the body it would refer to, marked so
      // that a later salvage never adopts it on its own.)
      if (!index.broken) await store.delete(key).catch(() => false);
      else await store.setMetadata?.(key, { name, version, origin: 'failed-put' }).catch(() => 0);
      throw toReplicationError(error);
    }
    // The chain sees a clean end only now that the version is durable here (see push.ts).
    tee.commit();
    counters.localPuts++;
    if (later !== undefined) this.#closeAfterCommit(later, key);
    return views.info(entry);
  }

  /**
   * The chain for a body that is sent only once committed, at most `transferConcurrency` at a time:
   * past that (a burst of small `w=1` puts) none is opened and the targets pull the body once the
   * announcement reaches them, as they do whenever a push did not.
   */
  async #openChainAfterCommit(
    name: string,
    version: string,
    targets: readonly PeerInfo[],
  ): Promise<OpenedChain | undefined> {
    const { transport, config } = this.#options;
    if (targets.length === 0 || this.#pushingAfterCommit >= config.transferConcurrency)
      return undefined;
    this.#pushingAfterCommit++;
    const chain = await openPushChain({
      transport,
      candidates: targets,
      name,
      version,
      timeoutMs: config.pushOpenTimeoutMs,
    });
    if (chain === undefined) this.#pushingAfterCommit--;
    return chain;
  }

  /** Sends the committed body `key` down `chain` in the background; no key: the put failed. */
  #closeAfterCommit(chain: OpenedChain, key: string | undefined): void {
    if (key === undefined) {
      chain.stream.destroy();
      this.#pushingAfterCommit--;
      return;
    }
    const { store } = this.#options;
    const work = sendCommitted(chain, () => store.get(key, { verify: false })).finally(
      () => this.#pushingAfterCommit--,
    );
    this.#options.track(work);
  }

  /** Writes a tombstone over `current` (a live entry this node found, locally or from a peer). */
  async delete(current: IndexEntry): Promise<IndexEntry> {
    const { runner, clock, config, counters } = this.#options;
    const version = this.#versionAfter(current);
    const tombstone: IndexEntry = {
      name: current.name,
      version,
      size: 0,
      sha256: '',
      deleted: true,
      expiresAt: tombstoneExpiry(version, clock.now(), config.tombstoneTtlMs),
      holders: [],
      local: false,
    };
    await runner.write(tombstone);
    counters.localDeletes++;
    return tombstone;
  }

  /**
   * A fresh version for a local write of a name whose entry is `current`: the clock is first raised
   * to `current` (local truth, so without the skew bound), so the new version is newer, or the clock
   * throws ClockExhaustedError; a write never gets a version below the one it replaces.
   */
  #versionAfter(current: IndexEntry | undefined): string {
    const decoded = current === undefined ? undefined : decodeVersion(current.version);
    if (decoded !== undefined) this.#options.hlc.restore(decoded);
    return this.#options.hlc.nextVersion();
  }
}
