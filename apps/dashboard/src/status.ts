/**
 * The shape of `GET /v1/status` (the cluster-wide status, docs/api.md): each member with the stats
 * it reported about itself. Mirrors @dfs/api's `StatusView` field for field.
 */
import type { LiveStats, Member } from '@dfs/api';

export type NodeStats = LiveStats;

export interface MemberStatus extends Member {
  api?: string;
  stats: NodeStats | null;
  error?: string;
}

export interface StatusView {
  self: string;
  replicas: number;
  at: number;
  members: MemberStatus[];
}
