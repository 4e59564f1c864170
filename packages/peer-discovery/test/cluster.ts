/** A small cluster on MemoryTransport in virtual time, shared by the multi-node tests. */
import { MemoryNetwork, VirtualClock, seededRandom, type MemoryTransport } from '@dfs/transport';
import {
  createMembership,
  type Member,
  type MemberState,
  type Membership,
  type MembershipConfig,
  type MembershipOptions,
} from '../src/index.js';

export interface TestNode {
  id: string;
  address: string;
  transport: MemoryTransport;
  membership: Membership;
}

export interface TestCluster {
  clock: VirtualClock;
  network: MemoryNetwork;
  nodes: TestNode[];
  /** Create (not start) a node; `seeds` defaults to the first node's address. */
  add(options?: {
    seeds?: string[];
    incarnation?: number;
    id?: string;
    address?: string;
  }): Promise<TestNode>;
  /** Start nodes and advance time until each start() resolved. */
  startAll(nodes: TestNode[]): Promise<void>;
  /** True when every node in `observers` sees `id` in `state`. */
  seenAs(observers: TestNode[], id: string, state: MemberState): boolean;
  /** True when every node in `group` lists exactly the other members of `group` as live. */
  complete(group: TestNode[]): boolean;
  stopAll(): Promise<void>;
}

/** Fast protocol settings so tests cover many periods in little virtual time. */
export const TEST_CONFIG: Partial<MembershipConfig> = {
  probeIntervalMs: 100,
  probeTimeoutMs: 40,
  gossipIntervalMs: 20,
  pushPullIntervalMs: 3000,
  reconnectIntervalMs: 500,
  joinRequestTimeoutMs: 200,
  joinBackoffMs: 50,
  joinBackoffMaxMs: 400,
  leaveTimeoutMs: 300,
};

export function createCluster(
  seed = 1,
  overrides: Partial<MembershipOptions> & { lossRate?: number } = {},
): TestCluster {
  const clock = new VirtualClock();
  const random = seededRandom(seed);
  const network = new MemoryNetwork({
    clock,
    random,
    latencyMs: 1,
    lossRate: overrides.lossRate ?? 0,
  });
  const nodes: TestNode[] = [];
  let counter = 0;

  const cluster: TestCluster = {
    clock,
    network,
    nodes,
    async add(options = {}) {
      const n = counter++;
      const id = options.id ?? `node-${n}`;
      const address = options.address ?? `mem-${n}`;
      const transport = network.createTransport({ id, address, requestTimeoutMs: 1000 });
      await transport.listen();
      const first = nodes[0];
      const membership = createMembership({
        transport,
        clock,
        random: seededRandom(seed * 1000 + n),
        seeds: options.seeds ?? (first ? [first.address] : []),
        incarnation: options.incarnation ?? 0,
        config: { ...TEST_CONFIG, ...overrides.config },
      });
      const node = { id, address, transport, membership };
      nodes.push(node);
      return node;
    },
    async startAll(group) {
      let started = 0;
      const failures: unknown[] = [];
      for (const node of group) {
        node.membership.start().then(
          () => started++,
          (error: unknown) => failures.push(error),
        );
      }
      await clock.runUntil(() => started + failures.length === group.length, {
        timeoutMs: 10_000,
      });
      if (failures.length > 0) throw failures[0];
    },
    seenAs(observers, id, state) {
      return observers.every((o) => o.membership.member(id)?.state === state);
    },
    complete(group) {
      return group.every((node) => {
        const live = node.membership.liveMembers();
        if (live.length !== group.length - 1) return false;
        return group.every(
          (other) => other === node || live.some((m: Member) => m.id === other.id),
        );
      });
    },
    async stopAll() {
      for (const node of nodes) await node.membership.stop();
      for (const node of nodes) await node.transport.close();
    },
  };
  return cluster;
}
