/**
 * What the engine needs from the local store (`@dfs/store` provides it; tests may pass a temp-dir
 * store). Bodies are stored under `blobKey(name, version)`, never under the name: a version's bytes
 * are immutable, so a slow pull of an old version can never overwrite a newer one, and the old
 * version's bytes are removed only once the index has moved on.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ByteRange } from './file-service.js';

export interface BlobPutOptions {
  /** Reject with ERR_INTEGRITY (and keep nothing) when the body's sha256 differs. */
  expectedSha256?: string;
  /** Reject with ERR_TOO_LARGE (and keep nothing) when the body grows past this. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Stored atomically with the body and returned by `stat` and `list` (see `BlobMetadata`). */
  metadata?: BlobMetadata;
}

/**
 * What the engine records with every body it stores, so a body can be explained (and the index
 * rebuilt) from the store alone: which name and version it is, and how it arrived (`put` = a local
 * upload, `pull` = fetched from a holder, `push` = streamed by the origin during its upload,
 * `failed-put` = a local upload whose index write failed and could not be undone: kept in case its
 * record comes back at restart, never salvaged on its own).
 */
export type BlobMetadata = Readonly<Record<string, string | number | boolean | null>>;

export interface BlobStore {
  /** Stream in atomically; durable (fsynced) when it resolves; partial bodies leave nothing. */
  put(
    key: string,
    body: Readable,
    options?: BlobPutOptions,
  ): Promise<{ size: number; sha256: string }>;
  /**
   * Stream out; a whole-body read errors with ERR_INTEGRITY at the end if the bytes are corrupt.
   * `verify: false` may skip that check, for bytes whose receiver verifies them (a store that
   * cannot skip it checks anyway).
   */
  get(
    key: string,
    options?: { range?: ByteRange; signal?: AbortSignal; verify?: boolean },
  ): Promise<Readable>;
  /** Size and sha256 recorded when `key` was stored, or undefined when absent. */
  stat(key: string): Promise<{ size: number; sha256: string; metadata?: BlobMetadata } | undefined>;
  /** True when removed, false when absent. */
  delete(key: string): Promise<boolean>;
  /**
   * Replaces a stored body's metadata atomically (optional: without it, the bytes of a put whose
   * index write failed without being undone can be salvaged after a later index repair).
   */
  setMetadata?(key: string, metadata: BlobMetadata): Promise<unknown>;
  /** Every stored key (optional: without it, orphaned bodies are never collected). */
  list?(): AsyncIterable<{ key: string; size?: number; sha256?: string; metadata?: BlobMetadata }>;
  /** Re-reads the bytes; rejects with ERR_INTEGRITY (or ERR_NOT_FOUND) when they are damaged. */
  verify(key: string): Promise<unknown>;
}

/** The store key of one version of one name (fixed length, whatever the name). */
export function blobKey(name: string, version: string): string {
  return createHash('sha256').update(name).update('\0').update(version).digest('hex');
}
