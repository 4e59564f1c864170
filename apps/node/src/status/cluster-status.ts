/**
 * `GET /v1/status`: the `/v1/cluster` members, each with the stats it reports about itself. This
 * node reads its own; live members (alive or suspect) are asked over `dfs/stats/1` in parallel under
 * one deadline; dead and left members are not asked.
 */
import type { ClusterView, MemberStatus, NodeStats, StatusView } from '@dfs/api';
import type { StatsAnswer } from './stats-protocol.js';

export interface ClusterStatusSources {
  cluster(): ClusterView;
  /** This node's own stats. */
  ownStats(): Promise<NodeStats>;
  /** The HTTP API base URL of a member, when the nodes table knows it. */
  apiOf(id: string): string | undefined;
  /** Ask these members for their stats (under the status deadline). */
  ask(members: readonly { id: string; addr: string }[]): Promise<Map<string, StatsAnswer>>;
  /** Wall-clock ms now. */
  now(): number;
}

export async function clusterStatus(sources: ClusterStatusSources): Promise<StatusView> {
  const view = sources.cluster();
  const selfId = view.self.id;
  const live = view.members.filter(
    (m) => m.id !== selfId && (m.state === 'alive' || m.state === 'suspect') && m.addr !== '',
  );
  const [own, answers] = await Promise.all([sources.ownStats(), sources.ask(live)]);
  const members = view.members.map((member): MemberStatus => {
    const api = sources.apiOf(member.id);
    const withApi = api !== undefined && api !== '' ? { ...member, api } : { ...member };
    if (member.id === selfId) return { ...withApi, stats: own };
    const answer = answers.get(member.id) ?? { stats: null, error: 'dead' as const };
    return { ...withApi, ...answer };
  });
  return { self: selfId, replicas: view.replicas, at: sources.now(), members };
}
