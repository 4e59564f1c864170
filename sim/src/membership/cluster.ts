/**
 * A membership cluster for the simulator: N nodes running @dfs/peer-discovery on one MemoryNetwork
 * in virtual time, plus the bookkeeping the membership scenarios measure (who marked whom dead,
 * false suspicions). Shared by the failure-detection, join-storm and partition scenarios.
 */
import {
  createMembership,
  isLive,
  type Membership,
  type MembershipConfig,
  type MemberUpdate,
} from '@dfs/peer-discovery';
import { MemoryNetwork, VirtualClock, seededRandom, type MemoryTransport } from '@dfs/transport';

export interface SimNode {
  readonly index: number;
  readonly id: string;
  readonly address: string;
  readonly transport: MemoryTransport;
  readonly membership: Membership;
  crashed: boolean;
  /** How many other members this node currently counts as live (alive or suspect). */
  livePeers: number;
}

export interface SimClusterOptions {
  seed: number;
  latencyMs?: number;
  lossRate?: number;
  config?: Partial<MembershipConfig>;
  /**
   * Count the bytes of every message (default false). Only scenarios that report bytes need it:
   * the encoding it takes costs more than the simulated protocol at 1,000 nodes.
   */
  measureBytes?: boolean;
}

export class SimCluster {
  readonly clock = new VirtualClock(0);
  readonly network: MemoryNetwork;
  readonly nodes: SimNode[] = [];
  readonly config: Partial<MembershipConfig>;
  /** victim id → indices of live nodes that have marked it dead. */
  readonly #deadSeenBy = new Map<string, Set<number>>();
  /** Distinct (member, incarnation) claims of death or suspicion about nodes that never crashed. */
  readonly #falseDeaths = new Set<string>();
  readonly #falseSuspicions = new Set<string>();
  readonly #seed: number;

  constructor(options: SimClusterOptions) {
    this.#seed = options.seed;
    this.config = options.config ?? {};
    this.network = new MemoryNetwork({
      clock: this.clock,
      random: seededRandom(options.seed),
      latencyMs: options.latencyMs ?? 1,
      lossRate: options.lossRate ?? 0,
      // Nothing here mutates a message once sent or received. Skipping the decode took the
      // 1,000-node partition from 79 s to 55 s, skipping the encode too (when no bytes are
      // reported) a few seconds more; the protocol runs exactly the same.
      shareValues: true,
      measureBytes: options.measureBytes ?? false,
    });
  }

  /**
   * Starts `count` nodes that already know each other (as if they had run for a while): a large
   * cluster is built in one step instead of through 1,000 joins.
   */
  async bootstrap(count: number): Promise<SimNode[]> {
    const first = this.nodes.length;
    const everyone: MemberUpdate[] = [];
    for (let i = first; i < first + count; i++) {
      everyone.push({ id: nodeId(i), address: nodeAddress(i), state: 'alive', incarnation: 0 });
    }
    const created: SimNode[] = [];
    for (let i = 0; i < count; i++) created.push(await this.add({ knownMembers: everyone }));
    await Promise.all(created.map((node) => node.membership.start()));
    return created;
  }

  /** Creates (does not start) one node. */
  async add(options: { seeds?: string[]; knownMembers?: MemberUpdate[] } = {}): Promise<SimNode> {
    const index = this.nodes.length;
    const transport = this.network.createTransport({
      id: nodeId(index),
      address: nodeAddress(index),
    });
    await transport.listen();
    const membership = createMembership({
      transport,
      clock: this.clock,
      random: seededRandom(this.#seed * 100_003 + index),
      seeds: options.seeds ?? [],
      knownMembers: options.knownMembers ?? [],
      config: this.config,
    });
    const node: SimNode = {
      index,
      id: transport.id,
      address: transport.address,
      transport,
      membership,
      crashed: false,
      livePeers: membership.liveMembers().length,
    };
    // Counted from events, O(1) each: scanning 1,000 views of 1,000 members every step would cost
    // more than the protocol being measured.
    membership.on('update', (member, previous) => {
      if (member.id === node.id) return;
      node.livePeers +=
        (isLive(member.state) ? 1 : 0) - (previous && isLive(previous.state) ? 1 : 0);
    });
    membership.on('dead', (member) => {
      if (node.crashed) return;
      if (!this.#isCrashed(member.id)) this.#falseDeaths.add(`${member.id}@${member.incarnation}`);
      let seen = this.#deadSeenBy.get(member.id);
      if (seen === undefined) {
        seen = new Set();
        this.#deadSeenBy.set(member.id, seen);
      }
      seen.add(index);
    });
    membership.on('suspect', (member) => {
      if (!node.crashed && !this.#isCrashed(member.id)) {
        this.#falseSuspicions.add(`${member.id}@${member.incarnation}`);
      }
    });
    this.nodes.push(node);
    return node;
  }

  /** A crash: the process stops and its network endpoint goes silent. */
  async crash(node: SimNode): Promise<void> {
    node.crashed = true;
    this.network.kill(node.address);
    await node.membership.stop();
  }

  /** Healthy nodes falsely declared dead (each incarnation counted once, however many saw it). */
  get falseDeaths(): number {
    return this.#falseDeaths.size;
  }

  /** Healthy nodes falsely suspected (each incarnation counted once); refuted unless also dead. */
  get falseSuspicions(): number {
    return this.#falseSuspicions.size;
  }

  live(): SimNode[] {
    return this.nodes.filter((n) => !n.crashed);
  }

  /** True when every live node has marked every one of `victims` dead. */
  allMarkedDead(victims: readonly SimNode[], liveCount: number): boolean {
    return victims.every((v) => (this.#deadSeenBy.get(v.id)?.size ?? 0) >= liveCount);
  }

  /** True when every node in `group` counts exactly `group.length - 1` live peers. */
  countsComplete(group: readonly SimNode[]): boolean {
    return group.every((node) => node.livePeers === group.length - 1);
  }

  /** True when every node in `group` sees exactly the rest of `group` as live. */
  viewsComplete(group: readonly SimNode[]): boolean {
    const ids = new Set(group.map((n) => n.id));
    return group.every((node) => {
      const live = node.membership.liveMembers();
      return live.length === group.length - 1 && live.every((m) => ids.has(m.id));
    });
  }

  /**
   * Advances virtual time in `stepMs` steps until `condition` holds; returns the virtual ms it
   * took, or undefined when `timeoutMs` passed first.
   */
  async measure(
    condition: () => boolean,
    options: { timeoutMs: number; stepMs: number },
  ): Promise<number | undefined> {
    const start = this.clock.now();
    try {
      await this.clock.runUntil(condition, options);
    } catch {
      return undefined;
    }
    return this.clock.now() - start;
  }

  /**
   * Stops every node's protocol. The transports are left to the garbage collector with their
   * network: closing 1,000 of them one by one tells every other transport each time, O(n²).
   */
  async stop(): Promise<void> {
    for (const node of this.nodes) await node.membership.stop();
  }

  #isCrashed(id: string): boolean {
    const index = Number(id.slice(NODE_PREFIX.length));
    return this.nodes[index]?.crashed ?? false;
  }
}

const NODE_PREFIX = 'node-';
const nodeId = (index: number): string => `${NODE_PREFIX}${index}`;
const nodeAddress = (index: number): string => `10.0.${index >> 8}.${index & 255}:7946`;

/** Rounds a duration in ms to probe periods, one decimal. */
export function periods(ms: number | undefined, probeIntervalMs: number): number | string {
  return ms === undefined ? 'never' : Math.round((ms / probeIntervalMs) * 10) / 10;
}
