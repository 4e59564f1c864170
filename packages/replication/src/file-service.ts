/**
 * The seam between the node's front (HTTP API, start command, composition in `node.ts`) and its
 * replication engine (`replication/`). The HTTP layer only ever talks to a `FileService`; the
 * replication engine implements it on top of @dfs/store, @dfs/transport and @dfs/gossip.
 */
import type { Readable } from 'node:stream';
import type { FileMeta } from '@dfs/api';

/** What this node knows about one name at its newest version. */
export interface FileInfo {
  name: string;
  size: number;
  /** Lower-case hex sha256 of the whole body. */
  sha256: string;
  /**
   * Opaque, totally ordered version string (hybrid logical clock + node id). Compare with the
   * replication engine's helpers, never by parsing in the HTTP layer.
   */
  version: string;
  /** Wall-clock ms of the write (the HLC's physical part). */
  modified: number;
  /** Live nodes known to hold this version's bytes (including this one when it does). */
  holders: number;
  /** Their node ids, this node first when it holds the bytes (`holders` of them). */
  holderIds: string[];
  /** The version's metadata, when it was written with any (see `PutOptions.meta`). */
  meta?: FileMeta;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  signal?: AbortSignal;
  /** Refuse bodies longer than this (ERR_TOO_LARGE), checked while streaming. */
  maxBytes?: number;
  /**
   * The new version's metadata, validated by the caller (`fileMetaSchema` of @dfs/api). A function
   * is called once the whole body is stored, before the version is recorded: a caller that hashes
   * the body while it streams (an MD5 for S3) gives its result there.
   */
  meta?: FileMeta | (() => FileMeta | undefined);
  /**
   * Push the body down the chain only after it committed here, read back from the store, instead
   * of while it streams in. The put then resolves at the pace of this node alone: for a caller
   * that waits for no other copy (`PUT ?w=1`). Without it the chain overlaps the upload.
   */
  replicateAfterCommit?: boolean;
}

export interface ListOptions {
  prefix?: string;
  limit: number;
  /** Opaque cursor returned as `next` by the previous page. */
  cursor?: string;
}

export interface FileService {
  /** Store durably on this node (fsynced), record a new version, then announce it to peers. */
  put(name: string, body: Readable, options?: PutOptions): Promise<FileInfo>;
  /** Resolves true once `count` nodes hold `version` of `name`, false on timeout. */
  waitForHolders(
    name: string,
    version: string,
    count: number,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<boolean>;
  /** Newest known live version, or undefined when unknown or deleted. */
  stat(name: string, options?: { signal?: AbortSignal }): Promise<FileInfo | undefined>;
  /**
   * Stream the body (or a range of it): from the local store, or from a holder when not local,
   * verified as it streams. Rejects with ERR_NOT_FOUND when no live node has it and ERR_RANGE for
   * an unsatisfiable range.
   */
  read(
    name: string,
    options?: { range?: ByteRange; signal?: AbortSignal },
  ): Promise<{ info: FileInfo; stream: Readable }>;
  /**
   * Write a tombstone with a new version; false when the name is unknown (or already deleted).
   * With `w` > 1, resolve only once `w` nodes that should hold the file applied it (ERR_TIMEOUT
   * after `timeoutMs` otherwise; the delete stands).
   */
  delete(
    name: string,
    options?: { signal?: AbortSignal; w?: number; timeoutMs?: number },
  ): Promise<boolean>;
  /** Live (not deleted) names in byte order of their UTF-8 encoding. */
  list(options: ListOptions): Promise<{ files: FileInfo[]; next?: string }>;
  /** Live files and bytes held locally (for /v1/health and /metrics). */
  localStats(): { files: number; bytes: number };
}
