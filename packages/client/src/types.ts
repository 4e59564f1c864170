/**
 * The API's answers as typed values, with the checks that turn untrusted JSON into them. A response
 * that does not fit fails with ERR_BAD_RESPONSE instead of leaking `undefined`s into callers.
 */
import { DfsClientError, isRecord } from './errors.js';

/** What `PUT /v1/files/<name>` answers once the file is fsynced on the node. */
export interface PutResult {
  name: string;
  size: number;
  /** Lower-case hex sha256 of the body. */
  sha256: string;
  /** Opaque, totally ordered version (hybrid logical clock + node id). */
  version: string;
}

/** One entry of `GET /v1/files`. */
export interface FileEntry extends PutResult {
  /** Wall-clock ms of the write. */
  modified: number;
}

/** `HEAD /v1/files/<name>`: what the node knows about the newest version. */
export interface FileStat {
  name: string;
  size: number;
  sha256: string;
  version: string;
  /** Live nodes known to hold this version (undefined when the node does not say). */
  holders: number | undefined;
  /** Wall-clock ms of the write, when the node says (Last-Modified or X-Dfs-Modified). */
  modified: number | undefined;
}

export interface ListPage {
  files: FileEntry[];
  /** Cursor for the next page; undefined on the last page. */
  next: string | undefined;
}

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export interface Member {
  id: string;
  addr: string;
  state: MemberState;
  incarnation: number;
  /** Wall-clock ms when this node last heard from the member (as the node reports it). */
  lastSeen: number | undefined;
}

export interface ClusterView {
  /** The answering node's id. */
  self: string;
  /** The answering node's own member entry when the node reports it. */
  selfMember: Member | undefined;
  members: Member[];
}

export interface Health {
  /** Base URL of the node that answered. */
  node: string;
  /** `ok` when serving; anything else (`starting`, `stopping`) came with a 503. */
  status: string;
  ok: boolean;
  id: string | undefined;
  /** Members the node knows (alive count or total, as the node reports). */
  members: number | undefined;
  /** Files the node holds locally. */
  files: number | undefined;
}

function bad(what: string, node: string): DfsClientError {
  return new DfsClientError('ERR_BAD_RESPONSE', `unexpected answer from the node: ${what}`, {
    node,
  });
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function toPutResult(value: unknown, node: string): PutResult {
  if (
    !isRecord(value) ||
    typeof value.name !== 'string' ||
    !isSize(value.size) ||
    typeof value.sha256 !== 'string' ||
    typeof value.version !== 'string'
  ) {
    throw bad('upload result is not {name,size,sha256,version}', node);
  }
  return { name: value.name, size: value.size, sha256: value.sha256, version: value.version };
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

export function toListPage(value: unknown, node: string): ListPage {
  if (!isRecord(value) || !Array.isArray(value.files)) {
    throw bad('file list is not {files:[…],next}', node);
  }
  const files = value.files.map((entry: unknown): FileEntry => {
    const base = toPutResult(entry, node);
    const modified = isRecord(entry) ? toMillis(entry.modified) : undefined;
    return { ...base, modified: modified ?? 0 };
  });
  const next = typeof value.next === 'string' && value.next !== '' ? value.next : undefined;
  return { files, next };
}

const states = new Set<string>(['alive', 'suspect', 'dead', 'left']);

function toMember(value: unknown, node: string): Member {
  if (
    !isRecord(value) ||
    typeof value.id !== 'string' ||
    typeof value.addr !== 'string' ||
    typeof value.state !== 'string' ||
    !states.has(value.state)
  ) {
    throw bad('member is not {id,addr,state,incarnation,lastSeen}', node);
  }
  return {
    id: value.id,
    addr: value.addr,
    state: value.state as MemberState,
    incarnation: typeof value.incarnation === 'number' ? value.incarnation : 0,
    lastSeen: toMillis(value.lastSeen),
  };
}

export function toClusterView(value: unknown, node: string): ClusterView {
  if (!isRecord(value) || !Array.isArray(value.members)) {
    throw bad('cluster view is not {self,members:[…]}', node);
  }
  const members = value.members.map((member: unknown) => toMember(member, node));
  // SPEC.md leaves `self`'s shape open: accept an id or a member object.
  const rawSelf = value.self;
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
  return { self, selfMember, members };
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
  const etag = headers.get('etag')?.replace(/^W\//, '').replace(/"/g, '');
  const sha256 = headers.get('x-dfs-sha256') ?? etag;
  const sizeHeader = headers.get('x-dfs-size') ?? headers.get('content-length');
  const size = sizeHeader === null ? Number.NaN : Number(sizeHeader);
  const version = headers.get('x-dfs-version') ?? '';
  if (sha256 === undefined || !isSize(size)) {
    throw bad('file headers lack a size or sha256', node);
  }
  const holdersHeader = headers.get('x-dfs-holders');
  const holders = holdersHeader === null ? undefined : Number(holdersHeader);
  const modifiedHeader = headers.get('x-dfs-modified') ?? headers.get('last-modified');
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
    modified,
  };
}
