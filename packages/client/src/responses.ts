/**
 * The API's answers turned from untrusted JSON and headers into typed values. Bodies are checked
 * with the contract's zod schemas (@dfs/api), widened only where nodes have differed: `modified`
 * and `lastSeen` as ms or a date string, a missing `incarnation`, `self` as a bare id, an empty or
 * missing cursor. A response that does not fit fails with ERR_BAD_RESPONSE instead of leaking
 * `undefined`s into callers.
 */
import {
  HEADERS,
  memberPlacementSchema,
  memberSchema,
  nodeRowSchema,
  putResultSchema,
  sha256OfEtag,
  sizeSchema,
  statusViewSchema,
  MAX_HOLDER_IDS,
} from '@dfs/api';
import { z } from 'zod';
import { DfsClientError, isRecord } from './errors.js';
import type {
  ClusterView,
  FileEntry,
  FileStat,
  Health,
  ListPage,
  Member,
  NodeRow,
  PutResult,
  StatusView,
} from './types.js';

function bad(what: string, node: string): DfsClientError {
  return new DfsClientError('ERR_BAD_RESPONSE', `unexpected answer from the node: ${what}`, {
    node,
  });
}

/** `modified` may come as ms since the epoch or as an ISO string; both become ms. */
function toMillis(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

// `.optional()`: a missing key reaches the transform as undefined instead of failing.
const looseMillis = z.unknown().optional().transform(toMillis);

const fileEntrySchema = putResultSchema.extend({
  modified: looseMillis.transform((modified) => modified ?? 0),
}) satisfies z.ZodType<FileEntry>;

const listPageSchema = z.object({
  files: z.array(z.unknown()),
  next: z
    .unknown()
    .transform((next) => (typeof next === 'string' && next !== '' ? next : undefined)),
});

const looseMemberSchema = memberSchema.extend({
  incarnation: z
    .unknown()
    .optional()
    .transform((value) => (typeof value === 'number' ? value : 0)),
  lastSeen: looseMillis,
  // A placement this client cannot read (a newer state name) leaves the member readable.
  placement: z
    .unknown()
    .optional()
    .transform((value) => memberPlacementSchema.safeParse(value).data),
}) satisfies z.ZodType<Member>;

/** A field a node without placement leaves out (or sends in a shape we do not know): undefined. */
const optional = <T>(schema: z.ZodType<T>) =>
  z
    .unknown()
    .optional()
    .transform((value) => schema.safeParse(value).data);

const clusterViewSchema = z.object({
  members: z.array(z.unknown()),
  self: z.unknown().optional(),
  replicas: optional(z.number().int().min(1)),
  rebalancePaused: optional(z.boolean()),
  underReplicated: optional(sizeSchema),
  surplus: optional(sizeSchema),
});

export function toPutResult(value: unknown, node: string): PutResult {
  const parsed = putResultSchema.safeParse(value);
  if (!parsed.success) throw bad('upload result is not {name,size,sha256,version}', node);
  return parsed.data;
}

function toFileEntry(value: unknown, node: string): FileEntry {
  const parsed = fileEntrySchema.safeParse(value);
  if (!parsed.success) throw bad('upload result is not {name,size,sha256,version}', node);
  return parsed.data;
}

export function toListPage(value: unknown, node: string): ListPage {
  const parsed = listPageSchema.safeParse(value);
  if (!parsed.success) throw bad('file list is not {files:[…],next}', node);
  const files = parsed.data.files.map((entry) => toFileEntry(entry, node));
  return { files, next: parsed.data.next };
}

function toMember(value: unknown, node: string): Member {
  const parsed = looseMemberSchema.safeParse(value);
  if (!parsed.success) throw bad('member is not {id,addr,state,incarnation,lastSeen}', node);
  return parsed.data;
}

export function toClusterView(value: unknown, node: string): ClusterView {
  const parsed = clusterViewSchema.safeParse(value);
  if (!parsed.success) throw bad('cluster view is not {self,members:[…]}', node);
  const members = parsed.data.members.map((member) => toMember(member, node));
  // The contract sends `self` as a member; older nodes sent its id alone. Accept both.
  const rawSelf = parsed.data.self;
  let self: string;
  let selfMember: Member | undefined;
  if (typeof rawSelf === 'string') {
    self = rawSelf;
    selfMember = members.find((member) => member.id === rawSelf);
  } else if (isRecord(rawSelf) && typeof rawSelf.id === 'string') {
    self = rawSelf.id;
    selfMember =
      typeof rawSelf.addr === 'string' && typeof rawSelf.state === 'string'
        ? toMember(rawSelf, node)
        : members.find((member) => member.id === rawSelf.id);
  } else {
    throw bad('cluster view has no self id', node);
  }
  const { replicas, rebalancePaused, underReplicated, surplus } = parsed.data;
  return { self, selfMember, members, replicas, rebalancePaused, underReplicated, surplus };
}

export function toNodeRow(value: unknown, node: string): NodeRow {
  const parsed = nodeRowSchema.safeParse(value);
  if (!parsed.success) throw bad('node row is not {id,capacity,replicas,api,status,…}', node);
  return parsed.data;
}

export function toHealth(value: unknown, ok: boolean, node: string): Health {
  if (!isRecord(value)) throw bad('health is not an object', node);
  const status = typeof value.status === 'string' ? value.status : ok ? 'ok' : 'unavailable';
  const count = (field: unknown): number | undefined => {
    if (typeof field === 'number') return field;
    if (Array.isArray(field)) return field.length;
    return undefined;
  };
  return {
    node,
    status,
    ok: ok && status === 'ok',
    id: typeof value.id === 'string' ? value.id : undefined,
    members: count(value.members),
    files: count(value.files),
  };
}

/** Reads a HEAD/GET answer's headers into a FileStat. */
export function statFromHeaders(name: string, headers: Headers, node: string): FileStat {
  const etag = sha256OfEtag(headers.get(HEADERS.etag));
  const sha256 = headers.get(HEADERS.sha256) ?? etag;
  const sizeHeader = headers.get(HEADERS.size) ?? headers.get(HEADERS.contentLength);
  const size = sizeHeader === null ? Number.NaN : Number(sizeHeader);
  const version = headers.get(HEADERS.version) ?? '';
  if (sha256 === undefined || !sizeSchema.safeParse(size).success) {
    throw bad('file headers lack a size or sha256', node);
  }
  const holdersHeader = headers.get(HEADERS.holders);
  const holders = holdersHeader === null ? undefined : Number(holdersHeader);
  const idsHeader = headers.get(HEADERS.holderIds);
  const holderIds =
    idsHeader === null
      ? undefined
      : idsHeader
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== '')
          .slice(0, MAX_HOLDER_IDS);
  const modifiedHeader = headers.get(HEADERS.modified) ?? headers.get(HEADERS.lastModified);
  const modified =
    modifiedHeader === null
      ? undefined
      : /^\d+$/.test(modifiedHeader)
        ? Number(modifiedHeader)
        : toMillis(modifiedHeader);
  return {
    name,
    size,
    sha256,
    version,
    holders: holders !== undefined && Number.isFinite(holders) ? holders : undefined,
    holderIds,
    modified,
  };
}

export function toStatusView(value: unknown, node: string): StatusView {
  const parsed = statusViewSchema.safeParse(value);
  if (!parsed.success) throw bad('status is not {self,replicas,at,members:[…]}', node);
  return parsed.data;
}
