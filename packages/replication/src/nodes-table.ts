/**
 * The replicated `nodes` table (issue 12): one row per node id with what placement needs that SWIM
 * does not carry — capacity weight, the R the node was started with, its HTTP API URL — and the
 * operator's `drain` / `remove` status.
 *
 * Rows merge as a join-semilattice, so every node converges on the same table whatever order rows
 * arrive in, and a row seen twice changes nothing:
 *
 * - `capacity`, `replicas`, `api`, `stamp`, `writer`: last writer wins by (stamp, writer), then by
 *   the content itself so that two different rows under one (stamp, writer) still merge the same way
 *   everywhere;
 * - `status`: the furthest of active < draining < removed. Drain and remove are one-way, so a node's
 *   own refresh (or a stale copy) can never undo an operator's action, whatever the clocks say;
 * - `since`: the earliest (when the row was first created; the oldest row decides the cluster's R).
 *
 * Rows from peers pass `nodeRowSchema` (strict: unknown fields refused) and the skew bound first.
 */
import { z } from 'zod';
import { MAX_PLACEMENT_WEIGHT } from './placement.js';
import { compareIds } from './placement-hash.js';

export type NodeStatus = 'active' | 'draining' | 'removed';

export interface NodeRow {
  readonly id: string;
  /** The `--capacity` weight: > 0, ≤ MAX_PLACEMENT_WEIGHT. */
  readonly capacity: number;
  /** The R this node was started with. */
  readonly replicas: number;
  /** The node's HTTP API base URL ('' if none), for redirects. */
  readonly api: string;
  readonly status: NodeStatus;
  /** Wall ms the row was first created (the cluster's R is the R of the oldest non-removed row). */
  readonly since: number;
  /** Last-writer-wins stamp: wall ms of the last change, always above the previous stamp. */
  readonly stamp: number;
  /** Id of the node that wrote this stamp (tie-break). */
  readonly writer: string;
}

/** Rows in the table, and in one message. */
export const MAX_NODE_ROWS = 4096;
/** Largest R a row may carry (a holder list is bounded by MAX_HOLDERS on the wire anyway). */
export const MAX_NODE_REPLICAS = 1024;
const MAX_ID_LENGTH = 128;
const MAX_API_LENGTH = 512;

const STATUS_ORDER: Readonly<Record<NodeStatus, number>> = { active: 0, draining: 1, removed: 2 };

const idSchema = z.string().min(1).max(MAX_ID_LENGTH);
const wallMsSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const nodeRowSchema = z.strictObject({
  id: idSchema,
  capacity: z.number().gt(0).max(MAX_PLACEMENT_WEIGHT),
  replicas: z.number().int().min(1).max(MAX_NODE_REPLICAS),
  api: z.string().max(MAX_API_LENGTH),
  status: z.enum(['active', 'draining', 'removed']),
  since: wallMsSchema,
  stamp: wallMsSchema,
  writer: idSchema,
});

/** The table as stored in nodes.json and as sent by `dfs/nodes/1`. */
export const nodesTableSchema = z.strictObject({
  rows: z.array(z.unknown()).max(MAX_NODE_ROWS),
});

/** A plain, frozen copy of a valid row, or undefined if `value` is not one. */
export function parseNodeRow(value: unknown): NodeRow | undefined {
  const parsed = nodeRowSchema.safeParse(value);
  return parsed.success ? Object.freeze({ ...parsed.data }) : undefined;
}

/** Compares the last-writer-wins part of two rows: stamp, writer, then content. */
function compareWrites(a: NodeRow, b: NodeRow): number {
  if (a.stamp !== b.stamp) return a.stamp < b.stamp ? -1 : 1;
  const byWriter = compareIds(a.writer, b.writer);
  if (byWriter !== 0) return byWriter;
  if (a.capacity !== b.capacity) return a.capacity < b.capacity ? -1 : 1;
  if (a.replicas !== b.replicas) return a.replicas < b.replicas ? -1 : 1;
  return compareIds(a.api, b.api);
}

/** The later of two statuses (drain and remove are one-way). */
export function laterStatus(a: NodeStatus, b: NodeStatus): NodeStatus {
  return STATUS_ORDER[a] >= STATUS_ORDER[b] ? a : b;
}

/** Merges two rows of the same id: commutative, associative and idempotent. */
export function mergeRows(a: NodeRow, b: NodeRow): NodeRow {
  const winner = compareWrites(a, b) >= 0 ? a : b;
  const status = laterStatus(a.status, b.status);
  const since = Math.min(a.since, b.since);
  if (status === winner.status && since === winner.since) return winner;
  return Object.freeze({ ...winner, status, since });
}

export function sameRow(a: NodeRow, b: NodeRow): boolean {
  return (
    a.id === b.id &&
    a.capacity === b.capacity &&
    a.replicas === b.replicas &&
    a.api === b.api &&
    a.status === b.status &&
    a.since === b.since &&
    a.stamp === b.stamp &&
    a.writer === b.writer
  );
}

/** Why a row from a peer was not merged. */
export type RowRefusal = 'invalid' | 'future' | 'full';

/** Rows by node id, merged with `mergeRows`, at most MAX_NODE_ROWS of them. */
export class NodesTable {
  private readonly byId = new Map<string, NodeRow>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): NodeRow | undefined {
    return this.byId.get(id);
  }

  /** The rows, sorted by id. */
  rows(): NodeRow[] {
    return [...this.byId.values()].sort((a, b) => compareIds(a.id, b.id));
  }

  /**
   * Validates and merges one row. `latestStamp` bounds how far ahead stamps may be (now + skew).
   * Returns the merged row if the table changed, a refusal if the row was refused, or undefined.
   */
  merge(value: unknown, latestStamp: number): NodeRow | RowRefusal | undefined {
    const row = parseNodeRow(value);
    if (row === undefined) return 'invalid';
    if (row.stamp > latestStamp || row.since > latestStamp) return 'future';
    const current = this.byId.get(row.id);
    if (current === undefined && this.byId.size >= MAX_NODE_ROWS) return 'full';
    const merged = current === undefined ? row : mergeRows(current, row);
    if (current !== undefined && sameRow(current, merged)) return undefined;
    this.byId.set(row.id, merged);
    return merged;
  }
}
