/**
 * The partial replication scenario's cluster: N real replication engines (the fault simulation's
 * SimNode: simulated index disk and blob store) on one MemoryNetwork in virtual time, each with its
 * own placement fed by a membership oracle (membership-oracle.ts) and ticked once per detection
 * delay, the nodes table shared directly between placements. Faults: crash and restart a node, partition, heal, join a new node, drain one.
 *
 * Measurements use ground truth, not gossip: which up nodes' blob stores hold a healthy copy of a
 * name's current version, and body bytes moved, summed over every engine incarnation so far.
 */
import { ClusterPlacement, blobKey } from '@dfs/replication';
import type { ReplicationConfig, ReplicationEngine } from '@dfs/replication';
import {
  MemoryNetwork,
  VirtualClock,
  seededRandom,
  type PeerInfo,
  type Timer,
} from '@dfs/transport';
import { drive } from '../faults/runner.js';
import { SimNode, mix } from '../faults/sim-node.js';
import { MembershipOracle } from './membership-oracle.js';
import { LifePlacement } from './life-placement.js';

/** The placement each node runs (in memory: a restart keeps it, as nodes.json would). */
export type NodePlacement = ClusterPlacement;

export interface PartialTimers {
  /** Grace before a down member is out. */
  outAfterMs: number;
  /** How long a surplus copy outlives its targets' confirmations. */
  dropDelayMs: number;
  /** The membership probe period; the oracle detects a change `detectProbes` periods later. */
  probeMs: number;
  detectProbes: number;
  antiEntropyIntervalMs: number;
}

export interface PartialClusterOptions {
  seed: number;
  nodes: number;
  replicas: number;
  timers: PartialTimers;
  /** Per-link bandwidth (bytes/s) of the memory network. */
  bandwidthBytesPerSec: number;
  /** The brake: nothing is marked out while fewer than this share of members not out are up. */
  minUpRatio?: number;
  config?: Partial<ReplicationConfig>;
}

/** Where one name's current version is, in truth. */
export interface Copies {
  name: string;
  version: string;
  size: number;
  /** Targets per the reference node's placement. */
  targets: readonly string[];
  /** Up nodes whose store holds a healthy copy. */
  holders: readonly string[];
}

export class PartialCluster {
  readonly clock = new VirtualClock();
  readonly network: MemoryNetwork;
  readonly nodes: SimNode[] = [];
  readonly placements: NodePlacement[] = [];
  readonly oracle: MembershipOracle;
  readonly options: PartialClusterOptions;
  /** Every engine ever started, for counters that outlive crashes. */
  readonly #engines: ReplicationEngine[] = [];
  readonly #lives = new Map<number, LifePlacement>();
  readonly #peers: PeerInfo[][] = [];
  #ticker: Timer | undefined;

  private constructor(options: PartialClusterOptions) {
    this.options = options;
    this.network = new MemoryNetwork({
      clock: this.clock,
      random: seededRandom(mix(options.seed, 2)),
      latencyMs: 1,
      jitterMs: 3,
      shareValues: true,
      measureBytes: true,
      bandwidthBytesPerSec: options.bandwidthBytesPerSec,
    });
    this.oracle = new MembershipOracle({
      clock: this.clock,
      detectMs: options.timers.probeMs * options.timers.detectProbes,
      onView: (index, alive) => {
        this.#peers[index] = [...alive].map((i) => ({
          id: this.nodes[i]!.id,
          address: this.nodes[i]!.address,
        }));
        this.placements[index]!.observe(this.oracle.viewOf(index));
      },
    });
  }

  static async start(options: PartialClusterOptions): Promise<PartialCluster> {
    const cluster = new PartialCluster(options);
    for (let i = 0; i < options.nodes; i++) await cluster.#add();
    for (const node of cluster.nodes) await node.listen();
    cluster.shareRows();
    // Everyone starts knowing everyone (a cluster formed before the scenario begins).
    cluster.oracle.started(cluster.nodes.map((_, i) => i));
    await cluster.clock.advance(options.timers.probeMs * options.timers.detectProbes);
    await Promise.all(cluster.nodes.map((_, i) => cluster.startNode(i)));
    // The grace is re-checked once per detection delay, not every probe: a tick costs O(members)
    // per node, and 100 nodes ticking every 50 ms was most of the run's CPU. Out is then up to one
    // detection delay (5 probes, inside the restore bound's 10) late.
    cluster.#ticker = cluster.clock.setInterval(() => {
      for (let i = 0; i < cluster.nodes.length; i++) {
        if (cluster.oracle.isUp(i)) cluster.placements[i]!.tick();
      }
    }, options.timers.probeMs * options.timers.detectProbes);
    return cluster;
  }

  async #add(): Promise<number> {
    const { seed, timers, replicas, config } = this.options;
    const index = this.oracle.add(`node-${this.nodes.length}`);
    this.#peers[index] = [];
    const node = new SimNode({
      index,
      seed,
      network: this.network,
      clock: this.clock,
      peers: () => this.#peers[index]!,
      members: () => this.nodes.map((n) => n.id),
      placement: () => {
        const life = new LifePlacement(this.placements[index]!);
        this.#lives.set(index, life);
        return life;
      },
      config: {
        fanout: 3,
        antiEntropyIntervalMs: timers.antiEntropyIntervalMs,
        dropDelayMs: timers.dropDelayMs,
        pushPeers: replicas,
        pushOpenTimeoutMs: 50,
        pushIdleTimeoutMs: 2_000,
        pullOpenTimeoutMs: 1_000,
        pullIdleTimeoutMs: 2_000,
        transferConcurrency: 4,
        scrubIntervalMs: 60 * 60 * 1000,
        lookupTimeoutMs: 300,
        announceBatchMs: 100,
        tombstoneTtlMs: 24 * 60 * 60 * 1000,
        unclaimedBodyTimeoutMs: timers.dropDelayMs,
        ...config,
      },
    });
    this.nodes.push(node);
    this.placements.push(
      await ClusterPlacement.open({
        nodeId: node.id,
        replicas,
        capacity: 1,
        api: '',
        clock: this.clock,
        outAfterMs: timers.outAfterMs,
        minUpRatio: this.options.minUpRatio ?? 0.75,
      }),
    );
    return index;
  }

  /**
   * Moves the clock on to a whole millisecond. Timers the engines set may fall between two (a
   * transfer's pacing), but nodes-table stamps must be integers, as a wall clock gives: a row
   * written at a fractional time is silently invalid (the row write is a no-op).
   */
  async wholeMs(): Promise<void> {
    const now = this.clock.now();
    if (!Number.isInteger(now)) await this.clock.advance(Math.ceil(now) - now);
  }

  /** Every node's placement learns every other's nodes-table row (as NodesTableSync would). */
  shareRows(): void {
    // Through the first placement, one table at a time: a merge takes at most MAX_NODE_ROWS rows
    // (all tables at once, N² rows, is refused whole from 65 nodes on).
    const [hub, ...others] = this.placements;
    for (const placement of others) hub!.merge(placement.rows());
    const rows = hub!.rows();
    for (const placement of others) placement.merge(rows);
  }

  /** Starts (or restarts) node `index` on what its disk kept; resolves once its engine runs. */
  async startNode(index: number): Promise<void> {
    const node = this.nodes[index]!;
    if (!this.oracle.isUp(index)) this.oracle.started([index]);
    const started = await drive(this.clock, node.start(0), 60_000);
    if (started?.ok !== true || node.engine === undefined) {
      throw new Error(`${node.id} did not start`);
    }
    this.#engines.push(node.engine);
  }

  /** Crashes node `index` (kill -9: its disk keeps what was synced). */
  kill(index: number): void {
    this.nodes[index]!.crash();
    this.#lives.get(index)?.detach();
    this.oracle.stopped(index);
  }

  /** Adds and starts a new node; returns its index. */
  async join(): Promise<number> {
    await this.wholeMs();
    const index = await this.#add();
    await this.nodes[index]!.listen();
    this.shareRows();
    await this.startNode(index);
    return index;
  }

  /** Splits the network (and, `detectMs` later, every node's view) into these groups. */
  partition(a: readonly number[], b: readonly number[]): void {
    this.network.partition(
      a.map((i) => this.nodes[i]!.address),
      b.map((i) => this.nodes[i]!.address),
    );
    this.oracle.partition([a, b]);
  }

  heal(): void {
    this.network.heal();
    this.oracle.heal();
  }

  /** The live peers node `index` knows (what its engine gets as `peers`). */
  peersOf(index: number): readonly PeerInfo[] {
    return this.#peers[index] ?? [];
  }

  upIndexes(): number[] {
    return this.nodes.map((_, i) => i).filter((i) => this.oracle.isUp(i));
  }

  engine(index: number): ReplicationEngine {
    const engine = this.nodes[index]!.engine;
    if (engine === undefined) throw new Error(`node ${index} is down`);
    return engine;
  }

  /** Body bytes received by every engine so far (pulled plus pushed in), crashes included. */
  bytesIn(filter?: (engine: ReplicationEngine) => boolean): number {
    let total = 0;
    for (const engine of this.#engines) {
      if (filter !== undefined && !filter(engine)) continue;
      const s = engine.stats();
      total += s.bytesPulled + s.bytesPushedIn;
    }
    return total;
  }

  /** Body bytes pulled by every engine so far (no pushes: those are a write's own traffic). */
  bytesPulled(filter?: (engine: ReplicationEngine) => boolean): number {
    let total = 0;
    for (const engine of this.#engines) {
      if (filter !== undefined && !filter(engine)) continue;
      total += engine.stats().bytesPulled;
    }
    return total;
  }

  /**
   * Where every live name's current version is, as node `reference` knows the names (its index)
   * and their targets (its placement), counting copies on the nodes in `among` (default: up).
   * A stored body counts (`healthy` would hash every body on every check).
   */
  copies(reference: number, names: Iterable<string>, among?: readonly number[]): Copies[] {
    const engine = this.engine(reference);
    const placement = this.placements[reference]!;
    const nodes = among ?? this.upIndexes();
    const out: Copies[] = [];
    for (const name of names) {
      const entry = engine.describe(name);
      if (entry === undefined || entry.deleted) continue;
      const key = blobKey(name, entry.version);
      const holders: string[] = [];
      let size = 0;
      for (const i of nodes) {
        const node = this.nodes[i]!;
        if (node.store.get(key) === undefined) continue;
        holders.push(node.id);
        size = node.store.get(key)!.size;
      }
      out.push({ name, version: entry.version, size, targets: placement.targets(name), holders });
    }
    return out;
  }

  /** Runs virtual time until `condition` holds (checked every `stepMs`); the ms it took, or undefined. */
  async until(
    condition: () => boolean,
    timeoutMs: number,
    stepMs = 100,
  ): Promise<number | undefined> {
    const start = this.clock.now();
    try {
      await this.clock.runUntil(condition, { timeoutMs, stepMs });
      return this.clock.now() - start;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    this.#ticker?.cancel();
    const engines = this.upIndexes().map((i) => this.nodes[i]!.engine!);
    await drive(this.clock, Promise.all(engines.map((e) => e.stop())), 60_000);
  }
}

/** Summary of `copies`: files with exactly their targets, under-replicated, surplus copies, lost. */
export function tally(
  copies: readonly Copies[],
  replicas: number,
): {
  files: number;
  exact: number;
  under: number;
  surplus: number;
  lost: number;
  bytes: number;
} {
  let exact = 0;
  let under = 0;
  let surplus = 0;
  let lost = 0;
  let bytes = 0;
  for (const c of copies) {
    const onTargets = c.targets.filter((t) => c.holders.includes(t)).length;
    const extra = c.holders.length - onTargets;
    if (onTargets === c.targets.length && extra === 0 && c.targets.length === replicas) exact++;
    if (onTargets < Math.min(replicas, c.targets.length)) under++;
    surplus += extra;
    if (c.holders.length === 0) lost++;
    bytes += c.size;
  }
  return { files: copies.length, exact, under, surplus, lost, bytes };
}
