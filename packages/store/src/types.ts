import type { Readable } from 'node:stream';
import type { PathLayout } from './layout.js';

/** User metadata stored atomically with the body (e.g. a replication version). Flat JSON values. */
export type StoreMetadata = Readonly<Record<string, string | number | boolean | null>>;

/** What the store knows about one key. Stored in the same file as the body, so they always agree. */
export interface StoreEntry {
  key: string;
  /** Body length in bytes. */
  size: number;
  /** Lower-case hex sha256 of the body. */
  sha256: string;
  /** Wall-clock ms (Date.now()) when the put committed. */
  created: number;
  metadata: StoreMetadata;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** A body to store: bytes, a UTF-8 string, or a stream / async iterable of byte chunks. */
export type PutBody = Uint8Array | string | Readable | AsyncIterable<Uint8Array | string>;

export interface SignalOptions {
  signal?: AbortSignal;
}

export interface PutOptions extends SignalOptions {
  /** Fail with ERR_INTEGRITY (storing nothing) unless the body's sha256 equals this hex digest. */
  expectedSha256?: string;
  /** Fail with ERR_INTEGRITY (storing nothing) unless the body has exactly this many bytes. */
  expectedSize?: number;
  /** Fail with ERR_TOO_LARGE (storing nothing) as soon as the body exceeds this many bytes. */
  maxBytes?: number;
  /** Stored atomically with the body; returned by stat/list/get. Default `{}`. */
  metadata?: StoreMetadata;
}

export interface GetOptions extends SignalOptions {
  /** Inclusive range within the body; ERR_RANGE when not satisfiable (any range of an empty body). */
  range?: ByteRange;
  /**
   * Hash the body and end in ERR_INTEGRITY when it does not match (default true). `false` is for a
   * reader that checks the bytes itself or hands them to one that does (a replica verifying what it
   * receives): it saves the hash, and a damaged body then ends normally.
   */
  verify?: boolean;
}

export interface ConditionalOptions extends SignalOptions {
  /** Only act when the stored body has this sha256; otherwise ERR_PRECONDITION. */
  ifSha256?: string;
}

export interface ListOptions extends SignalOptions {
  /** Only keys starting with this string. Default `''` (all). */
  prefix?: string;
}

/**
 * A body stream that is verified as it flows: the final chunk is released only after the sha256 of
 * the whole body matched, otherwise the stream fails with ERR_INTEGRITY. `entry` describes exactly the
 * version being streamed, even if the key is overwritten meanwhile.
 */
export interface StoreReadStream extends Readable {
  readonly entry: StoreEntry;
  /** The inclusive range being streamed, or undefined for the whole body. */
  readonly range: ByteRange | undefined;
}

/** The durable local store. The replicating node depends on this interface only. */
export interface Store {
  readonly dir: string;
  readonly layout: PathLayout;
  /** True when an entry for `key` exists. */
  has(key: string, options?: SignalOptions): Promise<boolean>;
  /**
   * Stores `body` under `key`, replacing any previous value atomically. Resolves once the entry is
   * durable (fsynced file and directory when `fsync` is on). A failed or aborted put leaves nothing.
   */
  put(key: string, body: PutBody, options?: PutOptions): Promise<StoreEntry>;
  /** The entry for `key`, or undefined. ERR_INTEGRITY when the entry file is damaged. */
  stat(key: string, options?: SignalOptions): Promise<StoreEntry | undefined>;
  /** A verified stream of the body or of a range of it. ERR_NOT_FOUND, ERR_RANGE. */
  get(key: string, options?: GetOptions): Promise<StoreReadStream>;
  /** Removes the entry durably. False when there was none. */
  delete(key: string, options?: ConditionalOptions): Promise<boolean>;
  /** Entries in byte order of their UTF-8 keys; damaged entry files are skipped. */
  list(options?: ListOptions): AsyncIterable<StoreEntry>;
  /** Re-reads and hashes the whole body. Resolves to the entry, ERR_INTEGRITY when damaged. */
  verify(key: string, options?: SignalOptions): Promise<StoreEntry>;
  /**
   * Replaces the metadata atomically, keeping the body. Costs a copy of the body (a reflink where the
   * filesystem supports it). ERR_NOT_FOUND, ERR_PRECONDITION.
   */
  setMetadata(
    key: string,
    metadata: StoreMetadata,
    options?: ConditionalOptions,
  ): Promise<StoreEntry>;
  /** Aborts in-flight calls and open streams (ERR_CLOSED) and waits for them; later calls fail. */
  close(): Promise<void>;
}
