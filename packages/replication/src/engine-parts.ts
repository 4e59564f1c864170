/**
 * How the engine's parts are wired, in one place. Data flows one way: peer handlers and local writes
 * decide (decide.ts) and hand effects to the `EffectRunner`, which alone changes the index and then
 * announces, wakes waiters, deletes and pulls; reads, pushes and scrub go through the runner too.
 * The only late-bound links are the anti-entropy reconciler's (it needs the views it feeds and the
 * handlers that apply what it pulls), which are called only once the engine runs.
 */
import { AntiEntropy } from '@dfs/gossip';
import type { Clock, PeerInfo, Random, Transport } from '@dfs/transport';
import { Announcer } from './announcer.js';
import type { BlobStore } from './blob-store.js';
import { BodyReads } from './body-reads.js';
import type { ReplicationConfig } from './config.js';
import { EffectRunner } from './effect-runner.js';
import type { FileIndex } from './file-index.js';
import { HybridLogicalClock } from './hlc.js';
import { HolderWaiters } from './holder-waiters.js';
import { IndexReconciler } from './index-reconciler.js';
import { IndexViews } from './index-views.js';
import { Lifecycle } from './lifecycle.js';
import type { ReplicationLogger } from './lifecycle.js';
import { LocalWrites } from './local-writes.js';
import type { ReplicatedEntry } from './merge.js';
import { PeerGuard } from './peer-guard.js';
import { PeerHandlers } from './peer-handlers.js';
import { PushReceiver } from './push-receiver.js';
import { Scrubber } from './scrub.js';
import { ReplicationCounters } from './stats.js';
import type { UnclaimedBodies } from './unclaimed-bodies.js';

export interface EngineWiring {
  nodeId: string;
  config: ReplicationConfig;
  index: FileIndex;
  store: BlobStore;
  transport: Transport;
  clock: Clock;
  random: Random;
  log: ReplicationLogger;
  /** Live peers, without this node. */
  livePeers: () => PeerInfo[];
  /** Every member id known, any state. */
  members: () => Iterable<string>;
}

export interface EngineParts {
  readonly lifecycle: Lifecycle;
  readonly counters: ReplicationCounters;
  readonly guard: PeerGuard;
  readonly views: IndexViews;
  readonly announcer: Announcer;
  readonly waiters: HolderWaiters;
  readonly runner: EffectRunner;
  readonly reads: BodyReads;
  readonly writes: LocalWrites;
  readonly handlers: PeerHandlers;
  readonly scrubber: Scrubber;
  readonly antiEntropy: AntiEntropy;
}

export function assembleEngine(wiring: EngineWiring, unclaimed: UnclaimedBodies): EngineParts {
  const { nodeId, config, index, store, transport, clock, random, log, livePeers } = wiring;
  const lifecycle = new Lifecycle(log);
  const counters = new ReplicationCounters();
  const hlc = new HybridLogicalClock({
    clock,
    nodeId,
    highWater: index.highWater,
    maxSkewMs: config.maxClockSkewMs,
  });
  const guard = new PeerGuard({
    nodeId,
    clock,
    members: wiring.members,
    config,
    counters,
    warn: (object, message) => log.warn(object, message),
  });
  const reconciler: IndexReconciler = new IndexReconciler({
    wireEntry: (name): ReplicatedEntry | undefined => views.wireOf(name),
    apply: (entries, from) => handlers.applyEntries(entries, from),
    invalid: (from) => guard.invalid(from, 'anti-entropy entry'),
  });
  const views: IndexViews = new IndexViews({ nodeId, index, reconciler, livePeers });
  const announcer = new Announcer({
    transport,
    clock,
    random,
    fanout: config.fanout,
    batchMs: config.announceBatchMs,
    peers: livePeers,
    wireEntry: (name) => views.wireOf(name),
    counters,
    onSendFailure: (peer, code) => log.debug({ peer: peer.id, code }, 'announcement not sent'),
    track: (work) => lifecycle.inBackground(work),
  });
  const waiters = new HolderWaiters(clock, (name) => {
    const entry = index.committed(name);
    return entry === undefined
      ? undefined
      : { version: entry.version, holders: views.holderCount(entry) };
  });
  const runner = new EffectRunner({
    nodeId,
    index,
    store,
    views,
    announcer,
    waiters,
    unclaimed,
    counters,
    lifecycle,
    log,
    pulls: {
      transport,
      clock,
      random,
      livePeers,
      pullOpenTimeoutMs: config.pullOpenTimeoutMs,
      pullIdleTimeoutMs: config.pullIdleTimeoutMs,
      maxFileBytes: config.maxFileBytes,
      transferConcurrency: config.transferConcurrency,
    },
  });
  const pushes = new PushReceiver({
    index,
    store,
    runner,
    lifecycle,
    counters,
    clock,
    pushIdleTimeoutMs: config.pushIdleTimeoutMs,
    maxFileBytes: config.maxFileBytes,
  });
  const handlers = new PeerHandlers({
    nodeId,
    transport,
    index,
    views,
    store,
    guard,
    hlc,
    runner,
    pushes,
    lifecycle,
    counters,
    clock,
  });
  return {
    lifecycle,
    counters,
    guard,
    views,
    announcer,
    waiters,
    runner,
    reads: new BodyReads({ index, store, runner, lifecycle, clock }),
    writes: new LocalWrites({
      nodeId,
      index,
      store,
      views,
      runner,
      hlc,
      transport,
      clock,
      random,
      counters,
      livePeers,
      config,
    }),
    handlers,
    scrubber: new Scrubber({ index, store, runner, lifecycle, counters, batch: config.scrubBatch }),
    antiEntropy: new AntiEntropy({
      transport,
      peers: livePeers,
      reconciler,
      name: 'dfs-files',
      clock,
      random,
      intervalMs: config.antiEntropyIntervalMs,
    }),
  };
}
