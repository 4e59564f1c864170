/**
 * Where the node's metrics read from: the replication service, membership, placement and the peer
 * transport.
 * The gauges and counters are defined in metrics.ts; this only says which part answers each.
 */
import type { Membership } from '@dfs/peer-discovery';
import type { ReplicationEngine } from '@dfs/replication';
import type { MetricSources } from './metrics.js';
import type { PeerTransport } from './peer-transport.js';

export function metricSourcesOf(parts: {
  files: ReplicationEngine;
  members: Membership;
  transport: PeerTransport;
  placement: { memberStates(): readonly { state: string }[] };
}): MetricSources {
  const { files, members, transport, placement } = parts;
  return {
    placementMembers: () => {
      const counts: Record<string, number> = {};
      for (const m of placement.memberStates()) counts[m.state] = (counts[m.state] ?? 0) + 1;
      return counts;
    },
    localStats: () => files.localStats(),
    membersByState: () => countByState(members),
    replication: () => files.stats(),
    transport: () => transport.stats(),
  };
}

/** Members by state (`alive`, `suspect`, ...), for the membership gauge. */
function countByState(membership: Membership): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const member of membership.members()) counts[member.state] = (counts[member.state] ?? 0) + 1;
  return counts;
}
