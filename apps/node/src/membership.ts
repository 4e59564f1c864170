/**
 * The node's SWIM membership: `@dfs/peer-discovery` with settings derived from the start options
 * (`--probe-interval`, `--gossip-interval`) and the `membership.*` and `reconnect.*` tunables, and
 * the view of it the HTTP API serves.
 */
import type { Logger } from 'pino';
import { createMembership, type Membership } from '@dfs/peer-discovery';
import type { Clock, Random, Transport } from '@dfs/transport';
import type { NodeConfig } from './cli/options.js';
import type { MembershipTunables, ReconnectTunables } from './config.js';
import type { PlacementState } from '@dfs/api';
import type { ClusterView, MemberView } from './http/api.js';

export interface NodeMembershipOptions {
  transport: Transport;
  clock: Clock;
  random: Random;
  incarnation: number;
  config: Pick<NodeConfig, 'peers' | 'probeIntervalMs' | 'gossipIntervalMs'>;
  tunables: { membership: MembershipTunables; reconnect: ReconnectTunables };
  logger: Logger;
}

export function createNodeMembership(options: NodeMembershipOptions): Membership {
  const { config, tunables } = options;
  const { membership, reconnect } = tunables;
  return createMembership({
    transport: options.transport,
    clock: options.clock,
    random: options.random,
    seeds: config.peers,
    incarnation: options.incarnation,
    config: {
      probeIntervalMs: config.probeIntervalMs,
      probeTimeoutMs: Math.min(
        membership.probeTimeoutMaxMs,
        Math.floor(config.probeIntervalMs / 2),
      ),
      gossipIntervalMs: config.gossipIntervalMs,
      leaveTimeoutMs: membership.leaveAckTimeoutMs,
      // A node started before its seeds retries the join with backoff; the library's 30 s cap
      // left it alone for up to half a minute after a seed came up (measured 6.5 s with the
      // seed 25 s late). One request per seed per try is cheap, so cap the wait lower.
      joinBackoffMaxMs: Math.max(
        reconnect.joinRetryMaxMs,
        reconnect.joinRetryMaxProbePeriods * config.probeIntervalMs,
      ),
      // Full member-list swaps repair whatever a rumor missed (a join update that never reached
      // one node). The library's 30 s suits big clusters; tie it to the probe period instead so a
      // miss heals within seconds (the library still stretches it for large clusters).
      pushPullIntervalMs: membership.pushPullProbePeriods * config.probeIntervalMs,
    },
    logger: options.logger,
  });
}

/** What `/v1/cluster` reads from placement (ClusterPlacement) and the engine's stats. */
export interface ClusterPlacementSource {
  readonly replicas: number;
  readonly paused: boolean;
  memberStates(): readonly {
    id: string;
    state: PlacementState;
    weight: number;
    capacity: number;
  }[];
}

/**
 * `GET /v1/cluster`: this node (seen now) and every member it knows, each with its placement, then
 * the members only the nodes table still lists (down so long that SWIM reaped them; not those an
 * operator removed), and the placement counts.
 */
export function clusterView(
  membership: Pick<Membership, 'self' | 'members'>,
  clock: Clock,
  placement: ClusterPlacementSource,
  stats: () => { underReplicatedFiles: number; surplusCopies: number },
): ClusterView {
  const placed = new Map(
    placement
      .memberStates()
      .map((m) => [m.id, { state: m.state, weight: m.weight, capacity: m.capacity }] as const),
  );
  const withPlacement = (member: MemberView): MemberView => {
    const where = placed.get(member.id);
    return where ? { ...member, placement: where } : member;
  };
  const { self, members } = swimView(membership, clock);
  const known = new Set(members.map((m) => m.id));
  const reaped: MemberView[] = [];
  for (const [id, where] of placed) {
    if (known.has(id) || where.state === 'removed') continue;
    reaped.push({ id, addr: '', state: 'dead', incarnation: 0, lastSeen: 0, placement: where });
  }
  const { underReplicatedFiles, surplusCopies } = stats();
  return {
    self: withPlacement(self),
    members: [...members.map(withPlacement), ...reaped],
    replicas: placement.replicas,
    rebalancePaused: placement.paused,
    underReplicated: underReplicatedFiles,
    surplus: surplusCopies,
  };
}

/** The members as SWIM knows them, this node's own entry seen now. */
function swimView(
  membership: Pick<Membership, 'self' | 'members'>,
  clock: Clock,
): Pick<ClusterView, 'self' | 'members'> {
  const toView = (m: {
    id: string;
    address: string;
    state: MemberView['state'];
    incarnation: number;
    lastSeen: number;
  }): MemberView => ({
    id: m.id,
    addr: m.address,
    state: m.state,
    incarnation: m.incarnation,
    lastSeen: m.lastSeen,
  });
  const self = { ...toView(membership.self), lastSeen: clock.now() };
  const members = membership.members().map((m) => (m.id === self.id ? self : toView(m)));
  return { self, members };
}
