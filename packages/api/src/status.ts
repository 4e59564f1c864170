/**
 * `GET /v1/status`: the cluster as a whole in one answer — every member the answering node knows,
 * each with the stats it reported about itself (files, bytes, free disk, transfers, backlog, byte
 * counters, uptime) or why it did not. The same `NodeStats` schema validates a peer's answer on the
 * node side, so a member cannot make the answering node relay an unbounded or malformed value.
 */
import { z } from 'zod';
import { memberSchema, millisSchema, sizeSchema, type Member } from './schemas.js';

/** What one node says about itself. Every field is a whole number ≥ 0. */
export interface NodeStats {
  /** Live files whose bodies this node holds. */
  files: number;
  /** Their total size in bytes. */
  bytes: number;
  /** Bytes free on the data directory's filesystem (for an unprivileged user). */
  diskFree: number;
  /** Size of that filesystem in bytes. */
  diskTotal: number;
  /** Body transfers in flight now into this node (pulls and pushes received). */
  transfersIn: number;
  /** Body transfers in flight now out of this node (bodies served to peers). */
  transfersOut: number;
  /** Bodies this node still has to fetch: pulls queued behind the running ones. */
  backlog: number;
  /** Body and peer bytes received since start (HTTP uploads + peer protocol); a counter. */
  bytesIn: number;
  /** Body and peer bytes sent since start (HTTP downloads + peer protocol); a counter. */
  bytesOut: number;
  /** Milliseconds since the node started. */
  uptime: number;
}

export const nodeStatsSchema = z.object({
  files: sizeSchema,
  bytes: sizeSchema,
  diskFree: sizeSchema,
  diskTotal: sizeSchema,
  transfersIn: sizeSchema,
  transfersOut: sizeSchema,
  backlog: sizeSchema,
  bytesIn: sizeSchema,
  bytesOut: sizeSchema,
  uptime: sizeSchema,
}) satisfies z.ZodType<NodeStats>;

/** Why a member's `stats` is null. */
export const STATUS_ERRORS = ['unreachable', 'timeout', 'dead', 'invalid'] as const;
export type StatusError = (typeof STATUS_ERRORS)[number];

/** One member of `GET /v1/status`: its `/v1/cluster` entry plus its stats. */
export interface MemberStatus extends Member {
  /** Its HTTP API base URL (`http://host:port`), when the nodes table knows it. */
  api?: string;
  /** What it reported, or null when it did not answer within the deadline or is dead or left. */
  stats: NodeStats | null;
  /** Why `stats` is null. */
  error?: StatusError;
}

export const memberStatusSchema = memberSchema.extend({
  api: z.string().optional(),
  stats: nodeStatsSchema.nullable(),
  error: z.enum(STATUS_ERRORS).optional(),
}) satisfies z.ZodType<MemberStatus>;

/** `GET /v1/status` → 200. */
export interface StatusView {
  /** The answering node's id. */
  self: string;
  /** The replication factor R, cluster-wide. */
  replicas: number;
  /** Wall-clock milliseconds when the answer was assembled. */
  at: number;
  /** Every member `/v1/cluster` lists, the answering node included. */
  members: MemberStatus[];
}

export const statusViewSchema = z.object({
  self: z.string().min(1),
  replicas: z.number().int().min(1),
  at: millisSchema,
  members: z.array(memberStatusSchema),
}) satisfies z.ZodType<StatusView>;
