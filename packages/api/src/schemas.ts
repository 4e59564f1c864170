/**
 * The JSON bodies of every endpoint: a TypeScript type for each, and the zod schema that checks an
 * untrusted value against it. The node builds its answers as these types, so a field renamed on
 * one side is a type error on the other; clients may validate what they receive with the schemas.
 * Objects are not strict: a later minor version may add fields, and readers ignore what they do
 * not know.
 */
import { z } from 'zod';
import { API_ERROR_CODES, type ApiErrorCode } from './errors.js';

/** A byte count or offset: a whole number that a double holds exactly. */
export const sizeSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Lower-case hex sha256. */
export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'not a lower-case hex sha256');
/** Milliseconds since the epoch. */
export const millisSchema = z.number().int().min(0);

/** `PUT /v1/files/<name>` → 201, once the file is fsynced on the answering node. */
export interface PutResult {
  name: string;
  size: number;
  /** Lower-case hex sha256 of the body. */
  sha256: string;
  /** Opaque, totally ordered version (hybrid logical clock + node id). */
  version: string;
}

export const putResultSchema = z.object({
  name: z.string(),
  size: sizeSchema,
  sha256: sha256Schema,
  version: z.string().min(1),
}) satisfies z.ZodType<PutResult>;

/** One entry of `GET /v1/files`. */
export interface FileEntry extends PutResult {
  /** Wall-clock milliseconds of the write. */
  modified: number;
}

export const fileEntrySchema = putResultSchema.extend({
  modified: millisSchema,
}) satisfies z.ZodType<FileEntry>;

/** `GET /v1/files?prefix=&limit=&cursor=` → 200: live files in byte order of their names. */
export interface ListPage {
  files: FileEntry[];
  /** Opaque cursor for the next page (`?cursor=`); null on the last page. */
  next: string | null;
}

export const listPageSchema = z.object({
  files: z.array(fileEntrySchema),
  next: z.string().min(1).nullable(),
}) satisfies z.ZodType<ListPage>;

/** A member's state: `left` is a graceful stop, `dead` a failure the cluster detected. */
export const MEMBER_STATES = ['alive', 'suspect', 'dead', 'left'] as const;
export type MemberState = (typeof MEMBER_STATES)[number];

/**
 * Where a member stands in placement (issue 12): `in` takes its share of files; `down` is in but
 * not reachable (dead or left, within the grace period: its files wait for it); `out` was down past
 * the grace period, its files have moved; `draining` hands its files off (`POST /v1/nodes/<id>/drain`);
 * `removed` was taken out by an operator (`POST /v1/nodes/<id>/remove`).
 */
export const PLACEMENT_STATES = ['in', 'down', 'out', 'draining', 'removed'] as const;
export type PlacementState = (typeof PLACEMENT_STATES)[number];

/** A member's placement as the answering node sees it. */
export interface MemberPlacement {
  state: PlacementState;
  /** The weight placement ranks it with: its capacity while in, 0 when draining, out or removed. */
  weight: number;
  /** Its `--capacity`, as the nodes table says. */
  capacity: number;
}

export const memberPlacementSchema = z.object({
  state: z.enum(PLACEMENT_STATES),
  weight: z.number().min(0),
  capacity: z.number().min(0),
}) satisfies z.ZodType<MemberPlacement>;

export interface Member {
  id: string;
  /** The address peers dial (`host:port`). */
  addr: string;
  state: MemberState;
  /** Raised by the member itself to refute suspicion and on every restart. */
  incarnation: number;
  /** Wall-clock milliseconds when the answering node last heard from it (its own entry: now). */
  lastSeen: number;
  /** Its placement; absent from nodes older than issue 12. */
  placement?: MemberPlacement;
}

export const memberSchema = z.object({
  id: z.string().min(1),
  addr: z.string(),
  state: z.enum(MEMBER_STATES),
  incarnation: z.number().int().min(0),
  lastSeen: millisSchema,
  placement: memberPlacementSchema.optional(),
}) satisfies z.ZodType<Member>;

/** `GET /v1/cluster` → 200. */
export interface ClusterView {
  /** The answering node's own entry. */
  self: Member;
  /**
   * Every member the answering node knows, itself included: those SWIM knows, and those only the
   * nodes table still lists (down for long enough that SWIM forgot them; `state` is then `dead`).
   */
  members: Member[];
  /** The replication factor R, cluster-wide. */
  replicas: number;
  /** True while the mass-failure brake holds: no member is marked out, no surplus copy dropped. */
  rebalancePaused: boolean;
  /** Live files with fewer than R confirmed copies on their targets, as this node's index knows. */
  underReplicated: number;
  /** Copies on any node that placement no longer wants there, as this node knows (dropped after a delay). */
  surplus: number;
  /** The answering node's S3-compatible endpoint, when it serves one (`--s3`). */
  s3?: { address: string; region: string };
}

export const clusterViewSchema = z.object({
  self: memberSchema,
  members: z.array(memberSchema),
  replicas: z.number().int().min(1),
  rebalancePaused: z.boolean(),
  underReplicated: sizeSchema,
  surplus: sizeSchema,
  s3: z.object({ address: z.string(), region: z.string() }).optional(),
}) satisfies z.ZodType<ClusterView>;

/** Whether the operator keeps a node (`active`), hands its files off, or took it out for good. */
export const NODE_STATUSES = ['active', 'draining', 'removed'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** `POST /v1/nodes/<id>/drain` and `…/remove` → 200: the member's row of the nodes table. */
export interface NodeRow {
  id: string;
  /** Its `--capacity` (placement weight while active). */
  capacity: number;
  /** The `--replicas` it started with. */
  replicas: number;
  /** Its HTTP API base URL (`http://host:port`). */
  api: string;
  status: NodeStatus;
  /** Wall-clock milliseconds when `status` took its value. */
  since: number;
  /** The row's version (last writer wins across the cluster). */
  stamp: number;
  /** The node that wrote this version of the row. */
  writer: string;
}

export const nodeRowSchema = z.object({
  id: z.string().min(1),
  capacity: z.number().min(0),
  replicas: z.number().int().min(1),
  api: z.string(),
  status: z.enum(NODE_STATUSES),
  since: millisSchema,
  stamp: z.number().min(0),
  writer: z.string(),
}) satisfies z.ZodType<NodeRow>;

/** `GET /v1/health` → 200 while the node serves. */
export interface HealthServing {
  status: 'ok';
  id: string;
  /** Members the node sees alive, itself included. */
  members: number;
  /** Files (live versions) the node holds locally. */
  files: number;
}

/** `GET /v1/health` → 503 while the node starts or stops. */
export interface HealthNotServing {
  status: 'starting' | 'stopping';
  id: string;
}

export type HealthBody = HealthServing | HealthNotServing;

export const healthSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('ok'),
    id: z.string(),
    members: sizeSchema,
    files: sizeSchema,
  }),
  z.object({ status: z.enum(['starting', 'stopping']), id: z.string() }),
]) satisfies z.ZodType<HealthBody>;

/** Every non-2xx answer that has a body (HEAD answers carry the status only). */
export interface ErrorBody {
  error: { code: ApiErrorCode; message: string };
}

export const errorBodySchema = z.object({
  error: z.object({ code: z.enum(API_ERROR_CODES), message: z.string() }),
}) satisfies z.ZodType<ErrorBody>;
