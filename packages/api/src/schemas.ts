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

export interface Member {
  id: string;
  /** The address peers dial (`host:port`). */
  addr: string;
  state: MemberState;
  /** Raised by the member itself to refute suspicion and on every restart. */
  incarnation: number;
  /** Wall-clock milliseconds when the answering node last heard from it (its own entry: now). */
  lastSeen: number;
}

export const memberSchema = z.object({
  id: z.string().min(1),
  addr: z.string(),
  state: z.enum(MEMBER_STATES),
  incarnation: z.number().int().min(0),
  lastSeen: millisSchema,
}) satisfies z.ZodType<Member>;

/** `GET /v1/cluster` → 200. */
export interface ClusterView {
  /** The answering node's own entry. */
  self: Member;
  /** Every member the answering node knows, itself included. */
  members: Member[];
}

export const clusterViewSchema = z.object({
  self: memberSchema,
  members: z.array(memberSchema),
}) satisfies z.ZodType<ClusterView>;

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
