/**
 * How the engine's parts are wired, in one place. Data flows one way: peer handlers and local writes
 * decide (decide.ts) and hand effects to the `EffectRunner`, which alone changes the index and then
 * announces, wakes waiters, deletes and pulls; reads, pushes and scrub go through the runner too.
 * The only late-bound links are the anti-entropy reconciler's (it needs the views it feeds and the
 * handlers that apply what it pulls), which are called only once the engine runs.
 */
import { AntiEntropy } from '@dfs/gossip';
import type { Clock, PeerInfo, Random, Transport } from '@dfs/transport';
import { sample } from '@dfs/transport';
import { Announcer } from './announcer.js';
import type { BlobStore } from './blob-store.js';
import { BodyReads } from './body-reads.js';
import type { ReplicationConfig } from './config.js';
import { DeleteQuorum } from './delete-quorum.js';
import { EffectRunner } from './effect-runner.js';
import { FileEventHub } from './file-events.js';
import type { FileIndex } from './file-index.js';
import { HybridLogicalClock } from './hlc.js';
import { HolderWaiters } from './holder-waiters.js';
import { IndexReconciler } from './index-reconciler.js';
import { IndexViews } from './index-views.js';
import { Lifecycle } from './lifecycle.js';
import type { ReplicationLogger } from './lifecycle.js';
import { LocalWrites } from './local-writes.js';
import type { IndexEntry } from './file-index.js';
import { holdingNodes as slotHolders } from './merge.js';
import type { ReplicatedEntry } from './merge.js';
import type { PlacementView } from './placement-view.js';
import { Resync, resyncEveryMs } from './resync.js';
import { PeerGuard } from './peer-guard.js';
import { PeerHandlers } from './peer-handlers.js';
import { PushReceiver } from './push-receiver.js';
import { Scrubber } from './scrub.js';
import { ReplicationCounters } from './stats.js';
import type { UnclaimedBodies } from './unclaimed-bodies.js';

/** The longest a failed background pull waits before its next try (reset on membership change). */
export const PULL_RETRY_MAX_MS = 60 * 60 * 1000;

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
  /** Who should hold each file; undefined: every node holds every file (no resync runs). */
  placement: PlacementView | undefined;
}

export interface EngineParts {
  readonly lifecycle: Lifecycle;
  readonly counters: ReplicationCounters;
  readonly guard: PeerGuard;
  readonly views: IndexViews;
  readonly announcer: Announcer;
  readonly waiters: HolderWaiters;
  readonly runner: EffectRunner;
  /** Durable index changes as events (`ReplicationEngine.watchFiles`). */
  readonly events: FileEventHub;
  readonly reads: BodyReads;
  readonly writes: LocalWrites;
  readonly handlers: PeerHandlers;
  readonly scrubber: Scrubber;
  readonly antiEntropy: AntiEntropy;
  /** Present when placement is configured. */
  readonly resync: Resync | undefined;
  readonly deletes: DeleteQuorum;
  /** Whether this node is one of `name`'s targets (always, without placement): it pulls the body. */
  readonly wantedHere: (name: string) => boolean;
}

export function assembleEngine(wiring: EngineWiring, unclaimed: UnclaimedBodies): EngineParts {
  const { nodeId, config, index, store, transport, clock, random, log, livePeers } = wiring;
  const { placement } = wiring;
  // A body is pulled only by its targets: a stand-in for a down target takes a hinted copy from
  // the upload's push alone, so a node going down moves nothing before it is out.
  const wantedHere = (name: string): boolean =>
    placement === undefined || placement.targets(name).includes(nodeId);
  // Who holds `entry`'s bytes: the slots say so for other nodes; for this one, its own `local`.
  const holdingNodes = (entry: IndexEntry): string[] => {
    const others = slotHolders(entry).filter((id) => id !== nodeId);
    return entry.local ? [...others, nodeId] : others;
  };
  // `PUT ?w=N` counts copies on the nodes placement wants the file on (targets, or stand-ins for
  // down ones); without placement, on any live node.
  const copies = (entry: IndexEntry): number => {
    if (placement === undefined) return views.holderCount(entry);
    if (entry.deleted) return 0;
    const holding = holdingNodes(entry);
    return placement.holders(entry.name).filter((id) => holding.includes(id)).length;
  };
  const pushTargets = (name: string): PeerInfo[] => {
    if (placement === undefined) return sample(random, livePeers(), config.pushPeers);
    const live = new Map(livePeers().map((p) => [p.id, p]));
    const targets: PeerInfo[] = [];
    for (const id of placement.holders(name)) {
      const peer = live.get(id);
      if (peer !== undefined) targets.push(peer);
    }
    return targets;
  };
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
    return entry === undefined ? undefined : { version: entry.version, holders: copies(entry) };
  });
  const events = new FileEventHub((error) => log.warn({ err: error }, 'file event listener threw'));
  const runner = new EffectRunner({
    events,
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
      wantedHere,
      pullOpenTimeoutMs: config.pullOpenTimeoutMs,
      pullIdleTimeoutMs: config.pullIdleTimeoutMs,
      maxFileBytes: config.maxFileBytes,
      transferConcurrency: config.transferConcurrency,
      retryBaseMs: config.antiEntropyIntervalMs,
      retryMaxMs: PULL_RETRY_MAX_MS,
    },
  });
  const pushes = new PushReceiver({
    nodeId,
    index,
    store,
    runner,
    lifecycle,
    counters,
    clock,
    transport,
    livePeers,
    members: wiring.members,
    pushIdleTimeoutMs: config.pushIdleTimeoutMs,
    pushOpenTimeoutMs: config.pushOpenTimeoutMs,
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
  const resync =
    placement === undefined
      ? undefined
      : new Resync({
          nodeId,
          index,
          placement,
          transport,
          livePeers,
          schedulePull: (entry) => runner.pulls.schedule(entry),
          holdingNodes,
          drop: (entry) => runner.dropCopy(entry),
          clock,
          counters,
          lifecycle,
          log,
          dropDelayMs: config.dropDelayMs,
          confirmTimeoutMs: config.lookupTimeoutMs,
          scanEveryMs: resyncEveryMs(config.dropDelayMs, config.antiEntropyIntervalMs),
        });
  const deletes = new DeleteQuorum({
    nodeId,
    transport,
    index,
    livePeers,
    wanted: placement === undefined ? undefined : (name) => placement.holders(name),
    apply: (entry, peer) => handlers.applyEntries([entry], peer),
    onInvalid: () => {
      counters.invalidMessages++;
    },
  });
  return {
    resync,
    deletes,
    wantedHere,
    lifecycle,
    counters,
    guard,
    views,
    announcer,
    waiters,
    runner,
    events,
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
      counters,
      pushTargets,
      config,
      track: (work) => lifecycle.inBackground(work),
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
