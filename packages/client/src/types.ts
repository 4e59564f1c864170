/**
 * What the client's methods resolve with. The wire shapes are the contract's (@dfs/api); these are
 * the same fields as callers want them: `undefined` for what a node did not say, the answering node
 * named, and a file's metadata read from headers.
 */
import type { Readable } from 'node:stream';
import type {
  FileEntry,
  Member as ApiMember,
  MemberPlacement,
  MemberState,
  NodeRow,
  PlacementState,
  PutResult,
  NodeStats,
  MemberStatus,
  StatusView,
} from '@dfs/api';

export type {
  FileEntry,
  MemberPlacement,
  MemberState,
  NodeRow,
  PlacementState,
  PutResult,
  NodeStats,
  MemberStatus,
  StatusView,
};

/** `HEAD /v1/files/<name>`: what the node knows about the newest version. */
export interface FileStat {
  name: string;
  size: number;
  sha256: string;
  version: string;
  /** Live nodes known to hold this version (undefined when the node does not say). */
  holders: number | undefined;
  /**
   * Their node ids (`X-Dfs-Holder-Ids`; the answering node first when it holds the file; at most
   * 32), undefined when the node does not say.
   */
  holderIds?: string[] | undefined;
  /** Wall-clock ms of the write, when the node says (Last-Modified or X-Dfs-Modified). */
  modified: number | undefined;
}

export interface ListPage {
  files: FileEntry[];
  /** Cursor for the next page; undefined on the last page. */
  next: string | undefined;
}

export interface Member extends Omit<ApiMember, 'lastSeen' | 'placement'> {
  /** Wall-clock ms when this node last heard from the member (as the node reports it). */
  lastSeen: number | undefined;
  /**
   * Where the member stands in placement (`in`, `down`, `out`, `draining`, `removed`) with its
   * weight and capacity; undefined from nodes without placement, or in a shape this client does
   * not know.
   */
  placement?: MemberPlacement | undefined;
}

export interface ClusterView {
  /** The answering node's id. */
  self: string;
  /** The answering node's own member entry when the node reports it. */
  selfMember: Member | undefined;
  members: Member[];
  /** The replication factor R (undefined from nodes without placement). */
  replicas?: number | undefined;
  /** True while the placement brake holds (undefined from nodes without placement). */
  rebalancePaused?: boolean | undefined;
  /** Files with fewer than R confirmed copies, as the answering node knows. */
  underReplicated?: number | undefined;
  /** Copies the answering node holds that placement no longer wants there. */
  surplus?: number | undefined;
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

export interface Progress {
  /** Bytes transferred so far. */
  loaded: number;
  /** Total bytes when known. */
  total: number | undefined;
}

export type ProgressCallback = (progress: Progress) => void;

/** Inclusive byte range, as in `Range: bytes=start-end`; `end` omitted means to the end. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface Download {
  /** The file's metadata (size and sha256 of the whole file, not of the range). */
  info: FileStat;
  /** Set for a 206 answer: the bytes this body carries and the file's total size. */
  range: { start: number; end: number; total: number } | undefined;
  /** Bytes in this body. */
  length: number;
  /** The body as a Node stream (read it, or call `webStream()`, not both). */
  stream: Readable;
  /** The body as a web ReadableStream. */
  webStream(): ReadableStream<Uint8Array>;
  /** Collects the whole body (small files only). */
  buffer(): Promise<Buffer>;
}
