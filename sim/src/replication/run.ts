/**
 * Replication at scale: N real replication engines (`createReplicatedFileService`, through the
 * fault simulation's SimNode: simulated index disk and blob store) on one MemoryNetwork in virtual
 * time. A seeded workload of puts and deletes at random nodes; the network splits in two halves
 * and both keep writing; then it heals. Reports, in virtual time, how long until every node's index
 * agrees (same version of every name) and every live file's bytes are on every node, the traffic
 * per node, and checks that the newest acknowledged write of every name won.
 *
 * Membership is an oracle, not @dfs/peer-discovery (which costs more CPU at 1,000 nodes than the
 * engines do): every node's `peers()` is the whole cluster, except that `detectMs` after the split
 * each side's view drops the other side, as membership would once it declared them dead (the
 * partition scenario measures how long that takes), and the heal restores the whole view at once.
 */
import { createHash } from 'node:crypto';
import type { ReplicationConfig } from '@dfs/replication';
import {
  MemoryNetwork,
  VirtualClock,
  randomInt,
  seededRandom,
  type PeerInfo,
} from '@dfs/transport';
import { drive } from '../faults/runner.js';
import { SimNode, mix } from '../faults/sim-node.js';
import {
  checkLastAcknowledgedWins,
  issueWrite,
  planWrite,
  WriteLog,
  type LostWrite,
} from './writes.js';
import { ConvergenceWatch } from './convergence.js';

export interface ReplicationRunOptions {
  seed: number;
  nodes: number;
  /** Distinct names written (few, so writes collide, also across the partition). */
  names: number;
  /** Writes while the cluster is whole, spread over `writeWindowMs`. */
  writesBefore: number;
  /** Writes during the partition (each side about half), spread over `writeWindowMs`. */
  writesDuring: number;
  writeWindowMs: number;
  /** Body sizes of puts, uniform in this range. */
  minBytes: number;
  maxBytes: number;
  /** How long the halves stay apart. */
  splitMs: number;
  /** How long after the split each side's peer view drops the other side. */
  detectMs: number;
  /** Virtual ms allowed for each convergence. */
  timeoutMs: number;
  /** Nodes whose copy of every live file is read back and hashed at the end. */
  readBackNodes: number;
  /** Count message bytes (costs an encode per message). */
  measureBytes: boolean;
  config?: Partial<ReplicationConfig>;
}

export interface ReplicationRunResult {
  nodes: number;
  /** Virtual ms from the last write of the whole cluster to convergence (undefined: timed out). */
  convergedBeforeSplitMs: number | undefined;
  /** Virtual ms from the heal until every index agrees. */
  indexAgreedAfterHealMs: number | undefined;
  /** Virtual ms from the heal until every index agrees and every live body is on every node. */
  convergedAfterHealMs: number | undefined;
  liveFiles: number;
  tombstones: number;
  writes: { issued: number; acknowledged: number; failed: number; noops: number };
  lost: LostWrite[];
  /** Live-file copies read back (on `readBackNodes` nodes) whose bytes did not match. */
  badReadBacks: number;
  messagesPerNode: number;
  bytesPerNode: number | undefined;
  messagesPerNodeAfterHeal: number;
  bodyBytesInPerNode: number;
  announcementsSentPerNode: number;
  antiEntropyRoundsPerNode: number;
  transfersFailed: number;
  virtualMs: number;
}

const STEP_MS = 100;

export async function runReplication(
  options: ReplicationRunOptions,
): Promise<ReplicationRunResult> {
  const { seed, nodes: count } = options;
  const clock = new VirtualClock();
  const network = new MemoryNetwork({
    clock,
    random: seededRandom(mix(seed, 2)),
    latencyMs: 1,
    jitterMs: 3,
    // The engine parses every message into a fresh object: sharing values is safe (runner.ts).
    shareValues: true,
    measureBytes: options.measureBytes,
  });
  const everyone: PeerInfo[] = [];
  const half = Math.floor(count / 2);
  let view: 'whole' | 'split' = 'whole';
  const views = { whole: everyone, a: [] as PeerInfo[], b: [] as PeerInfo[] };
  const nodes: SimNode[] = [];
  for (let i = 0; i < count; i++) {
    const side = i < half ? views.a : views.b;
    const peers = (): PeerInfo[] => (view === 'whole' ? views.whole : side);
    const node = new SimNode({
      index: i,
      seed,
      network,
      clock,
      peers,
      config: options.config ?? {},
    });
    nodes.push(node);
    everyone.push({ id: node.id, address: node.address });
    side.push({ id: node.id, address: node.address });
  }
  for (const node of nodes) await node.listen();
  await drive(clock, Promise.all(nodes.map((n) => n.start(0))), 60_000);
  const engines = nodes.map((n) => {
    if (n.engine === undefined) throw new Error(`${n.id} did not start`);
    return n.engine;
  });
  const names = Array.from({ length: options.names }, (_, i) => `file-${i}`);
  const watch = new ConvergenceWatch(engines, names);
  const log = new WriteLog();
  const random = seededRandom(mix(seed, 1));
  const body = { minBytes: options.minBytes, maxBytes: options.maxBytes };
  const written = new Set<string>();

  /** Issues `writes` writes at random times in the window, each at a random node of `pick`. */
  const writePhase = async (writes: number, pick: (r: number) => number): Promise<void> => {
    const times = Array.from({ length: writes }, () => randomInt(random, options.writeWindowMs));
    times.sort((x, y) => x - y);
    const start = clock.now();
    for (const at of times) {
      const wait = start + at - clock.now();
      if (wait > 0) await clock.advance(wait);
      const index = pick(randomInt(random, 1 << 30));
      issueWrite(
        engines[index]!,
        nodes[index]!.id,
        planWrite(random, options.names, body, written),
        log,
      );
    }
  };
  const measure = async (condition: () => boolean): Promise<number | undefined> => {
    const start = clock.now();
    try {
      await clock.runUntil(condition, { timeoutMs: options.timeoutMs, stepMs: STEP_MS });
      return clock.now() - start;
    } catch {
      return undefined;
    }
  };

  await writePhase(options.writesBefore, (r) => r % count);
  const convergedBeforeSplitMs = await measure(() => log.pending === 0 && watch.converged());

  network.partition(
    views.a.map((p) => p.address),
    views.b.map((p) => p.address),
  );
  const detect = clock.setTimeout(() => {
    view = 'split';
  }, options.detectMs);
  // Alternate sides so each writes about half; a name may be written on both sides (a conflict).
  let turn = 0;
  await writePhase(options.writesDuring, (r) =>
    turn++ % 2 === 0 ? r % half : half + (r % (count - half)),
  );
  const rest = options.splitMs - options.writeWindowMs;
  if (rest > 0) await clock.advance(rest);
  detect.cancel();

  network.heal();
  view = 'whole';
  const messagesAtHeal = network.stats().delivered;
  let indexAgreedAfterHealMs: number | undefined;
  const healedAt = clock.now();
  const convergedAfterHealMs = await measure(() => {
    if (indexAgreedAfterHealMs === undefined && watch.indexesAgree()) {
      indexAgreedAfterHealMs = clock.now() - healedAt;
    }
    return log.pending === 0 && watch.converged();
  });
  const stats = network.stats();

  const reference = engines[0]!;
  const lost = checkLastAcknowledgedWins(log, (name) => reference.describe(name));
  const live = names.filter((name) => reference.describe(name)?.deleted === false);
  const badReadBacks = await readBack(clock, nodes.slice(0, options.readBackNodes), live);
  const counters = engines.map((e) => e.stats());
  const sum = (pick: (s: (typeof counters)[number]) => number): number =>
    counters.reduce((total, s) => total + pick(s), 0);
  await drive(clock, Promise.all(engines.map((e) => e.stop())), 60_000);
  return {
    nodes: count,
    convergedBeforeSplitMs,
    indexAgreedAfterHealMs,
    convergedAfterHealMs,
    liveFiles: live.length,
    tombstones: names.filter((name) => reference.describe(name)?.deleted === true).length,
    writes: {
      issued: log.issued,
      acknowledged: log.acknowledged.length,
      failed: log.failed,
      noops: log.noops,
    },
    lost,
    badReadBacks,
    messagesPerNode: stats.delivered / count,
    bytesPerNode: options.measureBytes ? stats.bytes / count : undefined,
    messagesPerNodeAfterHeal: (stats.delivered - messagesAtHeal) / count,
    bodyBytesInPerNode: sum((s) => s.bytesPulled + s.bytesPushedIn) / count,
    announcementsSentPerNode: sum((s) => s.announcementsSent) / count,
    antiEntropyRoundsPerNode: sum((s) => s.antiEntropyRounds) / count,
    transfersFailed: sum((s) => s.transfersFailed),
    virtualMs: clock.now(),
  };
}

/** Reads every live file on each of `nodes` and counts bodies whose sha256 is not the indexed one. */
async function readBack(
  clock: VirtualClock,
  nodes: readonly SimNode[],
  live: readonly string[],
): Promise<number> {
  let bad = 0;
  const reads: Promise<void>[] = [];
  for (const node of nodes) {
    const engine = node.engine;
    if (engine === undefined) continue;
    for (const name of live) {
      const expected = engine.describe(name)?.sha256;
      const check = async (): Promise<void> => {
        const { stream } = await engine.read(name);
        const hash = createHash('sha256');
        for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
        if (hash.digest('hex') !== expected) bad++;
      };
      reads.push(
        check().catch(() => {
          bad++;
        }),
      );
    }
  }
  await drive(clock, Promise.all(reads), 10_000);
  return bad;
}
